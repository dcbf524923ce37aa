"""Language of a text: English, Simplified or Traditional Chinese.

A CJK-share rule is enough to tell English from Chinese in this corpus; the script is
told by counting characters that OpenCC would change in each direction."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # a Chinese character
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@lru_cache(maxsize=1)
def _converters():
    import opencc

    return opencc.OpenCC("t2s"), opencc.OpenCC("s2t")


def chinese_script(text: str) -> str:
    """zh-Hant when traditional-only characters outnumber simplified-only ones."""
    sample = "".join(CJK.findall(text))[:4000]
    t2s, s2t = _converters()
    as_simplified, as_traditional = t2s.convert(sample), s2t.convert(sample)
    traditional_only = sum(a != b for a, b in zip(sample, as_simplified))
    simplified_only = sum(a != b for a, b in zip(sample, as_traditional))
    return "zh-Hant" if traditional_only > simplified_only else "zh-Hans"


def detect_language(text: str) -> str:
    cjk = len(CJK.findall(text))
    latin = len("".join(_LATIN_WORD.findall(text)))
    # a Chinese character carries about as much as a 3-letter English word
    if cjk * 3 >= latin and cjk > 0:
        return chinese_script(text)
    return "en"


def is_chinese(language: str) -> bool:
    return language.startswith("zh")


def normalized_text_hash(text: str) -> str:
    """Hash of the text with case, width, punctuation and whitespace differences removed."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = re.sub(r"[\W_]+", "", folded)
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()
