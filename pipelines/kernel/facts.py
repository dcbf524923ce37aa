"""The fact base: atomic, cited facts of the documented reality (annotation/facts.yaml)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from pipelines.kernel.config import (
    ANNOTATION_DIR,
    ConfigModel,
    PartialDate,
    Text,
    invalid,
    load_config,
    require_unique,
)
from pipelines.kernel.records import Fact, Source, to_row

FACTS_FILE = ANNOTATION_DIR / "facts.yaml"
CATEGORIES = (
    "central_policy",
    "court_defaulter_list",
    "sector_blacklists",
    "corporate_credit",
    "local_pilots",
    "private_scores",
    "figures",
    "later_reforms",
)
STATUSES = ("verified", "partly_verified", "unverified", "disputed")
TITLE_MAX = 72  # the evidence picker lists a fact by id and short title, one line each


class SourceModel(ConfigModel):
    kind: Literal["primary", "secondary"]
    title: Text | None = None
    title_en: Text | None = None
    title_zh: Text | None = None
    issuer: Text | None = None
    publisher: Text | None = None
    author: Text | None = None
    date: PartialDate | None = None
    doc_number: Text | None = None
    url: Text | None = None

    @model_validator(mode="after")
    def _has_title(self):
        if not (self.title_en or self.title):
            raise invalid(("title",), "a source needs a title (title or title_en)")
        return self


class FactModel(ConfigModel):
    id: Text
    category: Literal[CATEGORIES]
    title: Text  # short, our own words: what the evidence picker lists and searches
    statement_en: Text
    statement_zh: Text
    valid_from: PartialDate | None = None
    valid_to: PartialDate | None = None
    status: Literal[STATUSES]
    status_note: Text | None = None
    sources: Annotated[list[SourceModel], Field(min_length=1)]

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not re.fullmatch(r"F\d{2,3}", value):
            raise invalid((), f"{value!r} is not a fact id (F and two or three digits)")
        return value

    @field_validator("title")
    @classmethod
    def _short_title(cls, value: str) -> str:
        if len(value) > TITLE_MAX:
            raise invalid((), f"is {len(value)} characters; a short title has at most {TITLE_MAX} (the evidence picker lists it)")
        return value

    @field_validator("statement_zh")
    @classmethod
    def _chinese(cls, value: str) -> str:
        if not re.search(r"[\u4e00-\u9fff]", value):
            raise invalid((), "has no Chinese characters")
        return value

    @field_validator("sources")
    @classmethod
    def _one_primary(cls, sources: list[SourceModel]) -> list[SourceModel]:
        if not any(s.kind == "primary" for s in sources):
            raise invalid((), "needs at least one primary source")
        return sources


class FactBaseModel(ConfigModel):
    facts: Annotated[list[FactModel], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self):
        require_unique([f.id for f in self.facts], lambda i: ("facts", i, "id"), "fact id")
        return self


def _source(model: SourceModel) -> Source:
    return Source(kind=model.kind, title=model.title_en or model.title, title_zh=model.title_zh,
                  issuer=model.issuer or model.publisher, date=model.date, doc_number=model.doc_number, url=model.url)


def _fact(model: FactModel) -> Fact:
    return Fact(
        fact_id=model.id,
        category=model.category,
        title=model.title,
        statement_en=model.statement_en,
        statement_zh=model.statement_zh,
        valid_from=model.valid_from,
        valid_to=model.valid_to,
        status=model.status,
        sources=tuple(_source(s) for s in model.sources),
    )


@lru_cache(maxsize=4)
def load_facts(path: Path = FACTS_FILE) -> tuple[Fact, ...]:
    return tuple(_fact(f) for f in load_config(path, FactBaseModel).facts)


def fact_ids(path: Path = FACTS_FILE) -> set[str]:
    return {f.fact_id for f in load_facts(path)}


def fact_rows(facts: tuple[Fact, ...]) -> list[dict]:
    """The facts as JSON rows (`framecheck facts --json`), keyed `id` like the YAML."""
    rows = []
    for fact in facts:
        row = to_row(fact)
        row["id"] = row.pop("fact_id")
        rows.append(row)
    return rows
