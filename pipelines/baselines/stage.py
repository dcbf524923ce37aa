"""The baselines stage's edge: train and score on a built release, write results, plots and models."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.kernel.io import (
    DataDir,
    FrameCheckError,
    StageSummary,
    fingerprint,
    is_unchanged,
    mark_done,
    write_text_atomic,
)
from pipelines.kernel.label_schema import SCHEMA_FILE
from pipelines.kernel.releases import load_release_frames, release_folder


def claims_frames(rows_by_split: dict[str, list[dict]], names: dict[str, list[str]]) -> dict:
    """Release rows (label columns as indices) → pandas frames per split, the single label
    columns named in `names` (column → class names) as names."""
    import pandas as pd

    frames = {}
    for split, rows in rows_by_split.items():
        if not rows:
            continue
        frame = pd.DataFrame(rows)
        for column, labels in names.items():
            frame[column] = frame[column].map(lambda i, labels=labels: labels[i] if i is not None and i >= 0 else None)
        frames[split] = frame
    return frames


def write_baseline_files(target: Path, results: dict) -> dict[str, str]:
    """`baselines.json` and one confusion-matrix PNG per task in target (each atomically);
    returns task → PNG file name."""
    from pipelines.baselines.models import confusion_png
    from pipelines.kernel.io import atomic_path

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


def baselines_fingerprint(folder: Path) -> str:
    """What the baselines of a release depend on: its files and the schema (which decides the tasks)."""
    return fingerprint([folder / "SHA256SUMS", SCHEMA_FILE])


def run_baselines(data: DataDir, dataset: str, release: Path | None) -> StageSummary:
    """Train and score the baselines on a built release: baselines.json, confusion plots and
    skops models under data/baselines/<release>/ (`framecheck release build` does this too)."""
    from pipelines.baselines.models import release_baselines, save_models
    from pipelines.kernel.releases import release_version

    folder = release_folder(dataset, release)
    out_dir = data.baselines_dir / folder.name
    target = out_dir / "baselines.json"
    print_ = baselines_fingerprint(folder)
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
