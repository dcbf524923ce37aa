"""Against a real Label Studio server (LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY; CI starts one
with `python -m annotation.server`): push, two annotators, pull, agreement, gold labels,
idempotence, append-only snapshots, untrusted text, the annotator's view in Chromium, and
the server wrapper's start/stop/restart."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
import time
import uuid
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from ls_fixtures import (
    SCRIPT_TEXT,
    create_annotator,
    digests,
    labels_result,
    make_claims,
    sdk,
    write_claims_table,
)

from annotation.agreement import agreement_report
from annotation.labels import gold_labels
from annotation.sync import prediction
from pipelines.kernel.facts import load_facts
from pipelines.kernel.io import DataDir, read_records
from pipelines.kernel.privacy import pseudonym
from pipelines.kernel.records import Annotation

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

NO_SERVER = ("LABEL_STUDIO_URL is unset: no Label Studio server to test against "
             "(CI starts one; locally `make labelstudio`, then export LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY)")


@pytest.fixture(scope="module")
def live() -> tuple[str, str]:
    url = os.environ.get("LABEL_STUDIO_URL", "").rstrip("/")
    key = os.environ.get("LABEL_STUDIO_API_KEY", "")
    if not url:
        pytest.skip(NO_SERVER)
    assert key, "LABEL_STUDIO_URL is set but LABEL_STUDIO_API_KEY is not"
    import httpx

    try:
        health = httpx.get(f"{url}/health", timeout=10).json()
    except (httpx.HTTPError, ValueError) as exc:
        pytest.fail(f"LABEL_STUDIO_URL={url} is set but the server does not answer /health ({exc})")
    assert health.get("status") == "UP", health
    return url, key


@pytest.fixture(scope="module")
def project(live, tmp_path_factory):
    """A fresh data dir with a small claims table, pushed into a project of its own."""
    url, key = live
    root = tmp_path_factory.mktemp("ls-data")
    claims = make_claims()
    write_claims_table(root, claims)
    title = f"FrameCheck test {uuid.uuid4().hex[:10]}"
    result = run_cli("annotate", "push", "--project", title, "--annotators", "1", data_dir=root)
    client = sdk(url, key)
    project_id = next(p.id for p in client.projects.list() if p.title == title)
    tasks = {t.data["claim_id"]: t for t in client.tasks.list(project=project_id, fields="all", page_size=500)}
    return {"root": root, "title": title, "id": project_id, "claims": claims, "tasks": tasks, "client": client,
            "push_output": result.stdout + result.stderr}


# Two annotators as they would work: overlapping on claims 1-3, disagreeing on claim 2's verdict.
_LABELS_A = {
    0: labels_result("yes", "exaggerated", "overstates", ("F01", "F02"), ("surveillance_dystopia",), "F02: no single score"),
    1: labels_result("yes", "accurate", "none", ("F05",), ("law_enforcement",)),
    2: labels_result("yes", "exaggerated", "overstates", ("F05",)),
    3: labels_result("yes", "misleading", "understates", ("F01",), ("market_trust",)),
}
_LABELS_B = {
    1: labels_result("yes", "accurate", "none", ("F05",), ("law_enforcement",)),
    2: labels_result("yes", "misleading", "overstates", ("F05", "F06")),
    3: labels_result("yes", "misleading", "understates", ("F01",)),
    4: labels_result("no-opinion"),
}


@pytest.fixture(scope="module")
def annotated(project, live):
    url, key = live
    tag = secrets.token_hex(4)
    people = {}
    for who, labels in (("a", _LABELS_A), ("b", _LABELS_B)):
        email = f"fc-annotator-{who}-{tag}@framecheck.test"
        token = create_annotator(url, key, email, secrets.token_urlsafe(16))
        client = sdk(url, token)
        assert client.users.whoami().email == email
        for index, result in labels.items():
            task = project["tasks"][project["claims"][index].claim_id]
            client.annotations.create(id=task.id, result=result, was_cancelled=False, lead_time=30.0 + index)
        people[who] = {"email": email, "token": token, "client": client}
    run_cli("annotate", "pull", "--project", project["title"], "--annotators", "1", data_dir=project["root"])
    data = DataDir(project["root"])
    snapshots = sorted(data.snapshots_dir.glob("*.json"))
    assert len(snapshots) == 1
    return {**project, "people": people, "data": data, "first_snapshot": snapshots[0],
            "first_snapshot_bytes": snapshots[0].read_bytes(),
            "first_table": read_records(data.table("annotations"), Annotation)}


def _task_count(project) -> int:
    return len(list(project["client"].tasks.list(project=project["id"], fields="task_only", page_size=500)))


# --- push ----------------------------------------------------------------------------------


def test_push_makes_one_task_per_claim_with_predictions(project):
    claims = project["claims"]
    assert set(project["tasks"]) == {c.claim_id for c in claims}
    assert _task_count(project) == len(claims)
    for claim in claims:
        task = project["tasks"][claim.claim_id]
        assert len(task.predictions) == 1
        assert task.predictions[0].result == prediction(claim)["result"]
        assert task.predictions[0].model_version == prediction(claim)["model_version"]


def test_script_claim_is_stored_as_plain_text(project):
    script = next(c for c in project["claims"] if "<script>" in c.text)
    task = project["tasks"][script.claim_id]
    assert task.data["text"] == SCRIPT_TEXT == script.text
    assert task.data["context_before"] == script.context_before and task.data["context_after"] == script.context_after
    config = project["client"].projects.get(project["id"]).label_config
    assert "<script" not in config
    # crawled texts through <Text>; the one HyperText shows our escaped header template
    assert set(re.findall(r"<Text [^>]*value=\"(\$\w+)", config)) == {"$context_before", "$text", "$context_after"}
    assert re.findall(r"<HyperText [^>]*value=\"(\$\w+)", config) == ["$header_html"]
    assert "<script" not in task.data["header_html"] and script.url in task.data["header_html"]


# --- annotate, pull ------------------------------------------------------------------------------


def test_pull_pseudonymizes_both_annotators(annotated):
    table = annotated["first_table"]
    assert len(table) == len(_LABELS_A) + len(_LABELS_B)
    expected = {pseudonym(p["email"]) for p in annotated["people"].values()}
    assert {a.annotator for a in table} == expected
    secrets_ = [p["email"] for p in annotated["people"].values()] + [p["email"].split("@")[0] for p in annotated["people"].values()]
    admin = annotated["client"].users.whoami()
    secrets_ += [admin.email] + ([admin.username] if admin.username else [])
    for path in annotated["root"].rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            for s in secrets_:
                assert s.encode() not in blob, f"{path} names a user ({s})"
    snapshot = json.loads(annotated["first_snapshot_bytes"])
    assert {a["completed_by"] for t in snapshot for a in t.get("annotations", [])} == expected


def test_labels_arrive_as_given(annotated):
    by_claim = {}
    for ann in annotated["first_table"]:
        by_claim.setdefault(ann.claim_id, []).append(ann)
    claims = annotated["claims"]
    first = by_claim[claims[0].claim_id][0]
    assert (first.value("checkworthy"), first.value("verdict"), first.value("distortion")) == ("yes", "exaggerated", "overstates")
    assert first.values("evidence") == ("F01", "F02") and first.values("frames") == ("surveillance_dystopia",)
    assert first.value("rationale") == "F02: no single score"
    assert by_claim[claims[4].claim_id][0].value("checkworthy") == "no-opinion"


def test_agreement_and_gold_labels(annotated):
    table = annotated["first_table"]
    report = agreement_report(table)
    print("agreement:", json.dumps(report, indent=1))
    assert report["annotators"] == 2 and report["claims"] == 5 and report["claims_with_overlap"] == 3
    # verdicts on the three shared claims: (accurate, accurate), (exaggerated, misleading),
    # (misleading, misleading). By hand: nominal alpha = 1 - (n-1)·Σ_{c≠k} o_ck / (n² - Σ n_c²)
    # = 1 - 5·2 / (36 - (2² + 1² + 3²)) = 6/11; Cohen's kappa = (2/3 - 1/3) / (1 - 1/3) = 0.5
    assert report["alpha"]["verdict"] == pytest.approx(6 / 11, abs=1e-4)
    assert report["alpha"]["checkworthy"] == 1.0
    (pair,) = report["kappa"]["verdict"].values()
    assert pair == {"kappa": 0.5, "n": 3}

    gold = gold_labels(table)
    claims = annotated["claims"]
    assert set(gold) == {c.claim_id for c in claims}
    assert gold[claims[1].claim_id]["verdict"] == "accurate" and gold[claims[1].claim_id]["annotator_count"] == 2
    assert gold[claims[1].claim_id]["evidence"] == ("F05",)
    assert gold[claims[3].claim_id]["verdict"] == "misleading"
    assert gold[claims[2].claim_id]["annotator_count"] == 2 and gold[claims[2].claim_id]["agreement"] == 0.5
    assert gold[claims[4].claim_id]["checkworthy"] == "no-opinion" and gold[claims[4].claim_id]["verdict"] is None


def test_second_push_creates_no_duplicate_task(annotated):
    before = _task_count(annotated)
    result = run_cli("annotate", "push", "--project", annotated["title"], "--annotators", "1", data_dir=annotated["root"])
    assert _task_count(annotated) == before == len(annotated["claims"])
    assert re.search(r"already_a_task\s*│\s*5", result.stdout + result.stderr), result.stdout


def test_second_pull_is_append_only_and_loses_nothing(annotated):
    # annotator B labels one more claim between the pulls
    extra = annotated["tasks"][annotated["claims"][0].claim_id]
    annotated["people"]["b"]["client"].annotations.create(
        id=extra.id, result=labels_result("yes", "misleading", "overstates", ("F02",)), was_cancelled=False)
    time.sleep(1.1)  # a new time stamp (a same-second pull gets a counter instead; both never overwrite)
    run_cli("annotate", "pull", "--project", annotated["title"], "--annotators", "1", data_dir=annotated["root"])
    snapshots = sorted(annotated["data"].snapshots_dir.glob("*.json"))
    assert len(snapshots) == 2 and annotated["first_snapshot"] in snapshots
    assert annotated["first_snapshot"].read_bytes() == annotated["first_snapshot_bytes"]
    table = read_records(annotated["data"].table("annotations"), Annotation)
    before = {a.annotation_id for a in annotated["first_table"]}
    assert before < {a.annotation_id for a in table}
    assert len(table) == len(before) + 1
    assert agreement_report(table)["claims_with_overlap"] == 4


# --- the annotator's view ---------------------------------------------------------------------------------


def _chromium() -> str | None:
    for candidate in (os.environ.get("FRAMECHECK_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.timeout(300)
def test_annotator_sees_claim_context_evidence_and_cues_in_chromium(live, tmp_path):
    executable = _chromium()
    if executable is None:
        pytest.skip("Chromium is absent (apt-get install chromium); the annotator's-eye test needs it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    url, key = live
    # a project of its own: a task nobody has annotated opens on the prediction
    claims = make_claims()
    write_claims_table(tmp_path / "data", claims)
    title = f"FrameCheck view {uuid.uuid4().hex[:10]}"
    run_cli("annotate", "push", "--project", title, "--annotators", "1", data_dir=tmp_path / "data")
    client = sdk(url, key)
    project_id = next(p.id for p in client.projects.list() if p.title == title)
    claim = next(c for c in claims if "<script>" in c.text)
    task = next(t for t in client.tasks.list(project=project_id, fields="task_only") if t.data["claim_id"] == claim.claim_id)
    email, password = f"fc-viewer-{secrets.token_hex(4)}@framecheck.test", secrets.token_urlsafe(16)
    create_annotator(url, key, email, password)
    facts = {f.fact_id: f for f in load_facts()}
    predicted = [e.fact_id for e in claim.evidence_candidates[:3]]
    dialogs: list[str] = []
    shot = tmp_path / "labeling-view.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            started = time.monotonic()
            page.goto(f"{url}/user/login/")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            assert "/user/login" not in page.url, "login failed"
            page.goto(f"{url}/projects/{project_id}/data?task={task.id}")
            page.wait_for_selector(".htx-highlight", timeout=90_000)  # the pre-annotated cue spans
            page.wait_for_selector("input[name=yes]", timeout=30_000)
            body = page.inner_text("body")
            # the claim and its context, verbatim: the markup in them is shown, not run
            for text in (claim.text, claim.context_before, claim.context_after, claim.url):
                assert text in body, text
            assert page.locator("script", has_text="alert(1)").count() == 0
            assert page.locator("img[src='x']").count() == 0
            # the cue spans of the prediction, highlighted on the claim
            highlights = {(el.inner_text().strip(), el.get_attribute("data-label").split(":", 1)[-1])
                          for el in page.locator(".htx-highlight").all()}
            assert highlights == {(c.text, c.label) for c in claim.cues}, highlights
            # evidence appears once the claim is marked check-worthy: the predicted facts pre-ticked,
            # by id and short title (the full statement is the hover hint)
            assert f"{predicted[0]} · {facts[predicted[0]].title}" not in body
            page.locator("input[name=yes]").first.click()
            chips = page.locator(".htx-taxonomy .ant-select-selection-item")
            chips.first.wait_for(timeout=30_000)
            assert [c.inner_text().strip() for c in chips.all()] == [f"{f} · {facts[f].title}" for f in predicted]
            page.screenshot(path=str(shot), full_page=True)
            print(f"labeling view rendered in {time.monotonic() - started:.1f} s; screenshot: {shot}")
        finally:
            browser.close()
    assert dialogs == [], f"a script ran in the labeling view: {dialogs}"
    assert shot.stat().st_size > 10_000


# --- the server wrapper ----------------------------------------------------------------------------------


@pytest.mark.timeout(600)
def test_server_start_stop_restart(live, tmp_path, monkeypatch):
    """annotation.server on a fresh data dir: generated private credentials, push, stop
    (push then fails in one line naming the URL, data untouched), restart with the data kept."""
    from annotation import server

    ls_venv = Path(os.environ.get("FRAMECHECK_LS_VENV", REPO / ".venv-labelstudio"))
    if not (ls_venv / "bin" / "label-studio").exists():
        pytest.skip(f"{ls_venv} has no label-studio (make labelstudio-venv)")
    for var in (server.ENV_USERNAME, server.ENV_PASSWORD, server.ENV_TOKEN):
        monkeypatch.delenv(var, raising=False)
    root = tmp_path / "data"
    write_claims_table(root)
    handle = server.start_server(root, ls_venv)
    try:
        assert handle.first_start and handle.credentials.source == "generated"
        cred_file = root / "labelstudio" / server.CREDENTIALS_FILE
        assert stat.S_IMODE(cred_file.stat().st_mode) == 0o600
        rss = handle.rss_mb()
        env = {"LABEL_STUDIO_URL": handle.url, "LABEL_STUDIO_API_KEY": handle.token}
        run_cli("annotate", "push", "--project", "lifecycle", "--annotators", "1", data_dir=root, env=env)
    finally:
        stop_seconds = handle.stop()
    assert not handle.alive()
    before = digests(root)
    failed = run_cli("annotate", "push", "--project", "lifecycle", data_dir=root, env=env, check=False)
    assert failed.returncode == 1 and handle.url in failed.stderr and "Traceback" not in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    assert digests(root) == before

    again = server.start_server(root, ls_venv, port=int(handle.url.rsplit(":", 1)[1]))
    try:
        assert not again.first_start and again.credentials.source == "credentials file" and again.token == handle.token
        client = sdk(again.url, again.token)
        pid = next(p.id for p in client.projects.list() if p.title == "lifecycle")
        assert len(list(client.tasks.list(project=pid, fields="task_only"))) == len(make_claims())
        restart_rss = again.rss_mb()
    finally:
        again.stop()
    print(f"Label Studio first start {handle.startup_seconds} s (RSS {rss} MB), stop {stop_seconds} s, "
          f"restart {again.startup_seconds} s (RSS {restart_rss} MB)")
