"""Bring the runs of several frontier workers into one data directory.

Each worker of a shared frontier writes its own WARC files and manifest, named by its worker id
(`crawl-<worker>-<time>-NNNNN.warc.gz`, `crawl-<worker>-<time>.parquet`), so the files of all
workers can sit side by side. Collecting copies every finished run (its manifest and the WARC
files its rows point to) from each worker's data directory; a file already there with the same
bytes is skipped (collecting twice changes nothing), one with other bytes is an error. The
manifests are merged by the one manifest reader the extract stage uses: the latest fetch of each
URL decides, so a page that two workers archived (a kill in the instant between a WARC write and
its Redis mark) is read once. The collect summary counts such pages."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.kernel.io import DataDir, FrameCheckError
from pipelines.kernel.step import StepContext


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _copy_once(source: Path, target: Path) -> bool:
    """Copy source to target atomically; False when target already holds the same bytes."""
    if target.exists():
        if source.resolve() == target.resolve():
            return False
        if target.stat().st_size == source.stat().st_size and _digest(target) == _digest(source):
            return False
        raise FrameCheckError(f"{source}: {target} already exists with other bytes; two workers share a worker id? "
                              f"(file names carry it; give each worker its own --worker)")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.collect-tmp")
    shutil.copyfile(source, temp)
    os.replace(temp, target)
    return True


def collect_runs(data: DataDir, sources: list[Path], ctx: StepContext) -> None:
    summary = ctx.summary
    copied = Counter()
    for root in sources:
        source = DataDir(root)
        if not source.manifest_dir.is_dir():
            raise FrameCheckError(f"{root}: no crawl manifest folder ({source.manifest_dir}); is it a data directory?")
        for manifest in sorted(source.manifest_dir.glob("*.parquet")):
            try:
                names = {n for n in pq.read_table(manifest, columns=["warc_file"]).column("warc_file").to_pylist() if n}
            except Exception as exc:  # noqa: BLE001 — a torn or foreign file: named, not traced
                raise FrameCheckError(f"{manifest}: not a readable crawl manifest ({exc})") from None
            for name in sorted(names):
                warc = source.warc_dir / name
                if not warc.is_file():
                    raise FrameCheckError(f"{manifest}: field warc_file: {name} is not in {source.warc_dir}")
                copied["warc"] += _copy_once(warc, data.warc_dir / name)
            copied["manifest"] += _copy_once(manifest, data.manifest_dir / manifest.name)
        for journal in sorted(source.manifest_dir.glob("*.journal.jsonl")):
            run = journal.name.removesuffix(".journal.jsonl")
            summary.notes.append(f"{root}: run {run} is unfinished (its worker stopped or was killed): rerun that "
                                 f"worker with the same --worker and --data-dir to finish it, then collect again")
    summary.notes.append(f"copied {copied['manifest']} manifest(s) and {copied['warc']} WARC file(s); "
                         f"files already present were kept")
    _count_pages(data, ctx)


def _count_pages(data: DataDir, ctx: StepContext) -> None:
    """Pages across all manifests, and those archived by more than one run (read once by extract)."""
    runs_per_url: dict[str, set[str]] = {}
    rows = 0
    for manifest in sorted(data.manifest_dir.glob("*.parquet")):
        table = pq.read_table(manifest, columns=["final_url", "warc_file", "status", "run_id"])
        for url, warc, status, run in zip(*(table.column(c).to_pylist() for c in table.column_names)):
            rows += 1
            if warc and status == 200:
                runs_per_url.setdefault(url, set()).add(run)
    twice = sum(1 for runs in runs_per_url.values() if len(runs) > 1)
    ctx.summary.records_in = rows
    ctx.summary.records_out = len(runs_per_url)
    ctx.summary.outputs += [str(data.manifest_dir), str(data.warc_dir)]
    ctx.summary.notes.append(f"{len(runs_per_url)} pages archived, {twice} of them by more than one run "
                             f"(the manifest reader keeps the latest fetch of each)")
