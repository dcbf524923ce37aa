"""Chinese terms matched as words, not as substrings.

Chinese has no spaces, so a term searched as a substring fires inside longer words: 一步
inside 进一步, 法 inside 办法/方法/看法, 市 inside 市场. A match counts here only where jieba's
segmentation of the text has a word boundary at both its ends: "进一步" is one word, so 一步
in it is not a match; in "迈出一步" it is.

jieba is loaded once, on first use (its dictionary takes about a second), as a private
`jieba.Tokenizer`, so the global jieba state of other code is left alone. Segmentations are
cached per text: the cue lexicon and the check-worthiness signals ask about the same
sentences. Traditional characters go through the same dictionary (simplified for the most
part); where jieba splits an unknown word badly, a term on its pieces may still match."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Iterator

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # "Building prefix dict…" is not the user's business
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


@lru_cache(maxsize=4096)
def zh_boundaries(text: str) -> frozenset[int]:
    """Character offsets in text where jieba puts a word boundary (0 and len(text) included)."""
    cuts = {0, len(text)}
    for _word, start, end in _tokenizer().tokenize(text):
        cuts.update((start, end))
    return frozenset(cuts)


def zh_term_pattern(term: str) -> re.Pattern:
    """A literal Chinese term as a pattern for `zh_word_match`."""
    return re.compile(re.escape(term), re.I)


def zh_word_match(pattern: re.Pattern, text: str) -> Iterator[re.Match]:
    """The matches of pattern in text whose two ends are word boundaries. A match with no
    Chinese character at an end needs no boundary there ("14亿": the digits end where they end)."""
    boundaries = None
    for match in pattern.finditer(text):
        if match.end() <= match.start():
            continue
        if boundaries is None:
            boundaries = zh_boundaries(text)
        piece = match.group(0)
        start_ok = not _CJK.match(piece[0]) or match.start() in boundaries
        end_ok = not _CJK.match(piece[-1]) or match.end() in boundaries
        if start_ok and end_ok:
            yield match


def zh_word_search(pattern: re.Pattern, text: str) -> bool:
    """Whether pattern occurs in text as a word (`zh_word_match`), for signals that only ask whether."""
    return next(zh_word_match(pattern, text), None) is not None
