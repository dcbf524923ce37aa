"""Extraction: archived article pages → Article records (text, title, author, date,
language, outlet, camp, provenance). Reads the WARC archive, never the network.

The pure core is `extract_page` (one archived response in, one Article or a skip reason
out); `run_extract` is the I/O edge that walks the crawl manifests."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import trafilatura
from w3lib.encoding import html_to_unicode

from crawlers.archive import ArchivedResponse, read_response
from crawlers.registry import Registry
from pipelines.io import DataDir, FrameCheckError, read_records
from pipelines.language import detect_language, is_chinese
from pipelines.records import Article, FetchRecord, article_id_for
from pipelines.relevance import Topic

MIN_CHARS = {"en": 300, "zh": 120}  # shorter "articles" are teasers, captions or error pages
MAX_BODY_BYTES = 8 * 1024 * 1024  # bigger pages are not articles; parsing them costs minutes
_REPLACEMENT_SHARE = 0.02


@dataclass(frozen=True)
class Skip:
    reason: str
    url: str


def normalized_text_hash(text: str) -> str:
    """Hash of the text with case, width, punctuation and whitespace differences removed."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = re.sub(r"[\W_]+", "", folded)
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode with w3lib's order: BOM, HTTP header, meta tag, then sniffing.

    A declared charset that fails on the bytes (a page that says GB2312 but is UTF-8)
    is caught by checking the share of replacement characters and retrying as UTF-8."""
    encoding, text = html_to_unicode(content_type, body)
    if text.count("\ufffd") > _REPLACEMENT_SHARE * max(len(text), 1) / 10:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return text


def extract_page(response: ArchivedResponse, fetch: FetchRecord, registry: Registry, topic: Topic) -> Article | Skip:
    url = fetch.final_url
    if len(response.body) > MAX_BODY_BYTES:
        return Skip("too_large", url)
    content_type = response.headers.get("content-type", "")
    if content_type and "html" not in content_type.lower():
        return Skip("not_html", url)
    html = decode_html(response.body, content_type)
    if html.count("\ufffd") > _REPLACEMENT_SHARE * max(len(html), 1) or "\x00" in html[:2048]:
        return Skip("binary_or_garbled", url)
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False, include_tables=False)
    except Exception as exc:  # trafilatura raises on some malformed trees; one page must not end the run
        return Skip(f"extractor_error:{type(exc).__name__}", url)
    if doc is None or not (doc.text or "").strip():
        return Skip("no_text", url)
    text = _clean(doc.text)
    language = detect_language(text)
    if len(text) < MIN_CHARS["zh" if is_chinese(language) else "en"]:
        return Skip("too_short", url)
    outlet = registry.for_url(url) or registry.for_url(fetch.url)
    if outlet is None:
        return Skip("unknown_outlet", url)
    title = (doc.title or "").strip()
    return Article(
        article_id=article_id_for(url),
        url=url,
        outlet_id=outlet.id,
        outlet_name=outlet.name,
        camp=outlet.camp,
        language=language,
        source_kind="web",
        title=title,
        author=(doc.author or None),
        published=doc.date or None,
        text=text,
        text_sha256=normalized_text_hash(text),
        relevance=topic.score(text, title),
        duplicate_of=None,
        warc_file=fetch.warc_file,
        warc_offset=fetch.warc_offset,
        body_sha256=fetch.sha256,
    )


def _clean(text: str) -> str:
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


# --- I/O edge --------------------------------------------------------------------------


def manifest_rows(data: DataDir) -> list[FetchRecord]:
    files = sorted(data.manifest_dir.glob("*.parquet"))
    if not files:
        raise FrameCheckError(f"{data.manifest_dir}: no crawl manifest found (run `framecheck crawl` first)")
    rows = [row for f in files for row in read_records(f, FetchRecord)]
    return rows


def article_fetches(rows: Iterable[FetchRecord]) -> tuple[list[FetchRecord], list[tuple[FetchRecord, str]]]:
    """The latest fetch of each article URL decides; older fetches are superseded.

    Returns the fetches to extract and the rows left out, each with its reason."""
    by_url: dict[str, list[FetchRecord]] = {}
    for row in rows:
        if row.kind == "article":
            by_url.setdefault(row.final_url, []).append(row)
    keep, skipped = [], []
    for url in sorted(by_url):
        fetches = sorted(by_url[url], key=lambda r: (r.fetched_at, r.run_id))
        latest = fetches[-1]
        skipped += [(older, "superseded_by_later_fetch") for older in fetches[:-1]]
        if latest.skip_reason or latest.status != 200:
            skipped.append((latest, latest.skip_reason or f"http_{latest.status}"))
        else:
            keep.append(latest)
    return sorted(keep, key=lambda r: (r.outlet_id, r.final_url)), skipped


def _extract_one(args) -> Article | Skip:
    fetch, warc_dir, registry, topic = args
    try:
        response = read_response(Path(warc_dir) / fetch.warc_file, fetch.warc_offset)
    except FrameCheckError as exc:
        return Skip(f"unreadable_record: {exc}", fetch.final_url)
    except Exception as exc:  # truncated gzip members and the like
        return Skip(f"corrupt_record:{type(exc).__name__}", fetch.final_url)
    return extract_page(response, fetch, registry, topic)


def extract_all(fetches: list[FetchRecord], data: DataDir, registry: Registry, topic: Topic, workers: int = 1) -> Iterator[tuple[FetchRecord, Article | Skip]]:
    jobs = [(f, str(data.warc_dir), registry, topic) for f in fetches]
    if workers <= 1:
        for job in jobs:
            yield job[0], _extract_one(job)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for job, result in zip(jobs, pool.map(_extract_one, jobs, chunksize=8)):
            yield job[0], result
