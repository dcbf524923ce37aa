"""After a pull, the build either builds from the pulled labels or stops in one line saying
what is missing; a pull never replaces the imported (demo) labels, and says what it kept."""

import json

import pytest
from conftest import REPO, run_cli

from annotation.store import new_snapshot_path
from annotation.sync import rebuild_annotations
from pipelines.kernel.io import DataDir, read_records
from pipelines.kernel.records import Annotation

DEMO_EXPORT = REPO / "demo" / "annotations" / "demo_export.json"
OOD_OUTLET = "circuit-ledger"  # held out as ood_test in datasets/scs-framing/release.yaml


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    data = tmp_path_factory.mktemp("after-pull") / "data"
    for stage in (["crawl"], ["extract"], ["claims", "run"]):
        run_cli(*stage, data_dir=data)
    return DataDir(data)


def _pull_of(data: DataDir, tasks: list[dict]) -> None:
    """What `annotate pull` leaves: a snapshot (annotators already pseudonymized), the table rebuilt."""
    for task in tasks:
        for ann in task["annotations"]:
            ann["completed_by"] = "annotator-00000000000000aa"
    new_snapshot_path(data, "http://127.0.0.1:8080", 3).write_text(json.dumps(tasks), encoding="utf-8")
    rebuild_annotations(data)


def test_a_pull_without_train_claims_stops_in_one_line_then_builds_with_the_demo_labels_kept(mined, tmp_path):
    data = mined
    export = json.loads(DEMO_EXPORT.read_text(encoding="utf-8"))
    held_out = [t for t in export if t["data"].get("outlet") == OOD_OUTLET][:3]
    assert len(held_out) == 3
    _pull_of(data, held_out)
    out = tmp_path / "releases" / "0.1.0"
    failed = run_cli("release", "build", "--out", out, data_dir=data.root, check=False)
    message = (failed.stdout + failed.stderr).strip()
    assert failed.returncode == 1 and "Traceback" not in message
    assert len(message.splitlines()) == 1, message
    assert message.startswith("error: release 0.1.0: no labeled claim in the train split"), message
    assert "ood_test=3" in message and "3 of " in message
    assert not out.exists(), "nothing written"

    # `make build` imports the demo export: the pull's labels stay beside it, and the summary says so
    imported = run_cli("annotate", "import", DEMO_EXPORT, data_dir=data.root)
    summary = " ".join((imported.stdout + imported.stderr).split())
    assert "demo_export.json (imported) 616" in summary and "ls-" in summary and "(pulled) 6" in summary, summary
    table = read_records(data.table("annotations"), Annotation)
    assert sum(a.annotation_id.startswith("export-") for a in table) == 616
    assert sum(a.annotation_id.startswith("ls-") for a in table) == 6
    built = run_cli("release", "build", "--out", out, data_dir=data.root)
    assert "claims by split: train=" in " ".join((built.stdout + built.stderr).split())
    assert (out / "data" / "claims" / "train.parquet").exists()
