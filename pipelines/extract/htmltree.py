"""HTML parsing and the author search, giving trafilatura's results at a lower cost.

Extraction parses every page once and hands the tree to trafilatura, our metadata path and
htmldate. Two costs there are not the extractors' own work:

- lxml.html's parser asks a Python callback for the class of every element it hands to
  Python (`HtmlElementClassLookup.lookup`, millions of calls per thousand pages). Trafilatura
  uses no form-element classes, so `parse_html` gives every element the plain `HtmlElement`
  class through lxml's C-level default lookup, with trafilatura's `load_html` steps otherwise
  unchanged (decoding, repair, the bytes fallback, the not-HTML rejection).
- trafilatura's author search (`extract_author`) copies the tree, prunes sections that
  hold no byline (comments, sidebars, figures, dates ...) and evaluates three XPath
  expressions over every element: the dearest part of the metadata. Those expressions can
  only match an element with a class, id, itemprop, rel, data-testid or data-component
  value holding one of a few words, or an <author> or <rel> element. `find_author` gathers
  those values in one pass, tests only the elements that have such a word with the same
  expressions, and tells a pruned element by its ancestors, without copying the tree. Where
  the pruning would change a candidate's own text it leaves the answer to trafilatura.

Both are checked against trafilatura on the demo, fixture and real benchmark pages (tests,
bench/extraction_speed.py). The author expressions are restated from trafilatura's source
and pinned to it: with a trafilatura whose expressions differ, `find_author` runs the full
search (and a test says so)."""

from __future__ import annotations

import hashlib
import re

from lxml import etree
from lxml.etree import XPath
from lxml.html import (
    HtmlComment,
    HtmlElement,
    HtmlEntity,
    HtmlProcessingInstruction,
    fromstring,
)
from trafilatura import xpaths
from trafilatura.metadata import extract_author, normalize_authors
from trafilatura.utils import decode_file, is_dubious_html, repair_faulty_html, trim

# trafilatura.utils.HTML_PARSER's options, with a C-level class lookup
_PARSER = etree.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                           remove_pis=True)
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))


def _from_bytes(html: str) -> HtmlElement | None:
    try:
        return fromstring(html.encode("utf8", "surrogatepass"), parser=_PARSER)
    except Exception:  # lxml rejects some byte strings outright; trafilatura treats that as no tree
        return None


def parse_html(html: str | bytes) -> HtmlElement | None:
    """The page's tree as `trafilatura.utils.load_html` builds it (same steps, same
    rejections), or None where it finds no HTML."""
    html = decode_file(html)
    beginning = html[:50].lower()
    dubious = is_dubious_html(beginning)
    html = repair_faulty_html(html, beginning)
    tried_bytes = False
    try:
        tree = fromstring(html, parser=_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported"
        tree, tried_bytes = _from_bytes(html), True
    except Exception:
        tree = None
    if (tree is None or len(tree) < 1) and not tried_bytes:
        tree = _from_bytes(html)
    if tree is not None and dubious and len(tree) < 2:
        return None
    return tree


# --- Author -------------------------------------------------------------------------------

# sha256 of the sources of trafilatura's AUTHOR_XPATHS and AUTHOR_DISCARD_XPATHS that the
# expressions below restate (trafilatura 2.3.1)
_PINNED_XPATHS = "25bd9dc701d833cf3cf1eccf12c4f97299053490f81b81f498fa621ab0b3719a"
_RE = {"re": "http://exslt.org/regular-expressions"}

# Every attribute an author expression tests (as parsed: character references resolved),
# and the elements it tests by name, in document order. Each attribute test needs one of
# _AUTHOR_WORDS in the lower-cased value ('byl' covers byline, 'author' covers AuthorName,
# AuthorCard, author-name ...).
_GATHER = XPath("//@class|//@id|//@itemprop|//@rel|//@data-testid|//@data-component|//author|//rel",
                smart_strings=True)
_AUTHOR_WORDS = re.compile("author|byl|bbl|username|zuozhe|bianji|xiaobian|channel-name|submitted-by|posted-by"
                           "|journalist-name|screenname|writer")
# AUTHOR_XPATHS, in their order, as tests of one element (`//*[...]` → `self::*[...]`)
_AUTHOR_TESTS = [XPath(test, namespaces=_RE) for test in (
    """self::*[self::a or self::address or self::div or self::link or self::p or self::span or self::strong][
    @rel='author' or @id='author' or @class='author' or @itemprop='author name' or rel='me' or
    @data-testid='AuthorCard' or @data-testid='AuthorURL' or
    re:test(@class, 'author-?name|AuthorName|authorName')]|self::author""",
    """self::*[self::a or self::div or self::h3 or self::h4 or self::p or self::span][
    @class='byline' or @class='username' or @class='byl' or @class='BBL' or
    contains(@itemprop, 'author') or
    re:test(@id, 'author|zuozhe|bianji|xiaobian') or
    re:test(@class, 'author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name')]""",
    """self::*[
    contains(@data-component, 'Byline') or contains(@itemprop, 'author') or
    re:test(@id, '[Aa]uthor') or
    re:test(@class, '[Aa]uthor|screenname|writer|[Bb]yline')]""",
)]
# AUTHOR_DISCARD_XPATHS as a test of one element. The first expression starts at the root
# (`.//*`), which is <html>, none of a/div/section/span, so the test needs no exception.
_DISCARD_TEST = """*[(self::a or self::div or self::section or self::span) and (
    @id='comments' or @class='comments' or @class='title' or @class='date' or
    re:test(@id, '^comments|comment-?list|ProductReviews') or
    re:test(@class, '^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)|print|category|meta-date|meta-reviewer') or
    contains(@data-component, 'Figure')) or self::time or self::figure]"""
_DISCARDED = XPath(f"ancestor-or-self::{_DISCARD_TEST}", namespaces=_RE)
_HOLDS_DISCARDED = XPath(f"descendant::{_DISCARD_TEST}", namespaces=_RE)
_AUTHOR_MAX_CHARS = 120  # extract_author's len_limit


def xpaths_digest() -> str:
    sources = [expression.path for expression in (*xpaths.AUTHOR_XPATHS, *xpaths.AUTHOR_DISCARD_XPATHS)]
    return hashlib.sha256("\x00".join(sources).encode("utf-8")).hexdigest()


_RESTATED = xpaths_digest() == _PINNED_XPATHS


class _Undecided(Exception):
    """The shortcut cannot tell what trafilatura's search would answer."""


def _author_candidates(tree: HtmlElement) -> list[HtmlElement]:
    """Elements an author expression might match, in document order (a superset)."""
    found = _GATHER(tree)
    values = [item for item in found if isinstance(item, str)]
    if len(values) == len(found) and not _AUTHOR_WORDS.search("\x00".join(values).lower()):
        return []  # most pages: one search over all values, no loop over them
    candidates: dict = {}
    for item in found:
        if not isinstance(item, str):
            if item.tag == "rel":  # rel='me' tests a child's text, which the pruning can change
                raise _Undecided
            candidates.setdefault(item)
        elif _AUTHOR_WORDS.search(item.lower()):
            candidates.setdefault(item.getparent())
    return list(candidates)


def _search_author(tree: HtmlElement) -> str | None:
    """trafilatura's search without copying and pruning the tree: an element inside a
    discarded section is passed over, as the pruning would remove it; one holding a
    discarded section would lose that text, so it leaves the answer to trafilatura."""
    if tree.getparent() is not None:  # a fragment's element: trafilatura searches a copy of it alone
        raise _Undecided
    candidates = _author_candidates(tree)
    for test in _AUTHOR_TESTS:
        for element in candidates:
            if not test(element) or _DISCARDED(element):
                continue
            if _HOLDS_DISCARDED(element):
                raise _Undecided
            content = trim(" ".join(element.itertext()))
            if content and 2 < len(content) < _AUTHOR_MAX_CHARS:
                return normalize_authors(None, content)
    return None


def find_author(tree: HtmlElement) -> str | None:
    """What trafilatura's `extract_author(tree)` finds, at about a fifth of its cost."""
    if _RESTATED:
        try:
            return _search_author(tree)
        except _Undecided:
            pass
    return extract_author(tree)
