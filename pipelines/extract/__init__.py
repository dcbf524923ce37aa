"""Extract stage: articles from the WARC archive (trafilatura text and metadata, cleaning,
language, topic relevance), de-duplicated; one page at a time in `extract_page`."""

from pipelines.extract.core import (
    ExtractStep,
    Skip,
    extract_html,
    extract_page,
    warm_up,
)

__all__ = ["ExtractStep", "Skip", "extract_html", "extract_page", "warm_up"]
