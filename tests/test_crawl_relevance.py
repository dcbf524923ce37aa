"""The fast topic score (pipelines.relevance.Topic, the crawler's and extraction's hot path)
gives exactly the plain rule's score: same numbers, same decisions, on every page we have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO, SHARED, in_ci, reference_score, require_shared

from pipelines.kernel.encoding import decode_html
from pipelines.kernel.topic import load_topic

CORPUS = SHARED / "corpora" / "trafilatura-eval" / "pages"


def pages() -> list[Path]:
    found = sorted((REPO / "demo" / "site").rglob("*.html")) + sorted((REPO / "tests" / "fixtures" / "sites").rglob("*.html"))
    if CORPUS.is_dir() or in_ci():  # real pages when they are here; under CI they must be
        found += sorted(require_shared("corpora", "trafilatura-eval", "pages").glob("*.html"))[:80]
    return found


def test_same_score_and_decision_on_real_and_demo_pages():
    topic = load_topic()
    checked = relevant = 0
    for path in pages():
        text = re.sub(r"<[^>]+>", " ", decode_html(path.read_bytes(), None))[:30000]
        title = text[:120]
        assert topic.score(text, title) == reference_score(topic, text, title), path
        assert topic.is_relevant(text, title) == (reference_score(topic, text, title) >= topic.min_score), path
        checked += 1
        relevant += topic.is_relevant(text, title)
    assert checked >= 100 and 0 < relevant < checked


@pytest.mark.parametrize("text, title", [
    ("CHINA'S SOCIAL CREDIT SYSTEM and the Supreme People's Court", ""),
    ("china\u2019s social credit system", "Social Credit"),  # a curly apostrophe
    ("\u017fOCIAL CREDIT \u017fY\u017fTEM in China, and Chinese \u212aids", ""),  # long s and Kelvin sign fold to s, k
    ("DİSHONEST judgment debtors; dıshonest persons", "Sesame Credit"),
    ("social credits socialcredit social-credit", ""),
    ("社会信用体系建设 失信被执行人 信用中国 芝麻信用 社會信用體系", "社会信用"),
    ("", ""),
    ("nothing to see here", "China"),
    ("the story, at length, of nothing in particular", "China's social credit system"),  # the title alone decides
    ("a story on the Social Credit System", "Social credit: a story on the Social Credit System"),  # title longer than text
    ("China's social credit system and its courts", "China"),  # the title alone falls short: the text decides
])
def test_same_score_on_edge_cases(text, title):
    topic = load_topic()
    assert topic.score(text, title) == reference_score(topic, text, title)
    assert topic.is_relevant(text, title) == (reference_score(topic, text, title) >= topic.min_score)
