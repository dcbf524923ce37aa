"""`framecheck report`: the plot sections, baselines, and every string from the data escaped."""

import re
from dataclasses import replace

from test_release import FACTS, _article, _claim, _gold

from pipelines.kernel.io import DataDir
from pipelines.kernel.label_schema import load_schema
from pipelines.kernel.records import CueSpan
from pipelines.kernel.releases import load_definition
from pipelines.kernel.step import run_step
from pipelines.release.tables import build_tables, write_release
from pipelines.report import ReportStep

SCRIPT = "<script>alert('x')</script>"


def _release(tmp_path):
    articles = [_article(i) for i in range(12)] + [replace(_article(20 + i, outlet="east-wire"), camp="chinese_state") for i in range(6)]
    claims = [_claim(i, f"a{i % 12:03d}") for i in range(24)]
    claims += [replace(_claim(50 + i, f"a{20 + i % 6:03d}"), outlet_id="east-wire", camp="chinese_state", published="2021-05-01")
               for i in range(12)]
    claims[0] = replace(claims[0], text=f"The score {SCRIPT} watches every citizen.", checkworthiness=0.99,
                        cues=(CueSpan(start=10, end=10 + len(SCRIPT), label="loaded_word", text=SCRIPT),))
    gold = {}
    for i, c in enumerate(claims):
        verdict, distortion = [("accurate", "none"), ("false", "overstates"), ("misleading", "understates")][i % 3]
        gold[c.claim_id] = {**_gold(), "verdict": verdict, "distortion": distortion,
                            "frames": ("surveillance_dystopia",) if i % 2 else ("law_enforcement",)}
    gold[claims[0].claim_id] = {**gold[claims[0].claim_id], "verdict": "false", "distortion": "overstates"}
    definition = replace(load_definition(), ood_outlets=())
    schema = load_schema()
    tables = build_tables(definition, schema, articles, claims, gold, FACTS, {"granite-herald": True, "east-wire": True})
    folder, _ = write_release(tables, definition, schema, tmp_path / "rel" / "0.1.0", lambda s: "card\n")
    return folder


def test_report_has_plot_sections_and_escapes_claims(tmp_path):
    folder = _release(tmp_path)
    data = DataDir(tmp_path / "data")
    summary = run_step(ReportStep(data, "scs-framing", folder))
    html = (data.reports_dir / "report-0.1.0.html").read_text(encoding="utf-8")
    assert summary.outputs == [str(data.reports_dir / "report-0.1.0.html")]
    sections = re.findall(r"<section><h2>(.*?)</h2>", html)
    # a section per single field and camp/language, per multi field over time, the spans, the baselines,
    # and example claims per conditional single field, all from the schema
    assert sections == ["Checkworthy by camp", "Checkworthy by language", "Verdict by camp", "Verdict by language",
                        "Distortion by camp", "Distortion by language", "Frames over time", "Top cues per camp",
                        "Baselines", "Example claims by verdict", "Example claims by distortion"]
    assert html.count('src="data:image/png;base64,') >= 7, "the seven plots are embedded PNGs"
    # the example tables have one table per label of the schema's choices that occurs
    distortion = html.split("<h2>Example claims by distortion</h2>")[1]
    assert re.findall(r"<h4>(.*?)</h4>", distortion) == ["overstates", "understates", "none"]
    # the claim (example table) and its cue span (top cues) are shown, escaped; no live script tag anywhere
    assert "<script" not in html.lower()
    assert "The score &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; watches every citizen." in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; (1)" in html
    # an unchanged release is not redone
    assert run_step(ReportStep(data, "scs-framing", folder)).unchanged
