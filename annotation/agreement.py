"""Inter-annotator agreement: Krippendorff's alpha per field of the label schema (nominal for
single fields, a Jaccard set distance for multi and evidence fields) and Cohen's kappa per
annotator pair for the single fields, overall and broken down by language and camp."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Callable

import numpy as np
from pydantic import field_validator

from pipelines.kernel.config import ANNOTATION_DIR, ConfigModel, load_config
from pipelines.kernel.label_schema import LabelSchema, load_schema
from pipelines.kernel.records import Annotation

SETTINGS_FILE = ANNOTATION_DIR / "agreement.yaml"


class AgreementSettingsModel(ConfigModel):
    min_overlap_claims: int

    @field_validator("min_overlap_claims")
    @classmethod
    def _at_least_two(cls, value: int) -> int:
        if value < 2:
            raise ValueError(f"expected a whole number of at least 2 (agreement needs shared claims), got {value}")
        return value


@dataclass(frozen=True)
class AgreementSettings:
    min_overlap_claims: int


def load_settings(path: Path = SETTINGS_FILE) -> AgreementSettings:
    return AgreementSettings(load_config(path, AgreementSettingsModel).min_overlap_claims)


def overlap_warning(claims_with_overlap: int, minimum: int) -> str | None:
    """The loud line shown wherever agreement is, when too few claims were labeled twice."""
    if claims_with_overlap >= minimum:
        return None
    return (f"WARNING: only {claims_with_overlap} claim(s) labeled by two or more annotators, below the minimum of "
            f"{minimum} (min_overlap_claims in annotation/agreement.yaml): alpha and kappa are not reliable")


def _rated_fields(schema: LabelSchema) -> tuple[list[str], list[str]]:
    """(single fields, set fields) in schema order: the fields agreement is measured on."""
    return [f.name for f in schema.fields_of_kind("single")], [f.name for f in schema.fields if f.is_set]


def _by_claim(annotations: list[Annotation]) -> dict[str, dict[str, Annotation]]:
    table: dict[str, dict[str, Annotation]] = defaultdict(dict)
    for ann in annotations:
        table[ann.claim_id][ann.annotator] = ann
    return table


def _value(ann: Annotation, field: str, schema: LabelSchema):
    if schema.field(field).is_set:
        # a set field is only rated where the annotator's answer opens the gate (judged the
        # claim check-worthy), so that the sets compared are the ones the study asks for
        gate = schema.gate
        return frozenset(ann.values(field)) if gate is None or ann.value(gate[0]) == gate[1] else None
    return ann.value(field)


def jaccard_distance(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 0.0
    return 1.0 - len(a & b) / len(a | b)


def _nominal(a, b) -> float:
    return 0.0 if a == b else 1.0


def alpha(units: list[list], distance: Callable[[object, object], float]) -> float | None:
    """Krippendorff's alpha for any distance: units are lists of the values given to each
    unit (missing values left out); only units with two or more values count."""
    units = [u for u in units if len(u) >= 2]
    n = sum(len(u) for u in units)
    if n < 2:
        return None
    observed = 0.0
    for values in units:
        m = len(values)
        observed += sum(distance(a, b) for i, a in enumerate(values) for j, b in enumerate(values) if i != j) / (m - 1)
    observed /= n
    # identical values have distance 0 to each other: sum over distinct values, weighted by counts
    counts = Counter(v for u in units for v in u)
    expected = sum(ca * cb * distance(a, b) for a, ca in counts.items() for b, cb in counts.items() if a != b) / (n * (n - 1))
    if expected == 0:
        return 1.0
    return 1.0 - observed / expected


def krippendorff_alpha(annotations: list[Annotation], field: str, schema: LabelSchema | None = None) -> float | None:
    schema = schema or load_schema()
    units = [[v for v in (_value(a, field, schema) for a in anns.values()) if v is not None]
             for anns in _by_claim(annotations).values()]
    if schema.field(field).kind == "single":
        result = _nominal_alpha(units)
    else:
        result = alpha(units, jaccard_distance)
    return None if result is None else round(float(result), 4)


def _nominal_alpha(units: list[list]) -> float | None:
    """Nominal alpha through the krippendorff package (the reference implementation)."""
    import krippendorff

    units = [u for u in units if len(u) >= 2]
    if not units:
        return None
    values = sorted({v for u in units for v in u})
    if len(values) < 2:
        return 1.0
    code = {v: i for i, v in enumerate(values)}
    width = max(len(u) for u in units)
    data = np.full((width, len(units)), np.nan)
    for j, unit in enumerate(units):
        for i, v in enumerate(unit):
            data[i, j] = code[v]
    return krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")


def cohen_kappa_pairs(annotations: list[Annotation], field: str) -> dict[str, dict]:
    from sklearn.metrics import cohen_kappa_score

    table = _by_claim(annotations)
    coders = sorted({a.annotator for a in annotations})
    out = {}
    for a, b in combinations(coders, 2):
        pairs = [(anns[a], anns[b]) for anns in table.values() if a in anns and b in anns]
        pairs = [(x.value(field), y.value(field)) for x, y in pairs]
        pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
        if len(pairs) < 2:
            continue
        left = [x for x, _ in pairs]
        right = [y for _, y in pairs]
        kappa = 1.0 if left == right else float(cohen_kappa_score(left, right))
        out[f"{a}~{b}"] = {"kappa": round(kappa, 4), "n": len(pairs)}
    return out


def _fields_report(annotations: list[Annotation], schema: LabelSchema) -> dict:
    single, sets = _rated_fields(schema)
    return {
        "annotations": len(annotations),
        "claims_with_overlap": sum(1 for anns in _by_claim(annotations).values() if len(anns) >= 2),
        "alpha": {f: krippendorff_alpha(annotations, f, schema) for f in single + sets},
        "overlap": {f: overlapping_claims(annotations, f, schema) for f in single + sets},
    }


def overlapping_claims(annotations: list[Annotation], field: str, schema: LabelSchema) -> int:
    """Claims on which two or more annotators gave the field a value: the units its alpha rests
    on (fewer than claims_with_overlap for a field asked only under a condition)."""
    return sum(1 for anns in _by_claim(annotations).values()
               if sum(1 for a in anns.values() if _value(a, field, schema) is not None) >= 2)


def agreement_report(annotations: list[Annotation], claim_meta: dict[str, dict] | None = None,
                     schema: LabelSchema | None = None, settings: AgreementSettings | None = None) -> dict:
    """Overall figures, kappa per pair, and (given claim metadata) alpha by language and camp;
    with the number of overlapping claims, the minimum they are held to, and a warning below it."""
    schema = schema or load_schema()
    annotations = [a for a in annotations if not a.adjudication]  # a reviewer's decision is the gold, not a rating
    settings = settings or load_settings()
    single, _sets = _rated_fields(schema)
    report = {
        "annotators": len({a.annotator for a in annotations}),
        "claims": len(_by_claim(annotations)),
        **_fields_report(annotations, schema),
        "kappa": {f: cohen_kappa_pairs(annotations, f) for f in single},
    }
    report["min_overlap_claims"] = settings.min_overlap_claims
    report["enough_overlap"] = report["claims_with_overlap"] >= settings.min_overlap_claims
    report["warning"] = overlap_warning(report["claims_with_overlap"], settings.min_overlap_claims)
    for key in ("language", "camp"):
        if not claim_meta:
            break
        groups: dict[str, list[Annotation]] = defaultdict(list)
        for ann in annotations:
            meta = claim_meta.get(ann.claim_id)
            if meta:
                groups[meta[key]].append(ann)
        report[f"by_{key}"] = {value: _fields_report(anns, schema) for value, anns in sorted(groups.items())}
    return report
