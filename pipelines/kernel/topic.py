"""A bilingual topic score for the Social Credit System (terms in crawlers/topic.yaml).

The score adds the weight of each distinct term found (English as whole words, Chinese as
substrings), counting title hits extra; an article is relevant at or above min_score."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from pipelines.kernel.config import CRAWLERS_DIR, Checker, load_yaml
from pipelines.kernel.text import CJK

TOPIC_FILE = CRAWLERS_DIR / "topic.yaml"


# The only non-ASCII characters that re.IGNORECASE matches to ASCII letters.
_CASE_TRAPS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_CASE_TRAP_CHARS = re.compile("[\u0130\u0131\u017f\u212a]")


_WORD = re.compile(r"\w+")
# how _compile bounds an English term
_WORD_START, _WORD_END = r"(?<![\w])", r"(?![\w])"


def _fold(text: str) -> str:
    if _CASE_TRAP_CHARS.search(text):  # str.translate is slow; the traps are rare
        text = text.translate(_CASE_TRAPS)
    return text.lower()


@dataclass(frozen=True)
class Topic:
    name: str
    min_score: float
    title_weight: float
    # (compiled pattern, weight, term) per language
    patterns: tuple[tuple[re.Pattern, float, str], ...]
    search_queries: dict

    @cached_property
    def _needles(self) -> tuple[tuple[re.Pattern, float, str, bool, tuple[str, ...], bool], ...]:
        """Per pattern, what a text must contain for it to match, strongest terms first.
        Scoring is the crawler's and extraction's hottest path: a regex is only searched
        where its term can occur, which gives the same score at a fraction of the cost.
        - needle: a substring every match contains (case-folded for case-insensitive patterns);
        - words: for a case-insensitive whole-word pattern, the needle's word-character runs,
          each of which a match leaves as a whole word of the folded text;
        - cjk: the needle has a Chinese character, so a text without one cannot match."""
        entries = []
        for pattern, weight, term in self.patterns:
            folded = bool(pattern.flags & re.IGNORECASE)
            needle = _fold(term) if folded else term
            whole_word = pattern.pattern.startswith(_WORD_START) and pattern.pattern.endswith(_WORD_END)
            words = tuple(_WORD.findall(needle)) if folded and whole_word else ()
            entries.append((pattern, weight, needle, folded, words, bool(CJK.search(needle))))
        return tuple(sorted(entries, key=lambda entry: -entry[1]))

    def _hits(self, text: str, title: str):
        """The weight each matching term adds, strongest terms first."""
        folded_text, folded_title = _fold(text), _fold(title)
        text_words = set(_WORD.findall(folded_text))
        text_has_cjk = CJK.search(text) is not None
        for pattern, weight, needle, folded, words, cjk in self._needles:
            if words:
                possible = all(word in text_words for word in words)
            else:
                possible = (text_has_cjk or not cjk) and needle in (folded_text if folded else text)
            if possible and pattern.search(text):
                yield weight
            if title and needle in (folded_title if folded else title) and pattern.search(title):
                yield weight * self.title_weight

    def score(self, text: str, title: str = "") -> float:
        return float(sum(self._hits(text, title)))

    def is_relevant(self, text: str, title: str = "") -> bool:
        """score(text, title) >= min_score, stopping as soon as the threshold is reached."""
        total = 0.0
        for weight in self._hits(text, title):
            total += weight
            if total >= self.min_score:
                return True
        return total >= self.min_score


def _compile(term: str, lang: str) -> re.Pattern:
    if lang == "en":
        return re.compile(_WORD_START + re.escape(term) + _WORD_END, re.IGNORECASE)
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
