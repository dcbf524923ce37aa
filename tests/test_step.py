"""The one runner: skip-if-unchanged, drops counted and logged, atomic outputs, the lock."""

import json
import subprocess
import sys
import textwrap

import pytest

from pipelines.kernel.io import DataDir, FrameCheckError, read_records, write_records
from pipelines.kernel.records import Fact, Source
from pipelines.kernel.step import Drop, RecordStep, Step, run_step


def _fact(i: int) -> Fact:
    return Fact(f"F{i:02d}", "courts", f"title {i}", f"statement {i}", f"陈述 {i}", None, None,
                "verified" if i % 2 else "disputed", (Source("primary", f"source {i}"),))


class KeepVerified(RecordStep):
    """A toy table-to-table step: verified facts pass, the others are dropped with a reason."""

    name = "keep-verified"
    source_type = target_type = Fact

    def __init__(self, data, fail_after: int | None = None):
        super().__init__(data)
        self.fail_after, self.seen = fail_after, 0

    def sources(self):
        return [self.data.table("facts")]

    def target(self):
        return self.data.table("verified")

    def process(self, batch):
        for fact in batch:
            self.seen += 1
            if self.fail_after is not None and self.seen > self.fail_after:
                raise RuntimeError("killed")
            yield fact if fact.status == "verified" else Drop(f"status:{fact.status}", {"fact_id": fact.fact_id})


@pytest.fixture
def data(tmp_path):
    data = DataDir(tmp_path / "data")
    write_records(data.table("facts"), [_fact(i) for i in range(1, 8)], Fact)
    return data


def test_a_record_step_counts_drops_logs_them_and_skips_when_unchanged(data):
    summary = run_step(KeepVerified(data))
    assert (summary.records_in, summary.records_out, dict(summary.skipped)) == (7, 4, {"status": 3})
    assert [f.fact_id for f in read_records(data.table("verified"), Fact)] == ["F01", "F03", "F05", "F07"]
    logged = [json.loads(line) for line in (data.logs / "keep-verified.skips.jsonl").read_text().splitlines()]
    assert [(e["reason"], e["fact_id"]) for e in logged] == [("status:disputed", "F02"), ("status:disputed", "F04"),
                                                            ("status:disputed", "F06")]
    assert run_step(KeepVerified(data)).unchanged
    write_records(data.table("facts"), [_fact(i) for i in range(1, 4)], Fact)  # a changed input runs again
    again = run_step(KeepVerified(data))
    assert not again.unchanged and again.records_out == 2


def test_a_step_that_dies_leaves_the_previous_output_and_is_not_marked_done(data):
    run_step(KeepVerified(data))
    before = data.table("verified").read_bytes()
    write_records(data.table("facts"), [_fact(i) for i in range(1, 9)], Fact)
    with pytest.raises(RuntimeError):
        run_step(KeepVerified(data, fail_after=5))
    assert data.table("verified").read_bytes() == before
    assert not list(data.tables.glob(".verified*")), "no temp file left behind"
    assert not run_step(KeepVerified(data)).unchanged


def test_an_unfinished_step_is_not_marked_done(data):
    class Interrupted(Step):
        name = "interrupted"

        def outputs(self):
            return [self.data.table("facts")]

        def completed(self, ctx):
            return False

        def run(self, ctx):
            ctx.note("stopped early")

    assert not run_step(Interrupted(data)).unchanged
    assert not run_step(Interrupted(data)).unchanged


def test_a_second_run_on_the_same_data_dir_is_refused_while_the_first_holds_it(data):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from pipelines.kernel.io import DataDir
        from pipelines.kernel.step import data_dir_lock
        with data_dir_lock(DataDir(Path({str(data.root)!r})), "extract"):
            print("locked", flush=True)
            sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(FrameCheckError, match=r"in use by framecheck extract \(pid \d+\)"):
            run_step(KeepVerified(data))
        assert not data.table("verified").exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert run_step(KeepVerified(data)).records_out == 4  # released with its process


def test_a_killed_holder_leaves_no_stale_lock(data):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from pathlib import Path
        from pipelines.kernel.io import DataDir
        from pipelines.kernel.step import data_dir_lock
        with data_dir_lock(DataDir(Path({str(data.root)!r})), "crawl"):
            print("locked", flush=True)
            time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait(timeout=30)
    assert run_step(KeepVerified(data)).records_out == 4


def test_drop_kind_is_the_reason_family():
    assert Drop("corrupt_record: OSError").kind == "corrupt_record"
    assert Drop("off_topic").kind == "off_topic"
