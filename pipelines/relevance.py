"""A bilingual topic score for the Social Credit System (terms in crawlers/topic.yaml).

The score adds the weight of each distinct term found (English as whole words, Chinese as
substrings), counting title hits extra; an article is relevant at or above min_score."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipelines.config import CRAWLERS_DIR, Checker, load_yaml

TOPIC_FILE = CRAWLERS_DIR / "topic.yaml"


@dataclass(frozen=True)
class Topic:
    name: str
    min_score: float
    title_weight: float
    # (compiled pattern, weight, term) per language
    patterns: tuple[tuple[re.Pattern, float, str], ...]
    search_queries: dict

    def score(self, text: str, title: str = "") -> float:
        total = 0.0
        for pattern, weight, _term in self.patterns:
            if pattern.search(text):
                total += weight
            if title and pattern.search(title):
                total += weight * self.title_weight
        return total

    def matched_terms(self, text: str) -> list[str]:
        return [term for pattern, _w, term in self.patterns if pattern.search(text)]

    def is_relevant(self, text: str, title: str = "") -> bool:
        return self.score(text, title) >= self.min_score


def _compile(term: str, lang: str) -> re.Pattern:
    if lang == "en":
        return re.compile(r"(?<![\w])" + re.escape(term) + r"(?![\w])", re.IGNORECASE)
    return re.compile(re.escape(term))


@lru_cache(maxsize=4)
def load_topic(path: Path = TOPIC_FILE) -> Topic:
    check = Checker(path)
    doc = check.mapping(load_yaml(path), "(top)", required=("topic", "min_score", "terms"))
    patterns = []
    for lang, groups in check.mapping(doc["terms"], "terms").items():
        for group, spec in check.mapping(groups, f"terms.{lang}").items():
            where = f"terms.{lang}.{group}"
            check.mapping(spec, where, required=("weight", "terms"))
            weight = spec["weight"]
            if not isinstance(weight, (int, float)):
                check.fail(f"{where}.weight", "expected a number")
            for term in check.sequence(spec["terms"], f"{where}.terms", 1):
                term = check.string(term, f"{where}.terms")
                patterns.append((_compile(term, "en" if lang == "en" else "zh"), float(weight), term))
    return Topic(
        name=doc["topic"],
        min_score=float(doc["min_score"]),
        title_weight=float(doc.get("title_weight", 1)),
        patterns=tuple(patterns),
        search_queries=doc.get("search_queries") or {},
    )
