"""An annotator's day (issue 13), in Chromium against the real Label Studio server
(LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY, as in tests/test_labelstudio.py): two annotators in
projects of their own label the same English and Chinese claim without seeing each other's
labels, each starting from the same pre-annotations; the evidence picker fits one 1440×900
screen with the claim in view; a reviewer adjudicates from a blank form beside both annotators'
labels; a pull brings the decision back and the release carries it as the gold label, marked
adjudicated (`framecheck release build`). Screenshots go to $FRAMECHECK_SCREENSHOTS (else the test's tmp folder); the
clicks of each full check-worthy annotation are counted and printed."""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import run_cli
from ls_fixtures import create_annotator, make_claims, sdk, write_claims_table
from test_labelstudio import CHROMIUM_ARGS, _chromium, live  # noqa: F401  (live: the server fixture)

from annotation.layout import ProjectLayout
from pipelines.kernel.facts import load_facts
from pipelines.kernel.io import DataDir, read_records, write_records
from pipelines.kernel.label_schema import load_schema
from pipelines.kernel.records import Annotation, Article

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

VIEWPORT = {"width": 1440, "height": 900}
FACTS = {f.fact_id: f for f in load_facts()}


@dataclass
class Labels:
    """One annotator's judgement of a claim, and how they find the extra fact."""
    verdict: str
    distortion: str
    frame: str
    extra_fact: str  # added through the picker's search
    search: str  # what they type to find it: an id, a word of the title or a category
    rationale: str


# Annotator A and B disagree on the English claim's verdict (it goes to review) and agree on the Chinese one.
PLAN = {
    "a": {"en": Labels("exaggerated", "overstates", "surveillance_dystopia", "F43", "F43", "F43: no national score (A)"),
          "zh": Labels("accurate", "none", "explanatory", "F14", "2025", "F01 documents it (A)")},
    "b": {"en": Labels("false", "overstates", "surveillance_dystopia", "F43", "national individual", "F43 contradicts it (B)"),
          "zh": Labels("accurate", "none", "explanatory", "F14", "later reforms", "F01 records it (B)")},
}
DECISION = Labels("misleading", "overstates", "surveillance_dystopia", "F02", "citizen score", "Reviewer: F02 and F43, misleading")


# Our own words, as long as the miner's longest contexts.
_LONG_BEFORE = ("The provincial notice, published after a year of consultation, lists which records courts, banks and "
                "the tax office may share, and explains how a listed company can ask for an entry to be corrected. "
                "Lawyers interviewed for this article said the rules were narrower than the headlines suggested, "
                "and that most entries concern unpaid court judgments rather than everyday behaviour of any kind.")
_LONG_AFTER = ("Officials deny that any such number exists, and point to the national catalogue that limits what may "
               "be recorded. Critics answer that local pilots have gone further than the catalogue allows, and that "
               "the difference is hard to see from the outside for the people who are listed.")


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("FRAMECHECK_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {folder}")
    return folder


def _articles(claims) -> list[Article]:
    """One article per claim, with an outlet name and a headline for the task header."""
    out = []
    for claim in claims:
        zh = claim.language.startswith("zh")
        out.append(Article(
            article_id=claim.article_id, url=claim.url, outlet_id=claim.outlet_id,
            outlet_name="新华网 Xinhua" if zh else "Example News <Daily>", camp=claim.camp, language=claim.language,
            source_kind="web", title="社会信用体系建设规划纲要印发" if zh else "Inside China's <i>score</i> & blacklists",
            author=None, published=claim.published, text=claim.context_before + claim.text + claim.context_after,
            text_sha256="h", relevance=10.0, duplicate_of=None, warc_file="w.warc.gz", warc_offset=0, body_sha256="b"))
    return out


class Session:
    """One person's browser, counting the clicks and key presses of each annotation."""

    def __init__(self, browser, url: str, email: str, password: str):
        self.page = browser.new_context(viewport=VIEWPORT).new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url, self.clicks, self.keys = url, 0, 0
        page = self.page
        page.goto(f"{url}/user/login/")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/user/login" not in page.url, f"login of {email} failed"

    def click(self, locator) -> None:
        locator.click()
        self.clicks += 1

    def key(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.keys += 1

    def open_queue(self, project_id: int, shots: Path, name: str) -> None:
        """The labeling stream, as an annotator starts it; the guidelines open first, as HTML."""
        page = self.page
        page.goto(f"{self.url}/projects/{project_id}/data?labeling=1")
        page.wait_for_selector("input[name=yes]", timeout=90_000)
        modal = page.locator(".lsf-modal-ls_visible")
        modal.wait_for(timeout=30_000)
        assert modal.locator("h1", has_text="FrameCheck annotation guidelines").count() == 1
        assert modal.locator("h2").count() >= 5 and modal.locator("table").count() >= 1
        assert "## " not in modal.inner_text()  # rendered, not raw Markdown
        # it wraps (no sideways overflow) and scrolls (the wrapper holds more than one screen)
        scroller = page.evaluate("""() => [...document.querySelectorAll('.lsf-modal-ls_visible *')]
            .filter(e => /(auto|scroll)/.test(getComputedStyle(e).overflowY) && e.scrollHeight > e.clientHeight + 5)
            .map(e => [e.scrollHeight, e.clientHeight, e.scrollWidth, e.clientWidth])""")
        assert scroller and all(sw <= cw for _sh, _ch, sw, cw in scroller), scroller
        page.screenshot(path=str(shots / f"{name}-guidelines.png"))
        page.keyboard.press("Escape")
        modal.wait_for(state="detached", timeout=10_000)

    def current_claim(self, claims) -> object:
        body = " ".join(self.page.inner_text(".fc-left").split())
        return next(c for c in claims if " ".join(c.text.split()) in body)


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["x"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"] \
        and box["x"] + box["width"] <= VIEWPORT["width"]


def _check_header(page, claim) -> None:
    header = page.locator(".fc-header").first
    text = header.inner_text()
    assert claim.camp in text and (claim.published or "undated") in text
    assert ("Chinese" if claim.language.startswith("zh") else "English") in text
    assert ("新华网 Xinhua" if claim.language.startswith("zh") else "Example News <Daily>") in text  # escaped, shown
    assert page.locator(".fc-header i").count() == 0  # the headline's markup is text
    link = header.locator("a")
    assert link.get_attribute("href") == claim.url and link.get_attribute("target") == "_blank"
    assert "noopener" in link.get_attribute("rel")


def _label(session: Session, claim, labels: Labels, predicted: list[str], shots: Path, name: str,
           hotkeys: bool, others: list[str]) -> None:
    """A full check-worthy annotation, as a person does it, counting clicks and keys."""
    page = session.page
    schema = load_schema()
    hot = {(f.name, c.value): c.hotkey for f in schema.fields for c in f.choices if c.hotkey}
    body = page.inner_text("body")
    for text in others:  # nothing the other annotator wrote is anywhere in this view
        assert text not in body, f"{name} sees another annotator's label: {text}"
    _check_header(page, claim)

    def choose(field: str, value: str) -> None:
        if hotkeys and hot.get((field, value)):
            session.key(hot[(field, value)])
        else:
            session.click(page.locator(f"input[name='{value}']").first)

    choose("checkworthy", "yes")
    page.locator(".htx-taxonomy").first.wait_for(timeout=30_000)
    chips = page.locator(".htx-taxonomy .ant-select-selection-item")
    if predicted:
        chips.first.wait_for(timeout=30_000)
    # the same pre-annotations as every other annotator: the predicted facts, pre-ticked, first
    # (none for the reviewer, who starts from a blank form)
    assert [c.inner_text().strip() for c in chips.all()] == [f"{f} · {FACTS[f].title}" for f in predicted]
    # one screen: the claim, the whole form and the submit button, nothing scrolled
    claim_box = page.locator(".fc-left").get_by_text(claim.text[:25]).first
    for what in (claim_box, page.locator(".htx-taxonomy").first, page.locator("textarea[name=rationale]"),
                 page.get_by_test_id("bottombar-submit-button")):
        assert _in_view(page, what), f"{name}: {what} is off the 1440×900 screen"
    assert page.evaluate("() => document.scrollingElement.scrollHeight") <= VIEWPORT["height"]
    form = page.evaluate("() => [document.querySelector('.fc-left').scrollHeight, document.querySelector('.fc-right').scrollHeight]")
    print(f"{name}: claim column {form[0]} px, form column {form[1]} px (screen {VIEWPORT['height']} px)")
    choose("verdict", labels.verdict)
    choose("distortion", labels.distortion)
    session.click(page.locator(f"input[name='{labels.frame}']").first)
    # the rest of the fact base: collapsed, found by typing; the full statement on hover
    session.click(page.locator(".htx-taxonomy").first)
    # the picker focuses its search box itself once the dropdown is open: type when it has
    page.wait_for_function("() => document.activeElement && document.activeElement.closest('.htx-taxonomy-dropdown')",
                           timeout=10_000)
    page.keyboard.type(labels.search)
    leaf = page.locator(".htx-taxonomy-dropdown .ant-select-tree-title", has_text=f"{labels.extra_fact} ·").first
    leaf.wait_for(timeout=10_000)
    listed = page.locator(".htx-taxonomy-dropdown .ant-select-tree-title").all_inner_texts()
    assert len(listed) < len(FACTS) / 2, f"the search {labels.search!r} does not narrow the list: {listed}"
    leaf.hover()
    page.get_by_text(FACTS[labels.extra_fact].statement_en[:40]).first.wait_for(timeout=10_000)
    assert _in_view(page, claim_box), "the claim scrolled away while choosing evidence"
    assert _in_view(page, page.locator(".htx-taxonomy-dropdown").first)
    page.screenshot(path=str(shots / f"{name}-evidence-search.png"))
    session.click(leaf)
    session.key("Escape")
    wanted = [f"{f} · {FACTS[f].title}" for f in [*predicted, labels.extra_fact]]
    assert [c.inner_text().strip() for c in chips.all()] == wanted
    session.click(page.locator("textarea[name=rationale]"))
    page.keyboard.type(labels.rationale)
    session.key("Shift+Enter")
    page.screenshot(path=str(shots / f"{name}-filled.png"))
    session.click(page.get_by_test_id("bottombar-submit-button"))


def _wait_annotated(client, project_id: int, count: int) -> list:
    for _ in range(60):
        tasks = [t for t in client.tasks.list(project=project_id, fields="all") if t.annotations]
        if len(tasks) >= count:
            return tasks
        time.sleep(0.5)
    raise AssertionError(f"project {project_id}: {count} annotated tasks expected")


@pytest.mark.timeout(900)
def test_two_annotators_and_a_reviewer_in_chromium(live, tmp_path, shots):  # noqa: F811  (live: fixture)
    executable = _chromium()
    if executable is None:
        pytest.skip("Chromium is absent (apt-get install chromium); the annotator's-eye test needs it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    url, key = live
    english = next(c for c in make_claims() if c.language == "en" and "<script>" not in c.text and c.camp == "western")
    # as long as the longest contexts the miner gives (about 430 and 330 characters): the claim
    # must stay in view with them
    english = replace(english, context_before=_LONG_BEFORE, context_after=_LONG_AFTER)
    chinese = next(c for c in make_claims() if c.language.startswith("zh"))
    # the Chinese claim's predictions: three facts of the fact base, unlike the English one's
    chinese = replace(chinese, evidence_candidates=tuple(replace(e, fact_id=f) for e, f in
                                                         zip(chinese.evidence_candidates, ("F01", "F11", "F12"))))
    claims = [english, chinese]
    root = tmp_path / "data"
    data = write_claims_table(root, claims)
    write_records(data.table("articles"), _articles(claims), Article)
    title = f"FrameCheck day {uuid.uuid4().hex[:8]}"
    # every claim in both annotator projects (the browser labels both); the split itself is tested offline
    run_cli("annotate", "push", "--project", title, "--annotators", "2", "--overlap", "1", data_dir=root)
    plan = ProjectLayout(title, 2, 1.0)
    admin = sdk(url, key)
    projects = {p.title: p.id for p in admin.projects.list()}
    assert set(plan.projects) <= set(projects)
    predicted = {c.claim_id: [e.fact_id for e in c.evidence_candidates[:3]] for c in claims}
    tag = secrets.token_hex(4)
    people = {}
    for who in ("a", "b", "reviewer"):
        email, password = f"fc-{who}-{tag}@framecheck.test", secrets.token_urlsafe(16)
        people[who] = {"email": email, "password": password, "token": create_annotator(url, key, email, password)}
    counts: dict[str, list[tuple[int, int]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--headless", *CHROMIUM_ARGS])
        try:
            written: list[str] = []
            for n, who in enumerate(("a", "b")):
                project_id = projects[plan.projects[n]]
                session = Session(browser, url, people[who]["email"], people[who]["password"])
                session.open_queue(project_id, shots, f"annotator-{who}")
                counts[who] = []
                for _ in claims:  # the queue serves them in its own order
                    page = session.page
                    page.wait_for_selector("input[name=yes]", timeout=60_000)
                    claim = session.current_claim(claims)
                    labels = PLAN[who]["zh" if claim is chinese else "en"]
                    before = (session.clicks, session.keys)
                    try:
                        _label(session, claim, labels, predicted[claim.claim_id], shots, f"annotator-{who}-{claim.language}",
                               hotkeys=who == "b", others=written)
                    except Exception:
                        page.screenshot(path=str(shots / f"FAILED-annotator-{who}.png"))
                        raise
                    counts[who].append((session.clicks - before[0], session.keys - before[1]))
                    page.wait_for_function(f"() => !document.body.innerText.includes({json.dumps(claim.text[:40])})"
                                           " || document.body.innerText.includes('No more tasks')", timeout=60_000)
                written += [labels.rationale for labels in PLAN[who].values()]
                assert session.dialogs == []
                # nothing of A's reached B's project: B's tasks held no annotation until B's own
                tasks = _wait_annotated(admin, project_id, 2)
                assert all(len(t.annotations) == 1 for t in tasks)

            # pull both projects, merged by claim id; the review queue gets the English claim
            run_cli("annotate", "pull", "--project", title, "--annotators", "2", data_dir=root)
            table = read_records(data.table("annotations"), Annotation)
            assert len(table) == 4 and len({a.annotator for a in table}) == 2 and not any(a.adjudication for a in table)
            by = {(a.claim_id, a.value("rationale")): a for a in table}
            assert by[(english.claim_id, PLAN["a"]["en"].rationale)].values("evidence") == (*predicted[english.claim_id], "F43")
            assert by[(chinese.claim_id, PLAN["b"]["zh"].rationale)].values("evidence") == (*predicted[chinese.claim_id], "F14")
            run_cli("annotate", "adjudicate", "--push-review", "--project", title, data_dir=root)
            queue = [json.loads(line) for line in (root / "annotations" / "review_queue.jsonl").read_text().splitlines()]
            assert [q["claim_id"] for q in queue] == [english.claim_id]

            # the reviewer: both annotators side by side, a blank form
            review_id = next(p.id for p in admin.projects.list() if p.title == plan.review_project)
            reviewer = Session(browser, url, people["reviewer"]["email"], people["reviewer"]["password"])
            reviewer.open_queue(review_id, shots, "reviewer")
            page = reviewer.page
            panel = page.locator(".fc-review").first
            panel.wait_for(timeout=30_000)
            shown = panel.inner_text()
            for who in ("a", "b"):
                assert PLAN[who]["en"].rationale in shown and PLAN[who]["en"].verdict in shown
            assert "annotator 1" in shown and "annotator 2" in shown
            assert not page.locator("input[name=yes]").first.is_checked()
            assert all(not page.locator(f"input[name='{v}']").first.is_checked() for v in ("accurate", "exaggerated", "false"))
            _label(reviewer, english, DECISION, [], shots, "reviewer-en", hotkeys=False, others=[])
            _wait_annotated(admin, review_id, 1)
            page.screenshot(path=str(shots / "reviewer-done.png"))
            assert reviewer.dialogs == []
        finally:
            browser.close()

    # the decision comes back as the gold label, not as a third annotator; the claim leaves the queue
    run_cli("annotate", "pull", "--project", title, "--annotators", "2", data_dir=root)
    table = read_records(data.table("annotations"), Annotation)
    (decision,) = [a for a in table if a.adjudication]
    assert decision.claim_id == english.claim_id and decision.value("verdict") == DECISION.verdict
    run_cli("annotate", "adjudicate", "--project", title, data_dir=root)
    assert (root / "annotations" / "review_queue.jsonl").read_text() == ""
    agreement = json.loads(run_cli("annotate", "agreement", "--json", data_dir=root).stdout)
    assert agreement["annotators"] == 2 and agreement["annotations"] == 4

    # the release: the reviewer's decision is the English claim's gold label, marked adjudicated
    rows = _release_rows(root, tmp_path / "release" / "0.1.0")
    en_row, zh_row = rows[english.claim_id], rows[chinese.claim_id]
    names = load_schema().class_names("verdict")
    assert names[en_row["verdict"]] == DECISION.verdict and en_row["adjudicated"] is True
    assert en_row["annotator_count"] == 2 and en_row["rationale"] == DECISION.rationale
    assert en_row["evidence"] == [DECISION.extra_fact]
    assert names[zh_row["verdict"]] == "accurate" and zh_row["adjudicated"] is False and zh_row["agreement"] == 1.0
    print("clicks (mouse clicks, key presses) per full check-worthy annotation:",
          {who: c for who, c in counts.items()}, "— annotator a by mouse, b with the choice hotkeys")
    for who, per_claim in counts.items():
        for clicks, _keys in per_claim:
            assert clicks <= (8 if who == "a" else 5)
    assert len(list(shots.glob("*.png"))) >= 9


def _release_rows(root: Path, out: Path) -> dict[str, dict]:
    """`framecheck release build` on the pulled annotations, and its claims read back."""
    run_cli("release", "build", "--out", out, data_dir=root)
    return {row["claim_id"]: row for path in sorted((out / "data" / "claims").glob("*.parquet"))
            for row in pq.read_table(path).to_pylist()}


def test_push_lays_claims_out_over_annotator_projects(live, tmp_path):  # noqa: F811  (live: fixture)
    """Three annotator projects, 40% overlap: every overlap claim in all three with the same
    pre-annotations, every other claim in exactly one; a second push adds nothing; a pull
    takes one snapshot per project."""
    url, key = live
    claims = make_claims()
    root = tmp_path / "data"
    write_claims_table(root, claims)
    title = f"FrameCheck layout {uuid.uuid4().hex[:8]}"
    for _ in range(2):
        run_cli("annotate", "push", "--project", title, "--annotators", "3", "--overlap", "0.4", data_dir=root)
    plan = ProjectLayout(title, 3, 0.4)
    client = sdk(url, key)
    ids = {p.title: p.id for p in client.projects.list()}
    seen: dict[str, list] = {}
    for project in plan.projects:
        tasks = list(client.tasks.list(project=ids[project], fields="all"))
        assert sorted(t.data["claim_id"] for t in tasks) == sorted(c.claim_id for c in claims if project in plan.projects_of(c.claim_id))
        for task in tasks:
            seen.setdefault(task.data["claim_id"], []).append(task.predictions[0].result)
    assert sorted(seen) == sorted(c.claim_id for c in claims)
    assert {len(r) for r in seen.values()} == {1, 3}, "these claims include overlap and single-project ones"
    for claim in claims:
        results = seen[claim.claim_id]
        assert len(results) == (3 if plan.is_overlap(claim.claim_id) else 1)
        assert all(r == results[0] for r in results)  # the same pre-annotations everywhere
    run_cli("annotate", "pull", "--project", title, "--annotators", "3", data_dir=root)
    assert len(list(DataDir(root).snapshots_dir.glob("*.json"))) == 3
