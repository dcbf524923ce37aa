"""Crawl stage: Scrapy spiders over the outlet registry into an immutable WARC archive,
replay of WARC files, and imports of video transcripts and comments."""

from crawlers.crawl import run_crawl
from crawlers.replay import run_replay
from crawlers.transcripts import (
    import_transcript,
    read_comments,
    split_plain_transcript,
    transcript_text,
)

__all__ = ["import_transcript", "read_comments", "run_crawl", "run_replay", "split_plain_transcript", "transcript_text"]
