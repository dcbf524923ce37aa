"""The baselines stage's edge: train and score on a built release, write results, plots and models."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.kernel.io import (
    DataDir,
    FrameCheckError,
    write_text_atomic,
)
from pipelines.kernel.label_schema import SCHEMA_FILE, load_schema
from pipelines.kernel.releases import (
    load_release_frames,
    release_folder,
    release_version,
)
from pipelines.kernel.step import Step, StepContext


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


class BaselinesStep(Step):
    """`framecheck baselines`: train and score the baselines on a built release; baselines.json,
    confusion plots and skops models under data/baselines/<release>/ (`framecheck release
    build` does this too, for the release's own copy of the results)."""

    name = "baselines"

    def __init__(self, data: DataDir, dataset: str, release: Path | None = None):
        super().__init__(data)
        self.dataset = dataset
        self.folder = release_folder(dataset, release)
        self.out_dir = data.baselines_dir / self.folder.name

    def state_key(self) -> str:
        return f"baselines-{self.folder.name}"

    def inputs(self) -> list[Path]:
        return [self.folder / "SHA256SUMS", SCHEMA_FILE]  # the schema decides the tasks

    def outputs(self) -> list[Path]:
        return [self.out_dir / "baselines.json"]

    def run(self, ctx: StepContext) -> None:
        from pipelines.baselines.models import release_baselines, save_models

        loaded = load_release_frames(self.folder)
        frames, names = loaded["frames"], loaded["names"]
        ctx.summary.records_in = sum(len(f) for f in frames.values())
        if "train" not in frames:
            raise FrameCheckError(f"{self.folder}: the release has no train split to fit baselines on")
        models: dict = {}
        results = {"dataset": self.dataset, "version": release_version(self.folder) or self.folder.name,
                   **release_baselines(frames, names, load_schema(), keep_models=models)}
        plots = write_baseline_files(self.out_dir, results)
        save_models(self.out_dir / "models", models)
        ctx.summary.records_out = len(results["tasks"])
        ctx.wrote(self.out_dir / "baselines.json", *[self.out_dir / name for name in plots.values()], self.out_dir / "models")
        for task, res in results["tasks"].items():
            logreg = res["results"].get("logreg", {}).get("test", {})
            if "macro_f1" in logreg:
                ctx.note(f"{task}: logreg test macro-F1 {logreg['macro_f1']:.3f} (n={logreg['n']})")
