"""The I/O edges of the release, publishing and baseline stages (their pure cores live in
release.py, card.py and baselines.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipelines.kernel.io import (
    DataDir,
    StageSummary,
    fingerprint,
    is_unchanged,
    mark_done,
    read_records,
)
from pipelines.kernel.records import Annotation, Article, Claim
from pipelines.kernel.registry import combined_registry


def _redistribution_flags(data: DataDir) -> dict[str, bool]:
    return {o.id: o.redistribute for o in combined_registry(data)}






def build_release(data: DataDir, dataset: str, out: Path | None, previous: Path | None = None) -> StageSummary:
    """Validate, train the baselines, and write the release (Parquet, baselines, CHANGELOG,
    card, croissant.json, SHA256SUMS). Models go to data/baselines/<release>/models, outside
    the release: skops files are not byte-reproducible."""
    from annotation import agreement_report, gold_labels
    from pipelines.baselines import (
        baselines_fingerprint,
        claims_frames,
        release_baselines,
        save_models,
        write_baseline_files,
    )
    from pipelines.kernel.facts import FACTS_FILE, load_facts
    from pipelines.kernel.io import atomic_path
    from pipelines.kernel.label_schema import SCHEMA_FILE, load_schema
    from pipelines.kernel.registry import DEMO_REGISTRY, LIVE_REGISTRY
    from pipelines.kernel.releases import load_definition
    from pipelines.release.card import card_body
    from pipelines.release.changelog import dataset_changelog_path, find_previous
    from pipelines.release.tables import build_tables, write_release

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
    gold = gold_labels(annotations, schema)
    tables = build_tables(definition, schema, articles, claims, gold, load_facts(), _redistribution_flags(data))
    released = {row["claim_id"]: row for rows in tables.rows["claims"].values() for row in rows}
    agreement = agreement_report([a for a in annotations if a.claim_id in released],
                                 {cid: {"language": r["language"], "camp": r["camp"]} for cid, r in released.items()}, schema)
    models: dict = {}
    names = {f.name: f.names for f in schema.fields_of_kind("single")}

    def extras(tmp: Path, split_info: dict) -> dict:
        results = {"dataset": definition.name, "version": definition.version,
                   **release_baselines(claims_frames(tables.rows["claims"], names), names, schema, keep_models=models)}
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
    mark_done(data, f"baselines-{folder.name}", baselines_fingerprint(folder))
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












