"""The raw archive: every fetched page as gzipped WARC request/response records, rotated
by size and never rewritten, plus a Parquet manifest per crawl run.

Crash safety. Each exchange (response + request record, each its own gzip member) is built
in memory and appended with one write, and a JSON-lines journal beside the manifest records
each manifest row as it is made. A run killed with SIGKILL is resumed by the next crawl:
the journal is replayed, response records that reached the WARC but not the journal are
recovered from the WARC itself (our records carry `FrameCheck-*` headers with what the
manifest needs), and a torn write at the very end of a file — bytes that never formed a
complete record — is cut off. The resumed crawl then serves every page this run already
archived from the archive instead of the network (see `archived_for`), so each page ends up
in the archive exactly once.

A write that fails on this machine (disk full, I/O error) is undone (the file cut back to
its last whole record, so every offset stays true) and stops all writing: `ArchiveWriteError`
tells the crawl to stop, resumably.

Credentials are never archived: the values of Authorization, Proxy-Authorization, Cookie
and Set-Cookie headers (a proxy's login, a session) are replaced by `REDACTED`."""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from dataclasses import replace
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines.kernel.io import DataDir, FrameCheckError, utc_now, write_records
from pipelines.kernel.records import FetchRecord, to_row
from pipelines.kernel.warc import (
    ArchivedResponse,
    complete_gzip_prefix,
    response_from_record,
    sha256_hex,
)

DEFAULT_ROTATE_BYTES = 100 * 1024 * 1024
GZIP_LEVEL = 6

# Our own WARC header fields (extension fields; names outside the reserved WARC- prefix).
H_KIND = "FrameCheck-Kind"
H_REQUEST_URL = "FrameCheck-Request-URL"  # first URL of a redirect chain
H_OUTLET = "FrameCheck-Outlet"
H_CAMP = "FrameCheck-Camp"

_HOP_BY_HOP = {"transfer-encoding", "connection", "keep-alive"}
REDACTED = "<redacted>"
CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie"}


class ArchiveWriteError(FrameCheckError):
    """Writing the archive failed on this machine (disk full, I/O error); the run is kept.
    `problem` is "<file>: <what failed>", in the errno's words."""

    def __init__(self, path, exc: OSError):
        what = os.strerror(exc.errno) if exc.errno else str(exc)
        self.problem = f"{path}: {what[:1].lower()}{what[1:]}"
        super().__init__(f"{self.problem}; the unfinished run is kept: free space or fix the disk, then run the "
                         f"same crawl again to resume it")


def _redacted(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, REDACTED if k.lower() in CREDENTIAL_HEADERS else v) for k, v in headers]


def _write_all(fd: int, blob: bytes) -> None:
    view = memoryview(blob)
    while view:
        view = view[os.write(fd, view):]


def _cut_back(fd: int, size: int) -> None:
    """Undo a partial write (a full disk still lets a file shrink); a torn end left behind
    anyway is cut off when the run resumes."""
    try:
        os.ftruncate(fd, size)
    except OSError:
        pass


class ArchiveWriter:
    """Appends WARC records to <run_id>-NNNNN.warc.gz files; one manifest per run.

    A file is opened in exclusive-create mode, so an existing file is never rewritten."""

    def __init__(self, data: DataDir, run_id: str, rotate_bytes: int = DEFAULT_ROTATE_BYTES):
        self.data = data
        self.run_id = run_id
        self.rotate_bytes = rotate_bytes
        self.rows: dict[tuple[str, int], FetchRecord] = {}
        self.notes: list[str] = []
        self._index = 0
        self._fd: int | None = None
        self._size = 0
        self._path: Path | None = None
        self._buf = BytesIO()
        # records are serialized plain and gzipped one by one here (one gzip member per record,
        # as warcio's gzip writer does, at level 6 rather than its 9: a third of the CPU)
        self._writer = WARCWriter(self._buf, gzip=False)
        data.warc_dir.mkdir(parents=True, exist_ok=True)
        data.manifest_dir.mkdir(parents=True, exist_ok=True)
        # The journal makes the manifest survive a killed crawl: a resumed run reloads it.
        self.journal_path = data.manifest_dir / f"{run_id}.journal.jsonl"
        self.resumed = self.journal_path.exists() or any(self._run_files())
        updates = self._replay_journal()
        self._recover_from_warcs()
        for key, reason in updates:
            if key in self.rows and self.rows[key].skip_reason is None:
                self.rows[key] = replace(self.rows[key], skip_reason=reason)
        # What this run already fetched (in an earlier session or this one): a request for the
        # same URL is answered from the archive.
        self._archived: dict[str, FetchRecord] = {}
        self._previous_errors: dict[str, FetchRecord] = {}
        for row in sorted(self.rows.values(), key=lambda r: r.fetched_at):
            if row.warc_file:
                self._archived[row.final_url] = row
            elif row.skip_reason:
                self._previous_errors[row.url] = row
        self.failure: ArchiveWriteError | None = None
        try:
            self._journal_fd = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise ArchiveWriteError(self.journal_path, exc) from None
        self._journal_size = os.fstat(self._journal_fd).st_size
        if not _ends_with_newline(self.journal_path):
            self._journal_write(b"\n")  # end the line a kill cut short, so the next entry starts clean

    # --- resume --------------------------------------------------------------------

    def _run_files(self) -> list[Path]:
        pattern = re.compile(re.escape(self.run_id) + r"-\d{5}\.warc\.gz$")
        return sorted(p for p in self.data.warc_dir.glob(f"{self.run_id}-*.warc.gz") if pattern.match(p.name))

    def _replay_journal(self) -> list[tuple[tuple[str, int], str]]:
        updates = []
        if not self.journal_path.exists():
            return updates
        for line in self.journal_path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # the last line of a killed run may be cut short
            if "update" in entry:
                updates.append((tuple(entry["update"]), entry["skip_reason"]))
            else:
                try:
                    self._store(FetchRecord(**entry))
                except TypeError:
                    continue
        return updates

    def _recover_from_warcs(self) -> None:
        """Add manifest rows for records the journal missed; cut off a torn final write.

        Each entry is journaled right after its record is written, so only records after a
        file's last journaled one can be missing: each file is read from there on."""
        for path in self._run_files():
            start = max((offset for name, offset in self.rows if name == path.name), default=0)
            size = path.stat().st_size
            end = complete_gzip_prefix(path, start)
            if end < size:
                with path.open("r+b") as fh:
                    fh.truncate(end)
                self.notes.append(f"{path.name}: cut off {size - end} bytes of a write torn by a kill")
            with path.open("rb") as fh:
                fh.seek(start)
                iterator = ArchiveIterator(fh)
                for record in iterator:
                    if record.rec_type != "response":
                        continue
                    response = response_from_record(record)  # read the body before asking for the offset
                    offset = iterator.get_record_offset()
                    if (path.name, offset) not in self.rows:
                        self._store(_row_from_record(record.rec_headers, response, path.name, offset, self.run_id))
                        self.notes.append(f"{path.name}@{offset}: recovered a record the journal missed")

    def archived_for(self, url: str) -> FetchRecord | None:
        """The latest response this run archived for exactly this URL (the hop's own URL)."""
        return self._archived.get(url)

    def failed_before(self, url: str) -> FetchRecord | None:
        """An earlier session's final failure for this URL (timeout, too large, robots)."""
        return self._previous_errors.get(url)

    # --- writing -------------------------------------------------------------------

    def _log(self, entry: dict) -> None:
        self._journal_write((json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))

    def _journal_write(self, line: bytes) -> None:
        self._check()
        try:
            _write_all(self._journal_fd, line)
        except OSError as exc:
            _cut_back(self._journal_fd, self._journal_size)
            raise self._fail(self.journal_path, exc) from None
        self._journal_size += len(line)

    def _check(self) -> None:
        if self.failure is not None:
            raise self.failure

    def _fail(self, path: Path, exc: OSError) -> ArchiveWriteError:
        """Stop all writing after a local write error: nothing may follow a torn point."""
        self.failure = ArchiveWriteError(path, exc)
        return self.failure

    def _open_next(self) -> None:
        self.close_file()
        while True:
            self._index += 1
            path = self.data.warc_dir / f"{self.run_id}-{self._index:05d}.warc.gz"
            if not path.exists():
                break
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        except OSError as exc:
            raise self._fail(path, exc) from None
        self._path = path
        self._size = 0

    def close_file(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _append(self, blob: bytes) -> tuple[str, int]:
        """Append whole records with one write; return (file name, offset of the first)."""
        self._check()
        if self._fd is None or self._size >= self.rotate_bytes:
            self._open_next()
        offset = self._size
        try:
            _write_all(self._fd, blob)
        except OSError as exc:
            _cut_back(self._fd, offset)
            raise self._fail(self._path, exc) from None
        self._size += len(blob)
        return self._path.name, offset

    def _take_member(self) -> bytes:
        """The record just serialized, as its own gzip member."""
        raw = self._buf.getvalue()
        self._buf.seek(0)
        self._buf.truncate()
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        return compressor.compress(raw) + compressor.flush()

    def write_exchange(
        self,
        *,
        url: str,
        method: str,
        request_headers: list[tuple[str, str]],
        status: int,
        reason: str,
        response_headers: list[tuple[str, str]],
        body: bytes,
        fetched_at: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[str, int]:
        """Write a response and its request; return (warc file name, offset of the response)."""
        warc_date = _warc_date(fetched_at or utc_now())
        headers = _redacted([(k, v) for k, v in response_headers if k.lower() not in _HOP_BY_HOP])
        http_headers = StatusAndHeaders(f"{status} {reason or 'OK'}", headers, protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": warc_date, **{k: v for k, v in (extra or {}).items() if v}}
        response = self._writer.create_warc_record(url, "response", payload=BytesIO(body), length=len(body),
                                                   http_headers=http_headers, warc_headers_dict=warc_headers)
        self._writer.write_record(response)
        blob = self._take_member()
        path = url.split("://", 1)[-1]
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
        req_headers = StatusAndHeaders(f"{method} {path} HTTP/1.1", _redacted(request_headers), is_http_request=True)
        request = self._writer.create_warc_record(
            url,
            "request",
            http_headers=req_headers,
            warc_headers_dict={"WARC-Date": warc_date,
                               "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")},
        )
        self._writer.write_record(request)
        return self._append(blob + self._take_member())

    def write_resource(self, url: str, body: bytes, content_type: str, fetched_at: str | None = None,
                       extra: dict[str, str] | None = None) -> tuple[str, int]:
        """Write a resource record (an imported file: transcript, comments); return its place."""
        warc_headers = {"WARC-Date": _warc_date(fetched_at or utc_now()), **{k: v for k, v in (extra or {}).items() if v}}
        record = self._writer.create_warc_record(url, "resource", payload=BytesIO(body), length=len(body),
                                                 warc_content_type=content_type, warc_headers_dict=warc_headers)
        self._writer.write_record(record)
        return self._append(self._take_member())

    def write_raw(self, blob: bytes) -> tuple[str, int]:
        """Append already-serialized gzip members (records copied verbatim from another WARC)."""
        return self._append(blob)

    def _store(self, row: FetchRecord) -> None:
        key = (row.warc_file, row.warc_offset) if row.warc_file else ("", -len(self.rows) - 1)
        self.rows[key] = row

    def add(self, row: FetchRecord) -> None:
        self._store(row)
        if row.warc_file:
            self._archived[row.final_url] = row
        self._log(to_row(row))

    def mark_skip(self, warc_file: str, offset: int, reason: str) -> None:
        """Record why an archived page will not go further (it stays in the archive)."""
        row = self.rows.get((warc_file, offset))
        if row is not None and row.skip_reason is None:
            self.rows[(warc_file, offset)] = replace(row, skip_reason=reason)
            self._log({"update": [warc_file, offset], "skip_reason": reason})

    def discard(self) -> None:
        """Remove everything this run wrote (a replay that failed: it is redone from scratch)."""
        self.suspend()
        for path in self._run_files():
            path.unlink()
        self.journal_path.unlink(missing_ok=True)

    def suspend(self) -> None:
        """Stop without finishing: files closed, journal kept, so the next crawl resumes."""
        self.close_file()
        os.close(self._journal_fd)

    def close(self) -> Path:
        """Finish the run: close the WARC file and write this run's manifest (atomically; a
        failed write leaves the journal, so the run can still be finished)."""
        self.suspend()
        self._check()
        manifest = self.data.manifest_dir / f"{self.run_id}.parquet"
        try:
            write_records(manifest, sorted(self.rows.values(), key=_row_order), FetchRecord)
        except OSError as exc:
            raise self._fail(manifest, exc) from None
        self.journal_path.unlink()
        return manifest


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def _row_order(row: FetchRecord):
    return (row.fetched_at, row.warc_file, row.warc_offset, row.url)


def _warc_date(iso: str) -> str:
    return iso if iso.endswith("Z") else iso + "Z"


def _norm_date(warc_date: str) -> str:
    """A WARC-Date (maybe with fractions of a second) as the manifest's fetched_at form."""
    try:
        when = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    except ValueError:
        return warc_date
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def skip_for_status(status: int) -> str | None:
    return None if status == 200 else ("redirect" if 300 <= status < 400 else f"http_{status}")






def _row_from_record(headers, response: "ArchivedResponse", warc_file: str, offset: int, run_id: str) -> FetchRecord:
    """A manifest row rebuilt from one of our own response records."""
    status = response.status
    return FetchRecord(
        url=headers.get_header(H_REQUEST_URL) or response.url,
        final_url=response.url,
        status=status,
        fetched_at=_norm_date(response.warc_date),
        sha256=sha256_hex(response.body),
        outlet_id=headers.get_header(H_OUTLET) or "",
        camp=headers.get_header(H_CAMP) or "",
        kind=headers.get_header(H_KIND) or "other",
        content_type=response.headers.get("content-type", ""),
        warc_file=warc_file,
        warc_offset=offset,
        skip_reason=skip_for_status(status),
        run_id=run_id,
    )












def gzip_member(raw: bytes) -> bytes:
    """One record's bytes as a gzip member (for records copied from an uncompressed WARC)."""
    return gzip.compress(raw, compresslevel=6, mtime=0)


def new_run_id(prefix: str = "crawl") -> str:
    return f"{prefix}-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
