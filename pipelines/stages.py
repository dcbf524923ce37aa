"""The I/O edges of the release, publishing and baseline stages (their pure cores live in
release.py, card.py and baselines.py)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pipelines.io import DataDir, FrameCheckError, SkipLog, StageSummary, fingerprint, is_unchanged, mark_done, read_records, write_text_atomic
from pipelines.records import Annotation, Article, Claim


def _redistribution_flags() -> dict[str, bool]:
    from pipelines.cli import combined_registry

    return {o.id: o.redistribute for o in combined_registry()}


def claims_frames(rows_by_split: dict[str, list[dict]], names: dict[str, list[str]]) -> dict:
    """Release rows (label columns as indices) → pandas frames per split, labels as names."""
    import pandas as pd

    frames = {}
    for split, rows in rows_by_split.items():
        if not rows:
            continue
        frame = pd.DataFrame(rows)
        for column in ("checkworthy", "verdict", "distortion"):
            labels = names[column]
            frame[column] = frame[column].map(lambda i, labels=labels: labels[i] if i is not None and i >= 0 else None)
        frames[split] = frame
    return frames


def write_baseline_files(target: Path, results: dict) -> dict[str, str]:
    """`baselines.json` and one confusion-matrix PNG per task in target (each atomically);
    returns task → PNG file name."""
    from pipelines.baselines import confusion_png
    from pipelines.io import atomic_path

    target.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target / "baselines.json", json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    plots = {}
    for task, task_result in results["tasks"].items():
        png = confusion_png(task, task_result)
        if png is not None:
            with atomic_path(target / f"confusion-{task}.png") as tmp:
                tmp.write_bytes(png)
            plots[task] = f"confusion-{task}.png"
    return plots


def build_release(data: DataDir, dataset: str, out: Path | None, previous: Path | None = None) -> StageSummary:
    """Validate, train the baselines, and write the release (Parquet, baselines, CHANGELOG,
    card, croissant.json, SHA256SUMS). Models go to data/baselines/<release>/models, outside
    the release: skops files are not byte-reproducible."""
    from annotation.agreement import agreement_report
    from annotation.facts import FACTS_FILE, load_facts
    from annotation.labels import gold_labels
    from annotation.schema import SCHEMA_FILE, load_schema
    from crawlers.registry import DEMO_REGISTRY, LIVE_REGISTRY
    from pipelines.baselines import release_baselines, save_models
    from pipelines.card import card_body
    from pipelines.changelog import dataset_changelog_path, find_previous
    from pipelines.io import atomic_path
    from pipelines.release import build_tables, load_definition, write_release

    definition = load_definition(dataset)
    target = (out or definition.default_out).resolve()
    prior = previous or find_previous(target, definition.version)
    inputs = [data.table("articles"), data.table("claims"), data.table("annotations"), definition.path, SCHEMA_FILE,
              FACTS_FILE, DEMO_REGISTRY, LIVE_REGISTRY] + ([prior / "SHA256SUMS"] if prior else [])
    print_ = fingerprint(inputs, {"out": str(target), "previous": str(prior)})
    stage_key = "release-" + hashlib.sha256(str(target).encode()).hexdigest()[:16]
    if is_unchanged(data, stage_key, print_, [target / "SHA256SUMS", data.baselines_dir / target.name / "baselines.json"]):
        return StageSummary("release", unchanged=True, outputs=[str(target)],
                            notes=[f"v{definition.version}: inputs unchanged since this release was built; nothing rewritten"])
    schema = load_schema()
    articles = read_records(data.table("articles"), Article)
    claims = read_records(data.table("claims"), Claim)
    annotations = read_records(data.table("annotations"), Annotation)
    gold = gold_labels(annotations)
    tables = build_tables(definition, schema, articles, claims, gold, load_facts(), _redistribution_flags())
    released = {row["claim_id"]: row for rows in tables.rows["claims"].values() for row in rows}
    agreement = agreement_report([a for a in annotations if a.claim_id in released],
                                 {cid: {"language": r["language"], "camp": r["camp"]} for cid, r in released.items()})
    models: dict = {}
    names = {k: schema.class_names(k) for k in ("checkworthy", "verdict", "distortion", "frames")}

    def extras(tmp: Path, split_info: dict) -> dict:
        results = {"dataset": definition.name, "version": definition.version,
                   **release_baselines(claims_frames(tables.rows["claims"], names), names, keep_models=models)}
        plots = write_baseline_files(tmp / "baselines", results)
        return {"baselines": results, "baseline_plots": {task: f"baselines/{name}" for task, name in plots.items()}}

    folder, written = write_release(
        tables, definition, schema, target,
        lambda split_info, context: card_body(definition, schema, tables, agreement, split_info, context),
        extras=extras, previous=prior,
    )
    summary = StageSummary("release", records_in=len(claims), unchanged=not written)
    summary.records_out = sum(len(rows) for rows in tables.rows["claims"].values())
    summary.skip("claim_not_annotated", sum(1 for c in claims if c.claim_id not in gold))
    summary.outputs += [str(folder), str(folder / "croissant.json"), str(folder / "CHANGELOG.md")]
    dataset_log = dataset_changelog_path(folder)
    if dataset_log is not None:
        summary.outputs.append(str(dataset_log))

    # the baselines stage's outputs, kept outside the release (keyed like `framecheck baselines`)
    out_dir = data.baselines_dir / folder.name
    model_dir = out_dir / "models"
    if written or not all((model_dir / f"{name}.skops").exists() for name in models):
        save_models(model_dir, models)
    for item in sorted((folder / "baselines").iterdir()):
        with atomic_path(out_dir / item.name) as tmp_copy:
            tmp_copy.write_bytes(item.read_bytes())
    mark_done(data, f"baselines-{folder.name}", fingerprint([folder / "SHA256SUMS"]))
    mark_done(data, stage_key, print_)
    summary.outputs += [str(out_dir / "baselines.json"), str(model_dir)]

    counts = ", ".join(f"{split}={len(rows)}" for split, rows in tables.rows["claims"].items())
    summary.notes.append(f"v{definition.version} claims by split: {counts}")
    for task, res in json.loads((folder / "baselines" / "baselines.json").read_text(encoding="utf-8"))["tasks"].items():
        logreg = res["results"].get("logreg", {}).get("test", {})
        if "macro_f1" in logreg:
            summary.notes.append(f"{task}: logreg test macro-F1 {logreg['macro_f1']:.3f} (n={logreg['n']})")
    if not written:
        summary.notes.append("an identical release of this version already exists; nothing rewritten")
    return summary


def push_release(release: Path, repo_id: str, dry_run: bool) -> StageSummary:
    """Upload a release folder to the Hub as a dataset repo and tag the commit with its version.

    The token comes from HF_TOKEN only; --dry-run needs neither a token nor the network."""
    import yaml

    from pipelines.changelog import release_version

    if not (release / "README.md").exists() or not (release / "SHA256SUMS").exists():
        raise FrameCheckError(f"{release}: not a release folder (README.md and SHA256SUMS expected)")
    version = release_version(release)
    if version is None:
        raise FrameCheckError(f"{release}: no version found (croissant.json missing and the folder is not named like 1.2.3)")
    _verify_sums(release)
    files = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())
    summary = StageSummary("release push", records_in=len(files))
    try:
        yaml.safe_load(release.joinpath("README.md").read_text(encoding="utf-8").split("---")[1])  # the card must parse
    except (yaml.YAMLError, IndexError) as exc:
        raise FrameCheckError(f"{release / 'README.md'}: the card's YAML front matter does not parse ({exc})") from None
    tag = f"v{version}"
    if dry_run:
        size = sum((release / f).stat().st_size for f in files)
        summary.notes += [f"would upload {f}" for f in files]
        summary.notes.append(f"would create dataset repo {repo_id} if missing, upload {len(files)} files ({size} bytes) and tag {tag}")
        return summary
    token = os.environ.get("HF_TOKEN")
    if not token:
        raise FrameCheckError("HF_TOKEN is not set: the Hub token is read from the environment only (use --dry-run to see what would go)")
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
    commit = api.upload_folder(folder_path=str(release), repo_id=repo_id, repo_type="dataset",
                               commit_message=f"Release {tag}")
    api.create_tag(repo_id, tag=tag, repo_type="dataset", revision=commit.oid)
    summary.records_out = len(files)
    summary.outputs.append(f"https://huggingface.co/datasets/{repo_id} (tag {tag})")
    return summary


def _verify_sums(release: Path) -> None:
    """Every file listed in SHA256SUMS is present with its hash, and nothing else is there."""
    import hashlib

    listed = {}
    for line in (release / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    present = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    bad = sorted(n for n in listed if n not in present or hashlib.sha256((release / n).read_bytes()).hexdigest() != listed[n])
    extra = sorted(present - set(listed))
    if bad or extra:
        raise FrameCheckError(f"{release}: files do not match SHA256SUMS (changed or missing: {', '.join(bad) or 'none'}; "
                              f"not listed: {', '.join(extra) or 'none'})")


def rehydrate_release(data: DataDir, release: Path, out: Path | None = None) -> StageSummary:
    """Restore the article text a release withholds, from the local WARC archive.

    For each article without text: read the response record at (warc_file, warc_offset),
    check its body against body_sha256, extract the text with the pipeline's own extractor
    and check it against text_sha256. Writes articles Parquet files (same schema, text
    filled) under out (default data/rehydrated/<release>/articles/); the release itself is
    never touched."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from crawlers.archive import read_response, sha256_hex
    from pipelines.cli import combined_registry
    from pipelines.extract import Skip, extract_page
    from pipelines.io import atomic_path
    from pipelines.records import FetchRecord
    from pipelines.relevance import load_topic

    source = release / "data" / "articles"
    files = sorted(source.glob("*.parquet"))
    if not files:
        raise FrameCheckError(f"{source}: no articles Parquet files (is {release} a release folder?)")
    target = out or data.root / "rehydrated" / release.name
    registry, topic = combined_registry(), load_topic()
    summary = StageSummary("release rehydrate")
    log = SkipLog(data, "rehydrate")
    restored = 0
    for file in files:
        table = pq.read_table(file)
        rows = table.to_pylist()
        for row in rows:
            summary.records_in += 1
            if row["text"] is not None:
                summary.skip("text_already_in_release")
                continue
            reason = None
            try:
                response = read_response(data.warc_dir / row["warc_file"], row["warc_offset"])
            except FrameCheckError:
                reason = "warc_record_missing"
            except Exception as exc:  # a truncated or damaged record
                reason = f"warc_record_unreadable:{type(exc).__name__}"
            if reason is None and sha256_hex(response.body) != row["body_sha256"]:
                reason = "body_sha256_mismatch"
            if reason is None:
                fetch = FetchRecord(url=row["url"], final_url=row["url"], status=200, fetched_at="", sha256=row["body_sha256"],
                                    outlet_id=row["outlet"], camp=row["camp"], kind="article", content_type="",
                                    warc_file=row["warc_file"], warc_offset=row["warc_offset"], skip_reason=None, run_id="")
                result = extract_page(response, fetch, registry, topic)
                if isinstance(result, Skip):
                    reason = f"extract:{result.reason}"
                elif result.text_sha256 != row["text_sha256"]:
                    reason = "text_sha256_mismatch"
                else:
                    row["text"] = result.text
                    restored += 1
            if reason is not None:
                summary.skip(reason)
                log.write(reason, article_id=row["article_id"], warc_file=row["warc_file"], warc_offset=row["warc_offset"])
        with atomic_path(target / "articles" / file.name) as tmp:
            pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), tmp, compression="zstd")
        summary.outputs.append(str(target / "articles" / file.name))
    log.close()
    summary.records_out = restored
    summary.notes.append(f"restored the text of {restored} articles; load with "
                         f"load_dataset('parquet', data_files={{'train': '{target}/articles/train.parquet', ...}})")
    return summary


def _release_folder(dataset: str, release: Path | None) -> Path:
    from pipelines.release import load_definition

    folder = release or load_definition(dataset).default_out
    if not (folder / "SHA256SUMS").exists():
        raise FrameCheckError(f"{folder}: no release here (run `framecheck release build` first)")
    return folder


def load_release_frames(folder: Path) -> dict:
    """The claims config of a release as pandas frames per split, labels as names."""
    import pandas as pd
    import yaml

    card = yaml.safe_load((folder / "README.md").read_text(encoding="utf-8").split("---")[1])
    info = next(c for c in card["dataset_info"] if c["config_name"] == "claims")
    names, scalar = {}, set()
    for f in info["features"]:
        spec = f.get("dtype") if isinstance(f.get("dtype"), dict) else f.get("list") if isinstance(f.get("list"), dict) else None
        if spec and "class_label" in spec:
            labels = spec["class_label"]["names"]
            names[f["name"]] = [labels[k] for k in sorted(labels, key=int)]
            if "dtype" in f:
                scalar.add(f["name"])
    frames = {}
    for split_file in sorted((folder / "data" / "claims").glob("*.parquet")):
        frame = pd.read_parquet(split_file)
        for column in scalar:
            labels = names[column]
            frame[column] = frame[column].map(lambda i, labels=labels: labels[i] if i is not None and i >= 0 else None)
        frames[split_file.stem] = frame
    return {"frames": frames, "names": names}


def run_baselines(data: DataDir, dataset: str, release: Path | None) -> StageSummary:
    """Train and score the baselines on a built release: baselines.json, confusion plots and
    skops models under data/baselines/<release>/ (`framecheck release build` does this too)."""
    from pipelines.baselines import release_baselines, save_models
    from pipelines.changelog import release_version

    folder = _release_folder(dataset, release)
    out_dir = data.baselines_dir / folder.name
    target = out_dir / "baselines.json"
    print_ = fingerprint([folder / "SHA256SUMS"])
    if is_unchanged(data, f"baselines-{folder.name}", print_, [target]):
        return StageSummary("baselines", unchanged=True, outputs=[str(target)])
    loaded = load_release_frames(folder)
    frames, names = loaded["frames"], loaded["names"]
    summary = StageSummary("baselines", records_in=sum(len(f) for f in frames.values()))
    if "train" not in frames:
        raise FrameCheckError(f"{folder}: the release has no train split to fit baselines on")
    models: dict = {}
    results = {"dataset": dataset, "version": release_version(folder) or folder.name,
               **release_baselines(frames, names, keep_models=models)}
    plots = write_baseline_files(out_dir, results)
    save_models(out_dir / "models", models)
    summary.records_out = len(results["tasks"])
    summary.outputs += [str(target)] + [str(out_dir / name) for name in plots.values()] + [str(out_dir / "models")]
    for task, res in results["tasks"].items():
        logreg = res["results"].get("logreg", {}).get("test", {})
        if "macro_f1" in logreg:
            summary.notes.append(f"{task}: logreg test macro-F1 {logreg['macro_f1']:.3f} (n={logreg['n']})")
    mark_done(data, f"baselines-{folder.name}", print_)
    return summary
