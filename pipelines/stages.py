"""The I/O edges of the release, publishing and baseline stages (their pure cores live in
release.py, card.py and baselines.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipelines.io import DataDir, FrameCheckError, StageSummary, fingerprint, is_unchanged, mark_done, read_records, write_text_atomic
from pipelines.records import Annotation, Article, Claim


def _redistribution_flags() -> dict[str, bool]:
    from pipelines.cli import combined_registry

    return {o.id: o.redistribute for o in combined_registry()}


def build_release(data: DataDir, dataset: str, out: Path | None) -> StageSummary:
    from annotation.agreement import agreement_report
    from annotation.facts import load_facts
    from annotation.labels import gold_labels
    from annotation.schema import load_schema
    from pipelines.card import card_body
    from pipelines.release import build_tables, load_definition, write_release

    definition = load_definition(dataset)
    schema = load_schema()
    articles = read_records(data.table("articles"), Article)
    claims = read_records(data.table("claims"), Claim)
    annotations = read_records(data.table("annotations"), Annotation)
    gold = gold_labels(annotations)
    tables = build_tables(definition, schema, articles, claims, gold, load_facts(), _redistribution_flags())
    agreement = agreement_report(annotations)
    target = out or definition.default_out
    folder, written = write_release(tables, definition, schema, target,
                                    lambda split_info: card_body(definition, schema, tables, agreement, split_info))
    summary = StageSummary("release", records_in=len(claims), unchanged=not written)
    summary.records_out = sum(len(rows) for rows in tables.rows["claims"].values())
    summary.skip("claim_not_annotated", sum(1 for c in claims if c.claim_id not in gold))
    summary.outputs.append(str(folder))
    counts = ", ".join(f"{split}={len(rows)}" for split, rows in tables.rows["claims"].items())
    summary.notes.append(f"v{definition.version} claims by split: {counts}")
    if not written:
        summary.notes.append("an identical release of this version already exists; nothing rewritten")
    return summary


def push_release(release: Path, repo_id: str, dry_run: bool) -> StageSummary:
    """Upload a release folder to the Hub as a dataset repo and tag the commit with its version."""
    import yaml

    if not (release / "README.md").exists() or not (release / "SHA256SUMS").exists():
        raise FrameCheckError(f"{release}: not a release folder (README.md and SHA256SUMS expected)")
    version = release.name
    files = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())
    summary = StageSummary("release push", records_in=len(files))
    yaml.safe_load(release.joinpath("README.md").read_text(encoding="utf-8").split("---")[1])  # the card must parse
    if dry_run:
        summary.notes += [f"would upload {f}" for f in files] + [f"would tag v{version} on {repo_id}"]
        return summary
    token = os.environ.get("HF_TOKEN")
    if not token:
        raise FrameCheckError("HF_TOKEN is not set: the Hub token is read from the environment only")
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
    commit = api.upload_folder(folder_path=str(release), repo_id=repo_id, repo_type="dataset",
                               commit_message=f"Release v{version}")
    api.create_tag(repo_id, tag=f"v{version}", repo_type="dataset", revision=commit.oid)
    summary.records_out = len(files)
    summary.outputs.append(f"https://huggingface.co/datasets/{repo_id} (tag v{version})")
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
    from pipelines.baselines import EvalSet, train_and_evaluate

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
    tasks = {
        "checkworthy": (lambda f: f, lambda f: ["yes" if v == "yes" else "no" for v in f["checkworthy"]], ["yes", "no"]),
        "verdict": (lambda f: f[f["checkworthy"] == "yes"], lambda f: list(f["verdict"]), names["verdict"]),
        "distortion": (lambda f: f[f["checkworthy"] == "yes"], lambda f: list(f["distortion"]), names["distortion"]),
    }
    results = {"release": str(folder), "tasks": {}}
    for task, (select, labels_of, label_names) in tasks.items():
        train = select(frames["train"])
        eval_sets = []
        for split in ("test", "ood_test"):
            if split in frames:
                frame = select(frames[split])
                eval_sets.append(EvalSet(split, list(frame["text"]), labels_of(frame),
                                         {"language": list(frame["language"]), "camp": list(frame["camp"])}))
        results["tasks"][task] = {
            "labels": label_names,
            "train_size": len(train),
            "results": train_and_evaluate(list(train["text"]), labels_of(train), eval_sets, label_names,
                                          model_dir=out_dir / "models", task=task),
        }
        summary.records_out += 1
    write_text_atomic(target, json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    summary.outputs += [str(target), str(out_dir / "models")]
    for task, res in results["tasks"].items():
        logreg = res["results"].get("logreg", {}).get("test", {})
        if "macro_f1" in logreg:
            summary.notes.append(f"{task}: logreg test macro-F1 {logreg['macro_f1']:.3f} (n={logreg['n']})")
    mark_done(data, f"baselines-{folder.name}", print_)
    return summary
