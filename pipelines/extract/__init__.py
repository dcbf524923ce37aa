"""Extract stage: articles from the WARC archive (trafilatura text and metadata, cleaning,
language, topic relevance), de-duplicated; one page at a time in `extract_page`."""

from pipelines.extract.core import (
    Skip,
    extract_html,
    extract_page,
    manifest_table,
    run_extract,
    warm_up,
)

__all__ = ["Skip", "extract_html", "extract_page", "manifest_table", "run_extract", "warm_up"]
