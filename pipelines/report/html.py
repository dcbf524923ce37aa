"""`framecheck report`: one HTML page with the plots a researcher wants before reading rows.

The sections follow the label schema's fields (the ones the release has), then the release's
agreement figures and baselines. A demo release (its card says so) opens with a banner. Plots
are embedded PNGs drawn at the column's width with readable fonts; paths are shown relative
to the data directory or the repository, never as absolute local paths; every string from the
data is HTML-escaped."""

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
from pipelines.release import demo_notice


PLOT_FONT_PT = 11
# Figures are drawn at the width of the report's column (900 px at 110 dpi ≈ 8 in), so the
# fonts set here are the sizes a reader sees.
PLOT_STYLE = {"font.size": PLOT_FONT_PT, "axes.titlesize": PLOT_FONT_PT + 2, "axes.labelsize": PLOT_FONT_PT,
              "xtick.labelsize": PLOT_FONT_PT - 1, "ytick.labelsize": PLOT_FONT_PT - 1, "legend.fontsize": PLOT_FONT_PT - 1}


def _figure(height: float = 3.6):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(PLOT_STYLE):
        return plt.subplots(figsize=(8, height))


def _legend_outside(ax) -> None:
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=PLOT_FONT_PT - 1)


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}"/>'


def _stacked(frame: pd.DataFrame, column: str, by: str, title: str) -> str:
    import matplotlib.pyplot as plt

    table = frame.dropna(subset=[column]).groupby([by, column]).size().unstack(fill_value=0)
    if table.empty:
        return "<p>No data.</p>"
    fig, ax = _figure(max(2.4, 0.55 * len(table) + 1.4))
    with plt.rc_context(PLOT_STYLE):
        table.plot(kind="barh", stacked=True, ax=ax, colormap="tab20")
        ax.set_title(title)
        ax.set_xlabel("claims")
        ax.set_ylabel(by)
        _legend_outside(ax)
    return _png(fig)


def _over_time(frame: pd.DataFrame, column: str) -> str:
    """Labels of a multi field (frames) per year of publication."""
    import matplotlib.pyplot as plt

    rows = [(str(published)[:4], label) for published, labels in zip(frame["published"], frame[column])
            if published for label in (labels if labels is not None else [])]
    if not rows:
        return f"<p>No dated {escape(column)}.</p>"
    table = pd.DataFrame(rows, columns=["year", column]).groupby(["year", column]).size().unstack(fill_value=0)
    fig, ax = _figure()
    with plt.rc_context(PLOT_STYLE):
        table.plot(ax=ax, marker="o")
        ax.set_title(f"{column.capitalize()} over time (claims per year)")
        ax.set_xlabel("year of publication")
        ax.set_ylabel("claims")
        _legend_outside(ax)
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


def _agreement(folder: Path, schema: LabelSchema) -> str:
    """The release's agreement figures (agreement.json): the overlap and its minimum, alpha per
    label field with the claims it rests on, kappa per annotator pair, alpha by language and camp."""
    import json

    path = folder / "agreement.json"
    if not path.exists():
        return "<p>No agreement figures in this release (it has no agreement.json).</p>"
    agreement = json.loads(path.read_text(encoding="utf-8"))
    kinds = {f.name: f.kind for f in schema.fields}
    html = []
    if agreement.get("warning"):
        html.append(f'<p class="warning">{escape(agreement["warning"])}</p>')
    minimum = agreement.get("min_overlap_claims")
    html.append(f"<p>{agreement.get('annotators', 0)} annotators, {agreement.get('annotations', 0)} annotations of "
                f"{agreement.get('claims', 0)} claims; <b>{agreement.get('claims_with_overlap', 0)} claims labeled by two or more "
                f"annotators</b>" + (f" (minimum {minimum})" if minimum is not None else "") + ".</p>")
    overlap = agreement.get("overlap", {})
    alpha = agreement.get("alpha", {})
    fields = [f.name for f in schema.fields if f.name in alpha] + [f for f in alpha if f not in kinds]  # schema order
    rows = "".join(f"<tr><td>{escape(f)}</td><td>{'nominal' if kinds.get(f) == 'single' else 'Jaccard set distance'}</td>"
                   f"<td>{_figure_text(a)}</td><td>{escape(str(overlap.get(f, '–')))}</td></tr>"
                   for f, a in ((f, alpha[f]) for f in fields))
    html.append("<h3>Krippendorff's alpha per label field</h3><table><tr><th>field</th><th>distance</th><th>alpha</th>"
                f"<th>claims rated by 2+</th></tr>{rows}</table>")
    pairs = [(f, pair, k) for f, by_pair in (agreement.get("kappa") or {}).items() for pair, k in by_pair.items()]
    if pairs:
        rows = "".join(f"<tr><td>{escape(f)}</td><td>{escape(pair)}</td><td>{_figure_text(k['kappa'])}</td><td>{k['n']}</td></tr>"
                       for f, pair, k in pairs)
        html.append("<h3>Cohen's kappa per annotator pair</h3><p>Annotators are pseudonyms.</p><table><tr><th>field</th>"
                    f"<th>pair</th><th>kappa</th><th>claims both labeled</th></tr>{rows}</table>")
    else:
        html.append("<p>No annotator pair labeled two or more claims in common: no kappa.</p>")
    for key in ("language", "camp"):
        groups = agreement.get(f"by_{key}") or {}
        if groups:
            head = "".join(f"<th>{escape(f)}</th>" for f in fields)
            rows = "".join(f"<tr><td>{escape(g)}</td><td>{r.get('claims_with_overlap', 0)}</td>"
                           + "".join(f"<td>{_figure_text(r['alpha'].get(f))}</td>" for f in fields) + "</tr>"
                           for g, r in groups.items())
            html.append(f"<h3>Alpha by {key}</h3><table><tr><th>{key}</th><th>claims 2+</th>{head}</tr>{rows}</table>")
    return "".join(html)


def _figure_text(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def shown_path(path: Path, data_root: Path) -> str:
    """A path as the report shows it: relative to the data directory, else to the repository,
    else its last parts; never an absolute local path."""
    from pipelines.kernel.config import REPO_ROOT

    path = path.resolve()
    for base in (data_root.resolve(), REPO_ROOT):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return "/".join(path.parts[-3:])


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
    sections.append(("Agreement", _agreement(folder, schema)))
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
        notice = demo_notice(folder)
        banner = f'<p class="demo" role="alert">{escape(notice)}</p>' if notice else ""
        html = (
            "<!doctype html><html><head><meta charset='utf-8'><title>FrameCheck report</title>"
            "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto}section{margin-bottom:2em}"
            "img{max-width:100%;height:auto}"
            ".demo,.warning{border:3px solid #b00;background:#fee;color:#600;padding:0.8em 1em;font-weight:bold}"
            "table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}</style></head>"
            f"<body><h1>FrameCheck report — {escape(folder.name)}</h1>{banner}"
            f"<p>{len(claims)} labeled claims from the release {escape(shown_path(folder, self.data.root))}.</p>"
            f"{body}</body></html>"
        )
        with ctx.atomic(target) as tmp:
            tmp.write_text(html, encoding="utf-8")
        ctx.summary.records_in, ctx.summary.records_out = len(claims), len(sections)
        ctx.wrote(target)
