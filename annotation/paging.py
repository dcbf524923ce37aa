"""Paged, resumable pulls from Label Studio.

A project is read a page of tasks at a time through the SDK's task list (`tasks.list` with
`fields="all"`, ordered by task id), never in one export request: the Community edition's
one-shot export times out on large projects (label-studio #5811, #5873), and a page at a time
keeps memory flat. Each page is pseudonymized (by the caller) before it touches the disk and
is written atomically under DATA/state/pulls/<server>-project<id>/, with a progress file
naming the pages done; a killed pull resumes after the last completed page. At the end the
pages are streamed into one snapshot, written atomically, and the partial pull is removed.

Ordering by id keeps pages stable while annotators work: new tasks land on later pages and
new annotations of an early task are picked up by the next pull. A task deleted mid-pull
shifts later pages by one; the pull then reports fewer tasks than the server counts, and
says so."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from pipelines.kernel.io import DataDir, FrameCheckError, atomic_path, utc_now, write_text_atomic

DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 5000
ORDER_BY_ID = json.dumps({"ordering": ["tasks:id"]})
# What a snapshot keeps of a task, as Label Studio's JSON export has it (predictions by id).
_TASK_FIELDS = ("id", "data", "annotations", "drafts", "predictions", "meta", "created_at", "updated_at", "inner_id",
                "total_annotations", "cancelled_annotations", "total_predictions", "project")
PROGRESS_FILE = "progress.json"


def export_form(task: dict) -> dict:
    """A task of the task list as the JSON export gives it: the export's fields, predictions by id."""
    kept = {key: task[key] for key in _TASK_FIELDS if key in task}
    kept["predictions"] = [p["id"] if isinstance(p, dict) else p for p in kept.get("predictions") or []]
    return kept


@dataclass(frozen=True)
class Page:
    number: int
    total_tasks: int  # as the server counts them when the page is read
    tasks: list[dict]


def task_pages(client, project_id: int, page_size: int = DEFAULT_PAGE_SIZE, first_page: int = 1,
               fields: str = "all") -> Iterator[Page]:
    """Every page of a project's tasks from `first_page`, one request each, in task-id order
    (fields="task_only": without annotations, for listing what a project holds).

    Bounded by the count the server reports: the SDK's own pager asks for one page past the end
    and gets a 404 ('Invalid page.'), which here only means that tasks went away since."""
    from label_studio_sdk.core.api_error import ApiError

    number = first_page
    while True:
        try:
            pager = client.tasks.list(project=project_id, fields=fields, page=number, page_size=page_size, query=ORDER_BY_ID)
        except ApiError as exc:
            if exc.status_code == 404 and number > 1:
                return
            raise
        tasks = [export_form(item.model_dump(mode="json")) for item in pager.items or []]
        total = int(getattr(pager.response, "total", 0) or 0)
        yield Page(number, total, tasks)
        if not tasks or number * page_size >= total:
            return
        number += 1


def iter_tasks(client, project_id: int, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[dict]:
    """Every task of a project with its annotations, in export form, a page at a time."""
    for page in task_pages(client, project_id, page_size):
        yield from page.tasks


def check_page_size(page_size: int) -> int:
    if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise FrameCheckError(f"--page-size: {page_size!r} is not a whole number from 1 to {MAX_PAGE_SIZE}")
    return page_size


class PartialPull:
    """The pages of one pull of one project, kept until the snapshot is written."""

    def __init__(self, data: DataDir, server: str, project_id: int, page_size: int):
        self.folder = data.state / "pulls" / f"{server}-project{project_id}"
        self.page_size = page_size
        self.progress_file = self.folder / PROGRESS_FILE
        self.pages_done, self.tasks_done, self.discarded = 0, 0, None
        if self.progress_file.exists():
            self._resume()

    def _resume(self) -> None:
        try:
            state = json.loads(self.progress_file.read_text(encoding="utf-8"))
            pages, size, tasks = int(state["pages_done"]), int(state["page_size"]), int(state["tasks_done"])
        except (ValueError, KeyError, TypeError) as exc:
            self.discard(f"its progress file was unreadable ({type(exc).__name__})")
            return
        if size != self.page_size:
            self.discard(f"it used pages of {size} tasks, this one {self.page_size}")
            return
        if not all(self.page_file(n).exists() for n in range(1, pages + 1)):
            self.discard("page files were missing")
            return
        self.pages_done, self.tasks_done = pages, tasks

    def discard(self, why: str) -> None:
        """Drop an earlier partial pull that cannot be continued (it is redone from page 1)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.pages_done, self.tasks_done, self.discarded = 0, 0, why

    @property
    def resumed(self) -> bool:
        return self.pages_done > 0

    def page_file(self, number: int) -> Path:
        return self.folder / f"page-{number:06d}.json"

    def save(self, page: Page) -> None:
        """The page, then the progress naming it: a kill between the two redoes only this page."""
        self.folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.page_file(page.number), json.dumps(page.tasks, ensure_ascii=False))
        self.pages_done, self.tasks_done = page.number, self.tasks_done + len(page.tasks)
        write_text_atomic(self.progress_file, json.dumps({"page_size": self.page_size, "pages_done": self.pages_done,
                                                          "tasks_done": self.tasks_done, "total_tasks": page.total_tasks,
                                                          "updated": utc_now()}))

    def write_snapshot(self, target: Path) -> int:
        """Stream the pages into one JSON list at target (atomically); returns the tasks written.
        A task met twice (pages shifted by a deletion) is written once."""
        seen: set = set()
        with atomic_path(target) as tmp, tmp.open("w", encoding="utf-8") as out:
            out.write("[")
            for number in range(1, self.pages_done + 1):
                for task in json.loads(self.page_file(number).read_text(encoding="utf-8")):
                    if task.get("id") in seen:
                        continue
                    out.write(("\n" if not seen else ",\n") + json.dumps(task, ensure_ascii=False))
                    seen.add(task.get("id"))
            out.write("\n]\n")
        return len(seen)

    def finish(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def pull_pages(client, project_id: int, partial: PartialPull, clean: Callable[[list[dict]], list[dict]],
               progress=None) -> int:
    """Read the pages after the last completed one into `partial`, each passed through `clean`
    (pseudonymization) before it is saved. Returns the task count the server last reported."""
    pages = task_pages(client, project_id, partial.page_size, partial.pages_done + 1)
    first = next(pages, None)
    if first is None:
        return partial.tasks_done
    total = first.total_tasks
    count = max(-(-total // partial.page_size) - partial.pages_done, 1)

    def all_pages():
        yield first
        yield from pages

    for page in (progress(all_pages(), count, "pull pages") if progress else all_pages()):
        partial.save(Page(page.number, page.total_tasks, clean(page.tasks)))
        total = page.total_tasks
    return total
