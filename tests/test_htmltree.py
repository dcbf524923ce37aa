"""The parser and the author search give trafilatura's own answers: on hand-written pages
that reach every branch of the shortcut, on the demo web and fixture pages, and (when
../shared is there) on the real benchmark pages."""

import gzip
import json
from pathlib import Path

import pytest
import trafilatura
from conftest import require_shared
from lxml import etree
from trafilatura.metadata import extract_author
from trafilatura.utils import load_html

from pipelines.extract import htmltree
from pipelines.extract.htmltree import find_author, parse_html

REPO = Path(__file__).resolve().parent.parent
FIXTURE_PAGES = sorted((REPO / "demo" / "site").rglob("*.html")) + sorted(
    (REPO / "tests" / "fixtures").rglob("*.html"))


def doc(head: str = "", body: str = "") -> str:
    return (f"<!DOCTYPE html><html><head><title>T</title>{head}</head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>A headline</h1>{body}<p>{'Plain story text. ' * 30}</p></article></body></html>")


AUTHOR_PAGES = {
    "none": doc(),
    "link rel=author in the head": doc(head="<link rel='author' href='/jane'>Jane</link>"),
    "class author": doc(body="<span class='author'>Jane Doe</span>"),
    "class written by entity": doc(body="<span class='&#97;uthor'>Jane Entity</span>"),
    "byline div": doc(body="<div class='byline'>By Jane Doe</div>"),
    "itemprop author": doc(body="<em itemprop='author'>Jane Doe</em>"),
    "chinese editor id": doc(body="<p id='zuozhe_1'>作者：王测试</p>"),
    "screenname on any element": doc(body="<b class='user-screenname'>jdoe99</b>"),
    "upper-case Byline data-component": doc(body="<section data-component='ArticleByline'>Jane Doe</section>"),
    "an <author> element": doc(body="<author>Jane Doe</author>"),
    # the first expression outranks the others, whatever the document order
    "priority": doc(body="<div class='byline'>By Second Choice</div><a rel='author'>First Choice</a>"),
    # too short (2 chars) or too long (>= 120 chars): the next candidate is taken
    "length limits": doc(body="<span class='author'>JD</span><span class='author'>" + "x" * 130
                         + "</span><span class='author'>Third Person</span>"),
    # inside a discarded section: passed over, as trafilatura's pruning removes it
    "inside a sidebar": doc(body="<div class='sidebar'><span class='author'>Sidebar Person</span></div>"
                            "<span class='author'>Story Person</span>"),
    "inside a figure": doc(body="<figure><span class='author'>Photo Person</span></figure>"),
    "inside comments": doc(body="<div id='comments'><span class='author'>A Commenter</span></div>"),
    # holding a discarded part: its text changes with the pruning, so trafilatura decides
    "holding a date": doc(body="<div class='author'>Jane Doe <time>2019-03-04</time> Berlin</div>"),
    "holding a quote": doc(body="<div class='byline'>Jo<span class='quote'>x</span>hn Roe</div>"),
    # rel='me' tests a child element's text
    "a <rel> element": doc(body="<a><rel>me</rel>Jane Doe</a>"),
    # no <html>: lxml may hand back an element inside the document, which trafilatura copies alone
    "a fragment": "<div class='byline'>By Jane Doe</div><p class='author'>" + "Words. " * 80 + "</p>",
    "no words at all": "<html><head><title>T</title></head><body><p>" + "Words. " * 80 + "</p></body></html>",
}


@pytest.mark.parametrize("name", sorted(AUTHOR_PAGES))
def test_find_author_answers_as_trafilatura_does(name):
    html = AUTHOR_PAGES[name]
    assert find_author(parse_html(html)) == extract_author(load_html(html))


def test_the_shortcut_decides_most_pages_itself(monkeypatch):
    """The hand-written pages reach every branch: found, not found, passed over, and handed
    back to trafilatura (undecided) only where its pruning would change the text."""
    undecided = []
    monkeypatch.setattr(htmltree, "extract_author", lambda tree: undecided.append(tree) or extract_author(tree))
    answers = {name: find_author(parse_html(html)) for name, html in AUTHOR_PAGES.items()}
    assert len(undecided) == 4  # holding a date, holding a quote, a <rel> element, a fragment
    assert answers["priority"] == "First Choice"
    assert answers["length limits"] == "Third Person"
    assert answers["inside a sidebar"] == "Story Person"
    assert answers["class written by entity"] == "Jane Entity"
    assert answers["none"] is None and answers["inside a figure"] is None


def test_the_author_expressions_are_the_ones_restated():
    assert htmltree._RESTATED, (
        "trafilatura's AUTHOR_XPATHS / AUTHOR_DISCARD_XPATHS changed: restate them in pipelines/extract/htmltree.py and update "
        "_PINNED_XPATHS (until then find_author runs trafilatura's full search)")


def _pages_on_disk():
    return [(p.name, p.read_bytes()) for p in FIXTURE_PAGES]


def test_parser_builds_trafilaturas_tree_and_author_on_demo_and_fixture_pages():
    pages = _pages_on_disk()
    assert len(pages) >= 80
    for name, body in pages:
        ours, theirs = parse_html(body), load_html(body)
        assert (ours is None) == (theirs is None), name
        if ours is None:
            continue
        assert etree.tostring(ours) == etree.tostring(theirs), name
        assert find_author(ours) == extract_author(theirs), name


def test_parser_rejects_what_trafilatura_rejects():
    for bad in ("", "just some words", b"\x00\x01\x02", "<p>x</p>"):
        assert (parse_html(bad) is None) == (load_html(bad) is None), repr(bad)


def test_extraction_of_real_pages_is_unchanged():
    """Our tree into trafilatura gives its text, title, author and date on real pages."""
    aeb = require_shared("corpora", "scrapinghub-aeb")
    truth = json.loads((aeb / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id in sorted(truth)[:60]:
        html = gzip.decompress((aeb / "html" / f"{page_id}.html.gz").read_bytes())
        theirs = trafilatura.bare_extraction(html, with_metadata=True)
        ours = trafilatura.bare_extraction(parse_html(html), with_metadata=True)
        fields = ("text", "title", "author", "date")
        assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields], page_id
