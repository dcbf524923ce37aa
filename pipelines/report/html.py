"""`framecheck report`: one HTML page with the plots a researcher wants before reading rows.

Plots are embedded PNGs; every string from the data is HTML-escaped."""

from __future__ import annotations

import base64
import io
from collections import Counter
from html import escape
from pathlib import Path

import pandas as pd

from pipelines.kernel.io import DataDir
from pipelines.kernel.releases import load_release_frames, release_folder
from pipelines.kernel.step import Step, StepContext


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}"/>'


def _stacked(frame: pd.DataFrame, column: str, by: str, title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = frame.dropna(subset=[column]).groupby([by, column]).size().unstack(fill_value=0)
    if table.empty:
        return "<p>No data.</p>"
    fig, ax = plt.subplots(figsize=(7, 3.2))
    table.plot(kind="barh", stacked=True, ax=ax, colormap="tab20")
    ax.set_title(title)
    ax.set_xlabel("claims")
    ax.legend(fontsize=7, loc="lower right")
    return _png(fig)


def _frames_over_time(frame: pd.DataFrame) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [(str(r.published)[:4], f) for r in frame.itertuples() if r.published for f in (r.frames if r.frames is not None else [])]
    if not rows:
        return "<p>No dated frames.</p>"
    table = pd.DataFrame(rows, columns=["year", "frame"]).groupby(["year", "frame"]).size().unstack(fill_value=0)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    table.plot(ax=ax, marker="o")
    ax.set_title("Frames over time (claims per year)")
    ax.legend(fontsize=7)
    return _png(fig)


def _top_cues(folder: Path, claims: pd.DataFrame, names: list[str]) -> str:
    spans_dir = folder / "data" / "spans"
    if not spans_dir.exists():
        return "<p>No spans.</p>"
    spans = pd.concat([pd.read_parquet(p) for p in sorted(spans_dir.glob("*.parquet"))])
    merged = spans.merge(claims[["claim_id", "camp"]], on="claim_id")
    html = []
    for camp, group in merged.groupby("camp"):
        top = Counter(t.lower() for t in group["text"]).most_common(8)
        items = "".join(f"<li>{escape(text)} ({n})</li>" for text, n in top)
        html.append(f"<h4>{escape(str(camp))}</h4><ul>{items}</ul>")
    return "".join(html) or "<p>No spans.</p>"


def _baselines(folder: Path) -> str:
    """The release's baseline scores (macro-F1 on test and ood_test) and confusion plots."""
    import json

    results_file = folder / "baselines" / "baselines.json"
    if not results_file.exists():
        return "<p>No baselines in this release.</p>"
    results = json.loads(results_file.read_text(encoding="utf-8"))
    html = []
    for task, task_result in results.get("tasks", {}).items():
        rows = []
        for model, by_split in (task_result.get("results") or {}).items():
            if not isinstance(by_split, dict):
                continue
            cells = "".join(
                f"<td>{by_split[split]['macro_f1']:.3f} (n={by_split[split]['n']})</td>" if by_split.get(split, {}).get("n") else "<td>–</td>"
                for split in ("test", "ood_test")
            )
            rows.append(f"<tr><td>{escape(model)}</td>{cells}</tr>")
        html.append(f"<h3>{escape(task)}</h3><table><tr><th>model</th><th>test macro-F1</th><th>ood_test macro-F1</th></tr>{''.join(rows)}</table>")
        plot = folder / "baselines" / f"confusion-{task}.png"
        if plot.exists():
            html.append(f'<img alt="confusion matrices for {escape(task)}" src="data:image/png;base64,{base64.b64encode(plot.read_bytes()).decode()}"/>')
    return "".join(html) or "<p>No baselines in this release.</p>"


def _examples(claims: pd.DataFrame, per_camp: int = 5) -> str:
    """The most check-worthy distorted claims per camp (every string escaped)."""
    html = []
    distorted = claims[claims["distortion"].isin(["overstates", "understates"])]
    for camp, group in distorted.groupby("camp", sort=True):
        top = group.sort_values(["checkworthiness", "claim_id"], ascending=[False, True]).head(per_camp)
        rows = "".join(
            f"<tr><td>{escape(str(r.text))}</td><td>{escape(str(r.outlet))}</td><td>{escape(str(r.verdict))}</td>"
            f"<td>{escape(str(r.distortion))}</td></tr>"
            for r in top.itertuples()
        )
        html.append(f"<h4>{escape(str(camp))}</h4><table><tr><th>claim</th><th>outlet</th><th>verdict</th>"
                    f"<th>distortion</th></tr>{rows}</table>")
    return "".join(html) or "<p>No distorted claims.</p>"


class ReportStep(Step):
    """`framecheck report`: an HTML report with plots of a built release."""

    name = "report"

    def __init__(self, data: DataDir, dataset: str, release: Path | None = None):
        super().__init__(data)
        self.folder = release_folder(dataset, release)

    def state_key(self) -> str:
        return f"report-{self.folder.name}"

    def inputs(self) -> list[Path]:
        return [self.folder / "SHA256SUMS"]

    def outputs(self) -> list[Path]:
        return [self.data.reports_dir / f"report-{self.folder.name}.html"]

    def run(self, ctx: StepContext) -> None:
        folder, target = self.folder, self.outputs()[0]
        loaded = load_release_frames(folder)
        claims = pd.concat(loaded["frames"].values(), ignore_index=True)
        frame_names = loaded["names"].get("frames", [])
        claims["frames"] = claims["frames"].map(lambda ids: [frame_names[i] for i in ids] if ids is not None else [])
        sections = [
            ("Verdicts by camp", _stacked(claims, "verdict", "camp", "Verdict by camp")),
            ("Distortion direction by camp", _stacked(claims, "distortion", "camp", "Distortion by camp")),
            ("Verdicts by language", _stacked(claims, "verdict", "language", "Verdict by language")),
            ("Frames over time", _frames_over_time(claims)),
            ("Top sensational cues per camp", _top_cues(folder, claims, frame_names)),
            ("Baselines", _baselines(folder)),
            ("Example distorted claims", _examples(claims)),
        ]
        body = "".join(f"<section><h2>{escape(title)}</h2>{content}</section>" for title, content in sections)
        html = (
            "<!doctype html><html><head><meta charset='utf-8'><title>FrameCheck report</title>"
            "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto}section{margin-bottom:2em}"
            "table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}</style></head>"
            f"<body><h1>FrameCheck report — {escape(folder.name)}</h1><p>{len(claims)} labeled claims from {escape(str(folder))}.</p>"
            f"{body}</body></html>"
        )
        with ctx.atomic(target) as tmp:
            tmp.write_text(html, encoding="utf-8")
        ctx.summary.records_in, ctx.summary.records_out = len(claims), len(sections)
        ctx.wrote(target)
