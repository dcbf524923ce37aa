"""Language of a text: English, Simplified or Traditional Chinese, or another language
FrameCheck does not mine.

A CJK-share rule is enough to tell English from Chinese in this corpus; the script is
told by counting characters that OpenCC would change in each direction. Japanese (kanji
with kana), Korean (Hangul, some hanja) and other non-Latin scripts also pass or defeat
that rule, so for those texts py3langid (a naive Bayes identifier over byte n-grams)
decides first, and only overrules the rule when it is sure.
Latin-script texts keep the rule's "en" (FrameCheck's sources are English or Chinese;
the topic filter keeps other Latin-script pages out)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # a Chinese character
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
# a letter of neither the Latin script nor Han: kana, Hangul, Cyrillic, Arabic, Thai, ...
_OTHER_LETTER = re.compile(r"[^\W\d_A-Za-z\u00c0-\u024f\u1e00-\u1eff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

SUPPORTED_LANGUAGES = ("en", "zh-Hans", "zh-Hant")
# py3langid's labels that never overrule the rule: English, Chinese and its varieties (it
# calls some Mandarin sentences Wu), and "no linguistic content".
_RULE_KEEPS = frozenset({"en", "zh", "wuu", "yue", "zxx"})
# Measured on the shared corpora (trafilatura-eval, scrapinghub-aeb, cctv-xwlb, the credit
# statutes, English SCS texts, China Daily / NYT): Japanese and Korean pages come out ja/ko
# at >= 0.99, while no Chinese sentence was called anything but zh/wuu at >= 0.9.
_MIN_PROBABILITY = 0.9
# Japanese is written with kana, Korean with Hangul: a text py3langid calls ja/ko must
# show its script (a tenth of its CJK-family characters), so that a few kanji-only
# Chinese words never pass for Japanese.
_OWN_SCRIPT = {"ja": _KANA, "ko": _HANGUL}
_MIN_SCRIPT_SHARE = 0.1
_SAMPLE_CHARS = 3000  # a page's language shows in its first few thousand characters


@lru_cache(maxsize=1)
def _converters():
    import opencc

    return opencc.OpenCC("t2s"), opencc.OpenCC("s2t")


def to_simplified(text: str) -> str:
    """Traditional characters as simplified ones (a model trained on simplified Chinese then
    reads traditional text too); text without Chinese characters is returned as it is."""
    return _converters()[0].convert(text) if CJK.search(text) else text


def chinese_script(text: str) -> str:
    """zh-Hant when traditional-only characters outnumber simplified-only ones."""
    sample = "".join(CJK.findall(text))[:4000]
    t2s, s2t = _converters()
    as_simplified, as_traditional = t2s.convert(sample), s2t.convert(sample)
    traditional_only = sum(a != b for a, b in zip(sample, as_simplified))
    simplified_only = sum(a != b for a, b in zip(sample, as_traditional))
    return "zh-Hant" if traditional_only > simplified_only else "zh-Hans"


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identified_language(text: str) -> str | None:
    """The ISO 639 code py3langid gives text when it is sure that the language is neither
    English nor Chinese (and, for Japanese and Korean, the text shows their script); else None."""
    sample = text[:_SAMPLE_CHARS]
    language, probability = _identifier().classify(sample)
    if language in _RULE_KEEPS or probability < _MIN_PROBABILITY:
        return None
    script = _OWN_SCRIPT.get(language)
    if script is not None:
        own = len(script.findall(sample))
        if own < _MIN_SCRIPT_SHARE * (own + len(CJK.findall(sample))):
            return None
    return language


def detect_language(text: str) -> str:
    """en, zh-Hans or zh-Hant, or the ISO code of another language (ja, ko, ru, ...)."""
    cjk = len(CJK.findall(text))
    latin = len("".join(_LATIN_WORD.findall(text)))
    # a Chinese character carries about as much as a 3-letter English word
    looks_chinese = cjk * 3 >= latin and cjk > 0
    if looks_chinese or len(_OTHER_LETTER.findall(text)) > latin:
        other = identified_language(text)
        if other is not None:
            return other
    return chinese_script(text) if looks_chinese else "en"


def is_chinese(language: str) -> bool:
    return language.startswith("zh")


def language_skip_reason(language: str) -> str | None:
    """None for a language FrameCheck mines (en, zh-Hans, zh-Hant); else why a text in it is left out."""
    return None if language in SUPPORTED_LANGUAGES else f"language_unsupported:{language}"


def normalized_text_hash(text: str) -> str:
    """Hash of the text with case, width, punctuation and whitespace differences removed."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = re.sub(r"[\W_]+", "", folded)
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()
