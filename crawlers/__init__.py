"""Crawl stage: Scrapy spiders over the outlet registry into an immutable WARC archive,
replay of WARC files, and imports of video transcripts and comments."""

from crawlers.frontier import connect as connect_frontier
from crawlers.frontier import frontier_config
from crawlers.steps import CollectStep, CrawlStep, ReplayStep, TranscriptStep
from crawlers.transcripts import read_comments, split_plain_transcript, transcript_text

__all__ = ["CollectStep", "CrawlStep", "connect_frontier", "frontier_config", "ReplayStep", "TranscriptStep", "read_comments", "split_plain_transcript", "transcript_text"]
