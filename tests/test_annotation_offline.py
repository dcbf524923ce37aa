"""Label Studio side without a server: the generated config, predictions, pseudonymization,
the server wrapper's checks, and push/pull against a closed port."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import xml.etree.ElementTree as ET

import pytest
from conftest import run_cli
from ls_fixtures import SCRIPT_TEXT, digests, make_claims, write_claims_table

from annotation import server, sync
from annotation.label_config import (
    LABEL_CONFIG_FILE,
    generated_label_config,
    label_config,
    write_label_config,
)
from annotation.labels import parse_export
from pipelines.kernel.facts import load_facts
from pipelines.kernel.io import DataDir, FrameCheckError, read_records
from pipelines.kernel.label_schema import load_schema
from pipelines.kernel.privacy import pseudonym
from pipelines.kernel.records import Annotation, Claim

# Object tags that render their value as HTML, or load it from a URL.
_HTML_TAGS = {"HyperText", "Html", "HTML", "Iframe", "Markdown"}


@pytest.fixture(scope="module")
def config() -> str:
    return generated_label_config()


@pytest.fixture(scope="module")
def interface(config):
    return sync.label_interface(config)


def _tags(config: str) -> list[ET.Element]:
    return list(ET.fromstring(config).iter())


# --- the config --------------------------------------------------------------------------


def test_config_validates_with_label_interface(config, interface):
    from label_studio_sdk.label_interface import LabelInterface

    LabelInterface(config).validate()  # raises when invalid
    assert sorted(c.name for c in interface.controls) == sorted(f.name for f in load_schema().fields)
    assert [o.name for o in interface.objects] == ["header", "context_before", "claim", "context_after"]
    review = sync.label_interface(generated_label_config(review=True))
    assert [o.name for o in review.objects] == ["header", "context_before", "claim", "context_after", "annotations_so_far"]


def test_committed_label_config_is_current(config):
    assert LABEL_CONFIG_FILE.exists(), f"{LABEL_CONFIG_FILE} missing: run python -m annotation.label_config"
    assert LABEL_CONFIG_FILE.read_text(encoding="utf-8") == config, (
        f"{LABEL_CONFIG_FILE} is out of date with label_schema.yaml/facts.yaml: run python -m annotation.label_config")


def test_write_label_config_writes_the_generated_text(tmp_path, config):
    target = write_label_config(tmp_path / "label_config.xml")
    assert target.read_text(encoding="utf-8") == config
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_every_crawled_text_goes_through_plain_text_tags(config):
    tags = _tags(config)
    objects = [t for t in tags if t.get("value", "").startswith("$")]
    plain = {t.get("value") for t in objects if t.tag == "Text"}
    assert plain == {"$context_before", "$text", "$context_after"}
    assert not any(t.get("valueType") or t.get("html") for t in objects if t.tag == "Text")
    # the one HTML object shows our header template (every field in it escaped: see below)
    html = [(t.tag, t.get("value")) for t in tags if t.tag in _HTML_TAGS]
    assert html == [("HyperText", "$header_html")]
    review = [(t.tag, t.get("value")) for t in _tags(generated_label_config(review=True)) if t.tag in _HTML_TAGS]
    assert review == [("HyperText", "$header_html"), ("HyperText", "$review_html")]


def test_header_escapes_every_crawled_field_and_links_safely():
    from dataclasses import replace

    claim = make_claims()[0]
    nasty = replace(claim, outlet_id="<b>x</b>", camp="west<img src=x onerror=alert(1)>", published='2019"><script>',
                    language="en", url='https://news.example.com/a?q="><script>alert(1)</script>')
    header = sync.header_html(nasty, outlet_name="Daily <script>alert(2)</script>", headline="Headline <i onmouseover=x>&")
    assert "<script" not in header and "<img" not in header and "<i " not in header and "<b>x</b>" not in header
    assert "Daily &lt;script&gt;alert(2)&lt;/script&gt;" in header and "Headline &lt;i onmouseover=x&gt;&amp;" in header
    link = re.search(r"<a [^>]*>", header).group(0)
    assert 'target="_blank"' in link and 'rel="noopener noreferrer"' in link
    assert 'href="https://news.example.com/a?q=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in link
    # only http(s) becomes a link: a javascript: URL stays escaped text
    js = sync.header_html(replace(claim, url="javascript:alert(1)"))
    assert "<a " not in js and "javascript:alert(1)" in js
    assert "English" in header and "Chinese (zh-Hans)" in sync.header_html(replace(claim, language="zh-Hans"))


def test_guidelines_are_html_rendered_from_the_markdown():
    page = sync.guidelines_html()
    assert page.startswith("<h1>FrameCheck annotation guidelines</h1>")
    assert "<h2>" in page and "<table>" in page and "<pre" not in page and "style=" not in page
    assert "## " not in page  # no raw Markdown left


def test_evidence_picker_lists_short_titles_by_category_and_stores_fact_ids(config):
    from annotation.label_config import category_title

    facts = load_facts()
    picker = next(t for t in _tags(config) if t.tag == "Taxonomy" and t.get("name") == "evidence")
    assert picker.get("leafsOnly") == "true"
    categories = picker.findall("Choice")
    assert {c.get("alias") for c in categories} == {f.category for f in facts}
    for category in categories:
        assert category.get("value") == category_title(category.get("alias"))
        for leaf in category.findall("Choice"):
            fact = next(f for f in facts if f.fact_id == leaf.get("alias"))
            assert fact.category == category.get("alias")
            assert leaf.get("value") == f"{fact.fact_id} · {fact.title}" and len(fact.title) <= 72
            assert fact.statement_en in leaf.get("hint") and fact.statement_zh in leaf.get("hint")  # on demand
    assert sorted(leaf.get("alias") for c in categories for leaf in c.findall("Choice")) == sorted(f.fact_id for f in facts)


def test_hotkeys_come_from_the_schema(config):
    schema = load_schema()
    expected = {(f.name, c.value): c.hotkey for f in schema.fields for c in f.choices if c.hotkey}
    found = {}
    for control in _tags(config):
        if control.tag in ("Choices", "Labels"):
            for item in control:
                if item.get("hotkey"):
                    found[(control.get("name"), item.get("value"))] = item.get("hotkey")
    assert found == expected and len(set(found.values())) == len(found)


def test_verdict_distortion_evidence_show_only_for_checkworthy_claims(config):
    by_name = {t.get("name"): t for t in _tags(config) if t.tag in ("Choices", "Labels", "TextArea", "Taxonomy")}
    for name in ("verdict", "distortion", "evidence"):
        tag = by_name[name]
        assert tag.get("visibleWhen") == "choice-selected" and tag.get("whenTagName") == "checkworthy"
        assert tag.get("whenChoiceValue") == "yes"
    for name in ("verdict", "distortion"):
        assert by_name[name].find("View/Header") is not None, "the header hides with its control"
    # a Taxonomy holds only choices: its header is a View of its own, hidden by the same condition
    evidence_header = next(v for v in _tags(config) if v.tag == "View" and v.find("Header") is not None
                           and "Evidence" in v.find("Header").get("value"))
    assert evidence_header.get("visibleWhen") == "choice-selected" and evidence_header.get("whenChoiceValue") == "yes"
    assert by_name["verdict"].get("required") == "true"  # required when shown (required_if)
    assert by_name["checkworthy"].get("visibleWhen") is None and by_name["checkworthy"].get("required") == "true"


# --- predictions and task data ----------------------------------------------------------------


def _sample_claims() -> list[Claim]:
    """Claims built the way the miner builds them: every cue term of the lexicon, real
    evidence retrieval, English and Chinese."""
    from dataclasses import replace

    from pipelines.claims.mine import CUES_FILE, EvidenceRetriever, load_cues
    from pipelines.kernel.config import load_yaml

    lexicon = load_cues()
    doc = load_yaml(CUES_FILE)["cues"]
    texts = []
    for label, by_lang in doc.items():
        if label == "regex_patterns":
            continue
        for lang, terms in by_lang.items():
            terms = [str(t) for t in terms]
            for i in range(0, len(terms), 4):
                chunk = terms[i : i + 4]
                joiner = "，" if lang != "en" else ", and "
                texts.append((lang, f"Reports on the social credit system mention {joiner.join(chunk)} in 2019."))
    retriever = EvidenceRetriever(load_facts())
    evidence = retriever.top_k([t for _, t in texts], 5)
    base = make_claims()[0]
    claims = []
    for n, ((lang, text), ev) in enumerate(zip(texts, evidence)):
        claims.append(replace(base, claim_id=f"csample{n:04d}", text=text, start=0, end=len(text),
                              language="en" if lang == "en" else "zh-Hans", cues=lexicon.find(text), evidence_candidates=ev))
    assert sum(len(c.cues) for c in claims) > 50, "the sample should exercise many cue spans"
    return claims + make_claims()


def test_every_prediction_validates(interface):
    claims = _sample_claims()
    labels_used = set()
    for claim in claims:
        pred = sync.prediction(claim)
        assert interface.validate_prediction(pred, return_errors=True) == [], claim.claim_id
        labels_used |= {lab for item in pred["result"] if item["type"] == "labels" for lab in item["value"]["labels"]}
        for item in pred["result"]:
            if item["type"] == "labels":
                v = item["value"]
                assert claim.text[v["start"] : v["end"]] == v["text"]
    assert labels_used == set(load_schema().class_names("cues"))
    sync.check_predictions(interface, claims)  # the push's own check passes too


def test_invalid_prediction_names_the_claim(interface):
    from dataclasses import replace

    from pipelines.kernel.records import CueSpan, EvidenceCandidate

    good = make_claims()[0]
    bad_label = replace(good, claim_id="cbadlabel", cues=(CueSpan(0, 5, "not_a_label", "China"),))
    with pytest.raises(FrameCheckError, match="claim cbadlabel: invalid prediction.*not_a_label"):
        sync.check_predictions(interface, [good, bad_label])
    bad_fact = replace(good, claim_id="cbadfact", evidence_candidates=(EvidenceCandidate("F99", 0.5),))
    with pytest.raises(FrameCheckError, match="claim cbadfact"):
        sync.check_predictions(interface, [bad_fact])


def test_invalid_config_is_refused():
    with pytest.raises(FrameCheckError, match="config is invalid"):
        sync.label_interface("<View><Text name='claim' value='$text'></View")


def test_script_in_a_claim_is_data_never_config(config):
    claims = make_claims()
    script = next(c for c in claims if "<script>" in c.text)
    payload = sync.task_payload(script)
    assert payload["text"] == SCRIPT_TEXT
    assert payload["context_after"] == script.context_after
    assert all(isinstance(v, (str, float)) for v in payload.values())
    assert "<script" not in config and "alert(" not in config
    assert "<script" not in label_config(load_schema(), load_facts())
    assert "<script" not in json.dumps(sync.prediction(script))


def test_scores_are_rounded_not_float32_noise():
    claim = make_claims()[0]
    assert sync.task_payload(claim)["checkworthiness"] == 0.8
    assert sync.prediction(claim)["score"] == 0.8


# --- exports and pseudonyms ------------------------------------------------------------------------


def _export(tmp_path, completed_by_values):
    claims = make_claims()
    tasks = []
    for n, (claim, who) in enumerate(zip(claims, completed_by_values), start=1):
        tasks.append({
            "id": n,
            "data": sync.task_payload(claim),
            "annotations": [{
                "id": 100 + n, "completed_by": who, "created_username": "alice alice@example.org, 7",
                "updated_by": 7, "last_created_by": 7, "was_cancelled": False,
                "created_at": f"2026-01-0{n}T00:00:00Z",
                "result": [{"from_name": "checkworthy", "to_name": "claim", "type": "choices", "value": {"choices": ["yes"]}},
                           {"from_name": "verdict", "to_name": "claim", "type": "choices", "value": {"choices": ["exaggerated"]}}],
            }],
            "drafts": [{"id": 900 + n, "user": "alice@example.org", "result": []}],
            "updated_by": 7, "comment_authors": [{"id": 7, "email": "alice@example.org"}],
        })
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path, tasks


def test_parse_export_pseudonymizes(tmp_path):
    path, _ = _export(tmp_path, [{"id": 7, "email": "alice@example.org"}, "bob@example.org", 7,
                                 {"id": 8, "email": "bob@example.org"}, "alice@example.org"])
    annotations = parse_export(path)
    assert len(annotations) == 5
    assert {a.annotator for a in annotations} == {pseudonym("alice@example.org"), pseudonym("bob@example.org"), pseudonym(7)}
    for ann in annotations:
        assert re.fullmatch(r"annotator-[0-9a-f]{10}", ann.annotator)
        assert "example.org" not in repr(ann) and "alice" not in repr(ann)


def test_pull_pseudonymizes_before_disk_and_keeps_import_identities(tmp_path):
    """What pull writes names nobody; the annotations table gets the same pseudonym for a
    user as `annotate import` of an export with emails would."""
    _, tasks = _export(tmp_path, [7, 8, {"id": 7, "email": "alice@example.org"}, 7, 8])
    emails = {7: "alice@example.org", 8: "bob@example.org"}
    cleaned = sync._pseudonymize_export(json.loads(json.dumps(tasks)), emails)
    sync._check_no_identities(cleaned, set(emails.values()), "http://x")
    text = json.dumps(cleaned)
    assert "alice" not in text and "bob@" not in text and '"updated_by"' not in text

    data = DataDir(tmp_path / "d")
    data.snapshots_dir.mkdir(parents=True)
    (data.snapshots_dir / "20260101T000000Z-project1.json").write_text(text, encoding="utf-8")
    sync.rebuild_annotations(data)
    table = read_records(data.table("annotations"), Annotation)
    assert {a.annotator for a in table} == {pseudonym("alice@example.org"), pseudonym("bob@example.org")}

    with pytest.raises(FrameCheckError, match="still names"):
        sync._check_no_identities(tasks, set(emails.values()), "http://x")


def test_rebuild_takes_the_newest_snapshot_in_pull_order(tmp_path):
    data = DataDir(tmp_path)
    data.snapshots_dir.mkdir(parents=True)
    _, tasks = _export(tmp_path, [7] * 5)
    old = json.loads(json.dumps(tasks))
    new = json.loads(json.dumps(tasks))
    new[0]["annotations"][0]["result"][1]["value"]["choices"] = ["misleading"]
    # the second pull of the same second is named "...Z-1-project1.json", which a plain name sort puts first
    (data.snapshots_dir / "20260101T000000Z-project1.json").write_text(json.dumps(sync._pseudonymize_export(old)))
    (data.snapshots_dir / "20260101T000000Z-1-project1.json").write_text(json.dumps(sync._pseudonymize_export(new)))
    sync.rebuild_annotations(data)
    first = next(a for a in read_records(data.table("annotations"), Annotation) if a.annotation_id == "ls-unknown-project1/101")
    assert first.value("verdict") == "misleading"


# --- push / pull against a closed port ----------------------------------------------------------


def _closed_port() -> int:
    port = server.free_port()
    assert server.port_is_free(port)
    return port


def _one_line_error(result, needle: str):
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and needle in lines[0], lines[0]


@pytest.mark.parametrize("command", ["push", "pull"])
def test_server_down_fails_in_one_line_and_touches_nothing(tmp_path, command):
    write_claims_table(tmp_path)
    snapshots = DataDir(tmp_path).snapshots_dir
    snapshots.mkdir(parents=True)
    (snapshots / "20260101T000000Z-project1.json").write_text("[]", encoding="utf-8")
    before = digests(tmp_path)
    url = f"http://127.0.0.1:{_closed_port()}"
    result = run_cli("annotate", command, "--project", "FrameCheck test", data_dir=tmp_path, check=False,
                     env={"LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": "x" * 40})
    _one_line_error(result, url)
    assert digests(tmp_path) == before


def test_missing_url_or_key_is_a_one_line_error(tmp_path):
    write_claims_table(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")}
    import subprocess
    import sys

    from conftest import REPO

    result = subprocess.run([sys.executable, "-m", "pipelines.cli", "--data-dir", str(tmp_path), "annotate", "pull"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    _one_line_error(result, "LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY must be set")


# --- the server wrapper, without starting Label Studio ------------------------------------------


@pytest.fixture
def fake_venv(tmp_path):
    """A venv whose label-studio must never run: these tests stop before starting it."""
    bin_dir = tmp_path / "fake-venv" / "bin"
    bin_dir.mkdir(parents=True)
    exe = bin_dir / "label-studio"
    exe.write_text("#!/bin/sh\necho 'must not run' >&2\nexit 99\n")
    exe.chmod(0o755)
    return tmp_path / "fake-venv"


def test_port_in_use_is_refused_before_starting(tmp_path, fake_venv):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        assert not server.port_is_free(port)
        with pytest.raises(FrameCheckError, match=f"port {port} on 127.0.0.1 is in use"):
            server.start_server(tmp_path / "data", fake_venv, port=port, username="a@b.c", password="p" * 12, token="t" * 40)
    assert not (tmp_path / "data" / "labelstudio" / "server.log").exists()


def test_missing_label_studio_venv_is_a_clear_error(tmp_path):
    with pytest.raises(FrameCheckError, match="make labelstudio-venv"):
        server.start_server(tmp_path / "data", tmp_path / "no-venv", port=server.free_port())


def test_generated_credentials_are_private_and_reused(tmp_path, monkeypatch):
    for var in (server.ENV_USERNAME, server.ENV_PASSWORD, server.ENV_TOKEN):
        monkeypatch.delenv(var, raising=False)
    ls_dir = tmp_path / "labelstudio"
    first = server.resolve_credentials(ls_dir, None, None, None)
    assert first.source == "generated" and len(first.token) == 40 and len(first.password) >= 16
    cred_file = ls_dir / server.CREDENTIALS_FILE
    assert stat.S_IMODE(cred_file.stat().st_mode) == 0o600
    again = server.resolve_credentials(ls_dir, None, None, None)
    assert (again.username, again.password, again.token) == (first.username, first.password, first.token)
    assert again.source == "credentials file"
    # the environment wins over the file
    monkeypatch.setenv(server.ENV_TOKEN, "e" * 40)
    assert server.resolve_credentials(ls_dir, None, None, None).token == "e" * 40


def test_existing_database_without_credentials_is_refused(tmp_path, monkeypatch):
    for var in (server.ENV_USERNAME, server.ENV_PASSWORD, server.ENV_TOKEN):
        monkeypatch.delenv(var, raising=False)
    ls_dir = tmp_path / "labelstudio"
    ls_dir.mkdir()
    (ls_dir / server.DB_FILE).write_bytes(b"")
    with pytest.raises(FrameCheckError, match="set LABEL_STUDIO_USERNAME, LABEL_STUDIO_PASSWORD, LABEL_STUDIO_API_KEY"):
        server.resolve_credentials(ls_dir, None, None, None)


def test_server_environment_is_scrubbed(tmp_path, monkeypatch):
    for name, value in {"USERNAME": "intruder", "PASSWORD": "pw", "HOST": "evil", "PORT": "1", "USER_TOKEN": "tok",
                        "DATABASE_NAME": "/tmp/x.db", "DJANGO_DB": "postgresql", "POSTGRE_HOST": "db", "DEBUG": "1",
                        "HEARTEX_PORT": "2", "LABEL_STUDIO_PORT": "3", "SENTRY_DSN": "https://x@sentry"}.items():
        monkeypatch.setenv(name, value)
    creds = server.Credentials("admin@x.local", "pw" * 8, "t" * 40, "arguments")
    env = server.server_env(tmp_path, creds, 8099)
    for name in ("USERNAME", "PASSWORD", "HOST", "PORT", "USER_TOKEN", "DATABASE_NAME", "DJANGO_DB", "POSTGRE_HOST",
                 "DEBUG", "HEARTEX_PORT", "LABEL_STUDIO_PORT"):
        assert name not in env, name
    assert env["SENTRY_DSN"] == "" and env["FRONTEND_SENTRY_DSN"] == ""
    assert env["LABEL_STUDIO_COLLECT_ANALYTICS"] == "false" and env["LABEL_STUDIO_LATEST_VERSION_CHECK"] == "false"
    assert env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true"
    assert env["LABEL_STUDIO_BASE_DATA_DIR"] == str(tmp_path)
    assert env["LABEL_STUDIO_USER_TOKEN"] == "t" * 40 and env["LABEL_STUDIO_USERNAME"] == "admin@x.local"
