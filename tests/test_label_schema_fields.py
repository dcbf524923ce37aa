"""The label schema is the only place label fields live: a field added to a copy of
annotation/label_schema.yaml reaches the Label Studio config, the parsed annotations, the
agreement, the gold labels and the release; a field removed leaves no column and no KeyError."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from test_release import FACTS, _article, _claim

from annotation import sync
from annotation.adjudication import adjudicate
from annotation.agreement import agreement_report
from annotation.label_config import label_config
from annotation.labels import gold_labels, parse_export, parse_result, to_result
from pipelines.baselines.models import OTHERS, schema_tasks
from pipelines.kernel.io import DataDir, FrameCheckError
from pipelines.kernel.label_schema import SCHEMA_FILE, load_schema
from pipelines.kernel.records import Annotation, CueSpan, LabelValue
from pipelines.kernel.releases import load_definition
from pipelines.kernel.step import run_step
from pipelines.release.card import card_body
from pipelines.release.changelog import claims_from_release
from pipelines.release.tables import build_tables, features, write_release
from pipelines.report import ReportStep

REPO = Path(__file__).resolve().parent.parent
DEMO_EXPORT = REPO / "demo" / "annotations" / "demo_export.json"
TONE = {"name": "tone", "kind": "single", "title": "Tone of the claim",
        "choices": [{"value": "alarmist", "hint": "raises alarm"}, {"value": "calm", "hint": "states it plainly"}]}
FLAGS = {"granite-herald": True, "east-wire": False}


def _schema(tmp_path: Path, edit) -> object:
    """A modified copy of the committed schema, loaded from tmp_path."""
    doc = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))
    edit(doc["fields"])
    path = tmp_path / "label_schema.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return load_schema(path)


def _with_tone(tmp_path: Path):
    return _schema(tmp_path, lambda fields: fields.insert(3, TONE))  # after distortion


def _without_distortion(tmp_path: Path):
    return _schema(tmp_path, lambda fields: fields.remove(next(f for f in fields if f["name"] == "distortion")))


def _choices(name: str, *values: str) -> dict:
    return {"from_name": name, "to_name": "claim", "type": "choices", "value": {"choices": list(values)}}


def _export(tmp_path: Path, claims) -> Path:
    """A Label Studio JSON export: two annotators per claim, with every field of the committed
    schema and a `tone` (which the committed schema does not have)."""
    tasks = []
    for n, claim in enumerate(claims):
        annotations = []
        for who in ("ann-a@framecheck.invalid", "ann-b@framecheck.invalid"):
            tone = "alarmist" if (n + (who < "ann-b")) % 3 else "calm"
            annotations.append({
                "id": f"{claim.claim_id}-{who[4]}", "completed_by": {"email": who}, "created_at": f"2026-01-01T00:00:0{int(who[4] == 'b')}Z",
                "result": [_choices("checkworthy", "yes"), _choices("verdict", "accurate"), _choices("distortion", "none"),
                           _choices("tone", tone), _choices("frames", "law_enforcement"), _choices("evidence", "F16"),
                           {"from_name": "rationale", "to_name": "claim", "type": "textarea", "value": {"text": ["F16 says so"]}}],
            })
        tasks.append({"id": n, "data": {"claim_id": claim.claim_id}, "annotations": annotations})
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


@pytest.fixture
def inputs():
    articles = [_article(i) for i in range(30)] + [_article(99, outlet="east-wire", duplicate_of="a001")]
    claims = [_claim(i, f"a{i % 30:03d}") for i in range(60)] + [_claim(99, "a099")]
    return articles, claims


def _release(tmp_path, schema, articles, claims, annotations, out: Path, previous=None):
    definition = replace(load_definition(), ood_outlets=())
    tables = build_tables(definition, schema, articles, claims, gold_labels(annotations, schema), FACTS, FLAGS)
    folder, _ = write_release(tables, definition, schema, out, lambda s: "card\n", previous=previous)
    return definition, tables, folder


def _claims_rows(folder: Path) -> list[dict]:
    return [row for p in sorted((folder / "data" / "claims").glob("*.parquet")) for row in pq.read_table(p).to_pylist()]


def test_a_new_field_reaches_label_studio_annotations_agreement_and_release(tmp_path, inputs):
    schema = _with_tone(tmp_path)
    articles, claims = inputs
    # the Label Studio config asks it, as a single choice, and validates
    config = label_config(schema, FACTS)
    tone = next(t for t in ET.fromstring(config).iter("Choices") if t.get("name") == "tone")
    assert tone.get("choice") == "single" and [c.get("value") for c in tone.findall("Choice")] == ["alarmist", "calm"]
    sync.label_interface(config)
    # parsed from an export, in schema order
    annotations = parse_export(_export(tmp_path, claims), schema)
    assert len(annotations) == 2 * len(claims)
    assert [label.field for label in annotations[0].labels] == ["checkworthy", "verdict", "distortion", "tone", "frames",
                                                                "evidence", "rationale"]
    assert {a.value("tone") for a in annotations} == {"alarmist", "calm"}
    # agreement: nominal alpha and kappa like the other single fields; the demo data disagree on it
    report = agreement_report(annotations, schema=schema)
    assert list(report["alpha"]) == ["checkworthy", "verdict", "distortion", "tone", "frames", "evidence"]
    assert report["alpha"]["tone"] < 1.0 and report["alpha"]["verdict"] == 1.0
    assert "tone" in report["kappa"]
    _gold, queue = adjudicate(annotations, schema=schema)
    assert queue and all(item.majority["tone"] in ("alarmist", "calm") for item in queue)
    assert {reason for item in queue for reason in item.reasons} <= {"tone_majority_vs_dawid_skene", "tone_low_confidence"}
    # the release: a ClassLabel column after distortion, with the gold index in the rows
    _definition, _tables, folder = _release(tmp_path, schema, articles, claims, annotations, tmp_path / "rel" / "0.1.0")
    assert features(schema)["claims"]["tone"].names == ["alarmist", "calm"]
    columns = pq.read_schema(next((folder / "data" / "claims").glob("*.parquet"))).names
    assert columns[columns.index("distortion") + 1] == "tone"
    rows = _claims_rows(folder)
    assert {r["tone"] for r in rows} <= {0, 1} and len({r["tone"] for r in rows}) == 2
    front = yaml.safe_load((folder / "README.md").read_text(encoding="utf-8").split("---")[1])
    claims_info = next(c for c in front["dataset_info"] if c["config_name"] == "claims")
    assert any(f["name"] == "tone" for f in claims_info["features"])
    # and a baseline task over its own classes, on all claims (it has no required_if)
    tone_task = next(t for t in schema_tasks(schema, {f.name: f.names for f in schema.fields}) if t.field == "tone")
    assert tone_task.label_names == ["alarmist", "calm"] and tone_task.condition is None


def test_a_removed_field_leaves_no_column_and_no_key_error(tmp_path, inputs):
    full = load_schema()
    schema = _without_distortion(tmp_path)
    articles, claims = inputs
    # exports made with the field (the demo's, and this one) parse without it
    demo = parse_export(DEMO_EXPORT, schema)
    assert demo and not any(a.values("distortion") for a in demo)
    annotations = parse_export(_export(tmp_path, claims), schema)
    gold = gold_labels(annotations, schema)
    assert "distortion" not in next(iter(gold.values()))
    report = agreement_report(annotations, schema=schema)
    assert "distortion" not in report["alpha"] and "distortion" not in report["kappa"]
    adjudicate(annotations, schema=schema)
    # a release without the column; the diff against a release with it relabels nothing
    _d, _t, before = _release(tmp_path, full, articles, claims, parse_export(_export(tmp_path, claims), full),
                              tmp_path / "releases" / "0.1.0")
    definition, tables, folder = _release(tmp_path, schema, articles, claims, annotations, tmp_path / "releases" / "0.2.0",
                                          previous=before)
    assert all("distortion" not in row for row in _claims_rows(folder)) and "verdict" in _claims_rows(folder)[0]
    assert "0 relabeled" in (folder / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "distortion" not in claims_from_release(folder)[claims[0].claim_id]
    card = card_body(definition, schema, tables, report, {"claims": []})
    assert "Distortion" not in card and "### Verdict by camp" in card
    assert [t.field for t in schema_tasks(schema, {f.name: f.names for f in schema.fields})] == ["checkworthy", "verdict"]
    # the report shows the fields the release has
    data = DataDir(tmp_path / "data")
    run_step(ReportStep(data, "scs-framing", folder))
    html = (data.reports_dir / "report-0.2.0.html").read_text(encoding="utf-8")
    assert "<h2>Verdict by camp</h2>" in html and "Distortion" not in html


def _ann(claim: str, who: str, created: str, verdict: str) -> Annotation:
    return Annotation(annotation_id=f"{claim}-{who}", claim_id=claim, annotator=who,
                      labels=(LabelValue("checkworthy", ("yes",)), LabelValue("verdict", (verdict,))), cues=(),
                      created_at=created, source_file="x")


def test_majority_tie_goes_to_the_earliest_annotation_not_the_alphabet():
    # crowd-kit's MajorityVote alone would pick "accurate" (alphabetically first) in both
    gold = gold_labels([_ann("c1", "a", "2026-01-01", "unverifiable"), _ann("c1", "b", "2026-01-02", "accurate"),
                        _ann("c2", "a", "2026-01-02", "unverifiable"), _ann("c2", "b", "2026-01-01", "false")])
    assert gold["c1"]["verdict"] == "unverifiable" and gold["c1"]["agreement"] == 0.5
    assert gold["c2"]["verdict"] == "false"
    three = gold_labels([_ann("c3", "a", "1", "false"), _ann("c3", "b", "2", "accurate"), _ann("c3", "c", "3", "accurate")])
    assert three["c3"]["verdict"] == "accurate" and three["c3"]["agreement"] == round(2 / 3, 4)


def test_the_positive_class_and_conditions_come_from_required_if(tmp_path):
    names = {f.name: f.names for f in load_schema().fields}
    tasks = {t.field: t for t in schema_tasks(load_schema(), names)}
    assert tasks["checkworthy"].label_names == ["yes", OTHERS] and tasks["verdict"].condition == ("checkworthy", "yes")

    def ask_on_satire(fields):
        for f in fields:
            if f.get("required_if"):
                f["required_if"] = {"checkworthy": "no-satire"}

    schema = _schema(tmp_path, ask_on_satire)
    tasks = {t.field: t for t in schema_tasks(schema, names)}
    assert tasks["checkworthy"].label_names == ["no-satire", OTHERS]
    assert tasks["distortion"].condition == ("checkworthy", "no-satire")
    # and the gold verdict is decided where the gold meets the new condition
    anns = [Annotation("1", "c1", "a", (LabelValue("checkworthy", ("no-satire",)), LabelValue("verdict", ("false",))), (), "1", "x"),
            Annotation("2", "c2", "a", (LabelValue("checkworthy", ("yes",)), LabelValue("verdict", ("false",))), (), "1", "x")]
    gold = gold_labels(anns, schema)
    assert gold["c1"]["verdict"] == "false" and gold["c2"]["verdict"] is None


def test_review_predictions_read_back_as_the_annotation():
    schema = load_schema()
    ann = Annotation("1", "c1", "a", (LabelValue("checkworthy", ("yes",)), LabelValue("verdict", ("misleading",)),
                                      LabelValue("frames", ("geopolitics", "explanatory")), LabelValue("evidence", ("F01",)),
                                      LabelValue("rationale", ("F01: not one score",))),
                     (CueSpan(0, 5, "loaded_word", "grim"),), "1", "x")
    labels, cues = parse_result(to_result(ann, schema), schema)
    assert labels == ann.labels and cues == ann.cues


def test_a_result_of_the_wrong_type_names_the_field(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 1, "data": {"claim_id": "c1"}, "annotations": [{"id": 5, "completed_by": 1, "result": [
        {"from_name": "verdict", "to_name": "claim", "type": "textarea", "value": {"text": ["false"]}}]}]}]), encoding="utf-8")
    with pytest.raises(FrameCheckError, match=r"export\.json: \[0\]\.annotations\[0\]\.result\[verdict\]: a 'textarea' result"):
        parse_export(path)
