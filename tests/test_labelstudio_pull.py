"""Paged, resumable pulls (annotation/paging.py) against a real Label Studio server
(LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY), with a page size small enough that every pull
takes several pages; and the partial-pull bookkeeping offline."""

from __future__ import annotations

import json
import uuid

import pytest
from conftest import run_cli
from ls_fixtures import labels_result, make_claims, sdk, write_claims_table
from test_labelstudio import live  # noqa: F401 - the shared server fixture

from annotation.paging import PartialPull, Page
from annotation.store import server_key
from annotation.sync import pull
from pipelines.kernel.io import DataDir, FrameCheckError, read_records
from pipelines.kernel.records import Annotation

PAGE = 3  # five tasks: two pages, the second one short


@pytest.fixture
def pushed(live, tmp_path):  # noqa: F811
    url, key = live
    root = tmp_path / "data"
    claims = make_claims()
    write_claims_table(root, claims)
    title = f"FrameCheck paging {uuid.uuid4().hex[:10]}"
    run_cli("annotate", "push", "--project", title, "--annotators", 1, data_dir=root)
    client = sdk(url, key)
    project_id = next(p.id for p in client.projects.list() if p.title == title)
    tasks = sorted(client.tasks.list(project=project_id, fields="task_only", page_size=100), key=lambda t: t.id)
    # labels on the first task of each page
    for index in (0, PAGE):
        client.annotations.create(id=tasks[index].id, result=labels_result("yes", "accurate", "none", ("F01",)),
                                  was_cancelled=False, lead_time=5.0)
    yield {"root": root, "data": DataDir(root), "title": title, "id": project_id, "tasks": tasks, "client": client, "url": url}
    client.projects.delete(project_id)


def _snapshot(data: DataDir) -> list[dict]:
    (path,) = sorted(data.snapshots_dir.glob("*.json"))
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.integration
def test_paged_pull_reads_every_page_as_the_one_request_export_has_it(pushed):
    result = run_cli("annotate", "pull", "--project", pushed["title"], "--annotators", 1, "--page-size", PAGE, data_dir=pushed["root"])
    assert "5 tasks in 2 page(s) of up to 3" in result.stdout + result.stderr, result.stderr
    paged = _snapshot(pushed["data"])
    export = json.loads(b"".join(pushed["client"].projects.exports.download_sync(pushed["id"], export_type="JSON",
                                                                               download_all_tasks=True)))
    assert [t["id"] for t in paged] == sorted(t["id"] for t in export) == [t.id for t in pushed["tasks"]]
    by_id = {t["id"]: t for t in export}
    for task in paged:
        assert task["data"] == by_id[task["id"]]["data"]
        assert [(a["id"], a["result"]) for a in task["annotations"]] == [(a["id"], a["result"]) for a in by_id[task["id"]]["annotations"]]
        assert all(a["completed_by"].startswith("annotator-") for a in task["annotations"]), "pseudonymized"
    assert len(read_records(pushed["data"].table("annotations"), Annotation)) == 2
    assert not (pushed["data"].state / "pulls" / f"{server_key(pushed['url'])}-project{pushed['id']}").exists()


@pytest.mark.integration
def test_killed_pull_resumes_after_its_last_completed_page(pushed, monkeypatch):
    data = pushed["data"]
    monkeypatch.setenv("LABEL_STUDIO_URL", pushed["url"])

    def killed_after_first_page(pages, total, description):
        assert total == 2
        yield next(iter(pages))
        raise KeyboardInterrupt  # as Ctrl-C would, between two page requests

    with pytest.raises(KeyboardInterrupt):
        pull(data, pushed["title"], 1, page_size=PAGE, progress=killed_after_first_page)
    partial = PartialPull(data, server_key(pushed["url"]), pushed["id"], PAGE)
    assert partial.pages_done == 1 and partial.tasks_done == PAGE
    assert not list(data.snapshots_dir.glob("*.json")) and not data.table("annotations").exists(), "nothing half-written"
    # meanwhile a task on the second page gets a second annotation
    last = pushed["tasks"][-1]
    pushed["client"].annotations.create(id=last.id, result=labels_result("no"), was_cancelled=False)
    result = run_cli("annotate", "pull", "--project", pushed["title"], "--annotators", 1, "--page-size", PAGE, data_dir=pushed["root"])
    assert "resumed at page 2 after an interrupted pull" in result.stdout + result.stderr, result.stderr
    snapshot = _snapshot(data)
    assert [t["id"] for t in snapshot] == [t.id for t in pushed["tasks"]]
    assert sum(len(t["annotations"]) for t in snapshot) == 3
    assert not partial.folder.exists(), "the partial pull is removed once its snapshot is written"


def test_partial_pull_with_another_page_size_starts_again(tmp_path):
    data = DataDir(tmp_path)
    partial = PartialPull(data, "abcd1234", 7, 3)
    partial.save(Page(1, 5, [{"id": 1}, {"id": 2}, {"id": 3}]))
    partial.save(Page(2, 5, [{"id": 3}, {"id": 4}]))  # a deletion shifted task 3 onto page 2
    again = PartialPull(data, "abcd1234", 7, 3)
    assert again.resumed and again.pages_done == 2 and again.tasks_done == 5
    assert again.write_snapshot(tmp_path / "snap.json") == 4, "a task met twice is written once"
    assert [t["id"] for t in json.loads((tmp_path / "snap.json").read_text())] == [1, 2, 3, 4]
    other = PartialPull(data, "abcd1234", 7, 50)
    assert not other.resumed and "pages of 3 tasks" in other.discarded and not partial.folder.exists()
    (partial.folder).mkdir(parents=True)
    (partial.folder / "progress.json").write_text("{not json")
    assert PartialPull(data, "abcd1234", 7, 3).discarded.startswith("its progress file was unreadable")


def test_page_size_is_checked_before_any_request(tmp_path):
    from annotation import PullStep

    for bad in (0, -1, 10_000):
        with pytest.raises(FrameCheckError, match="--page-size"):
            PullStep(DataDir(tmp_path), "x", page_size=bad)


@pytest.mark.integration
@pytest.mark.parametrize("page_size", [1, 5, 7])
def test_a_project_whose_tasks_fill_their_pages_lists_every_claim(pushed, page_size):
    from annotation.sync import existing_claim_ids

    # five tasks: pages of 1 and 5 end exactly at the count, 7 is one short page
    listed = existing_claim_ids(pushed["client"], pushed["id"], page_size)
    assert listed == {t.data["claim_id"] for t in pushed["tasks"]} and len(listed) == 5
