"""The crawl stage's steps: a crawl of the registry's outlets (or of a local site), a replay
of WARC files, the import of a video transcript with its comments, and the import of a
document collection."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from crawlers.collect import collect_runs
from crawlers.crawl import run_crawl, run_manifest, unfinished_run
from crawlers.documents import MAX_CHARS, FieldMap, import_documents
from crawlers.frontier import FrontierConfig
from crawlers.replay import run_replay
from crawlers.transcripts import import_transcript
from pipelines.kernel.io import DataDir
from pipelines.kernel.registry import Outlet, Registry, registry_files
from pipelines.kernel.step import Step, StepContext
from pipelines.kernel.topic import TOPIC_FILE, load_topic


class CrawlStep(Step):
    """`framecheck crawl`. A crawl of a local site (the demo web, `--site-root`) with unchanged
    site, registry, topic and options is skipped; a live crawl always runs (the web changes).
    A crawl stopped before its end (anything but Scrapy's "finished") is not marked done: the
    next one resumes it."""

    name = "crawl"

    def __init__(self, data: DataDir, outlets: list[Outlet], registry_path: Path, *, site_root: Path | None = None,
                 local_site: str | None = None, since: date | None = None, until: date | None = None,
                 max_pages: int | None = None, overrides: dict | None = None, http_cache: bool = False,
                 frontier: FrontierConfig | None = None):
        super().__init__(data)
        self.outlets, self.registry_path, self.site_root, self.local_site = outlets, registry_path, site_root, local_site
        self.since, self.until, self.max_pages = since, until, max_pages
        self.overrides, self.http_cache = overrides or {}, http_cache
        self.frontier = frontier
        self.worker = frontier.worker if frontier else None
        # on a shared frontier the crawl's work is the cluster's, never skipped; each worker its own lock
        self.skippable = site_root is not None and frontier is None
        if frontier is not None:
            self.lock_file = f".lock-crawl-{frontier.worker}"

    def inputs(self) -> list[Path]:
        return [p for p in (self.site_root, self.registry_path, TOPIC_FILE) if p]

    def params(self) -> dict:
        return {"outlets": sorted(o.id for o in self.outlets), "since": self.since, "until": self.until,
                "max": self.max_pages, "settings": self.overrides}

    def outputs(self) -> list[Path]:
        # while a run is unfinished its manifest is missing, so the crawl is never skipped
        unfinished = unfinished_run(self.data, self.worker)
        if unfinished:
            return [run_manifest(self.data, unfinished)]
        manifests = sorted(self.data.manifest_dir.glob("*.parquet"))
        return manifests[-1:] or [self.data.manifest_dir / "no-manifest-yet"]

    def completed(self, ctx: StepContext | None) -> bool:
        return unfinished_run(self.data, self.worker) is None

    def run(self, ctx: StepContext) -> None:
        run_crawl(self.data, ctx, self.outlets, local_site=self.local_site, since=self.since, until=self.until,
                  max_pages=self.max_pages, overrides=self.overrides, http_cache=self.http_cache,
                  on_finished=ctx.mark_done, frontier=self.frontier)  # done before the manifest lands (D18)


class ReplayStep(Step):
    """`framecheck crawl --from-warc`: the selected records of WARC files into a new run."""

    name = "crawl"
    skippable = False  # each replay is a new run of the archive

    def __init__(self, data: DataDir, warcs: list[Path], outlets: list[Outlet]):
        super().__init__(data)
        self.warcs, self.outlets = warcs, outlets

    def run(self, ctx: StepContext) -> None:
        run_replay(self.data, self.warcs, self.outlets, load_topic(), ctx)


class TranscriptStep(Step):
    """`framecheck import-transcript`: a transcript and its comments → tables/transcripts.parquet."""

    name = "import-transcript"

    def __init__(self, data: DataDir, transcript: Path | None, comments: Path | None, info: Path | None, *,
                 registry: Registry | None = None, **options):
        super().__init__(data)
        self.transcript, self.comments, self.info, self.registry, self.options = transcript, comments, info, registry, options

    def inputs(self) -> list[Path]:
        return [p for p in (self.transcript, self.comments, self.info) if p is not None]

    def params(self) -> dict:
        return {**self.options, "files": [str(p) for p in self.inputs()]}

    def outputs(self) -> list[Path]:
        return [self.data.table("transcripts")]

    def run(self, ctx: StepContext) -> None:
        ctx.absorb(import_transcript(self.data, self.transcript, self.comments, self.info, registry=self.registry,
                                     skips=ctx.skips, **self.options))


class DocumentsStep(Step):
    """`framecheck import-docs`: a JSONL, JSON or CSV collection, or a folder of .txt/.md
    files → WARC resource records, a manifest and tables/documents.parquet. An unchanged
    collection imported with the same options is skipped."""

    name = "import-docs"

    def __init__(self, data: DataDir, source: Path, fields: FieldMap, *, outlet: str | None = None,
                 camp: str | None = None, max_chars: int = MAX_CHARS, registry: Registry | None = None):
        super().__init__(data)
        self.source, self.fields, self.outlet, self.camp, self.max_chars = source, fields, outlet, camp, max_chars
        self.registry = registry

    def inputs(self) -> list[Path]:
        return [self.source, TOPIC_FILE] + (registry_files(self.data) if self.registry is not None else [])

    def params(self) -> dict:
        mapping = {name: self.fields.column(name) for name in sorted(self.fields.explicit)}
        return {"source": str(self.source), "fields": mapping, "outlet": self.outlet, "camp": self.camp,
                "max_chars": self.max_chars}

    def outputs(self) -> list[Path]:
        return [self.data.table("documents")]

    def run(self, ctx: StepContext) -> None:
        ctx.absorb(import_documents(self.data, self.source, self.fields, outlet=self.outlet, camp=self.camp,
                                    max_chars=self.max_chars, registry=self.registry, skips=ctx.skips,
                                    progress=ctx.progress))


class CollectStep(Step):
    """`framecheck frontier collect`: the finished runs of frontier workers into this data directory."""

    name = "crawl"
    skippable = False  # cheap, and idempotent: files already collected are kept

    def __init__(self, data: DataDir, sources: list[Path]):
        super().__init__(data)
        self.sources = sources

    def run(self, ctx: StepContext) -> None:
        collect_runs(self.data, self.sources, ctx)
