"""Adjudication: gold labels by majority vote, Dawid–Skene (crowd-kit) as the second
method, and a review queue of the claims where annotators or the two methods disagree."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd

from annotation.labels import gold_labels, meets
from pipelines.kernel.label_schema import LabelSchema, load_schema
from pipelines.kernel.records import Annotation

LOW_CONFIDENCE = 0.7


@dataclass(frozen=True)
class ReviewItem:
    claim_id: str
    reasons: tuple[str, ...]
    majority: dict
    dawid_skene: dict


def dawid_skene(annotations: list[Annotation], field: str, n_iter: int = 100) -> dict[str, tuple[str, float]]:
    """Per claim: the Dawid–Skene label and its posterior probability."""
    from crowdkit.aggregation import DawidSkene

    rows = [(a.claim_id, a.annotator, a.value(field)) for a in annotations if a.value(field) is not None]
    if not rows:
        return {}
    frame = pd.DataFrame(rows, columns=["task", "worker", "label"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # crowd-kit's pandas deprecation noise
        model = DawidSkene(n_iter=n_iter).fit(frame)
        labels, probas = model.labels_, model.probas_
    return {task: (labels[task], float(probas.loc[task].max())) for task in labels.index}


def adjudicate(annotations: list[Annotation], threshold: float = LOW_CONFIDENCE,
               schema: LabelSchema | None = None) -> tuple[dict[str, dict], list[ReviewItem]]:
    """Majority gold labels, plus the review queue: disagreement, low confidence, or methods that
    differ on a single field of the schema."""
    schema = schema or load_schema()
    gold = gold_labels(annotations, schema)
    # a claim a reviewer has decided leaves the queue; the rest is judged on the annotators' votes
    decided = {a.claim_id for a in annotations if a.adjudication}
    annotations = [a for a in annotations if not a.adjudication]
    single = schema.fields_of_kind("single")
    # a conditional field only counts where the annotator met its condition (verdicts of
    # annotators who judged the claim check-worthy)
    ds = {f.name: dawid_skene([a for a in annotations if meets(a.value, f.required_if)], f.name) for f in single}
    per_claim: dict[str, set] = {}
    for ann in annotations:
        per_claim.setdefault(ann.claim_id, set()).add(ann.annotator)
    queue = []
    for claim_id, labels in sorted(gold.items()):
        if claim_id in decided:
            continue
        reasons = []
        if labels["annotator_count"] >= 2 and labels["agreement"] < 1.0:
            reasons.append("annotators_disagree")
        ds_labels = {}
        for field, by_claim in ds.items():
            if claim_id in by_claim:
                label, confidence = by_claim[claim_id]
                ds_labels[field] = {"label": label, "confidence": round(confidence, 4)}
                if labels[field] is not None and label != labels[field]:
                    reasons.append(f"{field}_majority_vs_dawid_skene")
                if confidence < threshold:
                    reasons.append(f"{field}_low_confidence")
        if reasons:
            queue.append(ReviewItem(claim_id, tuple(reasons), {f: labels[f] for f in ds}, ds_labels))
    return gold, queue
