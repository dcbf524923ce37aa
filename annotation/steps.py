"""The annotation stage's steps: import Label Studio exports, push tasks, pull annotations,
agreement, adjudication (the review queue)."""

from __future__ import annotations

import json
from pathlib import Path

from annotation.adjudication import adjudicate
from annotation.agreement import SETTINGS_FILE, agreement_report
from annotation.labels import parse_export
from annotation.paging import DEFAULT_PAGE_SIZE, check_page_size
from annotation.review import push_review_queue
from annotation.store import all_annotations, content_key, describe_sources, keep_export, sources
from annotation.sync import pull, push
from pipelines.kernel.io import DataDir, FrameCheckError, read_records
from pipelines.kernel.label_schema import SCHEMA_FILE
from pipelines.kernel.records import Annotation, Claim
from pipelines.kernel.step import Step, StepContext

DEFAULT_PROJECT = "FrameCheck SCS claims"



class ImportAnnotationsStep(Step):
    """`framecheck annotate import`: Label Studio JSON exports join the annotation sources
    (annotation/store.py), and tables/annotations.parquet is rebuilt from all of them, pulls
    included (annotators pseudonymized); annotations of claims not in the claims table are
    dropped."""

    name = "annotate"

    def __init__(self, data: DataDir, exports: list[Path]):
        super().__init__(data)
        self.exports = list(exports)
        for export in self.exports:  # before the fingerprint reads them
            if not export.is_file():
                raise FrameCheckError(f"{export}: no such export file")

    def inputs(self) -> list[Path]:
        return [self.data.table("claims"), SCHEMA_FILE]  # the schema decides the fields kept

    def params(self) -> dict:
        # the sources as a set of contents: the given exports, the kept ones and the pulls, so
        # that keeping the given exports does not make the next run look changed
        return {"sources": sorted({content_key(path) for path in self.exports} | {content_key(path) for _k, path in sources(self.data)})}

    def outputs(self) -> list[Path]:
        return [self.data.table("annotations")]

    def run(self, ctx: StepContext) -> None:
        for export in self.exports:
            parse_export(export)  # a bad export fails before anything is kept or written
        for export in self.exports:
            keep_export(self.data, export)
        claim_ids = {c.claim_id for c in read_records(self.data.table("claims"), Claim)}
        kept = []
        for annotation in all_annotations(self.data):
            ctx.summary.records_in += 1
            if annotation.claim_id not in claim_ids:
                ctx.drop("claim_not_in_claims_table", annotation_id=annotation.annotation_id, claim_id=annotation.claim_id)
                continue
            kept.append(annotation)
        with ctx.record_writer(self.data.table("annotations"), Annotation) as writer:
            for annotation in kept:
                writer.add(annotation)
        ctx.wrote(self.data.table("annotations"))
        ctx.note(f"{len({a.annotator for a in kept})} annotators, {len({a.claim_id for a in kept})} claims labeled, "
                 f"from {len(sources(self.data))} source(s)")
        ctx.note(describe_sources(self.data, kept))


class PushStep(Step):
    """`framecheck annotate push`: claims → Label Studio tasks (idempotent)."""

    name = "annotate push"
    skippable = False  # the server's state is an input the runner cannot fingerprint

    def __init__(self, data: DataDir, project: str = DEFAULT_PROJECT, limit: int | None = None,
                 annotators: int | None = None, overlap: float | None = None):
        super().__init__(data)
        self.project, self.limit, self.annotators, self.overlap = project, limit, annotators, overlap

    def run(self, ctx: StepContext) -> None:
        ctx.absorb(push(self.data, self.project, self.limit, self.annotators, self.overlap))


class PullStep(Step):
    """`framecheck annotate pull`: Label Studio annotations → a snapshot and the annotations table,
    a page of tasks at a time (a killed pull resumes after its last completed page)."""

    name = "annotate pull"
    skippable = False

    def __init__(self, data: DataDir, project: str = DEFAULT_PROJECT, annotators: int | None = None,
                 page_size: int = DEFAULT_PAGE_SIZE):
        super().__init__(data)
        self.project, self.annotators, self.page_size = project, annotators, check_page_size(page_size)

    def run(self, ctx: StepContext) -> None:
        ctx.absorb(pull(self.data, self.project, self.annotators, page_size=self.page_size, progress=ctx.progress))


class AgreementStep(Step):
    """`framecheck annotate agreement`: alpha per field, kappa per pair → reports/agreement.json."""

    name = "agreement"

    def __init__(self, data: DataDir):
        super().__init__(data)
        self.result: dict | None = None

    def inputs(self) -> list[Path]:
        return [self.data.table("annotations"), self.data.table("claims"), SETTINGS_FILE]

    def outputs(self) -> list[Path]:
        return [self.target]

    @property
    def target(self) -> Path:
        return self.data.reports_dir / "agreement.json"

    def run(self, ctx: StepContext) -> None:
        annotations = read_records(self.data.table("annotations"), Annotation)
        meta = {c.claim_id: {"language": c.language, "camp": c.camp} for c in read_records(self.data.table("claims"), Claim)}
        self.result = agreement_report(annotations, meta)
        ctx.summary.records_in = len(annotations)
        ctx.summary.records_out = self.result.get("claims_with_overlap", 0)
        ctx.note(f"{self.result['claims_with_overlap']} claim(s) labeled by two or more annotators "
                 f"(minimum {self.result['min_overlap_claims']})")
        if self.result["warning"]:
            ctx.note(self.result["warning"])
        with ctx.atomic(self.target) as tmp:
            tmp.write_text(json.dumps(self.result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        ctx.wrote(self.target)

    def report(self) -> dict:
        """The agreement report (computed now, or read back when the step was unchanged)."""
        return self.result if self.result is not None else json.loads(self.target.read_text(encoding="utf-8"))


class AdjudicateStep(Step):
    """`framecheck annotate adjudicate`: gold by majority vote and Dawid–Skene; the claims whose
    labels disagree go to annotations/review_queue.jsonl (and, with push_review, to Label Studio)."""

    name = "adjudicate"

    def __init__(self, data: DataDir, threshold: float = 0.7, push_review: bool = False, project: str = DEFAULT_PROJECT):
        super().__init__(data)
        self.threshold, self.push_review, self.project = threshold, push_review, project
        self.skippable = not push_review

    def inputs(self) -> list[Path]:
        return [self.data.table("annotations")]

    def params(self) -> dict:
        return {"threshold": self.threshold}

    def outputs(self) -> list[Path]:
        return [self.target]

    @property
    def target(self) -> Path:
        return self.data.root / "annotations" / "review_queue.jsonl"

    def run(self, ctx: StepContext) -> None:
        annotations = read_records(self.data.table("annotations"), Annotation)
        gold, queue = adjudicate(annotations, self.threshold)
        ctx.summary.records_in, ctx.summary.records_out = len(annotations), len(gold)
        lines = [json.dumps({"claim_id": q.claim_id, "reasons": list(q.reasons), "majority": q.majority,
                             "dawid_skene": q.dawid_skene}, ensure_ascii=False) + "\n" for q in queue]
        with ctx.atomic(self.target) as tmp:
            tmp.write_text("".join(lines), encoding="utf-8")
        for item in queue:
            for reason in item.reasons:
                ctx.summary.skip(f"review:{reason}")
        ctx.wrote(self.target)
        ctx.note(f"{len(queue)} of {len(gold)} claims need review")
        if self.push_review:
            ctx.note(push_review_queue(self.data, [q.claim_id for q in queue], self.project))
