"""Crawl stage: Scrapy spiders over the outlet registry into an immutable WARC archive (alone
or sharing a Redis frontier), replay of WARC files, and imports of video transcripts and
comments and of document collections."""

from crawlers.documents import FieldMap, read_rows
from crawlers.frontier import connect as connect_frontier
from crawlers.frontier import frontier_config
from crawlers.steps import CollectStep, CrawlStep, DocumentsStep, ReplayStep, TranscriptStep
from crawlers.transcripts import read_comments, split_plain_transcript, transcript_text

__all__ = ["CollectStep", "CrawlStep", "DocumentsStep", "FieldMap", "ReplayStep", "TranscriptStep", "connect_frontier",
           "frontier_config", "read_comments", "read_rows", "split_plain_transcript", "transcript_text"]
