"""Sentence segmentation with character offsets into the original text.

Three strategies: English (abbreviation-aware), Chinese (。！？； and closing quotes), and
unpunctuated speech such as auto-captions, which is cut at discourse markers into
claim-sized windows."""

from __future__ import annotations

import re

Span = tuple[int, int]

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "no", "vs", "etc", "inc", "ltd", "co", "corp",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gen", "gov", "sen",
    "rep", "u.s", "u.k", "e.g", "i.e", "a.m", "p.m", "approx", "dept", "fig", "al",
}
_EN_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+|$)")
_ZH_END = re.compile(r"[。！？；!?;]+[”’」』）)]*")
_DISCOURSE = {
    "but", "so", "and", "because", "which", "if", "then", "now", "well", "although", "however", "take", "in",
    "on", "under", "when", "while", "ultimately", "we", "they", "there", "this", "that's", "it's", "what",
}
_WORD = re.compile(r"\S+")


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _paragraphs(text: str) -> list[Span]:
    spans, start = [], 0
    for match in re.finditer(r"\n+", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [s for s in spans if s[1] > s[0]]


def _english(text: str, start: int, end: int) -> list[Span]:
    spans, cursor = [], start
    for match in _EN_END.finditer(text, start, end):
        word = re.search(r"([\w.]+)[.!?]*[\"'”’)\]]*$", text[cursor : match.end()])
        token = word.group(1).lower().rstrip(".") if word else ""
        if match.group(0).startswith(".") and (token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token)):
            continue
        following = text[match.end() : match.end() + 3].lstrip()
        if following and following[0].islower():
            continue  # "the 1984 novel. then" is rare; a lower-case start is usually a false stop
        span = _trim(text, cursor, match.end())
        if span:
            spans.append(span)
        cursor = match.end()
    tail = _trim(text, cursor, end)
    if tail:
        spans.append(tail)
    return spans


def _chinese(text: str, start: int, end: int) -> list[Span]:
    spans, cursor = [], start
    for match in _ZH_END.finditer(text, start, end):
        span = _trim(text, cursor, match.end())
        if span:
            spans.append(span)
        cursor = match.end()
    tail = _trim(text, cursor, end)
    if tail:
        spans.append(tail)
    return spans


def split_unpunctuated(text: str, start: int = 0, end: int | None = None, min_words: int = 12, max_words: int = 40) -> list[Span]:
    """Cut speech without punctuation before a discourse marker once a window has min_words."""
    end = len(text) if end is None else end
    words = list(_WORD.finditer(text, start, end))
    spans, first = [], 0
    for i, word in enumerate(words):
        size = i - first
        marker = word.group(0).lower() in _DISCOURSE
        if size >= max_words or (size >= min_words and marker):
            spans.append((words[first].start(), words[i - 1].end()))
            first = i
    if words[first:]:
        spans.append((words[first].start(), words[-1].end()))
    return spans


def is_unpunctuated(text: str) -> bool:
    words = len(text.split())
    stops = len(re.findall(r"[.!?。！？]", text))
    return words >= 60 and stops < words / 80


def split_sentences(text: str, language: str) -> list[Span]:
    spans: list[Span] = []
    for start, end in _paragraphs(text):
        paragraph = text[start:end]
        if is_unpunctuated(paragraph):
            spans += split_unpunctuated(text, start, end)
        elif language.startswith("zh"):
            # English quotations inside Chinese text still end at 。 or at . + space
            spans += [s for zh in _chinese(text, start, end) for s in (_english(text, *zh) if not re.search(r"[\u4e00-\u9fff]", text[zh[0]:zh[1]]) else [zh])]
        else:
            spans += _english(text, start, end)
    return spans
