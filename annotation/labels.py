"""Label Studio JSON exports → normalized Annotation records → gold labels.

Annotator identities are replaced by keyed-hash pseudonyms before anything is stored."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from pipelines.kernel.io import FrameCheckError
from pipelines.kernel.privacy import pseudonym
from pipelines.kernel.records import Annotation, CueSpan


def _identity(completed_by) -> object:
    if isinstance(completed_by, dict):
        return completed_by.get("email") or completed_by.get("id")
    return completed_by


def parse_result(result: list[dict]) -> dict:
    """Label Studio result items → field values (choices, spans, text)."""
    out: dict = {"frames": (), "evidence": (), "cues": (), "rationale": ""}
    cues = []
    for item in result or []:
        name, value = item.get("from_name"), item.get("value", {})
        kind = item.get("type")
        if kind == "choices":
            chosen = tuple(value.get("choices", []))
            out[name] = chosen if name in ("frames", "evidence") else (chosen[0] if chosen else None)
        elif kind == "labels":
            for label in value.get("labels", []):
                cues.append(CueSpan(int(value["start"]), int(value["end"]), label, value.get("text", "")))
        elif kind == "textarea":
            out[name] = " ".join(value.get("text", []))
    out["cues"] = tuple(sorted(cues, key=lambda c: (c.start, c.end, c.label)))
    return out


def parse_export(path: Path) -> list[Annotation]:
    """Read a Label Studio JSON export (a list of tasks with their annotations)."""
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
        if not claim_id:
            raise FrameCheckError(f"{path}: task #{t} (id {task.get('id')}) has no data.claim_id")
        for ann in task.get("annotations") or []:
            if ann.get("was_cancelled"):
                continue
            values = parse_result(ann.get("result"))
            annotations.append(
                Annotation(
                    annotation_id=str(ann.get("id")),
                    claim_id=claim_id,
                    annotator=pseudonym(_identity(ann.get("completed_by"))),
                    checkworthy=values.get("checkworthy"),
                    verdict=values.get("verdict"),
                    distortion=values.get("distortion"),
                    frames=tuple(values["frames"]),
                    evidence=tuple(values["evidence"]),
                    cues=values["cues"],
                    rationale=values["rationale"],
                    created_at=str(ann.get("created_at", "")),
                    source_file=path.name,
                )
            )
    return annotations


def _majority(values: list) -> tuple[object, float]:
    """Most frequent value (ties: the first given) and the share that chose it."""
    values = [v for v in values if v is not None]
    if not values:
        return None, 0.0
    counts = Counter(values)
    top = max(counts.values())
    winner = next(v for v in values if counts[v] == top)
    return winner, top / len(values)


def gold_labels(annotations: list[Annotation]) -> dict[str, dict]:
    """Majority vote per claim; set fields keep what at least half the annotators chose."""
    by_claim: dict[str, list[Annotation]] = defaultdict(list)
    for ann in sorted(annotations, key=lambda a: (a.claim_id, a.created_at, a.annotation_id)):
        by_claim[ann.claim_id].append(ann)
    gold = {}
    for claim_id, anns in by_claim.items():
        checkworthy, cw_share = _majority([a.checkworthy for a in anns])
        agreeing = [a for a in anns if a.checkworthy == checkworthy]
        verdict, v_share = _majority([a.verdict for a in agreeing]) if checkworthy == "yes" else (None, 1.0)
        distortion, _ = _majority([a.distortion for a in agreeing]) if checkworthy == "yes" else (None, 1.0)
        half = len(anns) / 2
        frames = tuple(sorted(f for f, n in Counter(f for a in anns for f in set(a.frames)).items() if n >= half))
        evidence = tuple(sorted(e for e, n in Counter(e for a in anns for e in set(a.evidence)).items() if n >= half))
        rationale = next((a.rationale for a in agreeing if a.verdict == verdict and a.rationale), "")
        cues = next((a.cues for a in agreeing if a.cues), ())
        gold[claim_id] = {
            "checkworthy": checkworthy,
            "verdict": verdict,
            "distortion": distortion,
            "frames": frames,
            "evidence": evidence,
            "rationale": rationale,
            "annotator_count": len(anns),
            "agreement": round(cw_share * v_share, 4),
            "cues": cues,
        }
    return gold
