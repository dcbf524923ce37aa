"""The thin I/O edge shared by every stage: the data directory, atomic Parquet writes,
skip logs, and the input fingerprints that let an unchanged stage skip its work."""

from __future__ import annotations

import errno
import glob
import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from pipelines import __version__
from pipelines.kernel.records import SCHEMAS, from_row, to_row

# Stages stream their tables a batch at a time. Arrow's default pool here (mimalloc) keeps
# what freed batches used, so the resident set climbed with the number of batches read
# (about 40 MB over 10,000 articles: bench/extraction_speed.py); the system allocator gives
# it back, and Parquet I/O is nowhere near the stages' bottleneck.
pa.set_memory_pool(pa.system_memory_pool())


class FrameCheckError(Exception):
    """An error the user can fix; the CLI prints it as one line, without a traceback."""


@dataclass(frozen=True)
class DataDir:
    """The on-disk layout every stage reads and writes (documented in the README)."""

    root: Path

    @property
    def warc_dir(self) -> Path:
        return self.root / "raw" / "warc"

    @property
    def manifest_dir(self) -> Path:
        return self.root / "raw" / "manifest"

    @property
    def tables(self) -> Path:
        return self.root / "tables"

    def table(self, name: str) -> Path:
        return self.tables / f"{name}.parquet"

    def article_tables(self) -> list[Path]:
        """The tables of Article records that exist: the extract stage's articles, the imported
        transcripts and comments (import-transcript) and documents (import-docs). With none
        yet, the articles table, so that a reader names the input it is missing."""
        tables = [self.table(name) for name in ("articles", "transcripts", "documents")]
        return [path for path in tables if path.exists()] or tables[:1]

    @property
    def snapshots_dir(self) -> Path:
        return self.root / "annotations" / "snapshots"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def baselines_dir(self) -> Path:
        return self.root / "baselines"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Temp files, modes and write errors ---------------------------------------------------
#
# Every temp file or folder a write makes sits beside its target, named
# `.<target name>.<random>.tmp` (`.<target name>.<random>.staging.tmp` for a staging file),
# so that the step runner, holding the data directory's lock, can find and remove what a
# killed run left behind (`remove_stale_temps`).
#
# Modes: what the pipeline writes (tables, releases, models, logs) gets the mode an ordinary
# `open()` or `mkdir()` would give — files 0666 and folders 0777 less the umask, so 0644 and
# 0755 under the usual umask 022. Temp files start private (mkstemp makes them 0600) and are
# given that mode just before they are renamed into place.

_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}


def current_umask() -> int:
    """The process's umask (set and put back at once; 022 in between, the usual value)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def give_shared_mode(path: Path) -> None:
    """Files 0666 and folders 0777 less the umask, as `open()` and `mkdir()` create them."""
    path.chmod((0o777 if path.is_dir() else 0o666) & ~current_umask())


def temp_beside(target: Path, *, directory: bool = False, staging: bool = False) -> Path:
    """A new, empty temp file (or folder) beside target, named after it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = f".{target.name}.", ".staging.tmp" if staging else ".tmp"
    if directory:
        return Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=target.parent))
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
    os.close(fd)
    return Path(name)


def stale_temps(target: Path) -> list[Path]:
    """Temp files and folders `temp_beside` made for target and nobody removed."""
    if not target.parent.is_dir():
        return []
    return sorted(target.parent.glob(f".{glob.escape(target.name)}.*.tmp"))


def remove_stale_temps(targets: Iterable[Path]) -> list[Path]:
    """Remove the temp files of these targets left by a killed run. Only safe while no other
    run can be writing them: the step runner calls it holding the data directory's lock."""
    removed = []
    for target in targets:
        for temp in stale_temps(target):
            if temp.is_dir() and not temp.is_symlink():
                shutil.rmtree(temp, ignore_errors=True)
            else:
                temp.unlink(missing_ok=True)
            removed.append(temp)
    return removed


@contextmanager
def naming_write_errors(target: Path) -> Iterator[None]:
    """A disk error without a file name (a full disk reported by write(), or by Arrow's
    writer) is raised again naming target, so the CLI's one-line error says what was being
    written: `error: <target>: No space left on device`."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None and exc.errno in _DISK_ERRNOS:
            raise OSError(exc.errno, os.strerror(exc.errno), str(target)) from exc
        raise


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path beside target; rename it over target only if the block succeeds.

    The new file gets the shared mode (0644 under umask 022); a disk error names target."""
    tmp_path = temp_beside(target)
    try:
        with naming_write_errors(target):
            yield tmp_path
            give_shared_mode(tmp_path)
            os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextmanager
def staging_path(target: Path) -> Iterator[Path]:
    """A scratch file beside target for a step that writes in two passes; removed when the
    block ends, whatever happens (a killed run's is removed by the next run's runner)."""
    tmp_path = temp_beside(target, staging=True)
    try:
        with naming_write_errors(target):
            yield tmp_path
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text_atomic(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_records(path: Path, records: Iterable, record_type: type) -> int:
    """Write records as Parquet with the type's explicit schema, atomically."""
    schema = SCHEMAS[record_type]
    rows = [to_row(r) for r in records]
    table = _flat_table(rows, schema) if rows and _is_flat(schema) else pa.Table.from_pylist(rows, schema=schema)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return len(rows)


def _is_flat(schema: pa.Schema) -> bool:
    """Only strings, integers and booleans: values JSON carries exactly."""
    return all(pa.types.is_string(f.type) or pa.types.is_integer(f.type) or pa.types.is_boolean(f.type)
               for f in schema)


def _flat_table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """The rows as a table, through pyarrow's JSON reader with the explicit schema.

    Why not Table.from_pylist: converting any Python list (pa.array too) makes pyarrow import
    pandas to check for pandas objects, ~0.3 s of CPU; a crawl needs nothing else from it at
    its end (the manifest). Same table (tests/test_records.py), and an int out of range is an
    ArrowInvalid here too."""
    lines = [json.dumps(row, ensure_ascii=False).encode("utf-8") for row in rows]
    blob = b"\n".join(lines)
    table = pa_json.read_json(
        pa.BufferReader(blob),
        read_options=pa_json.ReadOptions(use_threads=False, block_size=max(1 << 20, max(map(len, lines)) + 1)),
        parse_options=pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error"),
    )
    return table.select(schema.names)


def _parquet_file(path: Path) -> pq.ParquetFile:
    if not path.exists():
        raise FrameCheckError(f"{path}: missing input file (run the previous stage first)")
    try:
        return pq.ParquetFile(path, pre_buffer=False)  # one row group in memory, not coalesced reads ahead
    except (pa.ArrowException, OSError) as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: Exception) -> FrameCheckError:
    return FrameCheckError(f"{path}: not a readable Parquet file ({type(exc).__name__}: {exc})")


def read_table(path: Path) -> pa.Table:
    source = _parquet_file(path)
    try:
        return source.read()
    except (pa.ArrowException, OSError) as exc:
        raise _unreadable(path, exc) from None


def _checked_columns(path: Path, names: list[str], record_type: type) -> None:
    missing = [name for name in SCHEMAS[record_type].names if name not in names]
    if missing:
        raise FrameCheckError(f"{path}: not a {record_type.__name__} table (missing columns: {', '.join(missing)})")


def read_record_table(path: Path, record_type: type) -> pa.Table:
    """A table of records as Arrow columns (checked, in the type's column order)."""
    table = read_table(path)
    _checked_columns(path, table.column_names, record_type)
    return table.select(SCHEMAS[record_type].names)


def read_records(path: Path, record_type: type) -> list:
    return [from_row(record_type, row) for row in read_record_table(path, record_type).to_pylist()]


BATCH_ROWS = 256  # records per Parquet row group when streaming


def count_records(path: Path) -> int:
    return _parquet_file(path).metadata.num_rows


def iter_records(path: Path, record_type: type, batch_rows: int | None = None) -> Iterator:
    """The records of a table, read a batch at a time: memory holds one batch, not the table."""
    source = _parquet_file(path)
    names = SCHEMAS[record_type].names
    _checked_columns(path, source.schema_arrow.names, record_type)
    try:
        for batch in source.iter_batches(batch_size=batch_rows or BATCH_ROWS, columns=names):
            for row in batch.to_pylist():
                yield from_row(record_type, row)
    except (pa.ArrowException, OSError) as exc:
        raise FrameCheckError(f"{path}: damaged Parquet file ({type(exc).__name__}: {exc})") from None


# Columns whose values repeat (outlets, camps, languages, crawl runs, labels): the only ones
# worth dictionary-encoding. For texts, URLs and ids a dictionary never pays, and building
# one per row group made a streaming writer's working set about 35 MB larger.
_DICTIONARY_COLUMNS = {"outlet_id", "outlet_name", "camp", "language", "source_kind", "kind", "content_type",
                       "run_id", "warc_file", "skip_reason", "published", "status"}


def dictionary_columns(schema: pa.Schema) -> list[str]:
    return [name for name in schema.names if name in _DICTIONARY_COLUMNS]


def parquet_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    """The writer the streaming stages use (zstd, dictionaries only where values repeat)."""
    return pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=dictionary_columns(schema))


class RecordWriter:
    """Writes records to a Parquet file a row group at a time, with the
    type's schema. Not atomic by itself: write to a path from `atomic_path`."""

    def __init__(self, path: Path, record_type: type, batch_rows: int | None = None):
        self.schema = SCHEMAS[record_type]
        self.writer = parquet_writer(path, self.schema)
        self.batch_rows = batch_rows or BATCH_ROWS
        self.rows: list[dict] = []
        self.count = 0

    def add(self, record) -> None:
        self.rows.append(to_row(record))
        if len(self.rows) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.count += len(self.rows)
            self.rows = []

    def close(self) -> int:
        self.flush()
        self.writer.close()
        return self.count


# --- Skip logs and summaries ---------------------------------------------------------


@dataclass
class StageSummary:
    """Counts a stage reports at the end: in, out, and skipped by reason."""

    stage: str
    records_in: int = 0
    records_out: int = 0
    skipped: Counter = field(default_factory=Counter)
    outputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unchanged: bool = False

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] += n


class SkipLog:
    """Append-only JSON-lines log of every record a stage left out, with its reason."""

    def __init__(self, data: DataDir, stage: str):
        data.logs.mkdir(parents=True, exist_ok=True)
        self.path = data.logs / f"{stage}.skips.jsonl"
        self._fh = None
        self.stage = stage

    def write(self, reason: str, **detail) -> None:
        if self._fh is None:
            self._fh = self.path.open("a", encoding="utf-8")
        self._fh.write(json.dumps({"at": utc_now(), "stage": self.stage, "reason": reason, **detail}, ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


# --- Input fingerprints ----------------------------------------------------------------


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A hash of the stage code, so a changed stage reruns even on unchanged inputs."""
    root = Path(__file__).resolve().parent.parent.parent
    digest = hashlib.sha256(__version__.encode())
    for package in ("pipelines", "crawlers", "annotation", "demo"):
        for file in sorted((root / package).rglob("*.py")):
            digest.update(file.read_bytes())
    return digest.hexdigest()


def fingerprint(paths: Iterable[Path], params: dict | None = None) -> str:
    """A hash of the inputs' bytes, the parameters and the code."""
    digest = hashlib.sha256(code_digest().encode())
    digest.update(json.dumps(params or {}, sort_keys=True, default=str).encode())
    for path in sorted(set(paths)):
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.name).encode())
            if file.exists():
                digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def _state_file(data: DataDir, stage: str) -> Path:
    return data.state / f"{stage}.json"


def is_unchanged(data: DataDir, stage: str, print_: str, outputs: Iterable[Path]) -> bool:
    state = _state_file(data, stage)
    if not state.exists() or not all(p.exists() for p in outputs):
        return False
    try:
        return json.loads(state.read_text())["fingerprint"] == print_
    except (ValueError, KeyError):
        return False


def mark_done(data: DataDir, stage: str, print_: str) -> None:
    write_text_atomic(_state_file(data, stage), json.dumps({"fingerprint": print_, "at": utc_now()}))
