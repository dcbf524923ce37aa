"""Label Studio JSON exports → normalized Annotation records → gold labels.

The fields and what they hold come from the label schema (annotation/label_schema.yaml):
a result item is read by the kind of the field it names, and a field the schema does not
have (one removed since the export) is left out. Annotator identities are replaced by
keyed-hash pseudonyms before anything is stored."""

from __future__ import annotations

import json
import warnings
from collections import Counter, defaultdict
from pathlib import Path

from pipelines.kernel.facts import load_facts
from pipelines.kernel.io import FrameCheckError
from pipelines.kernel.label_schema import LabelSchema, load_schema
from pipelines.kernel.privacy import pseudonym
from pipelines.kernel.records import Annotation, CueSpan, LabelValue

# The Label Studio result types of each field kind: the control label_config generates for it
# first (the evidence picker is a Taxonomy; exports made with the earlier Choices list still read).
RESULT_TYPES = {"single": ("choices",), "multi": ("choices",), "evidence": ("taxonomy", "choices"), "spans": ("labels",),
                "text": ("textarea",)}
# Task data of the review project (annotation/review.py): its annotations are adjudications.
ROLE_KEY, REVIEW_ROLE = "task_role", "review"


def _identity(completed_by) -> object:
    if isinstance(completed_by, dict):
        return completed_by.get("email") or completed_by.get("id")
    return completed_by


def parse_result(result: list[dict], schema: LabelSchema, where: str = "result") -> tuple[tuple[LabelValue, ...], tuple[CueSpan, ...]]:
    """Label Studio result items → the schema's field values (in schema order) and cue spans."""
    kinds = {f.name: f.kind for f in schema.fields}
    values: dict[str, tuple[str, ...]] = {}
    cues = []
    for item in result or []:
        name, value = item.get("from_name"), item.get("value", {})
        kind = kinds.get(name)
        if kind is None:
            continue  # not a field of the schema (any more)
        if item.get("type") not in RESULT_TYPES[kind]:
            raise FrameCheckError(f"{where}[{name}]: a {item.get('type')!r} result, but {name} is a {kind} field "
                                  f"(expected {' or '.join(map(repr, RESULT_TYPES[kind]))}); is the export from this label schema?")
        if kind == "spans":
            for label in value.get("labels", []):
                cues.append(CueSpan(int(value["start"]), int(value["end"]), label, value.get("text", "")))
        elif kind == "text":
            text = " ".join(value.get("text", []))
            values[name] = (text,) if text else ()
        elif item.get("type") == "taxonomy":  # (category, fact id) paths: the fact id is the leaf
            values[name] = tuple(path[-1] for path in value.get("taxonomy", []) if path)
        else:
            chosen = tuple(value.get("choices", []))
            values[name] = chosen[:1] if kind == "single" else chosen
    labels = tuple(LabelValue(f.name, values[f.name]) for f in schema.fields if values.get(f.name))
    return labels, tuple(sorted(cues, key=lambda c: (c.start, c.end, c.label)))


def evidence_result(name: str, fact_ids: list[str]) -> dict:
    """Fact ids as the evidence picker (a Taxonomy) stores them: (category, fact id) paths."""
    category = {f.fact_id: f.category for f in load_facts()}
    return {"from_name": name, "to_name": "claim", "type": "taxonomy",
            "value": {"taxonomy": [[category.get(fid, "unknown"), fid] for fid in fact_ids]}}


def to_result(ann: Annotation, schema: LabelSchema, to_name: str = "claim") -> list[dict]:
    """An annotation as Label Studio result items (what parse_result reads back)."""
    result = []
    for field in schema.fields:
        values = list(ann.values(field.name))
        if field.kind == "text" and values:
            result.append({"from_name": field.name, "to_name": to_name, "type": "textarea", "value": {"text": values}})
        elif field.kind == "evidence" and values:
            result.append({**evidence_result(field.name, values), "to_name": to_name})
        elif field.kind != "spans" and values:
            result.append({"from_name": field.name, "to_name": to_name, "type": "choices", "value": {"choices": values}})
    for span in ann.cues:
        field = schema.spans_field_for(span.label)
        if field is not None:
            result.append({"from_name": field.name, "to_name": to_name, "type": "labels",
                           "value": {"start": span.start, "end": span.end, "text": span.text, "labels": [span.label]}})
    return result


def parse_export(path: Path, schema: LabelSchema | None = None) -> list[Annotation]:
    """Read a Label Studio JSON export (a list of tasks with their annotations)."""
    schema = schema or load_schema()
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FrameCheckError(f"{path}: annotation export not found") from None
    except ValueError as exc:
        raise FrameCheckError(f"{path}: not a JSON export ({exc})") from None
    if not isinstance(tasks, list):
        raise FrameCheckError(f"{path}: expected a JSON list of tasks (Label Studio 'JSON' export)")
    annotations = []
    for t, task in enumerate(tasks):
        claim_id = (task.get("data") or {}).get("claim_id")
        adjudication = (task.get("data") or {}).get(ROLE_KEY) == REVIEW_ROLE
        if not claim_id:
            raise FrameCheckError(f"{path}: task #{t} (id {task.get('id')}) has no data.claim_id")
        for a, ann in enumerate(task.get("annotations") or []):
            if ann.get("was_cancelled"):
                continue
            labels, cues = parse_result(ann.get("result"), schema, f"{path}: [{t}].annotations[{a}].result")
            annotations.append(
                Annotation(
                    annotation_id=str(ann.get("id")),
                    claim_id=claim_id,
                    annotator=pseudonym(_identity(ann.get("completed_by"))),
                    labels=labels,
                    cues=cues,
                    created_at=str(ann.get("created_at", "")),
                    source_file=path.name,
                    adjudication=adjudication,
                )
            )
    return annotations


# --- Gold labels -----------------------------------------------------------------------


def majority_votes(votes: list[tuple[str, str, str]]) -> dict[str, tuple[str, float]]:
    """(claim id, annotator, label) votes in the order given → per claim, the majority label
    and the share of votes behind it.

    crowd-kit's MajorityVote counts the votes; a tie goes to the label given first (crowd-kit
    would take the alphabetically first label), so the earliest annotation decides a tie, as
    the gold labels always did."""
    import pandas as pd
    from crowdkit.aggregation import MajorityVote

    if not votes:
        return {}
    frame = pd.DataFrame(votes, columns=["task", "worker", "label"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # crowd-kit's pandas deprecation noise
        shares = MajorityVote().fit(frame).probas_
    order: dict[str, list[str]] = defaultdict(list)
    for task, _worker, label in votes:
        order[task].append(label)
    result = {}
    for task, labels in order.items():
        row = shares.loc[task]
        top = row.max()
        result[task] = (next(label for label in labels if row[label] == top), float(top))
    return result


def meets(value_of, condition: tuple[str, str] | None) -> bool:
    """Whether labels (`value_of(field)` → value) meet a `required_if` condition (None: always)."""
    return condition is None or value_of(condition[0]) == condition[1]


def _single_order(schema: LabelSchema) -> list:
    """Single fields with the field each one's condition reads decided before it."""
    pending, done = list(schema.fields_of_kind("single")), []
    while pending:
        ready = [f for f in pending if not f.required_if or f.required_if[0] not in {p.name for p in pending}]
        ready = ready or pending[:1]  # a condition on itself: decide it anyway
        done += ready
        pending = [f for f in pending if f not in ready]
    return done


def _single_gold(schema: LabelSchema, by_claim: dict[str, list[Annotation]]) -> dict[str, dict[str, tuple]]:
    """claim id → single field → (gold value, share of annotators behind it).

    A field with a `required_if` is decided only where the gold meets the condition, from the
    annotators who meet it too (verdicts of the annotators who judged the claim check-worthy);
    elsewhere it has no value and counts as unanimous."""
    gold: dict[str, dict[str, tuple]] = {claim_id: {} for claim_id in by_claim}
    for field in _single_order(schema):
        condition = field.required_if
        votes = [(claim_id, a.annotator, a.value(field.name)) for claim_id, anns in by_claim.items()
                 for a in anns if meets(a.value, condition) and a.value(field.name) is not None]
        voted = majority_votes(votes)
        for claim_id, decided in gold.items():
            met = meets(lambda name, decided=decided: decided.get(name, (None,))[0], condition)
            decided[field.name] = voted.get(claim_id, (None, 0.0)) if met else (None, 1.0)
    return gold


def gold_labels(annotations: list[Annotation], schema: LabelSchema | None = None) -> dict[str, dict]:
    """Per claim, a gold value for every field of the schema and its provenance (the fields of
    records.GoldProvenance). A reviewer's decision (an adjudication, the newest one) is the gold
    of its claim; elsewhere the annotators' majority: majority vote for single fields, for set
    fields what at least half of the annotators chose, and the spans and text of the first
    annotator who agrees with the gold judgement. `annotator_count` and `agreement` always
    describe the annotators, never the reviewer."""
    schema = schema or load_schema()
    gold = majority_gold([a for a in annotations if not a.adjudication], schema)
    decisions = {a.claim_id: a for a in sorted((a for a in annotations if a.adjudication),
                                               key=lambda a: (a.created_at, a.annotation_id))}
    for claim_id, decision in decisions.items():
        votes = gold.get(claim_id, {"annotator_count": 0, "agreement": 0.0, "cues": ()})
        labels = {}
        for field in (f for f in schema.fields if f.kind != "spans"):
            if field.is_set:
                labels[field.name] = tuple(sorted(decision.values(field.name)))
            else:
                labels[field.name] = decision.value(field.name) or ("" if field.kind == "text" else None)
        gold[claim_id] = {**labels, "annotator_count": votes["annotator_count"], "agreement": votes["agreement"],
                          "adjudicated": True, "cues": decision.cues or votes["cues"]}
    return gold


def majority_gold(annotations: list[Annotation], schema: LabelSchema) -> dict[str, dict]:
    """The annotators' gold labels (see gold_labels), claim by claim."""
    by_claim: dict[str, list[Annotation]] = defaultdict(list)
    for ann in sorted(annotations, key=lambda a: (a.claim_id, a.created_at, a.annotation_id)):
        by_claim[ann.claim_id].append(ann)
    single = _single_gold(schema, by_claim)
    decision = schema.decision
    gold = {}
    for claim_id, anns in by_claim.items():
        labels = {name: value for name, (value, _share) in single[claim_id].items()}
        agreement = 1.0
        for name in decision:
            agreement *= single[claim_id][name][1]
        # the spans of an annotator agreeing on the first judgement; texts of one agreeing on all of it
        agreeing = [a for a in anns if all(a.value(name) == labels[name] for name in decision[:1])]
        deciding = [a for a in agreeing if all(a.value(name) == labels[name] for name in decision)]
        half = len(anns) / 2
        for field in schema.fields:
            if field.is_set:
                counts = Counter(v for a in anns for v in set(a.values(field.name)))
                labels[field.name] = tuple(sorted(v for v, n in counts.items() if n >= half))
            elif field.kind == "text":
                labels[field.name] = next((a.value(field.name) for a in deciding if a.value(field.name)), "")
        gold[claim_id] = {**{f.name: labels[f.name] for f in schema.fields if f.kind != "spans"},
                          "annotator_count": len(anns), "agreement": round(agreement, 4), "adjudicated": False,
                          "cues": next((a.cues for a in agreeing if a.cues), ())}  # the spans fields' (Annotation.cues)
    return gold
