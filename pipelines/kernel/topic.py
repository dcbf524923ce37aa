"""A bilingual topic score for the Social Credit System (terms in crawlers/topic.yaml).

The score adds the weight of each distinct term found (English as whole words, Chinese as
substrings), counting title hits extra; an article is relevant at or above min_score."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from pipelines.kernel.config import CRAWLERS_DIR, ConfigModel, Text, load_config
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

    @cached_property
    def _text_only_adds(self) -> bool:
        """No weight is negative: the text can only add to what the title scores."""
        return self.title_weight >= 0 and all(weight >= 0 for _pattern, weight, _term in self.patterns)

    def _title_reaches_threshold(self, title: str) -> bool:
        total, folded_title = 0.0, _fold(title)
        for pattern, weight, needle, folded, _words, _cjk in self._needles:
            if needle in (folded_title if folded else title) and pattern.search(title):
                total += weight * self.title_weight
                if total >= self.min_score:
                    return True
        return False

    def is_relevant(self, text: str, title: str = "") -> bool:
        """score(text, title) >= min_score, stopping as soon as the threshold is reached.

        A title shorter than the text is scored first, alone: when its hits reach the
        threshold, the page is relevant whatever the text holds (no weight is negative, so the
        text can only add), and the text (folded, split into words: the costly part) is never
        read. A crawled article's headline usually names its topic, so most relevant pages
        stop there; an off-topic one pays the title's scan twice, a few percent. A "title" as
        long as the text (a caller passing the page as both) is not scored first: that would
        double the work."""
        if title and len(title) < len(text) and self._text_only_adds and self._title_reaches_threshold(title):
            return True
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


TopicLanguage = Literal["en", "zh"]  # English terms match as whole words, Chinese as substrings


class TermGroupModel(ConfigModel):
    weight: float
    terms: Annotated[list[Text], Field(min_length=1)]


class TopicModel(ConfigModel):
    topic: Text
    min_score: float
    title_weight: float = 1
    terms: dict[TopicLanguage, dict[str, TermGroupModel]]
    search_queries: dict[TopicLanguage, list[Text]] = {}


@lru_cache(maxsize=4)
def load_topic(path: Path = TOPIC_FILE) -> Topic:
    doc = load_config(path, TopicModel)
    patterns = tuple(
        (_compile(term, lang), group.weight, term)
        for lang, groups in doc.terms.items()
        for group in groups.values()
        for term in group.terms
    )
    return Topic(name=doc.topic, min_score=doc.min_score, title_weight=doc.title_weight, patterns=patterns,
                 search_queries=doc.search_queries)
