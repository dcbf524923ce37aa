"""The raw archive: every fetched page as gzipped WARC request/response records, rotated
by size and never rewritten, plus a Parquet manifest per crawl run."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path
from typing import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines.io import DataDir, FrameCheckError, utc_now, write_records
from pipelines.records import FetchRecord, to_row

DEFAULT_ROTATE_BYTES = 100 * 1024 * 1024


class ArchiveWriter:
    """Appends WARC records to <run_id>-NNNNN.warc.gz files; one manifest per run.

    A file is opened in exclusive-create mode, so an existing file is never rewritten."""

    def __init__(self, data: DataDir, run_id: str, rotate_bytes: int = DEFAULT_ROTATE_BYTES):
        self.data = data
        self.run_id = run_id
        self.rotate_bytes = rotate_bytes
        self.rows: dict[tuple[str, int], FetchRecord] = {}
        self._index = 0
        self._fh = None
        self._writer = None
        data.warc_dir.mkdir(parents=True, exist_ok=True)
        data.manifest_dir.mkdir(parents=True, exist_ok=True)
        # The journal makes the manifest survive a killed crawl: a resumed run reloads it.
        self.journal_path = data.manifest_dir / f"{run_id}.journal.jsonl"
        self._replay_journal()
        self._journal = self.journal_path.open("a", encoding="utf-8")

    def _replay_journal(self) -> None:
        if not self.journal_path.exists():
            return
        for line in self.journal_path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # the last line of a killed run may be cut short
            if "update" in entry:
                key = tuple(entry["update"])
                if key in self.rows:
                    self.rows[key] = replace(self.rows[key], skip_reason=entry["skip_reason"])
            else:
                self._store(FetchRecord(**entry))

    def _log(self, entry: dict) -> None:
        self._journal.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._journal.flush()

    def _open_next(self) -> None:
        self.close_file()
        while True:
            self._index += 1
            path = self.data.warc_dir / f"{self.run_id}-{self._index:05d}.warc.gz"
            if not path.exists():
                break
        self._path = path
        self._fh = path.open("xb")
        self._writer = WARCWriter(self._fh, gzip=True)

    def close_file(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            self._fh.close()
            self._fh = None

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
    ) -> tuple[str, int]:
        """Write a response and its request; return (warc file name, offset of the response)."""
        if self._fh is None or self._fh.tell() >= self.rotate_bytes:
            self._open_next()
        offset = self._fh.tell()
        http_headers = StatusAndHeaders(f"{status} {reason or 'OK'}", response_headers, protocol="HTTP/1.1")
        response = self._writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http_headers)
        self._writer.write_record(response)
        path = url.split("://", 1)[-1]
        path = "/" + path.split("/", 1)[1] if "/" in path else "/"
        req_headers = StatusAndHeaders(f"{method} {path} HTTP/1.1", request_headers, is_http_request=True)
        request = self._writer.create_warc_record(
            url,
            "request",
            http_headers=req_headers,
            warc_headers_dict={"WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")},
        )
        self._writer.write_record(request)
        self._fh.flush()
        return self._path.name, offset

    def _store(self, row: FetchRecord) -> None:
        key = (row.warc_file, row.warc_offset) if row.warc_file else ("", -len(self.rows) - 1)
        self.rows[key] = row

    def add(self, row: FetchRecord) -> None:
        self._store(row)
        self._log(to_row(row))

    def mark_skip(self, warc_file: str, offset: int, reason: str) -> None:
        """Record why an archived page will not go further (it stays in the archive)."""
        row = self.rows.get((warc_file, offset))
        if row is not None and row.skip_reason is None:
            self.rows[(warc_file, offset)] = replace(row, skip_reason=reason)
            self._log({"update": [warc_file, offset], "skip_reason": reason})

    def close(self) -> Path:
        """Finish the run: close the WARC file and write this run's manifest."""
        self.close_file()
        self._journal.close()
        manifest = self.data.manifest_dir / f"{self.run_id}.parquet"
        write_records(manifest, self.rows.values(), FetchRecord)
        self.journal_path.unlink()
        return manifest


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class ArchivedResponse:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    warc_date: str


def read_response(warc_path: Path, offset: int) -> ArchivedResponse:
    """Read the response record at a byte offset of a WARC file."""
    try:
        with warc_path.open("rb") as fh:
            fh.seek(offset)
            for record in ArchiveIterator(fh):
                if record.rec_type != "response":
                    raise FrameCheckError(f"{warc_path}@{offset}: not a response record")
                return _to_response(record)
    except FileNotFoundError:
        raise FrameCheckError(f"{warc_path}: WARC file missing from the archive") from None
    raise FrameCheckError(f"{warc_path}@{offset}: no record at this offset")


def _to_response(record) -> ArchivedResponse:
    headers = {k.lower(): v for k, v in record.http_headers.headers} if record.http_headers else {}
    status = int(record.http_headers.get_statuscode() or 0) if record.http_headers else 0
    return ArchivedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=status,
        headers=headers,
        body=record.content_stream().read(),
        warc_date=record.rec_headers.get_header("WARC-Date") or "",
    )


def iter_responses(warc_path: Path) -> Iterator[tuple[int, ArchivedResponse | None, str | None]]:
    """Yield (offset, response, error) for each response record; a broken record yields an error."""
    with warc_path.open("rb") as fh:
        iterator = ArchiveIterator(fh)
        try:
            for record in iterator:
                if record.rec_type != "response":
                    continue
                offset = iterator.get_record_offset()
                try:
                    yield offset, _to_response(record), None
                except Exception as exc:  # a damaged record must not end the replay
                    yield offset, None, f"corrupt_record: {type(exc).__name__}"
        except Exception as exc:
            yield -1, None, f"corrupt_warc: {type(exc).__name__}: {exc}"


def new_run_id() -> str:
    return "crawl-" + utc_now().replace(":", "").replace("-", "")
