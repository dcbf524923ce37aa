"""The page decoder (pipelines.extract.core.decode_html, rules in pipelines/kernel/encoding.py) on real
pages: every non-UTF-8 page of ../shared/corpora/trafilatura-eval (cp1252, cp1250, a real
GB2312 Xinhua page, pages that declare UTF-8 but carry cp1252 bytes) and its Chinese pages,
plus real Chinese pages re-encoded so that their declaration lies (GB2312 declared, UTF-8
served, and the reverse; Big5 under a GBK label). The pages are read in place, never copied."""

from __future__ import annotations

import html
import json
import re

import pytest
from conftest import SHARED, require_shared

from pipelines.extract.core import decode_html
from pipelines.kernel.encoding import chinese_fit

CORPUS = SHARED / "corpora" / "trafilatura-eval"
XINHUA_GB2312 = "archive.org.he.xinhuanet.com.25340717.html"
XINHUA_UTF8 = "xinhuanet.com.c_1125597921.html"


@pytest.fixture(scope="module")
def corpus():
    require_shared("corpora", "trafilatura-eval", "page_index.json")
    index = json.loads((CORPUS / "page_index.json").read_text(encoding="utf-8"))
    evaldata = json.loads((CORPUS / "evaldata_subset.json").read_text(encoding="utf-8"))
    snippets = {entry["file"]: entry.get("with", []) for entry in evaldata.values()}
    return index, snippets


def _visible(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def _page(name: str) -> bytes:
    return (CORPUS / "pages" / name).read_bytes()


def test_every_non_utf8_and_chinese_page_decodes_cleanly(corpus):
    index, snippets = corpus
    hard = [p for p in index if p["kept"] and (p["actual_encoding"] != "utf-8" or p["chinese"])]
    assert len(hard) >= 30
    mislabeled = 0
    for page in hard:
        text = decode_html(_page(page["file"]), None)
        assert "\ufffd" not in text, page["file"]
        visible = _visible(text)
        # the ground truth's non-ASCII snippets (read from the corpus) appear in the decoded page
        for snippet in snippets.get(page["file"], []):
            if not snippet.isascii():
                assert _visible(snippet) in visible, (page["file"], snippet)
        hanzi, common, _runs = chinese_fit(text)
        if page["chinese"]:
            assert hanzi > 500 and common > 0.95, page["file"]
        else:
            assert hanzi < 5, (page["file"], "Latin text decoded as Chinese")
        mislabeled += page["declared_charsets"] == ["utf-8"] and page["actual_encoding"] != "utf-8"
    assert mislabeled == 4  # three cp1252-in-UTF-8 pages and one with invalid bytes


def test_utf8_pages_are_left_alone(corpus):
    index, _ = corpus
    pages = [p for p in index if p["kept"] and p["actual_encoding"] == "utf-8"][:200]
    for page in pages:
        body = _page(page["file"])
        assert decode_html(body, None) == body.decode("utf-8-sig" if body.startswith(b"\xef\xbb\xbf") else "utf-8")


@pytest.mark.parametrize("case", ["gb2312-declared-utf8-served", "utf8-declared-gbk-served", "gbk-header-utf8-served",
                                  "utf8-header-gbk-served", "undeclared-gbk", "big5-header", "gbk-declared-big5-served",
                                  "undeclared-big5"])
def test_real_chinese_pages_with_lying_declarations(corpus, case):
    import opencc

    gb2312_page = _page(XINHUA_GB2312).decode("gb18030")  # real GB2312 bytes, meta says gb2312
    utf8_page = _page(XINHUA_UTF8).decode("utf-8")  # meta says utf-8
    traditional = opencc.OpenCC("s2t").convert(utf8_page).encode("cp950", errors="replace").decode("cp950")
    no_meta = re.sub(r"<meta[^>]*charset[^>]*>", "", utf8_page, flags=re.I)
    body, header, truth = {
        "gb2312-declared-utf8-served": (gb2312_page.encode("utf-8"), None, gb2312_page),
        "utf8-declared-gbk-served": (utf8_page.encode("gb18030"), None, utf8_page),
        "gbk-header-utf8-served": (utf8_page.encode("utf-8"), "text/html; charset=gbk", utf8_page),
        "utf8-header-gbk-served": (utf8_page.encode("gb18030"), "text/html; charset=utf-8", utf8_page),
        "undeclared-gbk": (no_meta.encode("gb18030"), "text/html", no_meta),
        "big5-header": (traditional.encode("cp950"), "text/html; charset=big5", traditional),
        "gbk-declared-big5-served": (traditional.encode("cp950"), "text/html; charset=gbk", traditional),
        "undeclared-big5": (re.sub(r"<meta[^>]*charset[^>]*>", "", traditional, flags=re.I).encode("cp950"), None,
                            re.sub(r"<meta[^>]*charset[^>]*>", "", traditional, flags=re.I)),
    }[case]
    assert decode_html(body, header) == truth


def test_declared_legacy_encodings_still_win_when_plausible():
    text = "Grüße aus Köln: die Straße, das Maß, la élève, naïve façade. " * 20
    assert decode_html(f"<html><head><meta charset='iso-8859-1'></head><body>{text}</body></html>".encode("cp1252"), None).count("Grüße") == 20
    assert decode_html(f"<html><body>{text}</body></html>".encode("cp1252"), "text/html; charset=windows-1252").count("Köln") == 20
    # undeclared and not UTF-8: cp1252, not a Chinese misreading
    assert "façade" in decode_html(f"<html><body>{text}</body></html>".encode("cp1252"), None)
