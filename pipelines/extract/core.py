"""Extraction: archived article pages → Article records (text, title, author, date,
language, outlet, camp, provenance). Reads the WARC archive, never the network.

Layers, from pure to I/O:
- `extract_html`: page bytes in, `Extracted` text and metadata (or a `Skip` with its
  reason) out. The page is parsed once (pipelines/extract/htmltree.py: trafilatura's tree, built
  faster) for trafilatura, which finds the main text and metadata (htmldate the date); our
  cleaning removes what it leaves of the page furniture (the headline and section label
  above the text, editor lines below it); per-outlet overrides (an outlet's `extraction:`
  in the registry YAML) fix the outlets whose pages still come out wrong.
- `extract_page`: one archived response and its manifest row → an Article or a Skip.
- `extract_fetch`: one manifest row → read from the WARC (a damaged record is a Skip) and
  extracted; `iter_extracted` does it for many rows, in one process or several.
- `run_extract` behind `ExtractStep`: the stage's I/O edge. The manifest stays in Arrow columns, articles are
  streamed into Parquet in batches, and de-duplication keeps only small per-article keys
  (a MinHash signature and ids, about 2 KB with the LSH index), so no text is held."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import unicodedata
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import trafilatura
from htmldate import find_date
from trafilatura.metadata import (
    examine_meta,
    extract_meta_json,
    extract_title,
    extract_url,
    set_date_params,
)

from pipelines.extract.htmltree import find_author, parse_html
from pipelines.kernel.io import (
    BATCH_ROWS,
    DataDir,
    FrameCheckError,
    RecordWriter,
    atomic_path,
    parquet_writer,
    read_record_table,
    staging_path,
)
from pipelines.kernel.records import (
    SCHEMAS,
    Article,
    FetchRecord,
    article_id_for,
    from_row,
)
from pipelines.kernel.registry import (
    Override,
    Registry,
    combined_registry,
    registry_files,
)
from pipelines.kernel.step import Step, StepContext
from pipelines.kernel.text import (
    detect_language,
    is_chinese,
    language_skip_reason,
    normalized_text_hash,
)
from pipelines.kernel.topic import TOPIC_FILE, Topic, load_topic
from pipelines.kernel.warc import ArchivedResponse, read_response, sha256_hex

MIN_CHARS = {"en": 300, "zh": 120}  # shorter "articles" are teasers, captions or error pages
MAX_BODY_BYTES = 8 * 1024 * 1024  # bigger pages are not articles; parsing them costs minutes
# An HTML bomb fits in fewer bytes: 8 MB of `<b>x</b>` took 32-68 s and 1.3-1.45 GB to parse
# and extract. Counted on the decoded page before anything parses it ('<' characters: opening
# plus closing tags, about 100,000 elements). The largest real pages in the trafilatura and
# Zyte benchmarks (/work/shared/corpora) have under 10,000; a page at the bound costs about 3 s
# and 220 MB. It bounds the nesting too: no page nests deeper than it has elements.
MAX_TAGS = 200_000
# An article's text beyond this is not an article (the longest real text in the corpora, a
# debate transcript, has 129,000 characters). Such a page is dropped, not cut short: a cut
# text would be stored and mined as if it were the whole article.
MAX_TEXT_CHARS = 300_000
_REPLACEMENT_SHARE = 0.02
_CONTROL_SHARE = 0.01  # text has next to no C0/C1 control characters; binary data has ~12%
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\x7fELF", b"OggS", b"RIFF")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Skip:
    reason: str
    url: str


@dataclass(frozen=True)
class Extracted:
    """What a page yields before the registry and the topic are consulted."""

    text: str
    title: str
    author: str | None
    published: str | None
    language: str




def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode a page whatever its header and meta tag claim: BOM; valid UTF-8 beats any
    declaration; plausible Chinese readings (GB18030, Big5) beat a lying declaration;
    then w3lib's order (header, meta, sniffing); stray cp1252 bytes in UTF-8 pages are
    read as cp1252. The rules and their reasons: crawlers/encoding.py (shared with the
    crawler's relevance filter, so both see the same text)."""
    from pipelines.kernel.encoding import decode_html as _decode

    return _decode(body, content_type)


def looks_binary(body: bytes) -> bool:
    """Images, archives, PDFs and random bytes served as text/html: known magic numbers,
    or control bytes that text never has (UTF-16 pages start with a BOM and pass)."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return False
    if body.lstrip()[:8].startswith(_BINARY_MAGIC):
        return True
    sample = body[:65536]
    if not sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > _CONTROL_SHARE * len(sample)


def is_garbled(html: str) -> bool:
    """Decoded text that is mostly replacement or control characters is not a page."""
    sample = html[:200000]
    size = max(len(sample), 1)
    if sample.count("\ufffd") > _REPLACEMENT_SHARE * size:
        return True
    # most pages have no control character at all: one search, not a list of them all
    return _CONTROL_CHARS.search(sample) is not None and len(_CONTROL_CHARS.findall(sample)) > _CONTROL_SHARE * size


def extract_html(body: bytes | str, url: str | None = None, content_type: str = "", override: Override | None = None,
                 min_chars: dict[str, int] | None = MIN_CHARS) -> Extracted | Skip:
    """One page's main text and metadata, or the reason it yields none; `override` is the
    page's outlet's extraction override (`Outlet.extraction`), if it has one."""
    where = url or ""
    if len(body) > MAX_BODY_BYTES:
        return Skip("too_large", where)
    if content_type and "html" not in content_type.lower() and "xml" not in content_type.lower():
        return Skip("not_html", where)
    if isinstance(body, bytes):
        if looks_binary(body):
            return Skip("binary_or_garbled", where)
        html = decode_html(body, content_type or None)
    else:
        html = body
    if is_garbled(html):
        return Skip("binary_or_garbled", where)
    if html.count("<") > MAX_TAGS:
        return Skip("too_many_elements", where)
    try:
        tree = parse_html(html)
        if tree is None:
            return Skip("no_text", where)
        meta = page_metadata(tree, url)
        if override is not None and override.author_xpath:
            meta.author = _override_author(tree, override) or meta.author
        doc = trafilatura.bare_extraction(tree, url=url, include_comments=False, include_tables=False,
                                          prune_xpath=list(override.prune_xpath) if override and override.prune_xpath else None)
    except Exception as exc:  # trafilatura raises on some malformed trees; one page must not end the run
        return Skip(f"extractor_error:{type(exc).__name__}", where)
    if doc is None or not (doc.text or "").strip():
        return Skip("no_text", where)
    title = (meta.title or "").strip()
    text = clean_text(doc.text, title, override)
    if len(text) > MAX_TEXT_CHARS:
        return Skip("too_long", where)
    language = detect_language(text)
    # CJK scripts carry about as much in a character as other scripts in a word
    dense_script = is_chinese(language) or language in ("ja", "ko")
    if min_chars and len(text) < min_chars["zh" if dense_script else "en"]:
        return Skip("too_short", where)
    return Extracted(text=text, title=title, author=meta.author or None, published=meta.date or None, language=language)


def page_metadata(tree, url: str | None):
    """Title, author, URL and date as trafilatura's `extract_metadata` finds them (meta tags,
    JSON-LD, then the page; the date by htmldate's extensive search), without the fields we
    do not use (site name, categories, tags, licence), which cost about a seventh of the
    extraction time. Same results as `bare_extraction(..., with_metadata=True)` on the
    benchmark pages (bench/extraction_speed.py checks it)."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # trafilatura's rule: a one-word meta author is usually a site name
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # bugs in trafilatura's JSON-LD reader; the other sources still count
        pass
    if not meta.title:
        meta.title = extract_title(tree)
    if not meta.author:
        meta.author = find_author(tree)
    if not meta.url:
        meta.url = extract_url(tree, url)
    date_params = set_date_params(True)
    date_params["url"] = meta.url
    meta.date = find_date(tree, **date_params)
    meta.clean_and_trim()
    return meta


def extract_page(response: ArchivedResponse, fetch: FetchRecord, registry: Registry, topic: Topic) -> Article | Skip:
    url = fetch.final_url
    outlet = registry.for_url(url) or registry.for_url(fetch.url)
    if outlet is None:
        return Skip("unknown_outlet", url)
    result = extract_html(response.body, url, response.headers.get("content-type", ""), outlet.extraction)
    if isinstance(result, Skip):
        return result
    # the stage mines English and Chinese only: a Japanese page must not be mined as Chinese
    unsupported = language_skip_reason(result.language)
    if unsupported:
        return Skip(unsupported, url)
    return Article(
        article_id=article_id_for(url),
        url=url,
        outlet_id=outlet.id,
        outlet_name=outlet.name,
        camp=outlet.camp,
        language=result.language,
        source_kind="web",
        title=result.title,
        author=result.author,
        published=result.published,
        text=result.text,
        text_sha256=normalized_text_hash(result.text),
        relevance=topic.score(result.text, result.title),
        duplicate_of=None,
        warc_file=fetch.warc_file,
        warc_offset=fetch.warc_offset,
        body_sha256=fetch.sha256,
    )


# --- Cleaning --------------------------------------------------------------------------

# Lines below the story that name its editor or source, or invite corrections. Only the
# last lines are checked, and only short ones, so a sentence quoting an editor stays.
_TRAILER = re.compile(
    r"^[\[【(（]?\s*(责任编辑|責任編輯|编辑|編輯|编审|編審|来源|來源|稿源|Editor|Edited by|Source|Reporting by|Writing by)\s*[:：]"
    r"|^【?纠错】?$|^【?糾錯】?$|^[\[【(（]?\s*(完|END|ends)\s*[\]】)）]?$",
    re.IGNORECASE,
)
_TRAILER_MAX_CHARS = 80
# A dateline or byline line above the story: "2019年03月05日 来源：测试日报 记者 王测试",
# "By Jane Doe | Updated: 2019-03-04 10:20". Only the first two lines, and only short ones.
_DATELINE = re.compile(
    r"^(\d{4}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?.{0,50}(来源|來源|稿源|记者|記者|作者|编辑|編輯|责任编辑|Source|By)"
    r"|(来源|來源|记者|記者|作者)[:：].{0,40}\d{4}\s*[-年/.]\s*\d{1,2}"
    r"|(By\s+[A-Z][\w.'-]*(\s+[A-Z][\w.'-]*){0,3}\s*[|·•,]|Source\s*:|Published\b|Updated\b).{0,60}\b\d{4}\b.{0,20}$)",
    re.IGNORECASE,
)


def _folded(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def _is_kicker(line: str) -> bool:
    """A section label above a headline: 'World', 'Policy', '法治'."""
    if re.search(r"[.!?。！？]$", line):
        return False
    cjk = len(re.findall(r"[\u4e00-\u9fff]", line))
    return (len(line.split()) <= 4 and len(line) <= 30) if not cjk else len(line) <= 8


def _same_heading(line: str, title: str) -> bool:
    a, b = _folded(line), _folded(title)
    if not a or not b:
        return False
    short, long_ = sorted((a, b), key=len)
    # 'Commentary: Social credit builds trust' vs its headline; a title with ' - Outlet'
    return short in long_ and len(short) >= 8 and len(short) >= 0.6 * len(long_)


def clean_text(text: str, title: str = "", override: Override | None = None) -> str:
    """NFC text, whitespace normalized per line; the headline (and the section label above
    it), a dateline or byline line at the top and editor/source lines after the story
    removed; the outlet's drop_lines removed."""
    text = unicodedata.normalize("NFC", text)  # 'u' + combining diaeresis → 'ü', as searched and hashed
    # the spaces class holds no line break, so one pass over the text equals one per line
    lines = [line.strip() for line in _SPACES.sub(" ", text).splitlines()]
    lines = [line for line in lines if line]
    if title:
        for i, line in enumerate(lines[:3]):
            if _same_heading(line, title):
                if all(_is_kicker(earlier) for earlier in lines[:i]):
                    lines = lines[i + 1 :]
                break
    for _ in range(2):
        if lines and len(lines[0]) <= _TRAILER_MAX_CHARS and _DATELINE.search(lines[0]):
            lines = lines[1:]
    while lines and len(lines[-1]) <= _TRAILER_MAX_CHARS and _TRAILER.search(lines[-1]):
        lines.pop()
    if override is not None and override.drop_lines:
        lines = [line for line in lines if not any(p.search(line) for p in override.drop_lines)]
    return "\n".join(lines)


def _override_author(tree, override: Override) -> str | None:
    for node in tree.xpath(override.author_xpath):
        value = " ".join(node.text_content().split())
        if override.author_pattern is not None:
            match = override.author_pattern.search(value)
            value = match.group(1).strip() if match else ""
        if value:
            return value
    return None


# --- From the archive ------------------------------------------------------------------


def manifest_table(data: DataDir) -> pa.Table:
    """Every crawl run's manifest rows, as Arrow columns: a FetchRecord object costs about
    3.7 KB of Python memory, its row here a tenth of that."""
    files = sorted(data.manifest_dir.glob("*.parquet"))
    if not files:
        raise FrameCheckError(f"{data.manifest_dir}: no crawl manifest found (run `framecheck crawl` first)")
    tables = []
    for path in files:
        try:
            tables.append(read_record_table(path, FetchRecord).cast(SCHEMAS[FetchRecord]))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise FrameCheckError(f"{path}: manifest columns of unexpected types ({exc})") from None
    return pa.concat_tables(tables)


class FetchSelection:
    """The manifest rows chosen for extraction, in order; FetchRecords are made a batch at a
    time as they are iterated, so the selection stays as small as the columns."""

    def __init__(self, table: pa.Table, indices: list[int]):
        self.table, self.indices = table, indices

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self) -> Iterator[FetchRecord]:
        for start in range(0, len(self.indices), BATCH_ROWS):
            chunk = self.table.take(pa.array(self.indices[start:start + BATCH_ROWS], type=pa.int64()))
            for row in chunk.to_pylist():
                yield from_row(FetchRecord, row)


def article_fetches(table: pa.Table) -> tuple[FetchSelection, list[tuple[FetchRecord, str]]]:
    """The latest fetch of each article URL decides; older fetches are superseded.

    Returns the fetches to extract (by outlet, then URL) and the rows left out, each with
    its reason."""
    column = {name: table.column(name).to_pylist()
              for name in ("kind", "final_url", "fetched_at", "run_id", "status", "skip_reason", "outlet_id")}
    final_url, status, skip_reason = column["final_url"], column["status"], column["skip_reason"]
    by_url: dict[str, list[int]] = {}
    for i, kind in enumerate(column["kind"]):
        if kind == "article":
            by_url.setdefault(final_url[i], []).append(i)
    keep, left_out = [], []
    for url in sorted(by_url):
        fetches = sorted(by_url[url], key=lambda i: (column["fetched_at"][i], column["run_id"][i]))
        latest = fetches[-1]
        left_out += [(older, "superseded_by_later_fetch") for older in fetches[:-1]]
        if skip_reason[latest] or status[latest] != 200:
            left_out.append((latest, skip_reason[latest] or f"http_{status[latest]}"))
        else:
            keep.append(latest)
    keep.sort(key=lambda i: (column["outlet_id"][i], final_url[i]))
    rows = table.take(pa.array([i for i, _reason in left_out], type=pa.int64())).to_pylist()
    return FetchSelection(table, keep), [(from_row(FetchRecord, row), reason) for row, (_i, reason) in zip(rows, left_out)]


def extract_fetch(fetch: FetchRecord, warc_dir: Path, registry: Registry, topic: Topic) -> Article | Skip:
    """Read one archived response and extract it; a damaged record becomes a Skip."""
    if not fetch.warc_file:
        return Skip("not_archived", fetch.final_url)
    try:
        response = read_response(Path(warc_dir) / fetch.warc_file, fetch.warc_offset)
    except FrameCheckError as exc:
        return Skip(f"unreadable_record: {exc}", fetch.final_url)
    except Exception as exc:  # truncated gzip members, bad WARC headers and the like
        return Skip(f"corrupt_record:{type(exc).__name__}: {exc}", fetch.final_url)
    if re.fullmatch(r"[0-9a-f]{64}", fetch.sha256 or "") and sha256_hex(response.body) != fetch.sha256:
        # a record cut short inside its gzip member reads without an error, minus its end
        return Skip("corrupt_record: body differs from the manifest's sha256 (truncated or altered record)", fetch.final_url)
    try:
        return extract_page(response, fetch, registry, topic)
    except Exception as exc:  # a bug on one page must not end a run over thousands
        return Skip(f"extract_failed:{type(exc).__name__}: {exc}", fetch.final_url)


def _extract_keyed(fetch: FetchRecord, warc_dir: Path, registry: Registry, topic: Topic):
    """(Article | Skip, its de-duplication key or None): the key is computed where the text is."""
    from pipelines.extract.dedup import dedup_key

    result = extract_fetch(fetch, warc_dir, registry, topic)
    keep = isinstance(result, Article) and result.relevance >= topic.min_score
    return result, (dedup_key(result) if keep else None)


def warm_up() -> None:
    """Fill the date parser's caches (dateparser compiles every locale's patterns the first
    time htmldate falls back to it, about 1.3 s) and load py3langid's model (about 1 s, on
    the first Chinese page), so forked workers start warm."""
    from htmldate.extractors import get_external_parser

    parser = get_external_parser()
    for text in ("12 March 2019", "2019年3月12日"):
        parser.get_date_data(text)
    detect_language("社会信用体系")


_WORKER: dict = {}
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_WATCH_SECONDS = 1.0


def _init_worker(warc_dir: str, registry: Registry, topic: Topic, parent_pid: int | None) -> None:
    die_with_parent(parent_pid)
    _WORKER.update(warc_dir=Path(warc_dir), registry=registry, topic=topic)
    warm_up()  # a no-op after fork from a warm parent; needed where workers are spawned


def die_with_parent(parent_pid: int | None) -> None:
    """End this worker when the run that started it ends. A run killed with SIGKILL cannot
    shut its pool down: its workers went on for minutes, about 140 MB each. On Linux the
    kernel kills the worker when its parent dies (prctl PR_SET_PDEATHSIG); everywhere, a
    watchdog thread exits once the worker's parent has changed (it was re-parented), which
    also covers a parent that died before prctl took effect. parent_pid: the run's pid when
    it starts the workers itself (fork, spawn); None under a fork server, whose own parent
    is the run."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    parent = parent_pid if parent_pid is not None else os.getppid()
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watchdog", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)


def _extract_chunk(fetches: list[FetchRecord]) -> list:
    return [_extract_keyed(f, _WORKER["warc_dir"], _WORKER["registry"], _WORKER["topic"]) for f in fetches]


def iter_extracted(fetches: Iterable[FetchRecord], data: DataDir, registry: Registry, topic: Topic, workers: int = 1,
                   chunk_size: int = 4) -> Iterator[tuple[FetchRecord, Article | Skip, object]]:
    """(fetch, Article | Skip, dedup key of an on-topic article or None), in input order.

    With workers > 1 the registry and topic go to each worker process once, the workers
    compute the de-duplication keys too, and only a few chunks are in flight, so results
    never pile up in memory."""
    if workers <= 1:
        for fetch in fetches:
            yield (fetch, *_extract_keyed(fetch, data.warc_dir, registry, topic))
        return
    warm_up()
    feed = iter(fetches)
    context = multiprocessing.get_context()
    parent_pid = None if context.get_start_method() == "forkserver" else os.getpid()  # fork, spawn: we are the parent
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                             initargs=(str(data.warc_dir), registry, topic, parent_pid)) as pool:
        pending: deque = deque()
        while True:
            while len(pending) < workers * 4:
                chunk = list(islice(feed, chunk_size))
                if not chunk:
                    break
                pending.append((chunk, pool.submit(_extract_chunk, chunk)))
            if not pending:
                return
            chunk, future = pending.popleft()
            for fetch, (result, key) in zip(chunk, future.result()):
                yield fetch, result, key




# --- The stage's I/O edge ----------------------------------------------------------------


def _copy_with_duplicates(staging: Path, target: Path, canonical_of: dict[str, str]) -> None:
    """Pass 2: the staged articles with duplicate_of filled in, column-wise (the texts are
    never turned into Python strings), a batch at a time, atomically."""
    schema = SCHEMAS[Article]
    field = schema.field("duplicate_of")
    column = schema.get_field_index("duplicate_of")
    with atomic_path(target) as tmp:
        writer = parquet_writer(tmp, schema)
        for batch in pq.ParquetFile(staging, pre_buffer=False).iter_batches(batch_size=BATCH_ROWS):
            ids = batch.column("article_id").to_pylist()
            duplicate_of = pa.array([canonical_of.get(i) for i in ids], type=field.type)
            writer.write_batch(batch.set_column(column, field, duplicate_of))
        writer.close()


def run_extract(data: DataDir, registry: Registry, topic: Topic, ctx: StepContext, workers: int = 1,
                manifest: pa.Table | None = None) -> Path:
    """Extract every archived article page into tables/articles.parquet, atomically.

    Pass 1 streams articles into a staging file and keeps only their de-duplication keys;
    pass 2 copies the staging file batch by batch, filling in `duplicate_of`. Skips and
    off-topic pages are dropped through ctx (counted, and logged to logs/extract.skips.jsonl)."""
    from pipelines.extract.dedup import assign_duplicates, duplicate_groups

    summary = ctx.summary
    target = data.table("articles")
    fetches, left_out = article_fetches(manifest if manifest is not None else manifest_table(data))
    summary.records_in = len(fetches) + len(left_out)
    keys = []
    with staging_path(target) as staging:
        for row, reason in left_out:
            ctx.drop(reason, count_as=f"crawl:{reason}", url=row.final_url, warc_file=row.warc_file)
        batches = RecordWriter(staging, Article, BATCH_ROWS)
        results = iter_extracted(fetches, data, registry, topic, workers)
        for fetch, result, key in ctx.progress(results, len(fetches), "extract"):
            if isinstance(result, Skip):
                ctx.drop(result.reason, url=result.url, warc_file=fetch.warc_file, warc_offset=fetch.warc_offset)
                continue
            if result.relevance < topic.min_score:
                ctx.drop("off_topic", url=result.url, relevance=result.relevance)
                continue
            keys.append(key)
            batches.add(result)
        batches.close()
        canonical_of = assign_duplicates(keys)
        _copy_with_duplicates(staging, target, canonical_of)
    summary.records_out = len(keys)
    groups = duplicate_groups(keys, canonical_of)
    outlets = sorted({outlet for copies in groups.values() for _id, outlet in copies})
    summary.notes.append(f"{len(canonical_of)} syndicated copies marked duplicate_of their canonical article"
                         + (f" (copies from: {', '.join(outlets)})" if outlets else ""))
    ctx.wrote(target)
    return target


class ExtractStep(Step):
    """`framecheck extract`: the archive's article pages → tables/articles.parquet."""

    name = "extract"

    def __init__(self, data: DataDir, workers: int = 1, registry: Registry | None = None, topic: Topic | None = None):
        super().__init__(data)
        self.workers, self.registry, self.topic = workers, registry, topic

    def inputs(self) -> list[Path]:
        return sorted(self.data.manifest_dir.glob("*.parquet")) + [TOPIC_FILE] + registry_files(self.data)

    def outputs(self) -> list[Path]:
        return [self.data.table("articles")]

    def run(self, ctx: StepContext) -> None:
        manifest = manifest_table(self.data)  # no manifest: a one-line error before anything is written
        run_extract(self.data, self.registry or combined_registry(self.data), self.topic or load_topic(), ctx,
                    self.workers, manifest=manifest)
