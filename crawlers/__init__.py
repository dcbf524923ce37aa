"""Crawl stage: Scrapy spiders over the outlet registry into an immutable WARC archive,
replay of WARC files, and imports of video transcripts and comments and of document collections."""

from crawlers.documents import FieldMap, read_rows
from crawlers.steps import CrawlStep, DocumentsStep, ReplayStep, TranscriptStep
from crawlers.transcripts import read_comments, split_plain_transcript, transcript_text

__all__ = ["CrawlStep", "DocumentsStep", "FieldMap", "ReplayStep", "TranscriptStep", "read_comments", "read_rows",
           "split_plain_transcript", "transcript_text"]
