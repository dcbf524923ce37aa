"""The step contract and its one runner.

A stage is a `Step`: it says what it reads (`inputs`, `params`), what it writes (`outputs`)
and does its work in `run(ctx)`, where its pure core hands back records or a `Drop` with
its reason (datatrove's `PipelineStep` and `BaseFilter` are the model). The runner alone
- takes the data directory's lock, so two runs on one data directory never interleave;
- fingerprints the inputs, parameters and code, and skips a step whose fingerprint and
  outputs are unchanged since it last completed;
- counts records in and out and drops by reason (`ctx.drop`), and writes the skip log;
- marks the step done only when it completed (an interrupted crawl is not done), and with
  it the steps whose work it did too (`also_completes`).
Writes are atomic through `ctx.atomic` / `ctx.record_writer` (a temp file renamed into place),
so a killed step leaves its previous outputs as they were; the temp files it leaves beside its
outputs are removed by the runner before the step next runs (holding the lock, it knows no
other run is writing them).

`RecordStep` is the common shape: records of one table in, records of another out,
streamed a batch at a time."""

from __future__ import annotations

import fcntl
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from pipelines.kernel.io import (
    BATCH_ROWS,
    DataDir,
    FrameCheckError,
    RecordWriter,
    SkipLog,
    StageSummary,
    atomic_path,
    count_records,
    fingerprint,
    is_unchanged,
    iter_records,
    mark_done,
    remove_stale_temps,
)

Progress = Callable[[Iterable, int | None, str], Iterable]


@dataclass(frozen=True)
class Drop:
    """A record a step's core left out, and why; `detail` goes to the skip log with it."""

    reason: str
    detail: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The reason's family, what the summary counts ('corrupt_record: …' → 'corrupt_record')."""
        return self.reason.split(":")[0]


def no_progress(items: Iterable, total: int | None = None, description: str = "") -> Iterable:
    return items


@dataclass
class StepContext:
    """What a running step may use: the data directory, its summary, its skip log, progress."""

    data: DataDir
    summary: StageSummary
    skips: SkipLog
    progress: Progress = no_progress
    # Records the step as done with the runner's fingerprint. The runner calls it after the
    # step completes; a step whose outputs commit in two moves (the crawl) calls it between
    # them, so a kill between the two still finds the step done.
    mark_done: Callable[[], None] = lambda: None

    def drop(self, item: Drop | str, count_as: str | None = None, **detail) -> None:
        """Count a dropped record by reason and log it (reason plus detail) to the skip log."""
        drop = item if isinstance(item, Drop) else Drop(item, detail)
        self.summary.skip(count_as or drop.kind)
        self.skips.write(drop.reason, **{**drop.detail, **detail})

    def absorb(self, summary: StageSummary) -> None:
        """Fold the counts of a core that keeps its own summary (a network sync) into this one."""
        self.summary.records_in += summary.records_in
        self.summary.records_out += summary.records_out
        self.summary.skipped.update(summary.skipped)
        self.summary.outputs += summary.outputs
        self.summary.notes += summary.notes

    def note(self, text: str) -> None:
        self.summary.notes.append(text)

    def wrote(self, *paths: Path | str) -> None:
        self.summary.outputs.extend(str(p) for p in paths)

    @contextmanager
    def atomic(self, target: Path) -> Iterator[Path]:
        """A temp path beside target, renamed over it only when the block succeeds."""
        with atomic_path(target) as tmp:
            yield tmp

    @contextmanager
    def record_writer(self, target: Path, record_type: type) -> Iterator[RecordWriter]:
        """A Parquet writer of records that replaces target atomically when the block ends."""
        with atomic_path(target) as tmp:
            writer = RecordWriter(tmp, record_type)
            try:
                yield writer
            finally:
                self.summary.records_out += writer.close()


class Step(ABC):
    """One stage of the pipeline, run by `run_step`."""

    name: ClassVar[str]
    # False for steps whose inputs are not all files (a live crawl, a Label Studio pull):
    # the runner then always runs them.
    skippable: ClassVar[bool] = True
    # The data directory's lock file under state/. A crawler on a shared frontier takes its own
    # (workers may share one data directory: their files are named by worker, never shared).
    lock_file: str = ".lock"

    def __init__(self, data: DataDir):
        self.data = data

    def inputs(self) -> list[Path]:
        """Files and folders whose bytes decide whether the step must run again."""
        return []

    def params(self) -> dict:
        """Options that change the output (part of the fingerprint)."""
        return {}

    def outputs(self) -> list[Path]:
        """What the step writes; all must exist for an unchanged step to be skipped."""
        return []

    def state_key(self) -> str:
        """Where the runner keeps this step's fingerprint (state/<key>.json)."""
        return self.name

    def unchanged_notes(self) -> list[str]:
        return []

    def completed(self, ctx: StepContext) -> bool:
        """Whether the run finished (an interrupted crawl must not be marked done)."""
        return True

    def also_completes(self) -> list[Step]:
        """Other steps whose outputs this one wrote too (the release build trains the
        baselines): once this step is done, the runner marks them done as well."""
        return []

    @abstractmethod
    def run(self, ctx: StepContext) -> None:
        """Do the work: read the inputs, write the outputs atomically, count and drop via ctx."""


class RecordStep(Step):
    """A step whose core maps records of source tables to records of one target table."""

    source_type: ClassVar[type]
    target_type: ClassVar[type]
    batch_rows: int = BATCH_ROWS

    @abstractmethod
    def sources(self) -> list[Path]:
        """The tables read, in order."""

    @abstractmethod
    def target(self) -> Path:
        """The table written."""

    @abstractmethod
    def process(self, batch: list) -> Iterable:
        """The pure core: one batch of source records in, target records and Drops out."""

    def inputs(self) -> list[Path]:
        return self.sources()

    def outputs(self) -> list[Path]:
        return [self.target()]

    def run(self, ctx: StepContext) -> None:
        sources = self.sources()
        total = sum(count_records(path) for path in sources)
        ctx.summary.records_in = total
        records = (record for path in sources for record in iter_records(path, self.source_type, self.batch_rows))
        with ctx.record_writer(self.target(), self.target_type) as writer:
            for batch in _batches(ctx.progress(records, total, self.name), self.batch_rows):
                for item in self.process(batch):
                    if isinstance(item, Drop):
                        ctx.drop(item)
                    else:
                        writer.add(item)
        ctx.wrote(self.target())


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def data_dir_lock(data: DataDir, step: str, lock_file: str = ".lock") -> Iterator[None]:
    """Hold the data directory's lock for one step. The lock is an flock on state/.lock, so it
    dies with its process: a killed run never leaves a stale lock behind."""
    data.state.mkdir(parents=True, exist_ok=True)
    path = data.state / lock_file
    with path.open("a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise FrameCheckError(f"{data.root}: in use by {holder}; wait for it to finish (two runs on one data "
                                  f"directory would corrupt it)") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"framecheck {step} (pid {os.getpid()})")
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_step(step: Step, *, force: bool = False, progress: Progress | None = None) -> StageSummary:
    """Run one step: lock, remove the temp files a killed run left beside the step's outputs,
    skip if unchanged, run, count, log skips, mark done."""
    data = step.data
    with data_dir_lock(data, step.name, step.lock_file):
        stale = remove_stale_temps(step.outputs())
        print_ = fingerprint(step.inputs(), step.params()) if step.skippable else None
        if print_ is not None and not force and is_unchanged(data, step.state_key(), print_, step.outputs()):
            return StageSummary(step.name, unchanged=True, outputs=[str(p) for p in step.outputs()],
                                notes=step.unchanged_notes())
        summary = StageSummary(step.name)
        if stale:
            summary.notes.append(f"removed {len(stale)} temp file(s) left by an interrupted run: "
                                 + ", ".join(str(p) for p in stale))
        record_done = (lambda: mark_done(data, step.state_key(), print_)) if print_ is not None else (lambda: None)
        ctx = StepContext(data, summary, SkipLog(data, step.name), progress or no_progress, record_done)
        try:
            step.run(ctx)
        finally:
            ctx.skips.close()
        if print_ is not None and step.completed(ctx):
            record_done()
            for other in step.also_completes():
                mark_done(data, other.state_key(), fingerprint(other.inputs(), other.params()))
        return summary
