"""The project layout for independent double annotation in Label Studio Community.

Community cannot hide one annotator's labels from another inside a project, nor ask for two
annotations per task (Enterprise features), so each annotator gets a project of their own
holding the same overlap claims (with the same pre-annotations) plus a share of the rest.
Pulls merge the projects by claim id (each annotation keeps its source, annotation.store).
The setting lives in annotation/projects.yaml (validated; file and field in every error)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field

from pipelines.kernel.config import ANNOTATION_DIR, ConfigModel, load_config, validate

LAYOUT_FILE = ANNOTATION_DIR / "projects.yaml"
REVIEW_SUFFIX = " — review"


class LayoutModel(ConfigModel):
    annotators: Annotated[int, Field(ge=1, le=50)] = 2
    overlap: Annotated[float, Field(ge=0.0, le=1.0)] = 0.25


def _unit(text: str) -> float:
    """A stable number in [0, 1) from a text (a claim's place in the layout never changes)."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], 16) / float(1 << 48)


@dataclass(frozen=True)
class ProjectLayout:
    title: str
    annotators: int = 2
    overlap: float = 0.25

    @property
    def projects(self) -> list[str]:
        """The annotator projects' titles (one shared project when there is one annotator)."""
        if self.annotators == 1:
            return [self.title]
        return [f"{self.title} · annotator {n}" for n in range(1, self.annotators + 1)]

    @property
    def review_project(self) -> str:
        return self.title + REVIEW_SUFFIX

    def is_overlap(self, claim_id: str) -> bool:
        return self.annotators > 1 and _unit(f"overlap:{claim_id}") < self.overlap

    def projects_of(self, claim_id: str) -> list[str]:
        """The projects a claim goes to: all of them for an overlap claim, else one, by hash."""
        if self.annotators == 1 or self.is_overlap(claim_id):
            return self.projects
        return [self.projects[int(_unit(f"split:{claim_id}") * self.annotators)]]


@lru_cache(maxsize=4)
def load_layout_settings(path: Path = LAYOUT_FILE) -> LayoutModel:
    return load_config(path, LayoutModel) if path.exists() else LayoutModel()


def layout(title: str, annotators: int | None = None, overlap: float | None = None,
           path: Path = LAYOUT_FILE) -> ProjectLayout:
    """The layout of the projects titled after `title`: projects.yaml, with overrides."""
    settings = load_layout_settings(path)
    if annotators is not None or overlap is not None:  # the CLI's overrides, validated the same way
        settings = validate(LayoutModel, {"annotators": settings.annotators if annotators is None else annotators,
                                          "overlap": settings.overlap if overlap is None else overlap},
                            Path("--annotators/--overlap"))
    return ProjectLayout(title, settings.annotators, settings.overlap)
