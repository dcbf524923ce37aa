"""Agreement, adjudication and the committed demo annotations.

Reference values come from outside annotation.agreement: Krippendorff's published worked
example (nominal alpha 0.743), a coincidence-matrix computation written out here, hand-worked
small cases, and scikit-learn's cohen_kappa_score."""

from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score

from annotation.adjudication import adjudicate
from annotation.agreement import (
    agreement_report,
    alpha,
    cohen_kappa_pairs,
    jaccard_distance,
    krippendorff_alpha,
)
from annotation.labels import gold_labels, parse_export
from pipelines.kernel.facts import fact_ids
from pipelines.kernel.records import Annotation, LabelValue

REPO = Path(__file__).resolve().parent.parent
DEMO_EXPORT = REPO / "demo" / "annotations" / "demo_export.json"


def _ann(claim, who, checkworthy="yes", verdict="accurate", frames=("explanatory",), evidence=("F16",), distortion="none"):
    values = {"checkworthy": (checkworthy,), "verdict": (verdict,) if checkworthy == "yes" else (),
              "distortion": (distortion,) if checkworthy == "yes" else (), "frames": tuple(frames), "evidence": tuple(evidence)}
    return Annotation(annotation_id=f"{claim}-{who}", claim_id=claim, annotator=who,
                      labels=tuple(LabelValue(k, v) for k, v in values.items() if v), cues=(), created_at="2026-01-01",
                      source_file="x")


def _nominal(a, b) -> float:
    return 0.0 if a == b else 1.0


# --- Krippendorff's worked example -----------------------------------------------------
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C (nominal data,
# any number of observers, missing values): 4 observers × 12 units, None = not coded. The
# paper gives its coincidence matrix (n = 40 pairable values) and nominal alpha = 0.743.
# (The same matrix and value are in Krippendorff, Content Analysis, 4th ed., 2019, ch. 12.)
WORKED_EXAMPLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],  # observer A
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],  # observer B
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],  # observer C
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],  # observer D
]
# the paper's coincidence matrix o_ck, values 1-5 (symmetric; zero cells left out)
PUBLISHED_COINCIDENCES = {
    (1, 1): Fraction(7), (1, 2): Fraction(4, 3), (1, 3): Fraction(1, 3), (1, 4): Fraction(1, 3),
    (2, 2): Fraction(10), (2, 3): Fraction(4, 3), (2, 4): Fraction(1, 3),
    (3, 3): Fraction(8), (3, 4): Fraction(1, 3),
    (4, 4): Fraction(4),
    (5, 5): Fraction(3),
}


def _units(matrix: list[list]) -> list[list]:
    """Observers × units → the values each unit received, missing ones left out."""
    return [[row[j] for row in matrix if row[j] is not None] for j in range(len(matrix[0]))]


def _coincidences(units: list[list]) -> dict[tuple, Fraction]:
    """o_ck = Σ_u (number of c-k pairs of values in unit u, ordered, from different observers) / (m_u - 1)."""
    o: dict[tuple, Fraction] = defaultdict(Fraction)
    for values in units:
        m = len(values)
        if m < 2:
            continue  # a lone value is not pairable
        for i, c in enumerate(values):
            for j, k in enumerate(values):
                if i != j:
                    o[c, k] += Fraction(1, m - 1)
    return dict(o)


def _nominal_alpha_from_coincidences(o: dict[tuple, Fraction]) -> Fraction:
    """alpha = 1 - (n - 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c · n_k, with n_c = Σ_k o_ck."""
    n_c: dict = defaultdict(Fraction)
    for (c, _k), count in o.items():
        n_c[c] += count
    n = sum(n_c.values())
    disagreeing = sum(count for (c, k), count in o.items() if c != k)
    by_chance = n * n - sum(x * x for x in n_c.values())  # Σ_{c≠k} n_c n_k
    return 1 - (n - 1) * disagreeing / by_chance


def test_coincidence_matrix_written_out_matches_the_paper():
    o = _coincidences(_units(WORKED_EXAMPLE))
    symmetric = {**PUBLISHED_COINCIDENCES, **{(k, c): v for (c, k), v in PUBLISHED_COINCIDENCES.items()}}
    assert o == symmetric
    assert sum(o.values()) == 40
    assert _nominal_alpha_from_coincidences(o) == Fraction(113, 152)  # 0.7434…
    assert round(float(Fraction(113, 152)), 3) == 0.743


def test_nominal_alpha_reproduces_krippendorffs_worked_example():
    units = _units(WORKED_EXAMPLE)
    assert alpha(units, _nominal) == pytest.approx(113 / 152, abs=1e-12)
    # the same data as Annotation records, values as verdict names, through the production path
    names = {1: "accurate", 2: "exaggerated", 3: "misleading", 4: "false", 5: "unverifiable"}
    records = [_ann(f"u{unit}", f"observer-{observer}", verdict=names[value])
               for observer, row in enumerate(WORKED_EXAMPLE) for unit, value in enumerate(row) if value is not None]
    assert krippendorff_alpha(records, "verdict") == 0.7434


def test_alpha_is_one_for_perfect_agreement_and_minus_095_for_systematic_disagreement():
    perfect = [_ann(f"c{i}", w, verdict=v) for i, v in enumerate(["accurate", "false", "misleading"] * 4) for w in ("a", "b")]
    assert krippendorff_alpha(perfect, "verdict") == 1.0
    flipped = [_ann(f"c{i}", "a", verdict="accurate" if i % 2 else "false") for i in range(20)] + \
              [_ann(f"c{i}", "b", verdict="false" if i % 2 else "accurate") for i in range(20)]
    # by hand: n = 40, n_accurate = n_false = 20, every pair disagrees (Σ o_ck = 40):
    # 1 - 39 · 40 / (40² - 20² - 20²) = 1 - 1560 / 800 = -0.95
    assert krippendorff_alpha(flipped, "verdict") == -0.95


# --- the Jaccard set distance ----------------------------------------------------------


def test_jaccard_distance_by_hand():
    assert jaccard_distance(frozenset({"a", "b"}), frozenset({"a"})) == 0.5
    assert jaccard_distance(frozenset({"a", "b"}), frozenset({"b", "c"})) == pytest.approx(2 / 3)
    assert jaccard_distance(frozenset({"a"}), frozenset()) == 1.0
    assert jaccard_distance(frozenset(), frozenset()) == 0.0


def test_set_alpha_matches_a_hand_computed_case():
    x, xy, yz, z = frozenset({"x"}), frozenset({"x", "y"}), frozenset({"y", "z"}), frozenset({"z"})
    assert alpha([[x, x], [yz, yz]], jaccard_distance) == 1.0
    # By hand. Observed: each unit's one pair is at distance 1/2 (ordered both ways, /(m-1) = 1):
    #   D_o = (1 + 1) / n = 2 / 4 = 1/2.
    # Expected, over the 4·3 ordered pairs of the four (distinct) values: d(x,xy) = 1/2,
    #   d(x,yz) = 1, d(x,z) = 1, d(xy,yz) = 2/3, d(xy,z) = 1, d(yz,z) = 1/2; sum 14/3, twice
    #   = 28/3, D_e = (28/3) / 12 = 7/9.  alpha = 1 - (1/2) / (7/9) = 5/14.
    assert alpha([[x, xy], [yz, z]], jaccard_distance) == pytest.approx(5 / 14, abs=1e-12)


def test_set_alpha_on_records_counts_only_check_worthy_judgements():
    records = [_ann("c1", "a", frames=("x",)), _ann("c1", "b", frames=("x", "y")),
               _ann("c2", "a", frames=("y", "z")), _ann("c2", "b", frames=("z",)),
               # not check-worthy for b: b's frames on c3 are not a rating, so c3 has one value and drops out
               _ann("c3", "a", frames=("x",)), _ann("c3", "b", checkworthy="no-opinion", frames=("y", "z"))]
    assert krippendorff_alpha(records, "frames") == round(5 / 14, 4)


# --- Cohen's kappa per pair ------------------------------------------------------------

# three annotators' verdicts; None = not labelled (no record), "-" = judged not check-worthy
KAPPA_LABELS = {
    "a": ["accurate", "false", "false", "misleading", "accurate", "exaggerated", "false", "accurate", "misleading", "false"],
    "b": ["accurate", "false", "misleading", "misleading", "false", "exaggerated", "-", "accurate", "misleading", None],
    "c": [None, "false", "false", "accurate", "accurate", "misleading", "false", None, "misleading", "false"],
}


def _kappa_records() -> list[Annotation]:
    return [_ann(f"c{i}", who, checkworthy="no-opinion" if label == "-" else "yes", verdict=label)
            for who, labels in KAPPA_LABELS.items() for i, label in enumerate(labels) if label is not None]


def test_cohen_kappa_per_pair_matches_scikit_learn():
    kappas = cohen_kappa_pairs(_kappa_records(), "verdict")
    assert list(kappas) == ["a~b", "a~c", "b~c"]
    for pair, result in kappas.items():
        left, right = pair.split("~")
        both = [(x, y) for x, y in zip(KAPPA_LABELS[left], KAPPA_LABELS[right]) if x not in (None, "-") and y not in (None, "-")]
        reference = cohen_kappa_score([x for x, _ in both], [y for _, y in both])
        assert result == {"kappa": round(float(reference), 4), "n": len(both)}, pair
    assert kappas["a~b"]["n"] == 8 and kappas["b~c"]["n"] == 6


def test_cohen_kappa_by_hand_and_on_identical_labels():
    # a: accurate, exaggerated, misleading; b: accurate, misleading, misleading.
    # p_o = 2/3; p_e = (1/3)(1/3) + (1/3)(0) + (1/3)(2/3) = 1/3; kappa = (2/3 - 1/3) / (1 - 1/3) = 0.5
    records = [_ann("c1", "a", verdict="accurate"), _ann("c2", "a", verdict="exaggerated"), _ann("c3", "a", verdict="misleading"),
               _ann("c1", "b", verdict="accurate"), _ann("c2", "b", verdict="misleading"), _ann("c3", "b", verdict="misleading")]
    assert cohen_kappa_pairs(records, "verdict") == {"a~b": {"kappa": 0.5, "n": 3}}
    # identical labels of one class: kappa is undefined (0/0) in scikit-learn; agreement is perfect
    same = [_ann(f"c{i}", who, verdict="false") for i in range(3) for who in ("a", "b")]
    assert cohen_kappa_pairs(same, "verdict") == {"a~b": {"kappa": 1.0, "n": 3}}


def test_agreement_by_language_and_camp():
    anns = [_ann("c1", "a"), _ann("c1", "b"), _ann("c2", "a", verdict="false"), _ann("c2", "b", verdict="misleading")]
    report = agreement_report(anns, {"c1": {"language": "en", "camp": "western"}, "c2": {"language": "zh-Hans", "camp": "chinese_state"}})
    assert report["claims_with_overlap"] == 2
    assert set(report["by_language"]) == {"en", "zh-Hans"} and set(report["by_camp"]) == {"western", "chinese_state"}
    assert list(report["kappa"]["verdict"]) == ["a~b"]


def test_adjudication_queues_disagreements():
    anns = [_ann("c1", "a"), _ann("c1", "b"), _ann("c1", "c"),
            _ann("c2", "a", verdict="false"), _ann("c2", "b", verdict="misleading"), _ann("c2", "c", verdict="false")]
    gold, queue = adjudicate(anns)
    assert gold["c2"]["verdict"] == "false" and gold["c2"]["annotator_count"] == 3
    assert [q.claim_id for q in queue] == ["c2"] and "annotators_disagree" in queue[0].reasons
    assert queue[0].dawid_skene["verdict"]["label"] in ("false", "misleading")


def test_majority_tie_keeps_first_and_sets_need_half():
    gold = gold_labels([_ann("c1", "a", frames=("geopolitics", "explanatory")), _ann("c1", "b", frames=("explanatory",))])
    assert gold["c1"]["frames"] == ("explanatory", "geopolitics")  # each chosen by at least half of 2
    assert gold["c1"]["agreement"] == 1.0


def test_demo_export_is_pseudonymous_overlapping_and_cites_real_facts():
    annotations = parse_export(DEMO_EXPORT)
    raw = DEMO_EXPORT.read_text(encoding="utf-8")
    # the export names only the pseudonymous demo accounts, never a real address
    import re

    emails = set(re.findall(r"[\w.+-]+@[\w.-]+", raw))
    assert emails and all(e.endswith("@framecheck.invalid") for e in emails), emails
    annotators = {a.annotator for a in annotations}
    assert len(annotators) >= 2 and all(a.startswith("annotator-") for a in annotators)
    assert "@" not in "".join(annotators)
    overlap = sum(1 for c in {a.claim_id for a in annotations} if sum(a.claim_id == c for a in annotations) >= 2)
    assert overlap >= 50
    known = fact_ids()
    cited = {fid for a in annotations for fid in a.values("evidence")}
    assert cited and cited <= known, sorted(cited - known)


def test_active_learning_puts_uncertain_claims_first(tmp_path):
    import skops.io as sio

    from annotation.active import load_model, order_by_uncertainty
    from pipelines.baselines.models import make_model
    from pipelines.kernel.records import Claim

    texts = ["the court list bans flights"] * 10 + ["I love this sunny day"] * 10
    labels = ["yes"] * 10 + ["no"] * 10
    path = tmp_path / "checkworthy-logreg.skops"
    sio.dump(make_model("logreg").fit(texts, labels), path)
    model = load_model(path)

    def claim(i, text):
        return Claim(claim_id=f"c{i}", article_id="a", start=0, end=1, text=text, context_before="", context_after="",
                     language="en", checkworthiness=0.5, outlet_id="o", camp="western", published=None, url="u")

    claims = [claim(1, "the court list bans flights"), claim(2, "I love this sunny day"), claim(3, "the sunny court day")]
    assert order_by_uncertainty(claims, model)[0].claim_id == "c3"
