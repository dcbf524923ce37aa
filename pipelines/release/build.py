"""The release stage's edge: validate, train the baselines, and write a versioned release
(its pure cores are tables.py, card.py, croissant.py and changelog.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from annotation import AGREEMENT_SETTINGS, agreement_report, gold_labels
from pipelines.baselines import (
    BaselinesStep,
    claims_frames,
    release_baselines,
    save_models,
    write_baseline_files,
)
from pipelines.claims import model_path_for, ranker_card
from pipelines.kernel.facts import FACTS_FILE, load_facts
from pipelines.kernel.io import DataDir, atomic_path, read_records
from pipelines.kernel.label_schema import SCHEMA_FILE, load_schema
from pipelines.kernel.records import Annotation, Article, Claim
from pipelines.kernel.registry import combined_registry, registry_files
from pipelines.kernel.releases import check_ood_outlets, load_definition
from pipelines.kernel.step import Step, StepContext
from pipelines.release.card import card_body
from pipelines.release.changelog import dataset_changelog_path, find_previous
from pipelines.release.tables import ReleaseValidationError, build_tables, write_release


def check_trainable(definition, claim_rows: dict[str, list[dict]], claims: list[Claim], annotations: list[Annotation]) -> None:
    """The baselines train on the train split: without a labeled claim in it (too few labels
    pulled, all from articles that fall in test or ood_test), stop in one line saying so."""
    if claim_rows.get("train"):
        return
    labeled = sum(len(rows) for rows in claim_rows.values())
    counts = ", ".join(f"{split}={len(rows)}" for split, rows in claim_rows.items())
    claim_ids = {c.claim_id for c in claims}
    matching = len({a.claim_id for a in annotations if a.claim_id in claim_ids})
    raise ReleaseValidationError(
        f"release {definition.version}: no labeled claim in the train split, which the baselines train on "
        f"({labeled} labeled claims: {counts}; {matching} of {len(claims)} claims in the claims table have annotations) "
        f"— label claims of more articles (splits go by article), pull, and build again")


class BuildReleaseStep(Step):
    """`framecheck release build`: Parquet per config and split, baselines, CHANGELOG.md, card,
    croissant.json, SHA256SUMS. Models go to data/baselines/<release>/models, outside the
    release: skops files are not byte-reproducible."""

    name = "release"

    def __init__(self, data: DataDir, dataset: str, out: Path | None = None, previous: Path | None = None):
        super().__init__(data)
        self.dataset, self.definition = dataset, load_definition(dataset)
        self.target = (out or self.definition.default_out).resolve()
        self.prior = previous or find_previous(self.target, self.definition.version)

    def state_key(self) -> str:  # one state per target folder: --out builds elsewhere do not collide
        return "release-" + hashlib.sha256(str(self.target).encode()).hexdigest()[:16]

    def _article_tables(self) -> list[Path]:
        return self.data.article_tables()

    def inputs(self) -> list[Path]:
        tables = self._article_tables() + [self.data.table(name) for name in ("claims", "annotations")]
        ranker = model_path_for(self.data.root).with_suffix(".json")  # the claim ranker's card goes into the release card
        return (tables + [self.definition.path, SCHEMA_FILE, FACTS_FILE, AGREEMENT_SETTINGS, ranker] + registry_files(self.data)
                + ([self.prior / "SHA256SUMS"] if self.prior else []))

    def params(self) -> dict:
        return {"out": str(self.target), "previous": str(self.prior)}

    def outputs(self) -> list[Path]:
        # the folder itself too, so that the runner removes a killed build's temp folder beside it
        return [self.target / "SHA256SUMS", self.data.baselines_dir / self.target.name / "baselines.json", self.target]

    def also_completes(self) -> list[Step]:
        return [BaselinesStep(self.data, self.dataset, self.target)]

    def unchanged_notes(self) -> list[str]:
        return [f"v{self.definition.version}: inputs unchanged since this release was built; nothing rewritten"]

    def run(self, ctx: StepContext) -> None:
        data, definition, summary = self.data, self.definition, ctx.summary
        redistribute = {o.id: o.redistribute for o in combined_registry(data)}
        check_ood_outlets(definition, redistribute)
        schema = load_schema()
        # claims mined from imported transcripts, comments and documents are released like the articles'
        # (their texts withheld unless their outlet redistributes, as for any outlet)
        articles = [a for table in self._article_tables() for a in read_records(table, Article)]
        claims = read_records(data.table("claims"), Claim)
        annotations = read_records(data.table("annotations"), Annotation)
        gold = gold_labels(annotations, schema)
        tables = build_tables(definition, schema, articles, claims, gold, load_facts(), redistribute)
        check_trainable(definition, tables.rows["claims"], claims, annotations)
        released = {row["claim_id"]: row for rows in tables.rows["claims"].values() for row in rows}
        agreement = agreement_report([a for a in annotations if a.claim_id in released],
                                     {cid: {"language": r["language"], "camp": r["camp"]} for cid, r in released.items()}, schema)
        models: dict = {}
        names = {f.name: f.names for f in schema.fields_of_kind("single")}

        def extras(tmp: Path, split_info: dict) -> dict:
            results = {"dataset": definition.name, "version": definition.version,
                       **release_baselines(claims_frames(tables.rows["claims"], names), names, schema, keep_models=models)}
            plots = write_baseline_files(tmp / "baselines", results)
            # the agreement figures beside the data they describe, for the report and for users
            (tmp / "agreement.json").write_text(json.dumps(agreement, indent=2, ensure_ascii=False) + "\n",
                                                encoding="utf-8")
            return {"baselines": results, "baseline_plots": {task: f"baselines/{name}" for task, name in plots.items()},
                    "claim_ranker": ranker_card(data.root)}

        folder, written = write_release(
            tables, definition, schema, self.target,
            lambda split_info, context: card_body(definition, schema, tables, agreement, split_info, context),
            extras=extras, previous=self.prior,
        )
        summary.records_in = len(claims)
        summary.records_out = len(released)
        summary.skip("claim_not_annotated", sum(1 for c in claims if c.claim_id not in gold))
        ctx.wrote(folder, folder / "croissant.json", folder / "CHANGELOG.md")
        dataset_log = dataset_changelog_path(folder)
        if dataset_log is not None:
            ctx.wrote(dataset_log)
        self._copy_baselines(ctx, folder, models, written)
        counts = ", ".join(f"{split}={len(rows)}" for split, rows in tables.rows["claims"].items())
        ctx.note(f"v{definition.version} claims by split: {counts}")
        for task, res in json.loads((folder / "baselines" / "baselines.json").read_text(encoding="utf-8"))["tasks"].items():
            logreg = res["results"].get("logreg", {}).get("test", {})
            if "macro_f1" in logreg:
                ctx.note(f"{task}: logreg test macro-F1 {logreg['macro_f1']:.3f} (n={logreg['n']})")
        if not written:
            ctx.note("an identical release of this version already exists; nothing rewritten")
        if agreement.get("warning"):
            ctx.note(agreement["warning"])

    def _copy_baselines(self, ctx: StepContext, folder: Path, models: dict, written: bool) -> None:
        """The baselines' results beside their models under data/baselines/<release>/, where
        `framecheck baselines` writes them (the release holds results and plots, not models)."""
        out_dir = self.data.baselines_dir / folder.name
        model_dir = out_dir / "models"
        if written or not all((model_dir / f"{name}.skops").exists() for name in models):
            save_models(model_dir, models)
        for item in sorted((folder / "baselines").iterdir()):
            with atomic_path(out_dir / item.name) as tmp_copy:
                tmp_copy.write_bytes(item.read_bytes())
        ctx.wrote(out_dir / "baselines.json", model_dir)
