"""Document collections as sources: `framecheck import-docs FILE`.

A collection is a JSON Lines file (one object a line), a JSON list of objects, a CSV file
(a header row), or a folder of .txt / .md files (one document each). Each row gives a
document's text and, optionally, its id, title, URL, date, outlet, camp and language; the
column names are configurable (`FieldMap`), so a corpus imports as it is stored.

`import_documents` is the I/O edge: it reads and checks every row first (a mistake the user
must fix — an unknown outlet, a mapped column no row has — is one `error:` line and nothing
is written), then archives each document as a WARC resource record (kind `document`) with a
manifest row, and one metadata record for the whole import (kind `document-metadata`: where
each document came from, its title, date, outlet, camp and declared language). The
documents become Article records (source_kind `document`) in data/tables/documents.parquet,
which the claims stage mines beside the crawled articles and imported transcripts.

Rows that cannot become an article are left out with a logged reason, never silently:
a missing or empty text, an unparseable date, a second row with an already seen URL, a text
longer than `max_chars` (archived, not mined: one run of five megabytes is not an article),
and a language the claims stage does not mine (archived; a Japanese document is detected as
`ja` and not mined as Chinese). The text is kept exactly as given — offsets into it are
offsets into the source's own text field, which reference label files rely on."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from crawlers.transcripts import iso_date
from pipelines.kernel.io import FrameCheckError, StageSummary
from pipelines.kernel.step import Drop

FOLDER_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson")
MAX_CHARS = 1_000_000  # about 200 news articles; a longer "document" is a dump, not an article
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class FieldMap:
    """Which column holds what. `explicit` names the ones the user chose: a column they chose
    that no row has is a mistake in the mapping (an error), while a default column that is
    absent is simply not given."""

    text: str = "text"
    id: str = "id"
    title: str = "title"
    url: str = "url"
    date: str = "date"
    outlet: str = "outlet"
    camp: str = "camp"
    language: str = "language"
    explicit: frozenset[str] = frozenset()

    @classmethod
    def from_options(cls, **columns: str | None) -> FieldMap:
        chosen = {name: column for name, column in columns.items() if column}
        return cls(**chosen, explicit=frozenset(chosen))

    def column(self, name: str) -> str:
        return getattr(self, name)


@dataclass(frozen=True)
class SourceRow:
    where: str  # file:line (or the file of a folder), for messages and the skip log
    values: dict


@dataclass(frozen=True)
class Document:
    """A row that passed the checks, before archiving."""

    where: str
    url: str
    title: str
    published: str | None
    outlet_id: str
    outlet_name: str
    camp: str
    declared_language: str | None
    text: str


# --- reading ------------------------------------------------------------------------------


def read_rows(path: Path) -> list[SourceRow]:
    """The rows of a collection, in file order."""
    path = Path(path)
    if path.is_dir():
        return list(_folder_rows(path))
    if not path.is_file():
        raise FrameCheckError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return list(_jsonl_rows(path))
    if suffix == ".json":
        return _json_rows(path)
    if suffix in (".csv", ".tsv"):
        return _csv_rows(path, "\t" if suffix == ".tsv" else ",")
    raise FrameCheckError(f"{path}: not a collection (JSON Lines .jsonl, JSON .json, CSV .csv/.tsv, or a folder of .txt/.md)")


def _jsonl_rows(path: Path) -> Iterator[SourceRow]:
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            except UnicodeDecodeError:
                raise FrameCheckError(f"{path}:{number}: not UTF-8 text") from None
            except ValueError as exc:
                raise FrameCheckError(f"{path}:{number}: not JSON ({exc.__class__.__name__}: {str(exc)[:80]})") from None
            if not isinstance(value, dict):
                raise FrameCheckError(f"{path}:{number}: expected a JSON object (one document a line), got {type(value).__name__}")
            yield SourceRow(f"{path}:{number}", value)


def _json_rows(path: Path) -> list[SourceRow]:
    try:
        value = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise FrameCheckError(f"{path}: not UTF-8 text") from None
    except ValueError as exc:
        raise FrameCheckError(f"{path}: not JSON ({exc.__class__.__name__}: {str(exc)[:80]})") from None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise FrameCheckError(f"{path}: expected a JSON list of objects (one a document)")
    return [SourceRow(f"{path}:{i}", item) for i, item in enumerate(value, 1)]


def _csv_rows(path: Path, delimiter: str) -> list[SourceRow]:
    previous = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # a long article is one cell; the default limit is 128 KiB
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, delimiter=delimiter)
            if not reader.fieldnames:
                raise FrameCheckError(f"{path}: no header row")
            # a row with more cells than the header puts the rest under None: not a column
            return [SourceRow(f"{path}:{reader.line_num}", {k: v for k, v in row.items() if k is not None})
                    for row in reader]
    except UnicodeDecodeError:
        raise FrameCheckError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise FrameCheckError(f"{path}: not CSV ({exc})") from None
    finally:
        csv.field_size_limit(previous)


def _folder_rows(folder: Path) -> Iterator[SourceRow]:
    """One document a file: id = its path in the folder, title = a Markdown file's first
    heading (else the file name), text = the whole file."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in FOLDER_SUFFIXES)
    if not files:
        raise FrameCheckError(f"{folder}: no .txt or .md files in the folder")
    for file in files:
        relative = file.relative_to(folder).as_posix()
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            yield SourceRow(f"{folder}/{relative}", {"_undecodable": True})
            continue
        yield SourceRow(f"{folder}/{relative}", {"id": relative, "title": _markdown_title(text) if file.suffix.lower() == ".md" else file.stem,
                                   "text": text})


def _markdown_title(text: str) -> str | None:
    for line in text.splitlines()[:20]:
        match = _HEADING.match(line)
        if match:
            return match.group(1)
    return None


# --- checking -----------------------------------------------------------------------------


def check_mapping(rows: list[SourceRow], fields: FieldMap, source: Path) -> None:
    """A column the user named (or the text column) that no row has: the mapping is wrong."""
    if not rows or Path(source).is_dir():
        return
    present = set().union(*(row.values.keys() for row in rows))
    for name in sorted({"text"} | set(fields.explicit)):
        column = fields.column(name)
        if column not in present:
            shown = ", ".join(sorted(map(str, present))[:12])
            raise FrameCheckError(f"{source}: {column}: no such field in any row (fields: {shown}); "
                                  f"choose the column with --{name}-field")


def _value(row: SourceRow, fields: FieldMap, name: str) -> str | None:
    """A row's value for one field as text; None when absent or blank (text is never stripped)."""
    value = row.values.get(fields.column(name))
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    value = str(value)
    if name == "text":
        return value
    value = value.strip()
    return value or None


def outlet_slug(name: str) -> str:
    """An outlet id for a name outside the registry: its ASCII letters and digits, else
    (a name in Chinese) a short hash of it."""
    ascii_slug = _SLUG.sub("-", name.lower()).strip("-")
    return ascii_slug or "outlet-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]


@dataclass
class OutletResolver:
    """A row's outlet and camp: --outlet for every row when given, else the row's outlet
    value as a registry id or name, else the registry outlet owning its URL. A registry
    outlet has the registry's camp. A name outside the registry becomes an outlet of its own
    only with a camp (--camp, else the row's): otherwise the camp of its rows would be
    unknown to every analysis by camp."""

    registry: object | None
    outlet: str | None = None
    camp: str | None = None
    _by_name: dict = field(default_factory=dict)

    def __post_init__(self):
        from pipelines.kernel.registry import CAMPS

        self._camps = CAMPS
        if self.camp is not None and self.camp not in CAMPS:
            raise FrameCheckError(f"--camp: {self.camp!r} is not one of {', '.join(CAMPS)}")
        outlets = list(self.registry) if self.registry is not None else []
        self._by_id = {o.id: o for o in outlets}
        self._by_name = {o.name.casefold(): o for o in outlets}
        if self.outlet is not None and self._known(self.outlet) is None and self.camp is None:
            raise FrameCheckError(f"--outlet: {self.outlet!r} is not in the outlet registry; give --camp CAMP "
                                  f"to import it as an outlet of its own")

    def _known(self, value: str):
        return self._by_id.get(value) or self._by_name.get(value.casefold())

    def resolve(self, where: str, value: str | None, url: str | None, camp: str | None) -> tuple[str, str, str]:
        """(outlet id, outlet name, camp) of one row."""
        if camp is not None and camp not in self._camps:
            raise FrameCheckError(f"{where}: camp: {camp!r} is not one of {', '.join(self._camps)}")
        value = self.outlet or value
        known = self._known(value) if value else None
        if known is None and value is None and url and self.registry is not None:
            known = self.registry.for_url(url)
        if known is not None:
            return known.id, known.name, known.camp  # the registry is the authority on its outlets
        own_camp = self.camp or camp
        if value is None:
            raise FrameCheckError(f"{where}: outlet: missing (give --outlet ID, or --outlet NAME --camp CAMP)")
        if own_camp is None:
            raise FrameCheckError(f"{where}: outlet: {value!r} is not in the outlet registry (crawlers/outlets.yaml); "
                                  f"give --outlet ID, or --camp CAMP to import it as an outlet of its own")
        return outlet_slug(value), value, own_camp


def document_url(outlet_id: str, doc_id: str | None, text: str) -> str:
    """A document without a URL is named by its outlet and id (else its text's hash), so
    that re-importing it gives it the same article id."""
    key = doc_id or "sha-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
    return f"urn:framecheck:doc:{outlet_id}:{key}"


def parse_rows(rows: Iterable[SourceRow], fields: FieldMap, outlets: OutletResolver) -> Iterator[Document | tuple[SourceRow, Drop]]:
    """The pure core of the import's first pass: each row a Document, or a Drop with its reason."""
    seen: set[str] = set()
    for row in rows:
        if row.values.get("_undecodable"):
            yield row, Drop("undecodable_text", {"where": row.where})
            continue
        text = _value(row, fields, "text")
        if text is None:
            yield row, Drop(f"missing_field:{fields.text}", {"where": row.where})
            continue
        if not text.strip():
            yield row, Drop("empty_text", {"where": row.where})
            continue
        raw_date = _value(row, fields, "date")
        published = iso_date(raw_date) if raw_date else None
        if raw_date and published is None:
            yield row, Drop(f"invalid_field:{fields.date}", {"where": row.where, "value": raw_date[:40]})
            continue
        url = _value(row, fields, "url")
        outlet_id, outlet_name, camp = outlets.resolve(row.where, _value(row, fields, "outlet"), url,
                                                       _value(row, fields, "camp"))
        url = url or document_url(outlet_id, _value(row, fields, "id"), text)
        if url in seen:
            yield row, Drop("duplicate_url", {"where": row.where, "url": url})
            continue
        seen.add(url)
        yield Document(where=row.where, url=url, title=_value(row, fields, "title") or "", published=published,
                       outlet_id=outlet_id, outlet_name=outlet_name, camp=camp,
                       declared_language=_value(row, fields, "language"), text=text)


# --- import: the I/O edge -------------------------------------------------------------------


def import_documents(data, source: Path, fields: FieldMap | None = None, *, outlet: str | None = None,
                     camp: str | None = None, max_chars: int = MAX_CHARS, registry=None, topic=None,
                     skips=None, progress=None) -> StageSummary:
    """Archive a document collection and write its Article records (tables/documents.parquet)."""
    from crawlers.archive import ArchiveWriter, new_run_id
    from pipelines.kernel.io import SkipLog, read_records, utc_now, write_records
    from pipelines.kernel.records import Article, FetchRecord, article_id_for
    from pipelines.kernel.text import detect_language, language_skip_reason, normalized_text_hash
    from pipelines.kernel.topic import load_topic
    from pipelines.kernel.warc import sha256_hex

    source = Path(source)
    fields = fields or FieldMap()
    summary = StageSummary("import-docs")
    rows = read_rows(source)
    if not rows:
        raise FrameCheckError(f"{source}: no documents in it")
    check_mapping(rows, fields, source)
    resolver = OutletResolver(registry, outlet, camp)
    own_log = skips is None  # the step runner passes its skip log; a direct call gets its own
    skips = SkipLog(data, "import-docs") if own_log else skips
    progress = progress or (lambda items, total, description: items)
    topic = topic or load_topic()
    summary.records_in = len(rows)

    def skip(reason: str, **detail) -> None:
        summary.skip(reason)
        skips.write(reason, source=str(source), **detail)

    documents: list[Document] = []
    for item in parse_rows(rows, fields, resolver):  # every row checked before anything is written
        if isinstance(item, Document):
            documents.append(item)
        else:
            skip(item[1].reason, **item[1].detail)

    run_id = new_run_id("import")
    archive = ArchiveWriter(data, run_id)
    fetched_at = utc_now()
    articles: list[Article] = []
    first_of_text: dict[str, str] = {}
    disagreements = 0
    try:
        for doc in progress(documents, len(documents), "import-docs"):
            body = doc.text.encode("utf-8")
            warc_file, offset = archive.write_resource(doc.url, body, "text/plain; charset=utf-8", fetched_at=fetched_at,
                                                       extra={"FrameCheck-Kind": "document", "FrameCheck-Outlet": doc.outlet_id})
            language = detect_language(doc.text) if len(doc.text) <= max_chars else None
            if language is None:
                reason, detail = "text_too_long", f"{len(doc.text)} characters > --max-chars {max_chars}"
            else:
                reason = detail = language_skip_reason(language)
            archive.add(FetchRecord(url=doc.url, final_url=doc.url, status=200, fetched_at=fetched_at, sha256=sha256_hex(body),
                                    outlet_id=doc.outlet_id, camp=doc.camp, kind="document",
                                    content_type="text/plain; charset=utf-8", warc_file=warc_file, warc_offset=offset,
                                    skip_reason=reason, run_id=run_id))
            if reason:  # archived, not mined
                skip(reason, where=doc.where, url=doc.url, detail=detail, declared_language=doc.declared_language)
                continue
            if doc.declared_language and not _same_language(doc.declared_language, language):
                disagreements += 1
            article_id = article_id_for(doc.url)
            text_hash = normalized_text_hash(doc.text)
            # the same text twice in one collection is a copy: the claims stage mines the first only
            first = first_of_text.setdefault(text_hash, article_id)
            articles.append(Article(
                article_id=article_id, url=doc.url, outlet_id=doc.outlet_id, outlet_name=doc.outlet_name, camp=doc.camp,
                language=language, source_kind="document", title=doc.title, author=None, published=doc.published,
                text=doc.text, text_sha256=text_hash, relevance=topic.score(doc.text, doc.title),
                duplicate_of=first if first != article_id else None,
                warc_file=warc_file, warc_offset=offset, body_sha256=sha256_hex(body)))
        _archive_metadata(archive, source, documents, fetched_at, run_id)
        manifest = archive.close()
    except BaseException:
        archive.discard()  # nothing half-archived: the next import starts afresh
        raise
    finally:
        if own_log:
            skips.close()

    table = data.table("documents")
    new_ids = {a.article_id for a in articles}
    previous = read_records(table, Article) if table.exists() else []
    kept = [a for a in previous if a.article_id not in new_ids] + articles
    write_records(table, sorted(kept, key=lambda a: (a.outlet_id, a.url)), Article)
    summary.records_out = len(articles)
    summary.outputs += [str(table), str(manifest)]
    languages = ", ".join(f"{lang} {n}" for lang, n in sorted(Counter(a.language for a in articles).items()))
    summary.notes.append(f"{len(articles)} documents from {source.name} ({languages or 'none'}); "
                         f"{len(previous) - (len(kept) - len(articles))} earlier rows replaced")
    if disagreements:
        summary.notes.append(f"{disagreements} documents declared a language other than the one detected; the detected one is kept")
    return summary


def _archive_metadata(archive, source: Path, documents: list[Document], fetched_at: str, run_id: str) -> None:
    """One resource record with every document's provenance (the texts are in their own records)."""
    from pipelines.kernel.records import FetchRecord
    from pipelines.kernel.warc import sha256_hex

    if not documents:
        return
    lines = [json.dumps({"url": d.url, "where": d.where, "title": d.title, "date": d.published, "outlet_id": d.outlet_id,
                         "outlet_name": d.outlet_name, "camp": d.camp, "language": d.declared_language}, ensure_ascii=False)
             for d in documents]
    body = ("\n".join(lines) + "\n").encode("utf-8")
    target = f"urn:framecheck:import-docs:{sha256_hex(body)[:20]}"
    warc_file, offset = archive.write_resource(target, body, "application/jsonl; charset=utf-8", fetched_at=fetched_at,
                                               extra={"FrameCheck-Kind": "document-metadata", "FrameCheck-Source": source.name})
    archive.add(FetchRecord(url=target, final_url=target, status=200, fetched_at=fetched_at, sha256=sha256_hex(body),
                            outlet_id=documents[0].outlet_id, camp=documents[0].camp, kind="document-metadata",
                            content_type="application/jsonl; charset=utf-8", warc_file=warc_file, warc_offset=offset,
                            skip_reason=None, run_id=run_id))


def _same_language(declared: str, detected: str) -> bool:
    declared = declared.lower().replace("_", "-")
    return detected.lower().startswith(declared.split("-")[0]) or declared.startswith(detected.lower().split("-")[0])

