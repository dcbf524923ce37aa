"""Crawl stage: Scrapy spiders over the outlet registry into an immutable WARC archive,
replay of WARC files, and imports of video transcripts and comments."""

from crawlers.steps import CrawlStep, ReplayStep, TranscriptStep
from crawlers.transcripts import read_comments, split_plain_transcript, transcript_text

__all__ = ["CrawlStep", "ReplayStep", "TranscriptStep", "read_comments", "split_plain_transcript", "transcript_text"]
