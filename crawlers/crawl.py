"""Run a crawl: the registry's outlets on the live web, or through a local server on 127.0.0.1
that answers for every host (the demo web, test fixtures, benchmark mirrors; the caller
starts it, e.g. demo.server.SiteServer).

Resuming. Only a crawl that Scrapy ends as "finished" closes its run; any other end (Ctrl-C,
Ctrl-C twice, a kill, a full disk) leaves it unfinished, and the next crawl into the same data
directory resumes it. A clean stop (one Ctrl-C: Scrapy's "shutdown") leaves Scrapy's JOBDIR
consistent (pending requests, seen fingerprints, spider state), and only then is it marked
so (`CLEAN_STOP`) and Scrapy resumes from it. Any other stop leaves it inconsistent — the
seen-requests file is buffered and the disk queue's state is only written on close — so it
is discarded: the crawl starts discovery again and every page the run already archived is
served from the archive, not fetched or written again (see crawlers/archive.py).

Finishing. The run's manifest is written last, atomically: a run whose manifest exists is
finished, whatever was killed after it. The crawl's completion is recorded (`on_finished`:
the runner's state) before the manifest, and the unfinished-run marker removed after it, so
a kill at any point neither loses the crawl nor makes the next one crawl everything again.

On a shared frontier (`frontier`, crawlers/frontier.py) the queue and the seen-set live in Redis,
so there is no JOBDIR; the run marker, the run id (so the WARC files and the manifest), the log
and the politeness record carry the worker id, and a rerun of a worker resumes its own run."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

import crawlers.settings as default_settings
from crawlers.archive import ArchiveWriteError, ArchiveWriter, new_run_id
from crawlers.frontier import (
    FRONTIER_DOWNLOADER_MIDDLEWARES,
    FRONTIER_SPIDER_MIDDLEWARES,
    FrontierConfig,
    connect,
    scrapy_settings,
)
from crawlers.spiders.outlets import OutletSpider
from pipelines.kernel.io import DataDir, StageSummary, write_text_atomic
from pipelines.kernel.registry import Outlet
from pipelines.kernel.step import StepContext
from pipelines.kernel.topic import load_topic

# A local site (the demo web, test fixtures) is ours and on 127.0.0.1: no need to wait between requests.
LOCAL_SITE_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "RETRY_TIMES": 1,
}


CURRENT_RUN = "crawl-current-run"  # under state/: the id of the unfinished run, while there is one
CLEAN_STOP = "framecheck-clean-stop"  # in a run's JOBDIR: Scrapy stopped gracefully and wrote it whole


def current_run_marker(data: DataDir, worker: str | None = None) -> Path:
    return data.state / (CURRENT_RUN if worker is None else f"{CURRENT_RUN}.{worker}")


def unfinished_run(data: DataDir, worker: str | None = None) -> str | None:
    """The id of the run a crawl (of this frontier worker) left unfinished, or None (a run with a
    manifest is finished)."""
    marker = current_run_marker(data, worker)
    if not marker.exists():
        return None
    run_id = marker.read_text().strip()
    return None if run_manifest(data, run_id).exists() else run_id


def run_manifest(data: DataDir, run_id: str) -> Path:
    return data.manifest_dir / f"{run_id}.parquet"


POLITENESS_SETTINGS = ("CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_REQUESTS_PER_IP", "DOWNLOAD_DELAY",
                       "AUTOTHROTTLE_ENABLED", "ROBOTSTXT_OBEY")


class PolitenessRecord:
    """What Scrapy's downloader applied to each download slot (one per host): its
    concurrency and the range of its delay (AutoThrottle moves it, never below
    DOWNLOAD_DELAY), read from `crawler.engine.downloader.slots` at every response,
    because Scrapy frees a slot a minute after its last request."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.slots: dict[str, dict] = {}
        crawler.signals.connect(self.seen, signal=signals.response_received)

    def seen(self, response, request, spider=None) -> None:
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:  # served from the archive, not downloaded
            return
        known = self.slots.setdefault(key, {"concurrency": slot.concurrency, "min_delay": slot.delay, "max_delay": slot.delay})
        known["concurrency"] = max(known["concurrency"], slot.concurrency)
        known["min_delay"] = min(known["min_delay"], slot.delay)
        known["max_delay"] = max(known["max_delay"], slot.delay)

    def as_json(self) -> str:
        settings = {name: self.crawler.settings.get(name) for name in POLITENESS_SETTINGS}
        return json.dumps({"settings": settings, "slots": dict(sorted(self.slots.items()))}, indent=1) + "\n"

    def note(self) -> str:
        if not self.slots:
            return "politeness: no request reached the network"
        most = max(s["concurrency"] for s in self.slots.values())
        least = min(s["min_delay"] for s in self.slots.values())
        return (f"politeness as applied: {len(self.slots)} hosts, at most {most} request(s) at a time each, "
                f"{least:g} s or more apart")


def build_settings(data: DataDir, overrides: dict | None = None, http_cache: bool = False,
                   frontier: FrontierConfig | None = None) -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    data.logs.mkdir(parents=True, exist_ok=True)
    settings.set("LOG_FILE", str(data.logs / (f"crawl.{frontier.worker}.log" if frontier else "crawl.log")))
    if frontier is not None:
        for key, value in scrapy_settings(frontier).items():
            settings.set(key, value, priority="project")
        settings.set("DOWNLOADER_MIDDLEWARES", {**settings.getdict("DOWNLOADER_MIDDLEWARES"),
                                                **FRONTIER_DOWNLOADER_MIDDLEWARES}, priority="project")
        settings.set("SPIDER_MIDDLEWARES", {**settings.getdict("SPIDER_MIDDLEWARES"), **FRONTIER_SPIDER_MIDDLEWARES},
                     priority="project")
    settings.set("LOG_LEVEL", "INFO")
    if http_cache:
        settings.set("HTTPCACHE_ENABLED", True)
        settings.set("HTTPCACHE_DIR", str((data.root / "cache" / "http").resolve()))
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(
    data: DataDir,
    ctx: StepContext,
    outlets: list[Outlet],
    *,
    local_site: str | None = None,
    since: date | None = None,
    until: date | None = None,
    max_pages: int | None = None,
    overrides: dict | None = None,
    jobdir: bool = True,
    http_cache: bool = False,
    on_finished: Callable[[], None] | None = None,
    frontier: FrontierConfig | None = None,
) -> StageSummary:
    """Crawl the outlets into a WARC run; with local_site (the address of a local server that
    answers for every host, such as the demo web's), crawl through it without politeness delays.

    `overrides` are Scrapy settings that win over everything else (`--setting KEY=VALUE`);
    `DEMO_PROXY` in them routes plain-http requests through a proxy (a local server).
    `on_finished` records the crawl as done; it is called only when the crawl finished.
    A local write error (disk full) stops the crawl with ArchiveWriteError; the run stays open.
    With `frontier`, the crawl shares Redis's queue and seen-set with the other workers; Redis
    unreachable stops it with FrontierUnavailable, the run kept open."""
    summary = ctx.summary
    worker = frontier.worker if frontier else None
    shared = connect(frontier) if frontier else None  # unreachable: one line, before anything is written
    with _write_errors_stop_the_crawl(data):
        _forget_finished_run(data, worker)
        current = current_run_marker(data, worker)
        resumed = current.exists()
        run_id = current.read_text().strip() if resumed else new_run_id(f"crawl-{worker}" if worker else "crawl")
        current.parent.mkdir(parents=True, exist_ok=True)
        current.write_text(run_id)
    jobdir_path = data.state / "scrapy-jobs" / run_id
    clean_stop = jobdir_path / CLEAN_STOP
    if resumed and jobdir_path.exists() and not clean_stop.exists():
        # not a graceful stop (killed, Ctrl-C twice, a write error): its JOBDIR cannot be trusted
        shutil.rmtree(jobdir_path, ignore_errors=True)
        summary.notes.append("the unfinished run did not stop cleanly: discovery restarts, archived pages come "
                             "from the archive")
    clean_stop.unlink(missing_ok=True)  # this session's own end decides whether its JOBDIR is whole
    archive = ArchiveWriter(data, run_id)
    summary.notes += archive.notes
    with Progress(SpinnerColumn(), TextColumn("[bold]crawl[/] {task.description}"), TimeElapsedColumn()) as bar:
        task = bar.add_task("starting", total=None)
        counts = Counter()

        def on_fetched(response):
            counts["fetched"] += 1
            bar.update(task, description=f"{counts['fetched']} responses · last {response.url[:70]}")

        all_overrides = dict(overrides or {})
        if local_site:
            all_overrides = {**LOCAL_SITE_SETTINGS, "DEMO_PROXY": local_site, **all_overrides}
        settings = build_settings(data, all_overrides, http_cache=http_cache, frontier=frontier)
        if jobdir and frontier is None:  # on a frontier, Redis holds the queue and the seen-set
            settings.set("JOBDIR", str(jobdir_path))
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(OutletSpider)
        politeness = PolitenessRecord(crawler)
        if shared is not None:
            _join(shared, archive, summary)
        process.crawl(crawler, outlets=outlets, topic=load_topic(), archive=archive, since=since, until=until,
                      max_pages=max_pages, progress=on_fetched, frontier=shared)
        process.start()
    finish_reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    if archive.failure is not None:
        archive.suspend()
        raise archive.failure
    if shared is not None and shared.failure is not None:
        archive.suspend()
        raise shared.failure
    if shared is not None and shared.requeued:
        summary.notes.append(f"frontier: re-queued {shared.requeued} request(s) leased by workers that died")
    with _write_errors_stop_the_crawl(data):
        return _end_session(data, ctx, run_id, archive, politeness, finish_reason, resumed, on_finished, worker)


def _join(shared, archive: ArchiveWriter, summary: StageSummary) -> None:
    """Join the frontier (this worker id must not be running elsewhere); what an earlier, killed
    session of this worker held goes back to the queue."""
    import redis

    try:
        left = shared.join()
    except redis.RedisError as exc:
        archive.suspend()
        raise shared.fail(exc) from None
    except Exception:
        archive.suspend()
        raise
    if left:
        summary.notes.append(f"frontier: re-queued {left} request(s) an earlier session of worker {shared.worker} held")


@contextmanager
def _write_errors_stop_the_crawl(data: DataDir) -> Iterator[None]:
    """The run marker, the skip log, the politeness record: a full disk stops the crawl here too."""
    try:
        yield
    except OSError as exc:
        raise ArchiveWriteError(exc.filename or data.root, exc) from None


def _forget_finished_run(data: DataDir, worker: str | None = None) -> None:
    """A marker left by a run killed after its manifest was written: that run is finished."""
    marker = current_run_marker(data, worker)
    if marker.exists() and unfinished_run(data, worker) is None:
        run_id = marker.read_text().strip()
        (data.manifest_dir / f"{run_id}.journal.jsonl").unlink(missing_ok=True)
        shutil.rmtree(data.state / "scrapy-jobs" / run_id, ignore_errors=True)
        marker.unlink()


def _end_session(data, ctx, run_id, archive, politeness, finish_reason, resumed, on_finished, worker=None) -> StageSummary:
    summary = ctx.summary
    politeness_file = data.logs / (f"crawl.{worker}.politeness.json" if worker else "crawl.politeness.json")
    write_text_atomic(politeness_file, politeness.as_json())
    summary.notes.append(politeness.note())
    if resumed:
        summary.notes.append(f"resumed unfinished run {run_id}")
    rows = list(archive.rows.values())
    summary.records_in = len(rows)
    summary.records_out = sum(1 for r in rows if r.kind == "article" and r.skip_reason is None)
    for row in rows:
        if row.skip_reason:
            summary.skip(f"{row.kind}:{row.skip_reason}")
    jobdir_path = data.state / "scrapy-jobs" / run_id
    if finish_reason != "finished":  # Ctrl-C (once or twice), a close by any other reason: resumable
        archive.suspend()
        if finish_reason == "shutdown" and jobdir_path.is_dir():
            (jobdir_path / CLEAN_STOP).touch()  # Scrapy closed gracefully: its JOBDIR is whole
        how = "" if finish_reason == "shutdown" else f" (Scrapy's finish reason: {finish_reason or 'none, a forced stop'})"
        summary.notes.append(f"run {run_id} stopped before the end{how}: run the same crawl again to resume it")
        summary.outputs.append(str(data.warc_dir))
        return summary
    if on_finished is not None:
        on_finished()  # before the manifest: once the manifest exists, nothing may be left to record
    manifest = archive.close()
    log = ctx.skips
    for row in sorted(rows, key=lambda r: (r.fetched_at, r.url)):
        if row.skip_reason:
            log.write(row.skip_reason, kind=row.kind, url=row.url, final_url=row.final_url, status=row.status,
                      outlet=row.outlet_id, warc_file=row.warc_file, run=run_id)
    current_run_marker(data, worker).unlink()
    shutil.rmtree(jobdir_path, ignore_errors=True)
    summary.outputs += [str(manifest), str(data.warc_dir), str(log.path), str(politeness_file)]
    archived = sum(1 for r in rows if r.warc_file)
    summary.notes.append(f"run {run_id}: {archived} responses archived, {len(rows) - archived} failed fetches logged, "
                         f"{summary.records_out} relevant article pages")
    return summary
