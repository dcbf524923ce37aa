"""Annotations are kept per source (D13): an import and a pull never overwrite each other,
and two servers' (or a reset server's) annotation ids never collide."""

import json

from conftest import REPO

from annotation import ImportAnnotationsStep
from annotation.store import new_snapshot_path
from annotation.sync import rebuild_annotations
from pipelines.kernel.io import DataDir, read_records, write_records
from pipelines.kernel.records import Annotation, Claim
from pipelines.kernel.step import run_step

DEMO_EXPORT = REPO / "demo" / "annotations" / "demo_export.json"


def _claims_table(data: DataDir, tasks: list[dict]) -> None:
    claims = {t["data"]["claim_id"]: Claim(t["data"]["claim_id"], "a1", 0, 1, "x", "", "", "en", 0.5, "o", "western", None, "u")
              for t in tasks}
    write_records(data.table("claims"), claims.values(), Claim)


def _pulled_task(task: dict, annotation_id: int) -> dict:
    """A task as a pull stores it: one annotation by an already pseudonymized annotator."""
    pulled = json.loads(json.dumps(task))
    pulled["annotations"] = [{**pulled["annotations"][0], "id": annotation_id, "completed_by": "annotator-0123456789"}]
    return pulled


def test_a_pull_and_an_import_keep_each_other(tmp_path):
    data = DataDir(tmp_path / "data")
    tasks = json.loads(DEMO_EXPORT.read_text(encoding="utf-8"))
    _claims_table(data, tasks)
    imported = run_step(ImportAnnotationsStep(data, [DEMO_EXPORT])).records_out
    assert imported == sum(len(t["annotations"]) for t in tasks) == 616
    # a pull from a server whose annotation ids repeat the export's (ids start at 1 everywhere)
    snapshot = new_snapshot_path(data, "http://127.0.0.1:8080", 1)
    snapshot.write_text(json.dumps([_pulled_task(tasks[0], 1)]), encoding="utf-8")
    assert rebuild_annotations(data).records_out == imported + 1
    again = run_step(ImportAnnotationsStep(data, [DEMO_EXPORT]))
    assert not again.unchanged and again.records_out == imported + 1, "the pull's annotation survives the import"
    assert run_step(ImportAnnotationsStep(data, [DEMO_EXPORT])).unchanged
    assert run_step(ImportAnnotationsStep(data, [DEMO_EXPORT]), force=True).records_out == imported + 1
    ids = [a.annotation_id for a in read_records(data.table("annotations"), Annotation)]
    assert len(ids) == len(set(ids))
    assert sum(i.startswith("ls-") for i in ids) == 1 and sum(i.startswith("export-") for i in ids) == imported


def test_two_servers_with_the_same_ids_and_a_repeated_pull(tmp_path):
    data = DataDir(tmp_path / "data")
    tasks = json.loads(DEMO_EXPORT.read_text(encoding="utf-8"))[:2]
    _claims_table(data, tasks)
    for url in ("http://127.0.0.1:8080", "http://127.0.0.1:9090"):
        new_snapshot_path(data, url, 1).write_text(json.dumps([_pulled_task(tasks[0], 7)]), encoding="utf-8")
    # the first server pulled again: its annotation 7 now says something else, and replaces its copy
    changed = _pulled_task(tasks[1], 7)
    new_snapshot_path(data, "http://127.0.0.1:8080", 1).write_text(json.dumps([changed]), encoding="utf-8")
    rebuild_annotations(data)
    annotations = read_records(data.table("annotations"), Annotation)
    assert len(annotations) == 2
    by_server = {a.annotation_id.split("/")[0]: a.claim_id for a in annotations}
    assert sorted(by_server.values()) == sorted([tasks[0]["data"]["claim_id"], tasks[1]["data"]["claim_id"]])
