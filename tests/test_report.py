"""`framecheck report`: the plot sections, agreement, baselines, the demo banner, paths relative
to the data directory, readable plots, and every string from the data escaped."""

import base64
import io
import json
import re
from dataclasses import replace

from test_release import FACTS, _article, _claim, _gold

from test_agreement import _ann

from annotation import agreement_report
from annotation.agreement import AgreementSettings
from pipelines.kernel.io import DataDir
from pipelines.kernel.label_schema import load_schema
from pipelines.kernel.records import CueSpan
from pipelines.release.card import DEMO_WARNING
from pipelines.kernel.releases import load_definition
from pipelines.kernel.step import run_step
from pipelines.release.tables import build_tables, write_release
from pipelines.report import ReportStep

SCRIPT = "<script>alert('x')</script>"


def _release(tmp_path, folder=None, card="card\n", agreement=None):
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
    def extras(tmp, _split_info):
        if agreement is not None:  # as the release build keeps it
            (tmp / "agreement.json").write_text(json.dumps(agreement), encoding="utf-8")
        return {}

    folder, _ = write_release(tables, definition, schema, folder or tmp_path / "rel" / "0.1.0", lambda s: card, extras=extras)
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
                        "Agreement", "Baselines", "Example claims by verdict", "Example claims by distortion"]
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


def _report(tmp_path, **kwargs) -> str:
    data = DataDir(tmp_path / "data")
    folder = _release(tmp_path, **kwargs)
    run_step(ReportStep(data, "scs-framing", folder))
    return (data.reports_dir / f"report-{folder.name}.html").read_text(encoding="utf-8")


def test_demo_banner_only_when_the_card_says_demo(tmp_path):
    html = _report(tmp_path / "demo", card=f"{DEMO_WARNING}\n\nbody\n")
    banner = re.search(r'<h1>.*?</h1><p class="demo" role="alert">(.*?)</p>', html)
    assert banner and banner.group(1).startswith("Demo corpus — not real coverage.")
    assert 'class="demo"' not in _report(tmp_path / "real")


def test_agreement_section_has_overlap_alpha_per_field_and_kappa_per_pair(tmp_path):
    anns = []
    for i in range(3):  # three shared claims, verdicts agree on two
        anns += [_ann(f"c{i:03d}", "annotator-a"), _ann(f"c{i:03d}", "annotator-b", verdict="misleading" if i == 2 else "accurate")]
    agreement = agreement_report(anns, settings=AgreementSettings(min_overlap_claims=10))
    html = _report(tmp_path, agreement=agreement)
    section = html.split("<h2>Agreement</h2>")[1].split("</section>")[0]
    assert '<p class="warning">WARNING: only 3 claim(s) labeled by two or more annotators, below the minimum of 10' in section
    assert "<b>3 claims labeled by two or more annotators</b> (minimum 10)" in section
    fields = re.findall(r"<tr><td>(\w+)</td><td>(nominal|Jaccard set distance)</td><td>([^<]+)</td><td>(\d+)</td></tr>", section)
    assert [f[0] for f in fields] == ["checkworthy", "verdict", "distortion", "frames", "evidence"], "schema order"
    assert dict((f[0], f[3]) for f in fields)["verdict"] == "3"
    assert dict((f[0], f[2]) for f in fields)["verdict"] == f"{agreement['alpha']['verdict']:.3f}"
    kappa = re.findall(r"<tr><td>(\w+)</td><td>annotator-a~annotator-b</td><td>([^<]+)</td><td>(\d+)</td></tr>", section)
    assert ("verdict", f"{agreement['kappa']['verdict']['annotator-a~annotator-b']['kappa']:.3f}", "3") in kappa
    assert "No agreement figures" in _report(tmp_path / "without"), "a release without agreement.json says so"


def test_paths_are_relative_and_never_absolute(tmp_path):
    inside = _report(tmp_path, folder=tmp_path / "data" / "releases" / "0.1.0")
    assert "labeled claims from the release releases/0.1.0." in inside
    outside = _report(tmp_path / "other")
    for html in (inside, outside):
        assert str(tmp_path) not in html and "/tmp/" not in html


def test_plots_are_drawn_at_the_column_width(tmp_path):
    from PIL import Image

    html = _report(tmp_path)
    widths = [Image.open(io.BytesIO(base64.b64decode(png))).width for png in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]
    assert len(widths) >= 7
    # 8 in at 110 dpi, legend outside the axes: shown near 1:1 in the 900 px column, so the
    # 10-13 pt fonts are read at their size (the old 7-inch plots with 7 pt legends were not)
    assert all(780 <= w <= 1000 for w in widths), widths
