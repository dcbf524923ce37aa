"""`framecheck`: one CLI whose subcommands are the pipeline's stages.

Each stage reads and writes the data directory (--data-dir, default data/), shows
progress on long work, and ends with a summary of records in, out and skipped by reason.
A stage whose inputs are unchanged since its last run says so and does nothing."""

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

from pipelines import __version__
from pipelines.kernel.io import (
    DataDir,
    FrameCheckError,
    StageSummary,
    fingerprint,
    is_unchanged,
    mark_done,
    read_records,
    write_records,
)
from pipelines.kernel.registry import combined_registry

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


def report(summary: StageSummary) -> None:
    """The closing one-screen summary of a stage."""
    table = Table(title=f"{summary.stage}: {'unchanged inputs — nothing to do' if summary.unchanged else 'done'}",
                  show_header=False, title_justify="left")
    table.add_row("records in", str(summary.records_in))
    table.add_row("records out", str(summary.records_out))
    for reason, n in sorted(summary.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(f"skipped: {reason}", str(n))
    for path in summary.outputs:
        table.add_row("wrote" if not summary.unchanged else "kept", path)
    for note in summary.notes:
        table.add_row("note", note)
    console.print(table)


def _parse_date(value: Optional[str], name: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FrameCheckError(f"--{name}: {value!r} is not a date (YYYY-MM-DD)") from None


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
    from pipelines.kernel.facts import load_facts
    from pipelines.kernel.records import to_row

    items = load_facts()
    if as_json:
        rows = []
        for f in items:
            row = to_row(f)
            row["id"] = row.pop("fact_id")
            rows.append(row)
        out.print_json(json.dumps(rows, ensure_ascii=False))
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
):
    """Crawl outlets into the WARC archive and a crawl manifest (or replay WARC files with --from-warc)."""
    import yaml

    from crawlers import run_crawl
    from demo.server import DEMO_SITE, SiteServer
    from pipelines.kernel.registry import (
        DEMO_REGISTRY,
        LIVE_REGISTRY,
        load_registry,
        remember_registry,
    )
    from pipelines.kernel.topic import TOPIC_FILE

    if source not in ("demo", "live"):
        raise FrameCheckError(f"--source: {source!r} is neither 'demo' nor 'live'")
    data = data_dir()
    warcs = list(from_warc or []) + list(paths or [])
    if paths and not from_warc:
        raise FrameCheckError(f"{paths[0]}: unexpected argument (WARC files to replay go after --from-warc)")
    if warcs:
        from crawlers import run_replay
        from pipelines.kernel.topic import load_topic

        registry = load_registry(registry_file) if registry_file else combined_registry(data_dir())
        if registry_file:
            remember_registry(data, registry_file)
        chosen = registry.select(outlet or None, camp)
        if not chosen:
            raise FrameCheckError(f"{registry.path}: no outlet matches --outlets/--camp")
        report(run_replay(data, warcs, chosen, load_topic()))
        return
    overrides = {}
    for item in setting or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise FrameCheckError(f"--setting: {item!r} is not KEY=VALUE")
        try:
            overrides[key.strip()] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            overrides[key.strip()] = value
    if proxy:
        overrides["DEMO_PROXY"] = proxy
    since_date, until_date = _parse_date(since, "since"), _parse_date(until, "until")
    registry_path = registry_file or (DEMO_REGISTRY if source == "demo" else LIVE_REGISTRY)
    registry = load_registry(registry_path)
    chosen = registry.select(outlet or None, camp)
    if not chosen:
        raise FrameCheckError(f"{registry_path}: no outlet matches --outlets/--camp")
    if registry_file:
        remember_registry(data, registry_file)
    root = site_root or (DEMO_SITE if source == "demo" and not proxy else None)
    if root is not None and not root.is_dir():
        raise FrameCheckError(f"--site-root: {root} is not a folder")
    params = {"source": source, "outlets": sorted(o.id for o in chosen), "since": since, "until": until, "max": max_pages,
              "settings": overrides}
    print_ = fingerprint([p for p in (root, registry_path, TOPIC_FILE) if p], params)
    manifests = sorted(data.manifest_dir.glob("*.parquet"))
    unfinished = (data.state / "crawl-current-run").exists()
    if (source == "demo" and not force and not unfinished and manifests
            and is_unchanged(data, "crawl", print_, manifests[-1:])):
        report(StageSummary("crawl", unchanged=True, outputs=[str(data.manifest_dir)]))
        return
    with SiteServer(root) if root else nullcontext() as server:
        summary = run_crawl(data, chosen, local_site=server.proxy_url if server else None, since=since_date,
                            until=until_date, max_pages=max_pages, overrides=overrides, http_cache=http_cache)
    if (data.state / "crawl-current-run").exists():  # stopped (Ctrl-C) before the end: resumable
        report(summary)
        raise typer.Exit(130)
    if source == "demo":
        mark_done(data, "crawl", print_)
    report(summary)


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
    from crawlers import import_transcript as run_import

    if camp is not None:
        from pipelines.kernel.registry import CAMPS

        if camp not in CAMPS:
            raise FrameCheckError(f"--camp: {camp!r} is not one of {', '.join(CAMPS)}")
    data = data_dir()
    files = [p for p in (transcript, comments, info) if p is not None]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FrameCheckError(f"{missing[0]}: no such file")
    params = {"channel": channel, "outlet": outlet_id, "camp": camp, "url": url, "date": published, "title": title,
              "files": [str(p) for p in files]}
    print_ = fingerprint(files, params)
    if is_unchanged(data, "import-transcript", print_, [data.table("transcripts")]):
        report(StageSummary("import-transcript", unchanged=True, outputs=[str(data.table("transcripts"))]))
        return
    report(run_import(data, transcript, comments, info, channel=channel, outlet_id=outlet_id, camp=camp, url=url,
                      published=published, title=title, registry=combined_registry(data_dir()) if outlet_id else None))
    mark_done(data, "import-transcript", print_)


# --- extract ---------------------------------------------------------------------------


@app.command()
def extract(workers: int = typer.Option(1, help="Worker processes for extraction."),
            force: bool = typer.Option(False, help="Run even when inputs are unchanged.")):
    """Extract articles from the archive, score relevance, and mark syndicated duplicates."""
    from pipelines.extract import manifest_table, run_extract
    from pipelines.kernel.registry import (
        DEMO_REGISTRY,
        LIVE_REGISTRY,
        data_dir_registries,
    )
    from pipelines.kernel.topic import TOPIC_FILE, load_topic

    data = data_dir()
    target = data.table("articles")
    manifest = manifest_table(data)  # no manifest: a one-line error before anything is written
    print_ = fingerprint(sorted(data.manifest_dir.glob("*.parquet")) + [TOPIC_FILE, DEMO_REGISTRY, LIVE_REGISTRY]
                         + data_dir_registries(data))
    if not force and is_unchanged(data, "extract", print_, [target]):
        report(StageSummary("extract", unchanged=True, outputs=[str(target)]))
        return
    summary = StageSummary("extract")
    progress = lambda results, total: track(results, total=total, description="extract", console=console, transient=True)  # noqa: E731
    run_extract(data, combined_registry(data_dir()), load_topic(), summary, workers, progress, manifest=manifest)
    summary.outputs.append(str(target))
    mark_done(data, "extract", print_)
    report(summary)


# --- claims ----------------------------------------------------------------------------


@claims_app.command("run")
def claims_run(min_checkworthiness: float = typer.Option(0.2, help="Drop candidates scoring below this."),
               top_k: int = typer.Option(5, help="Evidence candidates per claim."),
               force: bool = typer.Option(False, help="Run even when inputs are unchanged.")):
    """Mine candidate claims from the canonical, relevant articles."""
    from pipelines.claims import (
        CUES_FILE,
        EvidenceRetriever,
        load_cues,
        run_claims,
    )
    from pipelines.kernel.facts import FACTS_FILE, load_facts
    from pipelines.kernel.topic import TOPIC_FILE, load_topic

    data = data_dir()
    source, target = data.table("articles"), data.table("claims")
    # imported video transcripts and their comments are mined like articles
    transcripts = data.table("transcripts")
    sources = [source] + ([transcripts] if transcripts.exists() else [])
    print_ = fingerprint(sources + [CUES_FILE, FACTS_FILE, TOPIC_FILE], {"min": min_checkworthiness, "k": top_k})
    if not force and is_unchanged(data, "claims", print_, [target]):
        report(StageSummary("claims", unchanged=True, outputs=[str(target)]))
        return
    summary = StageSummary("claims")
    progress = lambda items, total: track(items, total=total, description="claims", console=console, transient=True)  # noqa: E731
    run_claims(sources, target, load_topic(), load_cues(), EvidenceRetriever(load_facts()), summary,
               min_checkworthiness, top_k, progress)
    summary.outputs.append(str(target))
    mark_done(data, "claims", print_)
    report(summary)


@claims_app.command("mine")
def claims_mine(files: list[Path] = typer.Argument(..., help="HTML, plain-text, transcript (.vtt/.srt) or comment (.jsonl/.json) files."),
                min_checkworthiness: float = typer.Option(0.2, help="Drop candidates scoring below this.")):
    """Mine any files and print one JSON object per candidate claim on standard output."""
    from pipelines.claims import mine_files

    count = 0
    for candidate in mine_files(files, min_checkworthiness, on_skip=lambda f, why: console.print(f"[yellow]skipped[/] {f}: {why}")):
        sys.stdout.write(json.dumps(candidate, ensure_ascii=False) + "\n")
        count += 1
    console.print(f"{count} candidate claims from {len(files)} file(s)")


# --- annotate --------------------------------------------------------------------------


@annotate_app.command("import")
def annotate_import(exports: list[Path] = typer.Argument(..., help="Label Studio JSON export file(s)."),
                    force: bool = typer.Option(False, help="Run even when inputs are unchanged.")):
    """Normalize Label Studio JSON export file(s) into the annotations table (offline)."""
    from annotation import parse_export
    from pipelines.kernel.label_schema import SCHEMA_FILE
    from pipelines.kernel.records import Annotation, Claim

    data = data_dir()
    target = data.table("annotations")
    parsed = [(export, parse_export(export)) for export in exports]  # a bad export fails before anything else
    print_ = fingerprint(list(exports) + [data.table("claims"), SCHEMA_FILE])  # the schema decides the fields kept
    if not force and is_unchanged(data, "annotate", print_, [target]):
        report(StageSummary("annotate", unchanged=True, outputs=[str(target)]))
        return
    claims = {c.claim_id for c in read_records(data.table("claims"), Claim)}
    summary = StageSummary("annotate")
    kept = []
    for _export, export_annotations in parsed:
        for ann in export_annotations:
            summary.records_in += 1
            if ann.claim_id not in claims:
                summary.skip("claim_not_in_claims_table")
                continue
            kept.append(ann)
    summary.records_out = write_records(target, kept, Annotation)
    summary.outputs.append(str(target))
    summary.notes.append(f"{len({a.annotator for a in kept})} annotators, {len({a.claim_id for a in kept})} claims labeled")
    mark_done(data, "annotate", print_)
    report(summary)


@annotate_app.command("push")
def annotate_push(project: str = typer.Option("FrameCheck SCS claims", help="Label Studio project title."),
                  limit: Optional[int] = typer.Option(None, help="Push at most this many new tasks.")):
    """Create or update the Label Studio project and import claims as tasks (idempotent)."""
    from annotation import push

    report(push(data_dir(), project, limit))


@annotate_app.command("pull")
def annotate_pull(project: str = typer.Option("FrameCheck SCS claims", help="Label Studio project title.")):
    """Export annotations into an append-only snapshot store, then the annotations table."""
    from annotation import pull

    report(pull(data_dir(), project))


@annotate_app.command("agreement")
def annotate_agreement(as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON.")):
    """Inter-annotator agreement: Krippendorff's alpha per field, Cohen's kappa per pair, by language and camp."""
    from annotation import agreement_report
    from pipelines.kernel.io import write_text_atomic
    from pipelines.kernel.records import Annotation, Claim

    data = data_dir()
    annotations = read_records(data.table("annotations"), Annotation)
    meta = {c.claim_id: {"language": c.language, "camp": c.camp} for c in read_records(data.table("claims"), Claim)}
    result = agreement_report(annotations, meta)
    target = data.reports_dir / "agreement.json"
    write_text_atomic(target, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
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
    console.print(f"wrote {target}")


@annotate_app.command("adjudicate")
def annotate_adjudicate(threshold: float = typer.Option(0.7, help="Dawid–Skene confidence below this goes to review."),
                        push_review: bool = typer.Option(False, help="Also push the review queue to Label Studio.")):
    """Gold labels by majority vote and Dawid–Skene; write (and optionally push) the review queue."""
    from annotation import adjudicate
    from pipelines.kernel.io import write_text_atomic
    from pipelines.kernel.records import Annotation

    data = data_dir()
    annotations = read_records(data.table("annotations"), Annotation)
    gold, queue = adjudicate(annotations, threshold)
    summary = StageSummary("adjudicate", records_in=len(annotations), records_out=len(gold))
    target = data.root / "annotations" / "review_queue.jsonl"
    lines = [json.dumps({"claim_id": q.claim_id, "reasons": list(q.reasons), "majority": q.majority,
                         "dawid_skene": q.dawid_skene}, ensure_ascii=False) for q in queue]
    write_text_atomic(target, "".join(line + "\n" for line in lines))
    for q in queue:
        for reason in q.reasons:
            summary.skip(f"review:{reason}")
    summary.outputs.append(str(target))
    summary.notes.append(f"{len(queue)} of {len(gold)} claims need review")
    if push_review:
        from annotation import push_review_queue

        summary.notes.append(push_review_queue(data, [q.claim_id for q in queue]))
    report(summary)


# --- release ---------------------------------------------------------------------------


@release_app.command("build")
def release_build(dataset: str = typer.Option("scs-framing", help="Dataset definition under datasets/."),
                  out_dir: Optional[Path] = typer.Option(None, "--out", help="Write the release here instead of datasets/<name>/releases/<version>/."),
                  previous: Optional[Path] = typer.Option(None, help="Release to diff the CHANGELOG against (default: the highest lower version beside --out).")):
    """Validate, train the baselines, and write a versioned release (Parquet per config and split,
    baselines, CHANGELOG.md, card, croissant.json, SHA256SUMS)."""
    from pipelines.release import build_release

    report(build_release(data_dir(), dataset, out_dir, previous))


@release_app.command("rehydrate")
def release_rehydrate(release: Path = typer.Argument(..., help="A built release folder."),
                      out_dir: Optional[Path] = typer.Option(None, "--out", help="Write here instead of <data-dir>/rehydrated/<release>/.")):
    """Restore withheld article text from the local WARC archive (body and text sha256 checked)."""
    from pipelines.release import rehydrate_release

    report(rehydrate_release(data_dir(), release, out_dir))


@release_app.command("push")
def release_push(release: Path = typer.Argument(..., help="A built release folder."),
                 repo_id: str = typer.Option(..., help="Hub dataset repository, e.g. org/scs-framing."),
                 dry_run: bool = typer.Option(False, help="Show what would be uploaded, upload nothing.")):
    """Upload a release to the Hugging Face Hub, tagged with its version (token from HF_TOKEN)."""
    from pipelines.release import push_release

    report(push_release(release, repo_id, dry_run))


# --- baselines / report ----------------------------------------------------------------


@app.command()
def baselines(release: Optional[Path] = typer.Option(None, help="Release folder (default: the current version's)."),
              dataset: str = typer.Option("scs-framing", help="Dataset definition under datasets/.")):
    """Train and score the baselines on a release; models saved with skops."""
    from pipelines.baselines import run_baselines

    report(run_baselines(data_dir(), dataset, release))


@app.command("report")
def report_cmd(release: Optional[Path] = typer.Option(None, help="Release folder (default: the current version's)."),
               dataset: str = typer.Option("scs-framing", help="Dataset definition under datasets/.")):
    """Write an HTML report with plots of a release."""
    from pipelines.report import write_report

    report(write_report(data_dir(), dataset, release))


def main() -> None:
    try:
        app()
    except FrameCheckError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("[bold red]interrupted[/]: outputs of the unfinished stage were not written; rerun to resume")
        sys.exit(130)


if __name__ == "__main__":
    main()
