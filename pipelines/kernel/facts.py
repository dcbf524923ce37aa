"""The fact base: atomic, cited facts of the documented reality (annotation/facts.yaml)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pipelines.kernel.config import ANNOTATION_DIR, Checker, load_yaml
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
_FACT_KEYS = ("id", "category", "title", "statement_en", "statement_zh", "valid_from", "valid_to", "status", "status_note", "sources")
_DATE = r"\d{4}(-\d{2}(-\d{2})?)?"


def _date(check: Checker, value, where: str) -> str | None:
    if value is None:
        return None
    value = str(value)
    if not re.fullmatch(_DATE, value):
        check.fail(where, f"{value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    return value


@lru_cache(maxsize=4)
def load_facts(path: Path = FACTS_FILE) -> tuple[Fact, ...]:
    check = Checker(path)
    doc = check.mapping(load_yaml(path), "(top)", required=("facts",))
    facts, seen = [], set()
    for i, raw in enumerate(check.sequence(doc["facts"], "facts", min_len=1)):
        where = f"facts[{i}]"
        check.mapping(raw, where, required=("id", "category", "statement_en", "statement_zh", "status", "sources"), allowed=_FACT_KEYS)
        fid = check.string(raw["id"], f"{where}.id", pattern=r"F\d{2,3}")
        if fid in seen:
            check.fail(f"{where}.id", f"duplicate fact id {fid}")
        seen.add(fid)
        where = f"facts[{fid}]"
        zh = check.string(raw["statement_zh"], f"{where}.statement_zh")
        if not re.search(r"[\u4e00-\u9fff]", zh):
            check.fail(f"{where}.statement_zh", "has no Chinese characters")
        sources = []
        for j, src in enumerate(check.sequence(raw["sources"], f"{where}.sources", 1)):
            sw = f"{where}.sources[{j}]"
            check.mapping(src, sw, required=("kind",))
            kind = check.string(src["kind"], f"{sw}.kind", choices=("primary", "secondary"))
            title = src.get("title_en") or src.get("title")
            check.string(title, f"{sw}.title")
            sources.append(
                Source(
                    kind=kind,
                    title=title,
                    title_zh=src.get("title_zh"),
                    issuer=src.get("issuer") or src.get("publisher"),
                    date=str(src["date"]) if src.get("date") else None,
                    doc_number=src.get("doc_number"),
                    url=src.get("url"),
                )
            )
        if not any(s.kind == "primary" for s in sources):
            check.fail(f"{where}.sources", "needs at least one primary source")
        facts.append(
            Fact(
                fact_id=fid,
                category=check.string(raw["category"], f"{where}.category", choices=CATEGORIES),
                title=str(raw.get("title") or fid),
                statement_en=check.string(raw["statement_en"], f"{where}.statement_en"),
                statement_zh=zh,
                valid_from=_date(check, raw.get("valid_from"), f"{where}.valid_from"),
                valid_to=_date(check, raw.get("valid_to"), f"{where}.valid_to"),
                status=check.string(raw["status"], f"{where}.status", choices=STATUSES),
                sources=tuple(sources),
            )
        )
    return tuple(facts)


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
