"""Agreement reports the number of overlapping claims and warns loudly below the minimum
(min_overlap_claims, a validated setting in annotation/agreement.yaml)."""

import pytest
from test_agreement import _ann

from annotation import AgreementStep
from annotation.agreement import SETTINGS_FILE, AgreementSettings, agreement_report, load_settings
from pipelines.kernel.config import ConfigError
from pipelines.kernel.io import DataDir, write_records
from pipelines.kernel.records import Annotation, Claim
from pipelines.kernel.step import run_step


def _overlapping(n_shared: int, n_single: int = 2) -> list[Annotation]:
    anns = []
    for i in range(n_shared):
        anns += [_ann(f"c{i}", "a"), _ann(f"c{i}", "b", verdict="accurate" if i % 2 else "misleading")]
    anns += [_ann(f"s{i}", "a") for i in range(n_single)]
    return anns


def test_below_the_minimum_the_report_warns_with_the_count():
    report = agreement_report(_overlapping(3), settings=AgreementSettings(min_overlap_claims=4))
    assert report["claims_with_overlap"] == 3 and report["claims"] == 5
    assert report["min_overlap_claims"] == 4 and report["enough_overlap"] is False
    assert report["warning"].startswith("WARNING: only 3 claim(s) labeled by two or more annotators, below the minimum of 4")
    assert report["alpha"]["verdict"] is not None, "the figures are still there, under the warning"
    enough = agreement_report(_overlapping(4), settings=AgreementSettings(min_overlap_claims=4))
    assert enough["enough_overlap"] is True and enough["warning"] is None


def test_the_committed_setting_loads_and_bad_ones_name_file_and_field(tmp_path):
    assert load_settings().min_overlap_claims == 50
    assert SETTINGS_FILE.name == "agreement.yaml"
    for text, message in (("min_overlap_claims: 1\n", "at least 2"), ('min_overlap_claims: "50"\n', "integer"),
                          ("min_overlap_claims: true\n", "integer"), ("{}\n", "required field is missing"),
                          ("min_overlap_claims: 5\nmin_overlap: 3\n", "min_overlap")):
        path = tmp_path / "agreement.yaml"
        path.write_text(text)
        with pytest.raises(ConfigError) as err:
            load_settings(path)
        assert str(err.value).startswith(f"{path}: ") and message in str(err.value), str(err.value)
        assert "\n" not in str(err.value)


def test_agreement_step_summary_warns_loudly(tmp_path):
    data = DataDir(tmp_path)
    anns = _overlapping(3)
    claims = [Claim(cid, "a1", 0, 1, "x", "", "", "en", 0.5, "o", "western", None, "u") for cid in sorted({a.claim_id for a in anns})]
    write_records(data.table("claims"), claims, Claim)
    write_records(data.table("annotations"), anns, Annotation)
    summary = run_step(AgreementStep(data))
    assert "3 claim(s) labeled by two or more annotators (minimum 50)" in summary.notes
    assert any(note.startswith("WARNING: only 3 claim(s)") for note in summary.notes), summary.notes
    assert AgreementStep(data).report()["warning"].startswith("WARNING: only 3"), "kept in reports/agreement.json"
    assert run_step(AgreementStep(data)).unchanged
