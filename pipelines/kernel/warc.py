"""Reading the WARC archive: the record at an offset, the complete records of a whole file
(damaged stretches skipped and reported), and the helpers every reader shares (body hashes,
content decoding, where a torn gzip file's complete members end). The crawler owns writing
(crawlers/archive.py)."""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.recordloader import ArcWarcRecord

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


# --- Reading whole WARC files, damage and all -----------------------------------------------
#
# warcio reads a file as one stream: a record cut short inside its gzip member reads as a
# whole record minus its end, and the first damaged member ends the iteration. The scan
# below frames each record itself (one gzip member, or one "WARC/1." record of a plain
# file) and checks it is complete — its Content-Length of bytes present and followed by the
# record end, its gzip member whole and its CRC right, its block digest (warcio's check)
# right — before warcio parses it. A damaged stretch is reported and the scan goes on at the
# next gzip member start (or the next "WARC/1." line of a plain file).

GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_START = b"WARC/1."
_RECORD_END = b"\r\n\r\n"
_MAX_HEADER_BYTES = 1 << 20
_MAX_RECORD_BYTES = 1 << 30  # a gzip member inflating past this is not a record we can hold
_CHUNK = 1 << 20
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)[ \t]*(?=\r\n)", re.IGNORECASE)


@dataclass(frozen=True)
class WarcEntry:
    """One complete record: where it starts, its bytes as stored (its gzip member when
    `gzipped`, else the plain record with its trailing blank lines), and warcio's parse of it
    (headers read; for a response or resource record, its body in `response`)."""

    offset: int
    blob: bytes
    gzipped: bool
    record: ArcWarcRecord
    response: ArchivedResponse | None


@dataclass(frozen=True)
class WarcDamage:
    """A stretch of a WARC file that holds no complete record (torn, garbage, altered)."""

    offset: int
    length: int
    reason: str


class _Damaged(Exception):
    pass


def scan_warc(path: Path) -> Iterator[WarcEntry | WarcDamage]:
    """Every complete record of a WARC file in order, and every damaged stretch between them."""
    with path.open("rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
            units = _gzip_units(view) if view[:3] == GZIP_MAGIC else _plain_units(view)
            yield from _merge_damage(units, len(view))


def first_warc_entry(path: Path) -> WarcEntry | WarcDamage | None:
    """The first complete record of a file, else the damage that fills it (None: empty file)."""
    damage = None
    for item in scan_warc(path):
        if isinstance(item, WarcEntry):
            return item
        damage = damage or item
    return damage


def _merge_damage(units: Iterator, size: int) -> Iterator[WarcEntry | WarcDamage]:
    """Entries as they come; consecutive damaged units as one stretch, up to the next record."""
    damage_at, reason = None, ""
    for offset, item in units:
        if isinstance(item, str):
            if damage_at is None:
                damage_at, reason = offset, item
            continue
        if damage_at is not None:
            yield WarcDamage(damage_at, offset - damage_at, reason)
            damage_at = None
        yield item
    if damage_at is not None:
        yield WarcDamage(damage_at, size - damage_at, reason)


def _gzip_units(view) -> Iterator[tuple[int, WarcEntry | str]]:
    pos = 0
    while pos < len(view):
        try:
            end, data = _inflate_member(view, pos)
        except _Damaged as damage:  # where this member ends is unknown: look for the next one
            yield pos, str(damage)
            found = view.find(GZIP_MAGIC, pos + 1)
            pos = len(view) if found < 0 else found
            continue
        try:
            for entry in _entries_in(data, pos, bytes(view[pos:end])):
                yield pos, entry
        except _Damaged as damage:  # a whole gzip member that holds no complete record
            yield pos, str(damage)
        pos = end


def _plain_units(view) -> Iterator[tuple[int, WarcEntry | str]]:
    pos = _skip_blank_lines(view, 0)
    while pos < len(view):
        try:
            end = _frame(view, pos)
        except _Damaged as damage:  # where this record ends is unknown: look for the next one
            yield pos, str(damage)
            found = view.find(b"\n" + WARC_START, pos)
            pos = len(view) if found < 0 else found + 1
            continue
        try:
            yield pos, _entry(bytes(view[pos:end]), pos)
        except _Damaged as damage:  # a record whose bytes are all there, but not right
            yield pos, str(damage)
        pos = _skip_blank_lines(view, end)


def _skip_blank_lines(view, pos: int) -> int:
    while view[pos:pos + 1] in (b"\r", b"\n"):
        pos += 1
    return pos


def _inflate_member(view, pos: int) -> tuple[int, bytes]:
    """(end offset, inflated bytes) of the gzip member at pos; _Damaged unless it is whole."""
    inflater = zlib.decompressobj(31)
    out, size, at = [], 0, pos
    while True:
        chunk = view[at:at + _CHUNK]
        if not chunk:
            raise _Damaged("gzip member cut short (truncated file)")
        try:
            piece = inflater.decompress(chunk)
        except zlib.error as exc:
            raise _Damaged(f"damaged gzip data ({exc})") from None
        size += len(piece)
        if size > _MAX_RECORD_BYTES:
            raise _Damaged("gzip member inflates past 1 GiB")
        out.append(piece)
        if inflater.eof:
            return at + len(chunk) - len(inflater.unused_data), b"".join(out)
        at += len(chunk)


def _entries_in(data: bytes, offset: int, member: bytes) -> list[WarcEntry]:
    """The records one gzip member holds (one, as the WARC standard recommends, or more)."""
    bounds, pos = [], 0
    while pos < len(data):
        end = _frame(data, pos)
        bounds.append((pos, end))
        pos = _skip_blank_lines(data, end)
    if not bounds:
        raise _Damaged("empty gzip member")
    if len(bounds) == 1:
        return [_entry(data, offset, member)]
    return [_entry(data[a:b], offset) for a, b in bounds]  # each is gzipped on its own when copied


def _frame(buf, pos: int) -> int:
    """End of the record starting at pos (after its blank lines), checked for completeness."""
    if buf[pos:pos + len(WARC_START)] != WARC_START:
        raise _Damaged("no WARC record header here")
    head_end = buf.find(_RECORD_END, pos, pos + _MAX_HEADER_BYTES)
    if head_end < 0:
        raise _Damaged("WARC header cut short")
    match = _CONTENT_LENGTH.search(bytes(buf[pos:head_end + 2]))
    if match is None:
        raise _Damaged("WARC header without Content-Length")
    length = int(match.group(1))
    block_end = head_end + len(_RECORD_END) + length
    present = min(len(buf), block_end) - head_end - len(_RECORD_END)
    if present < length:
        raise _Damaged(f"record cut short: Content-Length {length}, {present} bytes present")
    if buf[block_end:block_end + len(_RECORD_END)] != _RECORD_END:
        raise _Damaged(f"Content-Length {length} does not end at the record's end")
    return block_end + len(_RECORD_END)


def _entry(raw: bytes, offset: int, member: bytes | None = None) -> WarcEntry:
    """Parse one framed record (`raw`, stored as the gzip `member` if given) with warcio,
    reading its block and checking its digests."""
    try:
        record = next(iter(ArchiveIterator(BytesIO(raw), check_digests=True)))
        response = response_from_record(record) if record.rec_type in ("response", "resource") else None
        while record.raw_stream.read(_CHUNK):
            pass  # the rest of the block, so the digests are checked
    except Exception as exc:  # warcio's parse errors (bad header lines, bad HTTP status line)
        raise _Damaged(f"unparseable record ({type(exc).__name__}: {exc})") from None
    problem = _digest_problem(record)
    if problem:
        raise _Damaged(problem)
    return WarcEntry(offset, raw if member is None else member, member is not None, record, response)


def _digest_problem(record) -> str | None:
    """A failed WARC-Block-Digest; or a failed WARC-Payload-Digest when there is no block
    digest and no Transfer-Encoding (writers disagree on the payload digest of a chunked
    body: webrecorder/warcio#74, #75)."""
    checker = record.digest_checker
    if checker is None or checker.passed is not False:
        return None
    for problem in checker.problems:
        if problem.startswith("block digest failed"):
            return problem
    chunked = bool(record.http_headers and record.http_headers.get_header("Transfer-Encoding"))
    if record.rec_headers.get_header("WARC-Block-Digest") or chunked:
        return None
    return next((p for p in checker.problems if p.startswith("payload digest failed")), None)
