"""Run a crawl: the registry's outlets on the live web, or through a local server on 127.0.0.1
that answers for every host (the demo web, test fixtures, benchmark mirrors; the caller
starts it, e.g. demo.server.SiteServer).

Resuming. An unfinished run (stopped with Ctrl-C, or killed) is resumed by the next crawl
into the same data directory. A clean stop leaves Scrapy's JOBDIR consistent (pending
requests, seen fingerprints, spider state) and Scrapy resumes from it. A kill (SIGKILL,
power loss) leaves it inconsistent — the seen-requests file is buffered and the disk queue's
state is only written on close — so it is discarded: the crawl starts discovery again and
every page the run already archived is served from the archive, not fetched or written
again (see crawlers/archive.py)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

import crawlers.settings as default_settings
from crawlers.archive import ArchiveWriter, new_run_id
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


def build_settings(data: DataDir, overrides: dict | None = None, http_cache: bool = False) -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    data.logs.mkdir(parents=True, exist_ok=True)
    settings.set("LOG_FILE", str(data.logs / "crawl.log"))
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
) -> StageSummary:
    """Crawl the outlets into a WARC run; with local_site (the address of a local server that
    answers for every host, such as the demo web's), crawl through it without politeness delays.

    `overrides` are Scrapy settings that win over everything else (`--setting KEY=VALUE`);
    `DEMO_PROXY` in them routes plain-http requests through a proxy (a local server)."""
    summary = ctx.summary
    current = data.state / "crawl-current-run"
    resumed = current.exists()
    run_id = current.read_text().strip() if resumed else new_run_id()
    current.parent.mkdir(parents=True, exist_ok=True)
    current.write_text(run_id)
    jobdir_path = data.state / "scrapy-jobs" / run_id
    if resumed and jobdir_path.exists() and not (jobdir_path / "spider.state").exists():
        # no spider.state: the run was killed, not stopped; its JOBDIR cannot be trusted
        shutil.rmtree(jobdir_path, ignore_errors=True)
        summary.notes.append("the unfinished run was killed: discovery restarts, archived pages come from the archive")
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
        settings = build_settings(data, all_overrides, http_cache=http_cache)
        if jobdir:
            settings.set("JOBDIR", str(jobdir_path))
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(OutletSpider)
        politeness = PolitenessRecord(crawler)
        process.crawl(crawler, outlets=outlets, topic=load_topic(), archive=archive, since=since, until=until,
                      max_pages=max_pages, progress=on_fetched)
        process.start()
    finish_reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    politeness_file = data.logs / "crawl.politeness.json"
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
    if finish_reason == "shutdown":  # Ctrl-C: keep the run open, the next crawl resumes it
        archive.suspend()
        summary.notes.append(f"run {run_id} stopped before the end: run the same crawl again to resume it")
        summary.outputs.append(str(data.warc_dir))
        return summary
    manifest = archive.close()
    log = ctx.skips
    for row in sorted(rows, key=lambda r: (r.fetched_at, r.url)):
        if row.skip_reason:
            log.write(row.skip_reason, kind=row.kind, url=row.url, final_url=row.final_url, status=row.status,
                      outlet=row.outlet_id, warc_file=row.warc_file, run=run_id)
    current.unlink()
    shutil.rmtree(jobdir_path, ignore_errors=True)
    summary.outputs += [str(manifest), str(data.warc_dir), str(log.path), str(politeness_file)]
    archived = sum(1 for r in rows if r.warc_file)
    summary.notes.append(f"run {run_id}: {archived} responses archived, {len(rows) - archived} failed fetches logged, "
                         f"{summary.records_out} relevant article pages")
    return summary

