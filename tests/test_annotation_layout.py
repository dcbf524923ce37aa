"""Offline: the project layout for independent double annotation (annotation/projects.yaml),
adjudications as gold (not votes), and the release's provenance columns."""

from __future__ import annotations

import pytest

from annotation.adjudication import adjudicate
from annotation.agreement import agreement_report
from annotation.labels import REVIEW_ROLE, ROLE_KEY, gold_labels, parse_result
from annotation.layout import LayoutModel, ProjectLayout, layout
from annotation.review import review_html
from pipelines.kernel.config import ConfigError, load_config
from pipelines.kernel.label_schema import load_schema
from pipelines.kernel.records import Annotation, CueSpan, GoldProvenance, LabelValue
from pipelines.release.tables import PROVENANCE, features

CLAIMS = [f"c{n:04d}" for n in range(2000)]


def test_every_overlap_claim_goes_to_every_annotator_and_the_rest_to_one():
    plan = ProjectLayout("T", annotators=3, overlap=0.2)
    assert plan.projects == ["T · annotator 1", "T · annotator 2", "T · annotator 3"] and plan.review_project == "T — review"
    shared = [c for c in CLAIMS if plan.is_overlap(c)]
    assert 0.17 < len(shared) / len(CLAIMS) < 0.23  # the setting, within sampling noise of a hash
    for claim in CLAIMS:
        assert len(plan.projects_of(claim)) == (3 if claim in shared else 1)
    loads = [sum(p in plan.projects_of(c) for c in CLAIMS) for p in plan.projects]
    assert max(loads) - min(loads) < 0.1 * len(CLAIMS)  # the non-overlap claims split evenly
    # stable: a claim keeps its projects across pushes, and a bigger overlap only adds claims
    assert [plan.projects_of(c) for c in CLAIMS] == [ProjectLayout("T", 3, 0.2).projects_of(c) for c in CLAIMS]
    assert set(shared) < {c for c in CLAIMS if ProjectLayout("T", 3, 0.4).is_overlap(c)}


def test_one_annotator_is_one_shared_project_named_after_the_title():
    plan = ProjectLayout("T", annotators=1, overlap=0.5)
    assert plan.projects == ["T"] and all(plan.projects_of(c) == ["T"] for c in CLAIMS[:50])


def test_layout_setting_errors_name_file_and_field(tmp_path):
    bad = tmp_path / "projects.yaml"
    bad.write_text("annotators: 2\noverlap: 1.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"projects.yaml: overlap: input should be less than or equal to 1"):
        load_config(bad, LayoutModel)
    bad.write_text("annotators: 2\noverlapp: 0.2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"projects.yaml: overlapp: unknown key"):
        load_config(bad, LayoutModel)
    with pytest.raises(ConfigError, match=r"--annotators/--overlap: annotators"):
        layout("T", annotators=0)
    assert layout("T").annotators >= 1  # the committed annotation/projects.yaml is valid


def _ann(claim: str, who: str, checkworthy: str, verdict: str | None = None, evidence: tuple = (), rationale: str = "",
         adjudication: bool = False, at: str = "2026-01-01") -> Annotation:
    labels = [LabelValue("checkworthy", (checkworthy,))]
    labels += [LabelValue("verdict", (verdict,))] if verdict else []
    labels += [LabelValue("evidence", evidence)] if evidence else []
    labels += [LabelValue("rationale", (rationale,))] if rationale else []
    return Annotation(f"{who}-{claim}", claim, who, tuple(labels), (CueSpan(0, 4, "loaded_word", "Wow!"),), at, "x.json",
                      adjudication)


VOTES = [_ann("c1", "a", "yes", "accurate", ("F01",), "F01 says so"), _ann("c1", "b", "yes", "misleading", ("F02",), "no"),
         _ann("c2", "a", "yes", "false"), _ann("c2", "b", "yes", "false")]
DECISION = _ann("c1", "reviewer", "yes", "exaggerated", ("F02", "F01"), "both facts", adjudication=True, at="2026-02-01")


def test_the_reviewers_decision_is_the_gold_label_not_one_more_vote():
    before = gold_labels(VOTES)
    gold = gold_labels(VOTES + [DECISION])
    assert gold["c1"]["verdict"] == "exaggerated" and gold["c1"]["evidence"] == ("F01", "F02")
    assert gold["c1"]["rationale"] == "both facts" and gold["c1"]["adjudicated"] is True
    # the annotators' figures stay theirs: two annotators, half behind the majority verdict
    assert gold["c1"]["annotator_count"] == 2 and gold["c1"]["agreement"] == before["c1"]["agreement"] == 0.5
    assert gold["c2"] == before["c2"] and gold["c2"]["adjudicated"] is False
    # agreement ignores the reviewer; the decided claim leaves the review queue
    assert agreement_report(VOTES + [DECISION]) == agreement_report(VOTES)
    assert "c1" in {q.claim_id for q in adjudicate(VOTES)[1]}
    assert "c1" not in {q.claim_id for q in adjudicate(VOTES + [DECISION])[1]}


def test_review_tasks_mark_their_annotations_as_adjudications(tmp_path):
    import json

    from annotation.labels import parse_export

    result = [{"from_name": "checkworthy", "to_name": "claim", "type": "choices", "value": {"choices": ["yes"]}},
              {"from_name": "evidence", "to_name": "claim", "type": "taxonomy", "value": {"taxonomy": [["figures", "F21"]]}}]
    tasks = [{"id": 1, "data": {"claim_id": "c1", ROLE_KEY: REVIEW_ROLE}, "annotations": [{"id": 5, "completed_by": 1, "result": result}]},
             {"id": 2, "data": {"claim_id": "c2"}, "annotations": [{"id": 6, "completed_by": 2, "result": result}]}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    first, second = parse_export(path)
    assert first.adjudication and not second.adjudication
    assert first.values("evidence") == ("F21",)  # the fact id, the leaf of the (category, fact) path
    # an export from the earlier Choices picker still reads
    labels, _ = parse_result([{"from_name": "evidence", "to_name": "claim", "type": "choices", "value": {"choices": ["F02"]}}],
                             load_schema())
    assert labels[0].values == ("F02",)


def test_review_panel_shows_each_annotator_side_by_side_escaped():
    hostile = _ann("c1", "b", "yes", "misleading", rationale="<script>alert(1)</script> & more")
    page = review_html([VOTES[0], hostile], load_schema())
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert page.count("<th>annotator ") == 2 and "F01 says so" in page and "accurate" in page and "misleading" in page
    assert "loaded_word: “Wow!”" in page


def test_release_provenance_columns_come_from_the_record():
    assert PROVENANCE == tuple(GoldProvenance.__dataclass_fields__)
    claims = features(load_schema())["claims"]
    assert [name for name in claims if name in PROVENANCE] == list(PROVENANCE)
    assert claims["adjudicated"].dtype == "bool" and claims["annotator_count"].dtype == "int32"
