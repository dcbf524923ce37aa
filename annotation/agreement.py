"""Inter-annotator agreement: Krippendorff's alpha per field and Cohen's kappa per pair."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import numpy as np

from pipelines.records import Annotation

NOMINAL_FIELDS = ("checkworthy", "verdict", "distortion")


def _by_claim(annotations: list[Annotation]) -> dict[str, dict[str, Annotation]]:
    table: dict[str, dict[str, Annotation]] = defaultdict(dict)
    for ann in annotations:
        table[ann.claim_id][ann.annotator] = ann
    return table


def krippendorff_alpha(annotations: list[Annotation], field: str) -> float | None:
    """Nominal alpha over claims that at least two annotators labeled (None if undefined)."""
    import krippendorff

    table = {c: a for c, a in _by_claim(annotations).items() if sum(getattr(x, field) is not None for x in a.values()) >= 2}
    if not table:
        return None
    coders = sorted({name for anns in table.values() for name in anns})
    values = sorted({getattr(a, field) for anns in table.values() for a in anns.values() if getattr(a, field) is not None})
    code = {v: i for i, v in enumerate(values)}
    data = np.full((len(coders), len(table)), np.nan)
    for j, anns in enumerate(table.values()):
        for i, coder in enumerate(coders):
            value = getattr(anns[coder], field) if coder in anns else None
            if value is not None:
                data[i, j] = code[value]
    if len(values) < 2:
        return 1.0
    return round(float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")), 4)


def cohen_kappa_pairs(annotations: list[Annotation], field: str) -> dict[str, dict]:
    from sklearn.metrics import cohen_kappa_score

    table = _by_claim(annotations)
    coders = sorted({a.annotator for a in annotations})
    out = {}
    for a, b in combinations(coders, 2):
        pairs = [(anns[a], anns[b]) for anns in table.values() if a in anns and b in anns]
        pairs = [(x, y) for x, y in pairs if getattr(x, field) is not None and getattr(y, field) is not None]
        if len(pairs) < 2:
            continue
        left = [getattr(x, field) for x, _ in pairs]
        right = [getattr(y, field) for _, y in pairs]
        kappa = 1.0 if left == right else float(cohen_kappa_score(left, right))
        out[f"{a}~{b}"] = {"kappa": round(kappa, 4), "n": len(pairs)}
    return out


def agreement_report(annotations: list[Annotation]) -> dict:
    overlap = sum(1 for anns in _by_claim(annotations).values() if len(anns) >= 2)
    return {
        "annotators": len({a.annotator for a in annotations}),
        "annotations": len(annotations),
        "claims": len(_by_claim(annotations)),
        "claims_with_overlap": overlap,
        "alpha": {f: krippendorff_alpha(annotations, f) for f in NOMINAL_FIELDS},
        "kappa": {f: cohen_kappa_pairs(annotations, f) for f in NOMINAL_FIELDS},
    }
