"""`framecheck`: one CLI whose subcommands are the pipeline's stages.

This module only parses options, builds the stage's step, hands it to the one runner
(`pipelines.kernel.step.run_step`: lock, skip-if-unchanged, counts, skip log) and prints the
summary. Stage logic lives in the stage packages; nothing imports this module."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import track
from rich.table import Table
from rich.text import Text

from pipelines import __version__
from pipelines.kernel.io import DataDir, FrameCheckError, StageSummary
from pipelines.kernel.step import Step, run_step

app = typer.Typer(help="FrameCheck: a fact-check dataset on how media frame China's Social Credit System.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
claims_app = typer.Typer(help="Mine candidate claims (from the articles table, or from any files).", no_args_is_help=True)
annotate_app = typer.Typer(help="Label Studio sync: push tasks, pull annotations, import an export file.", no_args_is_help=True)
release_app = typer.Typer(help="Build, check and publish versioned dataset releases.", no_args_is_help=True)
app.add_typer(claims_app, name="claims")
app.add_typer(annotate_app, name="annotate")
app.add_typer(release_app, name="release")

console = Console(stderr=True)
out = Console()
_state = {"data": DataDir(Path("data"))}
FORCE_HELP = "Run even when inputs are unchanged."


def data_dir() -> DataDir:
    return _state["data"]


def _version(value: bool):
    if value:
        out.print(f"framecheck {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    data: Path = typer.Option(Path("data"), "--data-dir", help="Data directory every stage reads and writes."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
):
    _state["data"] = DataDir(data)


def _progress(items, total, description):
    return track(items, total=total, description=description, console=console, transient=True)


def report(summary: StageSummary, finished: bool = True) -> None:
    """The closing one-screen summary of a stage (plain text: no markup is parsed in it)."""
    state = ("unchanged inputs — nothing to do" if summary.unchanged else "done" if finished
             else "stopped before the end — run it again to resume")
    table = Table(title=Text(f"{summary.stage}: {state}"), show_header=False, title_justify="left")
    rows = [("records in", str(summary.records_in)), ("records out", str(summary.records_out))]
    rows += [(f"skipped: {reason}", str(n)) for reason, n in sorted(summary.skipped.items(), key=lambda kv: (-kv[1], kv[0]))]
    rows += [("kept" if summary.unchanged else "wrote", path) for path in summary.outputs]
    rows += [("note", note) for note in summary.notes]
    for label, value in rows:
        table.add_row(Text(label), Text(value))
    console.print(table)


def run(step: Step, force: bool = False) -> StageSummary:
    summary = run_step(step, force=force, progress=_progress)
    report(summary, finished=step.completed(None))
    return summary


def _parse_date(value: Optional[str], name: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FrameCheckError(f"--{name}: {value!r} is not a date (YYYY-MM-DD)") from None


def _scrapy_settings(items: list[str]) -> dict:
    import yaml

    settings = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise FrameCheckError(f"--setting: {item!r} is not KEY=VALUE")
        try:
            settings[key.strip()] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            settings[key.strip()] = value
    return settings


# --- outlets / facts -------------------------------------------------------------------


@app.command()
def outlets(as_json: bool = typer.Option(False, "--json", help="Print JSON."),
            demo: bool = typer.Option(False, "--demo", help="List the demo web's fictional outlets instead.")):
    """List the outlet registry."""
    from pipelines.kernel.registry import DEMO_REGISTRY, LIVE_REGISTRY, load_registry

    registry = load_registry(DEMO_REGISTRY if demo else LIVE_REGISTRY)
    if as_json:
        out.print_json(json.dumps([o.as_json() for o in registry], ensure_ascii=False))
        return
    table = Table("id", "name", "camp", "languages", "domains", "discovery", "redistribute")
    for o in registry:
        table.add_row(o.id, o.name, o.camp, ",".join(o.languages), ",".join(o.domains),
                      ",".join(sorted({d.type for d in o.discovery})), "yes" if o.redistribute else "no")
    out.print(table)


@app.command()
def facts(as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
    """List the fact base of the documented reality."""
    from pipelines.kernel.facts import fact_rows, load_facts

    items = load_facts()
    if as_json:
        out.print_json(json.dumps(fact_rows(items), ensure_ascii=False))
        return
    table = Table("id", "category", "status", "statement (en)", "sources")
    for f in items:
        table.add_row(f.fact_id, f.category, f.status, f.statement_en[:90], str(len(f.sources)))
    out.print(table)


# --- crawl -----------------------------------------------------------------------------


@app.command()
def crawl(
    source: str = typer.Option("demo", help="demo: the embedded demo web on 127.0.0.1 (offline); live: the registry's real outlets."),
    outlet: list[str] = typer.Option(None, "--outlets", help="Only these outlet ids (repeatable)."),
    camp: Optional[str] = typer.Option(None, help="Only outlets of this camp."),
    since: Optional[str] = typer.Option(None, help="Only items dated on or after (YYYY-MM-DD), where feeds and sitemaps give dates."),
    until: Optional[str] = typer.Option(None, help="Only items dated on or before (YYYY-MM-DD)."),
    max_pages: Optional[int] = typer.Option(None, help="Stop scheduling article pages after this many."),
    http_cache: bool = typer.Option(False, help="Use Scrapy's HTTP cache (development only)."),
    force: bool = typer.Option(False, help="Crawl even when the demo web is unchanged since the last crawl."),
    registry_file: Optional[Path] = typer.Option(None, "--registry", help="Outlet registry YAML (default: the demo or live registry; with --from-warc both)."),
    site_root: Optional[Path] = typer.Option(None, "--site-root", help="Serve this folder on 127.0.0.1 and crawl it instead of the network (default with --source demo: the demo web)."),
    proxy: Optional[str] = typer.Option(None, "--proxy", help="Send plain-http requests through this HTTP proxy (e.g. a local mirror server)."),
    setting: list[str] = typer.Option(None, "--setting", help="Scrapy setting KEY=VALUE (YAML value), overriding all others (repeatable)."),
    from_warc: list[Path] = typer.Option(None, "--from-warc", help="Replay these WARC files or folders (no network) into a new manifest; "
                                         "foreign WARCs (e.g. CC-NEWS) are filtered by the registry's domains and the topic."),
    paths: Optional[list[Path]] = typer.Argument(None, help="More WARC files or folders for --from-warc.", show_default=False),
    frontier: Optional[str] = typer.Option(None, "--frontier", envvar="FRAMECHECK_FRONTIER", show_envvar=True,
                                           help="Share the crawl's queue and seen-set with other workers through this Redis "
                                                "(redis://host:port/db)."),
    worker: Optional[str] = typer.Option(None, "--worker", envvar="FRAMECHECK_WORKER", show_envvar=True,
                                         help="This worker's id on the frontier, unique per process (default: the host name); "
                                              "it names the worker's WARC files and manifest."),
    lease_ttl: float = typer.Option(30.0, "--lease-ttl", help="Seconds without a heartbeat after which a frontier worker "
                                                             "counts as dead and its in-flight requests are re-queued."),
):
    """Crawl outlets into the WARC archive and a crawl manifest (or replay WARC files with --from-warc)."""
    from crawlers import CrawlStep, ReplayStep, frontier_config
    from demo.server import DEMO_SITE, SiteServer
    from pipelines.kernel.registry import DEMO_REGISTRY, LIVE_REGISTRY, select_outlets

    if source not in ("demo", "live"):
        raise FrameCheckError(f"--source: {source!r} is neither 'demo' nor 'live'")
    data = data_dir()
    warcs = list(from_warc or []) + list(paths or [])
    if paths and not from_warc:
        raise FrameCheckError(f"{paths[0]}: unexpected argument (WARC files to replay go after --from-warc)")
    shared = frontier_config(frontier, worker, lease_ttl)
    if warcs:
        if shared is not None:
            raise FrameCheckError("--frontier: a replay (--from-warc) reads files, it has no frontier to share")
        run(ReplayStep(data, warcs, select_outlets(data, registry_file, outlet, camp)))
        return
    since_date, until_date = _parse_date(since, "since"), _parse_date(until, "until")
    if since_date and until_date and since_date > until_date:
        raise FrameCheckError(f"--since: {since} is after --until {until}: no date is in that range")
    overrides = _scrapy_settings(setting or [])
    if proxy:
        overrides["DEMO_PROXY"] = proxy
    registry_path = registry_file or (DEMO_REGISTRY if source == "demo" else LIVE_REGISTRY)
    chosen = select_outlets(data, registry_file, outlet, camp, default=registry_path)
    root = site_root or (DEMO_SITE if source == "demo" and not proxy else None)
    if root is not None and not root.is_dir():
        raise FrameCheckError(f"--site-root: {root} is not a folder")
    with SiteServer(root) if root else nullcontext() as server:
        step = CrawlStep(data, chosen, registry_path, site_root=root, local_site=server.proxy_url if server else None,
                         since=since_date, until=until_date, max_pages=max_pages, overrides=overrides,
                         http_cache=http_cache, frontier=shared)
        run(step, force=force)
    if not step.completed(None):  # stopped (Ctrl-C) before the end: the next crawl resumes it
        raise typer.Exit(130)


frontier_app = typer.Typer(help="The shared crawl frontier on Redis: status, clear, and collecting the workers' runs.",
                           no_args_is_help=True)
app.add_typer(frontier_app, name="frontier")
FRONTIER_URL = typer.Option(..., "--frontier", envvar="FRAMECHECK_FRONTIER", show_envvar=True,
                            help="The Redis of the frontier (redis://host:port/db).")


@frontier_app.command("status")
def frontier_status(frontier: str = FRONTIER_URL):
    """Requests queued and seen, pages archived, and each worker's heartbeat and requests in flight."""
    from crawlers import connect_frontier, frontier_config

    shared = connect_frontier(frontier_config(frontier, "status"))
    try:
        out.print(json.dumps(shared.status(), indent=1))
    except Exception as exc:  # noqa: BLE001 — redis errors: one line
        raise FrameCheckError(f"--frontier: {type(exc).__name__}: {exc}") from None


@frontier_app.command("clear")
def frontier_clear(frontier: str = FRONTIER_URL,
                   yes: bool = typer.Option(False, "--yes", help="Really delete the frontier (queue, seen-set, marks).")):
    """Delete the frontier's keys, so the next crawl on it starts discovery afresh (archives are untouched)."""
    from crawlers import connect_frontier, frontier_config

    if not yes:
        raise FrameCheckError("frontier clear: pass --yes to delete the queue, the seen-set and the archived marks")
    shared = connect_frontier(frontier_config(frontier, "clear"))
    alive = [w for w, s in shared.status()["workers"].items() if s["alive"]]
    if alive:
        raise FrameCheckError(f"frontier clear: workers {', '.join(alive)} are crawling; stop them first")
    out.print(f"frontier: deleted {shared.clear()} key(s)")


@frontier_app.command("collect")
def frontier_collect(sources: list[Path] = typer.Argument(..., help="Data directories of frontier workers.")):
    """Copy the finished runs (manifests and their WARC files) of frontier workers into --data-dir."""
    from crawlers import CollectStep

    run(CollectStep(data_dir(), sources))


@app.command("import-transcript")
def import_transcript(
    transcript: Optional[Path] = typer.Argument(None, help="Transcript: .vtt, .srt or plain text (plain text may end with numbered comments)."),
    comments: Optional[Path] = typer.Option(None, "--comments", help="Comment dump: JSON lines, or a yt-dlp info JSON with `comments`."),
    info: Optional[Path] = typer.Option(None, "--info", help="yt-dlp info JSON: title, channel, upload date, URL (and comments, if any)."),
    channel: Optional[str] = typer.Option(None, help="Channel name (default: from --info)."),
    outlet_id: Optional[str] = typer.Option(None, "--outlet", help="Attach to this registry outlet (its name and camp)."),
    camp: Optional[str] = typer.Option(None, help="Camp of the channel (western, chinese_state, …)."),
    url: Optional[str] = typer.Option(None, help="Video URL (default: from --info, else an urn: from the files' hash)."),
    published: Optional[str] = typer.Option(None, "--date", help="Publication date, YYYY[-MM[-DD]] (default: from --info)."),
    title: Optional[str] = typer.Option(None, help="Video title (default: from --info, else the file name)."),
):
    """Import a video transcript and its comments as sources of their own kind (commenter names pseudonymized)."""
    from crawlers import TranscriptStep
    from pipelines.kernel.registry import CAMPS, combined_registry

    if camp is not None and camp not in CAMPS:
        raise FrameCheckError(f"--camp: {camp!r} is not one of {', '.join(CAMPS)}")
    missing = [str(p) for p in (transcript, comments, info) if p is not None and not p.is_file()]
    if missing:
        raise FrameCheckError(f"{missing[0]}: no such file")
    data = data_dir()
    run(TranscriptStep(data, transcript, comments, info, registry=combined_registry(data) if outlet_id else None,
                       channel=channel, outlet_id=outlet_id, camp=camp, url=url, published=published, title=title))


@app.command("import-docs")
def import_docs(
    source: Path = typer.Argument(..., help="A collection: JSON Lines (.jsonl), JSON list (.json), CSV (.csv/.tsv), or a folder of .txt/.md files."),
    outlet_id: Optional[str] = typer.Option(None, "--outlet", help="Outlet of every document: a registry id or name; another name needs --camp."),
    camp: Optional[str] = typer.Option(None, help="Camp of the documents whose outlet is not in the registry (western, chinese_state, …)."),
    text_field: Optional[str] = typer.Option(None, help="Field holding the text (default: text)."),
    id_field: Optional[str] = typer.Option(None, help="Field holding a document id, naming documents without a URL (default: id)."),
    title_field: Optional[str] = typer.Option(None, help="Field holding the title (default: title)."),
    url_field: Optional[str] = typer.Option(None, help="Field holding the URL (default: url)."),
    date_field: Optional[str] = typer.Option(None, help="Field holding the date, YYYY[-MM[-DD]] (default: date)."),
    outlet_field: Optional[str] = typer.Option(None, help="Field holding the outlet id or name (default: outlet)."),
    camp_field: Optional[str] = typer.Option(None, help="Field holding the camp (default: camp)."),
    language_field: Optional[str] = typer.Option(None, help="Field holding the declared language (default: language; detection decides)."),
    max_chars: int = typer.Option(1_000_000, help="Archive but do not mine documents longer than this."),
    force: bool = typer.Option(False, help=FORCE_HELP),
):
    """Import a document collection (archived as WARC resource records) as articles the claims stage mines."""
    from crawlers import DocumentsStep, FieldMap
    from pipelines.kernel.registry import combined_registry

    if not source.exists():
        raise FrameCheckError(f"{source}: no such file or folder")
    if max_chars < 1:
        raise FrameCheckError(f"--max-chars: {max_chars} is not a positive number")
    fields = FieldMap.from_options(text=text_field, id=id_field, title=title_field, url=url_field, date=date_field,
                                   outlet=outlet_field, camp=camp_field, language=language_field)
    data = data_dir()
    run(DocumentsStep(data, source, fields, outlet=outlet_id, camp=camp, max_chars=max_chars,
                      registry=combined_registry(data)), force)


# --- extract / claims ------------------------------------------------------------------


@app.command()
def extract(workers: int = typer.Option(1, help="Worker processes for extraction."),
            force: bool = typer.Option(False, help=FORCE_HELP)):
    """Extract articles from the archive, score relevance, and mark syndicated duplicates."""
    from pipelines.extract import ExtractStep

    run(ExtractStep(data_dir(), workers), force)


CUT_HELP = "Drop candidates scoring below this (default: the cut chosen on the dev set, stored with the model)."


@claims_app.command("run")
def claims_run(min_score: Optional[float] = typer.Option(None, "--min-score", "--min-checkworthiness", help=CUT_HELP),
               top_k: int = typer.Option(5, help="Evidence candidates per claim."),
               force: bool = typer.Option(False, help=FORCE_HELP)):
    """Mine candidate claims from the canonical, relevant articles (and imported transcripts)."""
    from pipelines.claims import ClaimsStep

    run(ClaimsStep(data_dir(), min_score, top_k), force)


@claims_app.command("mine")
def claims_mine(files: list[Path] = typer.Argument(..., help="HTML, plain-text, transcript (.vtt/.srt) or comment (.jsonl/.json) files."),
                min_score: Optional[float] = typer.Option(None, "--min-score", "--min-checkworthiness", help=CUT_HELP)):
    """Mine any files and print one JSON object per candidate claim on standard output, with its
    score and the reasons for it."""
    from pipelines.claims import mine_files

    count = 0
    for candidate in mine_files(files, min_score, on_skip=lambda f, why: console.print(Text(f"skipped {f}: {why}")),
                                data_root=data_dir().root):
        sys.stdout.write(json.dumps(candidate, ensure_ascii=False) + "\n")
        count += 1
    console.print(f"{count} candidate claims from {len(files)} file(s)")


@claims_app.command("train")
def claims_train(shared: Optional[Path] = typer.Option(None, "--shared", help="The shared corpora's parent folder "
                                                        "(default: $FRAMECHECK_SHARED, else ../shared beside the repository)."),
                 package: bool = typer.Option(False, "--package", help="Write the packaged model (pipelines/claims/models/) "
                                              "instead of the data directory's."),
                 dev: Optional[list[Path]] = typer.Option(None, "--dev", help="Dev reference files (default: bench/devsets/claims_*_dev.jsonl)."),
                 train: Optional[list[Path]] = typer.Option(None, "--train", help="Train reference files (default: pipelines/claims/training/)."),
                 relevance: str = typer.Option("hash", help="Relevance features: hash | use."),
                 checkworthy: str = typer.Option("hash", help="Check-worthiness features: hash | use.")):
    """Fit the claim ranker from the shared corpora, the train references and the annotators'
    check-worthiness labels; choose its cut on the dev set; save it with its model card."""
    from pipelines.claims import PACKAGED_MODEL, cuts_text, data_model_path, shared_corpora, train_ranker

    for name, kind in (("--relevance", relevance), ("--checkworthy", checkworthy)):
        if kind not in ("hash", "use"):
            raise FrameCheckError(f"{name}: {kind!r} is neither 'hash' nor 'use'")
    out_path = PACKAGED_MODEL if package else data_model_path(data_dir().root)
    result = train_ranker(data_dir(), shared_corpora(shared), out_path, dev, train, (relevance, checkworthy),
                          progress=lambda message: console.print(Text(message)))
    card = result.card_data
    for language, metrics in sorted((card["metrics"]["dev"] or {}).items()):
        console.print(Text(f"dev {language}: R-precision {metrics['r_precision']}, recall@2x|gold| "
                           f"{metrics['recall_at_2x_gold']}, {metrics['candidates_per_100']} candidates per 100 sentences"))
    cuts = cuts_text(card.get("cuts") or {}, card["cut"])
    console.print(Text(f"cuts {cuts} ({card['cut_chosen_on']}); {card['annotations']} annotator labels"))
    console.print(Text(f"wrote {result.model} and {result.card}"))


# --- annotate --------------------------------------------------------------------------


@annotate_app.command("import")
def annotate_import(exports: list[Path] = typer.Argument(..., help="Label Studio JSON export file(s)."),
                    force: bool = typer.Option(False, help=FORCE_HELP)):
    """Normalize Label Studio JSON export file(s) into the annotations table (offline)."""
    from annotation import ImportAnnotationsStep

    run(ImportAnnotationsStep(data_dir(), exports), force)


ANNOTATORS_HELP = "Annotator projects (default: annotation/projects.yaml; 1 = one shared project named PROJECT)."


@annotate_app.command("push")
def annotate_push(project: str = typer.Option("FrameCheck SCS claims", help="Label Studio project title (the annotator projects are named after it)."),
                  limit: Optional[int] = typer.Option(None, help="Push at most this many new tasks per project."),
                  annotators: Optional[int] = typer.Option(None, help=ANNOTATORS_HELP),
                  overlap: Optional[float] = typer.Option(None, help="Share of claims every annotator labels (default: annotation/projects.yaml).")):
    """Create or update one Label Studio project per annotator and import claims as tasks (idempotent)."""
    from annotation import PushStep

    run(PushStep(data_dir(), project, limit, annotators, overlap))


@annotate_app.command("pull")
def annotate_pull(project: str = typer.Option("FrameCheck SCS claims", help="Label Studio project title (the annotator projects are named after it)."),
                  annotators: Optional[int] = typer.Option(None, help=ANNOTATORS_HELP),
                  page_size: int = typer.Option(500, help="Tasks per request; a killed pull resumes after its last completed page.")):
    """Export every annotator project (and the review project) a page at a time into append-only snapshots, then the annotations table."""
    from annotation import PullStep

    run(PullStep(data_dir(), project, annotators, page_size))


@annotate_app.command("agreement")
def annotate_agreement(as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
                       force: bool = typer.Option(False, help=FORCE_HELP)):
    """Inter-annotator agreement: Krippendorff's alpha per field, Cohen's kappa per pair, by language and camp."""
    from annotation import AgreementStep

    step = AgreementStep(data_dir())
    summary = run_step(step, force=force, progress=_progress)
    result = step.report()
    if as_json:
        out.print_json(json.dumps(result, ensure_ascii=False))
        return
    table = Table("scope", *[f"alpha {f}" for f in result["alpha"]], "claims 2+")
    rows = [("overall", result)] + [(f"{k[3:]}={v}", r) for k in ("by_language", "by_camp") for v, r in result.get(k, {}).items()]
    for scope, r in rows:
        table.add_row(scope, *["n/a" if a is None else f"{a:.3f}" for a in r["alpha"].values()], str(r["claims_with_overlap"]))
    out.print(table)
    for field, pairs in result["kappa"].items():
        for pair, k in pairs.items():
            console.print(f"kappa {field} {pair}: {k['kappa']:.3f} (n={k['n']})")
    console.print(f"{result['claims_with_overlap']} claim(s) labeled by two or more annotators (minimum {result.get('min_overlap_claims', '?')})")
    if result.get("warning"):
        console.print(Text(result["warning"], style="bold red"))
    report(summary)


@annotate_app.command("adjudicate")
def annotate_adjudicate(threshold: float = typer.Option(0.7, help="Dawid–Skene confidence below this goes to review."),
                        push_review: bool = typer.Option(False, help="Also push the review queue to Label Studio."),
                        project: str = typer.Option("FrameCheck SCS claims", help="Label Studio project title (the review project is '<PROJECT> — review')."),
                        force: bool = typer.Option(False, help=FORCE_HELP)):
    """Gold labels by majority vote and Dawid–Skene; write (and optionally push) the review queue."""
    from annotation import AdjudicateStep

    run(AdjudicateStep(data_dir(), threshold, push_review, project), force)


# --- release / baselines / report ------------------------------------------------------


@release_app.command("build")
def release_build(dataset: str = typer.Option("scs-framing", help="Dataset definition under datasets/."),
                  out_dir: Optional[Path] = typer.Option(None, "--out", help="Write the release here instead of datasets/<name>/releases/<version>/."),
                  previous: Optional[Path] = typer.Option(None, help="Release to diff the CHANGELOG against (default: the highest lower version beside --out)."),
                  force: bool = typer.Option(False, help=FORCE_HELP)):
    """Validate, train the baselines, and write a versioned release (Parquet per config and split,
    baselines, CHANGELOG.md, card, croissant.json, SHA256SUMS)."""
    from pipelines.release import BuildReleaseStep

    run(BuildReleaseStep(data_dir(), dataset, out_dir, previous), force)


@release_app.command("rehydrate")
def release_rehydrate(release: Path = typer.Argument(..., help="A built release folder."),
                      out_dir: Optional[Path] = typer.Option(None, "--out", help="Write here instead of <data-dir>/rehydrated/<release>/.")):
    """Restore withheld article text from the local WARC archive (body and text sha256 checked)."""
    from pipelines.release import RehydrateStep

    run(RehydrateStep(data_dir(), release, out_dir))


@release_app.command("push")
def release_push(release: Path = typer.Argument(..., help="A built release folder."),
                 repo_id: str = typer.Option(..., help="Hub dataset repository, e.g. org/scs-framing."),
                 dry_run: bool = typer.Option(False, help="Show what would be uploaded, upload nothing.")):
    """Upload a release to the Hugging Face Hub, tagged with its version (token from HF_TOKEN)."""
    from pipelines.release import PushReleaseStep

    run(PushReleaseStep(data_dir(), release, repo_id, dry_run))


@app.command()
def baselines(release: Optional[Path] = typer.Option(None, help="Release folder (default: the current version's)."),
              dataset: str = typer.Option("scs-framing", help="Dataset definition under datasets/."),
              force: bool = typer.Option(False, help=FORCE_HELP)):
    """Train and score the baselines on a release; models saved with skops."""
    from pipelines.baselines import BaselinesStep

    run(BaselinesStep(data_dir(), dataset, release), force)


@app.command("report")
def report_cmd(release: Optional[Path] = typer.Option(None, help="Release folder (default: the current version's)."),
               dataset: str = typer.Option("scs-framing", help="Dataset definition under datasets/."),
               force: bool = typer.Option(False, help=FORCE_HELP)):
    """Write an HTML report with plots of a release."""
    from pipelines.report import ReportStep

    run(ReportStep(data_dir(), dataset, release), force)


@app.command("ccnews")
def ccnews_cmd(warcs: list[str] = typer.Argument(..., help="WARC files or glob patterns (local, or s3://… and other fsspec URLs)."),
               tasks: int = typer.Option(1, "--tasks", help="datatrove tasks: the WARC files are split among them; one shard each."),
               workers: int = typer.Option(1, "--workers", help="Tasks run at once (local executor: processes)."),
               executor: str = typer.Option("local", "--executor", help="local | slurm | ray."),
               out_dir: str = typer.Option(..., "--out", help="Output folder (shards in articles/, datatrove logs and completions in logs/)."),
               slurm_partition: str = typer.Option("", "--slurm-partition", help="Slurm partition (with --executor slurm)."),
               slurm_time: str = typer.Option("04:00:00", "--slurm-time", help="Slurm time limit per task.")):
    """CC-NEWS (or any WARCs) at cluster scale on datatrove: registry and topic prefilter, the extract
    stage's extraction, one Article Parquet shard per task; rerun to resume (finished tasks are skipped)."""
    from pipelines.ccnews import run_ccnews
    from pipelines.kernel.registry import combined_registry
    from pipelines.kernel.topic import load_topic

    result = run_ccnews(warcs, out_dir, combined_registry(data_dir()), load_topic(), tasks, workers, executor,
                        slurm={"partition": slurm_partition, "time": slurm_time})
    if executor == "slurm":
        out.print(f"ccnews: {tasks} task(s) submitted to Slurm; shards under {out_dir}/articles, logs under {out_dir}/logs")
        return
    for name, stats in result.stats.items():
        # datatrove's stats: counts, or {"total": …, "mean": …} for measured ones such as doc_len
        counts = {key: value["total"] if isinstance(value, dict) else value for key, value in sorted(stats.items())}
        out.print(f"{name}: " + ", ".join(f"{key}={value:g}" for key, value in counts.items()), highlight=False, soft_wrap=True)
    out.print(f"ccnews: {len(result.shards)} shard(s) in {out_dir}/articles; {result.skipped_completed} task(s) already "
              f"complete, skipped; {len(result.failed)} failed", highlight=False, soft_wrap=True)
    for rank, reason in sorted(result.failed.items()):
        console.print(Text.assemble(("error:", "bold red"), f" task {rank}: {reason}"), highlight=False, soft_wrap=True)
    if result.failed:
        raise typer.Exit(1)


def _error_line(message: str) -> None:
    console.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True)
    sys.exit(1)


def main() -> None:
    try:
        app()
    except FrameCheckError as exc:
        _error_line(str(exc))
    except OSError as exc:  # the disk or the system said no (a full disk, a read-only folder): not a bug to trace
        _error_line(f"{exc.filename}: {exc.strerror or exc}" if exc.filename else f"{type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        console.print(Text.assemble(("interrupted", "bold red"),
                                    ": outputs of the unfinished stage were not written; rerun to resume"))
        sys.exit(130)


if __name__ == "__main__":
    main()
