"""Decoding archived pages to text when the declared charset may lie.

Real Chinese news pages declare GB2312 while serving UTF-8, and the reverse; Big5 pages
go out with GBK meta tags; European pages declare UTF-8 but carry stray cp1252 bytes in an
ad or an alt text. The rules, in order:

1. A BOM decides; pure ASCII needs no decision.
2. Bytes that are valid UTF-8 are UTF-8, whatever the header or meta tag says: legacy
   encodings almost never produce valid UTF-8 by chance.
3. Otherwise the Chinese readings (the declared one if Chinese, GB18030, Big5/cp950) are
   scored: real Chinese text is made of common characters (GB2312 level 1 or Big5 level 1)
   in runs; mojibake is rare characters, or isolated ones between Latin letters. The best
   plausible reading wins, the declared one on a near tie.
4. Otherwise a declared (or sniffed) legacy encoding stands (w3lib: header, meta, sniff).
5. Otherwise (UTF-8 declared or nothing declared, but not valid UTF-8): mostly-UTF-8 bytes
   are decoded as UTF-8 with the stray bytes read as cp1252; anything else as cp1252.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

from w3lib.encoding import html_to_unicode

_HANZI_RUN = re.compile(r"[\u4e00-\u9fff]+")
_CHINESE_CODECS = ("gb18030", "cp950")
_CHINESE_DECLARED = ("gb18030", "gbk", "gb2312", "hz", "big5", "big5hkscs", "cp950")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SAMPLE = 200_000
# a reading is plausible Chinese when (nearly) all its hanzi are common ones, in runs
_MIN_HANZI, _MIN_COMMON, _MIN_IN_RUNS = 10, 0.9, 0.5
# UTF-8 with at most this share of broken characters (among non-ASCII ones) is "mostly UTF-8"
_MOSTLY_UTF8 = 0.2


def _cp1252_fallback(error: UnicodeDecodeError):
    return error.object[error.start:error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("framecheck_cp1252", _cp1252_fallback)


@lru_cache(maxsize=1)
def _common_hanzi() -> frozenset:
    chars = set()
    for lead in range(0xB0, 0xD8):  # GB2312 level 1: the 3,755 most used simplified characters
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    trails = list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF))
    for lead in range(0xA4, 0xC7):  # Big5 level 1 (A440-C67E): the 5,401 most used traditional ones
        for trail in trails:
            if lead == 0xC6 and trail > 0x7E:
                break
            try:
                chars.add(bytes((lead, trail)).decode("big5"))
            except UnicodeDecodeError:
                pass
    return frozenset(c for c in chars if _HANZI_RUN.fullmatch(c))


def chinese_fit(text: str) -> tuple[int, float, float]:
    """(hanzi, share of common hanzi, share of hanzi in runs of 3 or more)."""
    runs = _HANZI_RUN.findall(text[:_SAMPLE])
    total = sum(len(r) for r in runs)
    if not total:
        return 0, 0.0, 0.0
    common = _common_hanzi()
    in_common = sum(c in common for r in runs for c in r)
    return total, in_common / total, sum(len(r) for r in runs if len(r) >= 3) / total


def _codec_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def decode_html(body: bytes, content_type: str | None) -> str:
    """The text of an HTML page, whatever its header and meta tag claim (rules above)."""
    encoding, text = html_to_unicode(content_type, body)
    encoding = _codec_name(encoding)
    if body.isascii() or body.startswith(_BOMS):
        return text
    try:
        utf8 = body.decode("utf-8")
    except UnicodeDecodeError:
        utf8 = None
    if utf8 is not None:
        return text if encoding == "utf-8" else utf8
    best = None
    declared_chinese = encoding in _CHINESE_DECLARED
    for name in dict.fromkeys(([encoding] if declared_chinese else []) + list(_CHINESE_CODECS)):
        candidate = text if name == encoding else body.decode(name, errors="replace")
        hanzi, common, in_runs = chinese_fit(candidate)
        errors = candidate.count("\ufffd")
        if hanzi >= _MIN_HANZI and common >= _MIN_COMMON and in_runs >= _MIN_IN_RUNS and errors <= max(2, hanzi // 50):
            if best is None or common > best[0] + 0.02:
                best = (common, candidate)
    if best is not None:
        return best[1]
    if encoding != "utf-8":
        return text
    broken = text.count("\ufffd")
    non_ascii = sum(1 for c in text if c > "\x7f")
    if broken <= _MOSTLY_UTF8 * non_ascii:
        return body.decode("utf-8", errors="framecheck_cp1252")
    return body.decode("cp1252", errors="replace")
