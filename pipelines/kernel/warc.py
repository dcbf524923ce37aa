"""Reading the WARC archive: the record at an offset, and the helpers every reader shares
(body hashes, content decoding, where a torn gzip file's complete members end). The crawler
owns writing (crawlers/archive.py)."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader

from pipelines.kernel.io import FrameCheckError


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def decoded_body(body: bytes, content_encoding: str | None) -> bytes:
    """The body as a WARC reader returns it (warcio undoes gzip/deflate/br content coding)."""
    encoding = (content_encoding or "").strip().lower()
    if not encoding or encoding not in BufferedReader.get_supported_decompressors():
        return body
    try:
        return BufferedReader(BytesIO(body), decomp_type=encoding).read()
    except Exception:
        return body


@dataclass(frozen=True)
class ArchivedResponse:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    warc_date: str


def read_response(warc_path: Path, offset: int) -> ArchivedResponse:
    """Read the response (or resource) record at a byte offset of a WARC file."""
    try:
        with warc_path.open("rb") as fh:
            fh.seek(offset)
            for record in ArchiveIterator(fh):
                if record.rec_type not in ("response", "resource"):
                    raise FrameCheckError(f"{warc_path}@{offset}: not a response record")
                return response_from_record(record)
    except FileNotFoundError:
        raise FrameCheckError(f"{warc_path}: WARC file missing from the archive") from None
    raise FrameCheckError(f"{warc_path}@{offset}: no record at this offset")


def response_from_record(record) -> ArchivedResponse:
    if record.http_headers:
        headers = {k.lower(): v for k, v in record.http_headers.headers}
        status = int(record.http_headers.get_statuscode() or 0)
    else:  # a resource record: the WARC Content-Type is the body's type
        headers = {"content-type": record.rec_headers.get_header("Content-Type") or ""}
        status = 200
    return ArchivedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=status,
        headers=headers,
        body=record.content_stream().read(),
        warc_date=record.rec_headers.get_header("WARC-Date") or "",
    )


def complete_gzip_prefix(path: Path, start: int = 0, chunk_size: int = 1 << 16) -> int:
    """End of the run of complete gzip members from `start` (a member boundary) on: a torn
    last member is excluded."""
    good_end = start
    decomp = zlib.decompressobj(31)
    with path.open("rb") as fh:
        fh.seek(start)
        offset = start
        while True:
            chunk = fh.read(chunk_size)
            if not chunk:
                break
            buf = chunk
            while buf:
                try:
                    decomp.decompress(buf, 1 << 20)
                    while decomp.unconsumed_tail:
                        decomp.decompress(decomp.unconsumed_tail, 1 << 20)
                except zlib.error:
                    return good_end
                if decomp.eof:
                    used = len(buf) - len(decomp.unused_data)
                    offset += used
                    good_end = offset
                    buf = decomp.unused_data
                    decomp = zlib.decompressobj(31)
                else:
                    offset += len(buf)
                    buf = b""
    return good_end
