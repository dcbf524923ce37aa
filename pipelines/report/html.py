"""`framecheck report`: one HTML page with the plots a researcher wants before reading rows.

The sections follow the label schema's fields (the ones the release has). Plots are embedded
PNGs; every string from the data is HTML-escaped."""

from __future__ import annotations

import base64
import io
from collections import Counter
from html import escape
from pathlib import Path

import pandas as pd

from pipelines.kernel.io import DataDir
from pipelines.kernel.label_schema import SCHEMA_FILE, Field, LabelSchema, load_schema
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


def _over_time(frame: pd.DataFrame, column: str) -> str:
    """Labels of a multi field (frames) per year of publication."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [(str(published)[:4], label) for published, labels in zip(frame["published"], frame[column])
            if published for label in (labels if labels is not None else [])]
    if not rows:
        return f"<p>No dated {escape(column)}.</p>"
    table = pd.DataFrame(rows, columns=["year", column]).groupby(["year", column]).size().unstack(fill_value=0)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    table.plot(ax=ax, marker="o")
    ax.set_title(f"{column.capitalize()} over time (claims per year)")
    ax.legend(fontsize=7)
    return _png(fig)


def _top_cues(folder: Path, claims: pd.DataFrame) -> str:
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


def _examples(claims: pd.DataFrame, field: Field, shown: list[str], per_label: int = 3) -> str:
    """Per label of a single field (in schema order), its most check-worthy claims, with the
    camp and the labels of the `shown` fields (every string escaped)."""
    html = []
    header = "".join(f"<th>{escape(name)}</th>" for name in ["claim", "outlet", "camp"] + shown)
    for label in field.names:
        group = claims[claims[field.name] == label]
        if group.empty:
            continue
        top = group.sort_values(["checkworthiness", "claim_id"], ascending=[False, True]).head(per_label)
        rows = "".join(
            "<tr>" + "".join(f"<td>{escape(str(row[key]))}</td>" for key in ["text", "outlet", "camp"] + shown) + "</tr>"
            for row in top.to_dict("records")
        )
        html.append(f"<h4>{escape(label)}</h4><table><tr>{header}</tr>{rows}</table>")
    return "".join(html) or f"<p>No claims labeled with {escape(field.name)}.</p>"


def _sections(schema: LabelSchema, folder: Path, claims: pd.DataFrame) -> list[tuple[str, str]]:
    """Per single field its labels by camp and by language, per multi field its labels over time,
    the top spans, the baselines, and per conditional single field (asked where the gate holds:
    verdict, distortion) example claims of each of its labels."""
    present = [f for f in schema.fields if f.name in claims.columns]
    single = [f for f in present if f.kind == "single"]
    sections = []
    for field in single:
        name = field.name.capitalize()
        sections += [(f"{name} by {by}", _stacked(claims, field.name, by, f"{name} by {by}")) for by in ("camp", "language")]
    sections += [(f"{f.name.capitalize()} over time", _over_time(claims, f.name)) for f in present if f.kind == "multi"]
    sections += [(f"Top {f.name} per camp", _top_cues(folder, claims)) for f in schema.fields_of_kind("spans")[:1]]
    sections.append(("Baselines", _baselines(folder)))
    conditional = [f for f in single if f.required_if]
    sections += [(f"Example claims by {f.name}", _examples(claims, f, [c.name for c in conditional])) for f in conditional]
    return sections


class ReportStep(Step):
    """`framecheck report`: an HTML report with plots of a built release."""

    name = "report"

    def __init__(self, data: DataDir, dataset: str, release: Path | None = None):
        super().__init__(data)
        self.folder = release_folder(dataset, release)

    def state_key(self) -> str:
        return f"report-{self.folder.name}"

    def inputs(self) -> list[Path]:
        return [self.folder / "SHA256SUMS", SCHEMA_FILE]  # the sections follow the schema

    def outputs(self) -> list[Path]:
        return [self.data.reports_dir / f"report-{self.folder.name}.html"]

    def run(self, ctx: StepContext) -> None:
        folder, target = self.folder, self.outputs()[0]
        loaded = load_release_frames(folder)
        claims = pd.concat(loaded["frames"].values(), ignore_index=True)
        names = loaded["names"]
        schema = load_schema()
        for field in schema.fields_of_kind("multi"):
            if field.name in claims.columns:
                labels = names.get(field.name, [])
                claims[field.name] = claims[field.name].map(
                    lambda ids, labels=labels: [labels[i] for i in ids] if ids is not None else [])
        sections = _sections(schema, folder, claims)
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
