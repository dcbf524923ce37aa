"""Agreement, adjudication and the committed demo annotations."""

from pathlib import Path

from annotation.adjudication import adjudicate
from annotation.agreement import (
    agreement_report,
    alpha,
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


def test_alpha_is_one_for_perfect_agreement_and_low_for_noise():
    perfect = [_ann(f"c{i}", w, verdict=v) for i, v in enumerate(["accurate", "false", "misleading"] * 4) for w in ("a", "b")]
    assert krippendorff_alpha(perfect, "verdict") == 1.0
    flipped = [_ann(f"c{i}", "a", verdict="accurate" if i % 2 else "false") for i in range(20)] + \
              [_ann(f"c{i}", "b", verdict="false" if i % 2 else "accurate") for i in range(20)]
    assert krippendorff_alpha(flipped, "verdict") < 0


def test_set_alpha_uses_jaccard_distance():
    assert jaccard_distance(frozenset({"a", "b"}), frozenset({"a"})) == 0.5
    same = [[frozenset({"x"}), frozenset({"x"})], [frozenset({"y", "z"}), frozenset({"y", "z"})]]
    partial = [[frozenset({"x"}), frozenset({"x", "y"})], [frozenset({"y", "z"}), frozenset({"z"})]]
    assert alpha(same, jaccard_distance) == 1.0
    assert alpha(partial, jaccard_distance) < 1.0


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
