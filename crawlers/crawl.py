"""Run a crawl: the registry's outlets (live) or the embedded demo web (offline default)."""

from __future__ import annotations

import shutil
from collections import Counter
from contextlib import nullcontext
from datetime import date
from pathlib import Path

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawlers import settings as default_settings
from crawlers.archive import ArchiveWriter, new_run_id
from crawlers.demo_server import DEMO_SITE, SiteServer
from crawlers.registry import DEMO_REGISTRY, Outlet
from crawlers.spiders.outlets import OutletSpider
from pipelines.io import DataDir, StageSummary
from pipelines.relevance import load_topic

# The demo web is ours and local: no need to wait between requests.
DEMO_OVERRIDES = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "RETRY_TIMES": 1,
}


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
    outlets: list[Outlet],
    *,
    demo_root: Path | None = None,
    since: date | None = None,
    until: date | None = None,
    max_pages: int | None = None,
    overrides: dict | None = None,
    jobdir: bool = True,
    http_cache: bool = False,
) -> StageSummary:
    """Crawl the outlets into a new WARC run; with demo_root, serve that folder locally first."""
    summary = StageSummary("crawl")
    # An unfinished run (killed, or stopped with Ctrl-C) is resumed rather than restarted.
    current = data.state / "crawl-current-run"
    resumed = current.exists()
    run_id = current.read_text().strip() if resumed else new_run_id()
    current.parent.mkdir(parents=True, exist_ok=True)
    current.write_text(run_id)
    jobdir_path = data.state / "scrapy-jobs" / run_id
    archive = ArchiveWriter(data, run_id)
    server = SiteServer(demo_root) if demo_root else nullcontext()
    with server as srv, Progress(SpinnerColumn(), TextColumn("[bold]crawl[/] {task.description}"), TimeElapsedColumn()) as bar:
        task = bar.add_task("starting", total=None)
        counts = Counter()

        def on_fetched(response):
            counts["fetched"] += 1
            bar.update(task, description=f"{counts['fetched']} responses · last {response.url[:70]}")

        all_overrides = dict(overrides or {})
        if demo_root:
            all_overrides = {**DEMO_OVERRIDES, "DEMO_PROXY": srv.proxy_url, **all_overrides}
        settings = build_settings(data, all_overrides, http_cache=http_cache)
        if jobdir:
            settings.set("JOBDIR", str(jobdir_path))
        process = CrawlerProcess(settings)
        process.crawl(OutletSpider, outlets=outlets, topic=load_topic(), archive=archive, since=since, until=until,
                      max_pages=max_pages, progress=on_fetched)
        process.start()
    manifest = archive.close()
    current.unlink()
    shutil.rmtree(jobdir_path, ignore_errors=True)
    if resumed:
        summary.notes.append(f"resumed unfinished run {run_id}")
    rows = list(archive.rows.values())
    summary.records_in = len(rows)
    summary.records_out = sum(1 for r in rows if r.kind == "article" and r.skip_reason is None)
    for row in rows:
        if row.skip_reason:
            summary.skip(f"{row.kind}:{row.skip_reason}")
    summary.outputs += [str(manifest), str(data.warc_dir)]
    summary.notes.append(f"run {run_id}: {len(rows)} responses archived, {summary.records_out} relevant article pages")
    return summary


DEMO_DEFAULTS = {"registry": DEMO_REGISTRY, "root": DEMO_SITE}
