"""Replay WARC files into a new crawl run, without the network.

Two uses, one reader:
- rebuilding from our own archive (`framecheck crawl --from-warc data/raw/warc/…`): every
  response record is copied, byte for byte, into the data directory's archive with a new
  manifest, so `extract` gives the same articles as after the live crawl;
- ingesting foreign WARCs such as Common Crawl's CC-NEWS: only response records of the
  registry's domains whose URL is an article URL of that outlet, that are HTML, and that are
  on topic are copied; everything else is counted as skipped, by reason.

Records are copied verbatim (their gzip member; a record from an uncompressed WARC is
gzipped on its own), so WARC-Date and WARC-Record-ID keep telling when and what was fetched.
A request record that belongs to a copied response (WARC-Concurrent-To) is copied with it."""

from __future__ import annotations

from pathlib import Path

from crawlers.archive import (
    H_KIND,
    H_REQUEST_URL,
    ArchiveWriteError,
    ArchiveWriter,
    _norm_date,
    gzip_member,
    new_run_id,
    skip_for_status,
)
from crawlers.spiders.outlets import article_skip_reason
from pipelines.kernel.io import DataDir, FrameCheckError, SkipLog, StageSummary
from pipelines.kernel.records import FetchRecord
from pipelines.kernel.registry import Outlet, url_host
from pipelines.kernel.step import StepContext
from pipelines.kernel.warc import WarcDamage, first_warc_entry, scan_warc, sha256_hex

WARC_SUFFIXES = (".warc.gz", ".warc")


def expand_warc_paths(paths: list[Path]) -> list[Path]:
    files = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(WARC_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise FrameCheckError(f"{path}: no such WARC file or folder")
    if not files:
        raise FrameCheckError(f"{', '.join(map(str, paths))}: no .warc or .warc.gz files found")
    return files


class _Replayer:
    def __init__(self, archive: ArchiveWriter, outlets: list[Outlet], topic, summary: StageSummary, log: SkipLog):
        self.archive = archive
        self.outlets = outlets
        self.topic = topic
        self.summary = summary
        self.log = log
        self.seen_ids: set[str] = set()
        self.damaged_bytes = 0

    def outlet_for(self, url: str) -> Outlet | None:
        host = url_host(url)  # split once, not once per outlet
        return next((o for o in self.outlets if o.owns_host(host)), None)

    def skip(self, reason: str, url: str, source: Path) -> None:
        self.summary.skip(reason)
        self.log.write(reason, url=url, warc=str(source))

    def replay_file(self, path: Path) -> None:
        """Copy the selected complete records of one file; skip (count, log) its damaged stretches."""
        pending = None  # the last request record not yet matched: (id, concurrent_to, gzip member)
        last_copied = None
        for item in scan_warc(path):
            if isinstance(item, WarcDamage):
                self.damaged(path, item)
                pending = last_copied = None
                continue
            headers = item.record.rec_headers
            rec_id = headers.get_header("WARC-Record-ID") or ""
            member = item.blob if item.gzipped else gzip_member(item.blob)
            if item.record.rec_type == "request":
                concurrent = headers.get_header("WARC-Concurrent-To")
                if last_copied and concurrent == last_copied:
                    self.archive.write_raw(member)
                    pending = None
                else:
                    pending = (rec_id, concurrent, member)
                continue
            if item.record.rec_type != "response":
                continue
            self.summary.records_in += 1
            copied = self.replay_response(path, headers, item.response, rec_id, member, pending)
            last_copied = rec_id if copied else None
            if copied:
                pending = None

    def damaged(self, path: Path, damage: WarcDamage) -> None:
        self.summary.skip("damaged_warc")
        self.log.write(f"damaged_warc: {damage.reason}", warc=str(path), offset=damage.offset, length=damage.length)
        self.damaged_bytes += damage.length

    def replay_response(self, path, headers, response, rec_id, member: bytes, pending) -> bool:
        url = response.url or ""
        own_kind = headers.get_header(H_KIND)
        first_url = headers.get_header(H_REQUEST_URL) or url
        if rec_id and rec_id in self.seen_ids:
            self.skip("duplicate_record", url, path)
            return False
        outlet = self.outlet_for(url) or self.outlet_for(first_url)
        if outlet is None:
            self.skip("not_in_registry", url, path)
            return False
        kind = own_kind or ("article" if outlet.is_article_url(url) else "other")
        status = response.status
        content_type = response.headers.get("content-type", "")
        reason = skip_for_status(status)
        if kind == "article" and reason is None:
            reason = article_skip_reason(response.body, content_type, self.topic)
        if own_kind is None and (kind != "article" or reason is not None):
            # a foreign WARC (CC-NEWS): keep only relevant article pages of our outlets
            self.skip("not_article_url" if kind != "article" else reason, url, path)
            return False
        self.seen_ids.add(rec_id)
        request_blob = b""
        if pending is not None and (pending[1] == rec_id or (pending[0] and pending[0] == headers.get_header("WARC-Concurrent-To"))):
            request_blob = pending[2]
        warc_file, offset = self.archive.write_raw(request_blob + member)
        self.archive.add(FetchRecord(
            url=first_url, final_url=url, status=status, fetched_at=_norm_date(response.warc_date),
            sha256=sha256_hex(response.body), outlet_id=outlet.id, camp=outlet.camp, kind=kind,
            content_type=content_type, warc_file=warc_file, warc_offset=offset + len(request_blob),
            skip_reason=reason, run_id=self.archive.run_id,
        ))
        if kind == "article" and reason is None:
            self.summary.records_out += 1
        return True


def run_replay(data: DataDir, paths: list[Path], outlets: list[Outlet], topic, ctx: StepContext) -> StageSummary:
    """Copy the selected records of WARC files into a new run of the archive, with its manifest."""
    summary = ctx.summary
    files = _warc_files_with_records(expand_warc_paths(paths), ctx)  # first: a file that is not WARC writes nothing
    run_id = new_run_id("replay")
    archive = ArchiveWriter(data, run_id)
    replayer = _Replayer(archive, outlets, topic, summary, ctx.skips)
    try:
        for path in files:
            replayer.replay_file(path)
        manifest = archive.close()
    except ArchiveWriteError as exc:  # a replay is not resumed: undo it, the next one starts afresh
        archive.discard()
        raise FrameCheckError(f"{exc.problem}; nothing of this replay was kept: free space or fix the disk, "
                              f"then run it again") from None
    rows = list(archive.rows.values())
    for row in rows:
        if row.skip_reason:
            summary.skip(f"{row.kind}:{row.skip_reason}")
    summary.outputs += [str(manifest), str(data.warc_dir)]
    if replayer.damaged_bytes:
        summary.notes.append(f"{summary.skipped['damaged_warc']} damaged stretch(es) of WARC data skipped "
                             f"({replayer.damaged_bytes} bytes; the records after each were read): see {ctx.skips.path}")
    summary.notes.append(f"run {run_id}: {len(files)} WARC file(s) read, {len(rows)} response records copied, "
                         f"{summary.records_out} relevant article pages; no network used")
    return summary


def _warc_files_with_records(files: list[Path], ctx: StepContext) -> list[Path]:
    """The files to replay: an empty file is skipped (a run killed right after opening a new
    WARC file leaves one); a file with no complete WARC record at all is not a WARC file."""
    kept = []
    for path in files:
        first = first_warc_entry(path)
        if first is None:
            ctx.drop("empty_warc_file", warc=str(path))
        elif isinstance(first, WarcDamage):
            raise FrameCheckError(f"{path}: not a WARC file: no complete WARC record in its {first.length} bytes "
                                  f"({first.reason} at byte {first.offset})")
        else:
            kept.append(path)
    if not kept:
        raise FrameCheckError(f"{', '.join(map(str, files))}: empty WARC file(s), nothing to replay")
    return kept
