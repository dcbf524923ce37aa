"""Per-outlet extraction overrides (an outlet's `extraction:` in the registry YAML), each
tested on the outlet's own pages in the demo web: without the override the page comes out
wrong, with it right."""

from pathlib import Path

import pytest

from pipelines.extract.core import Extracted, extract_html
from pipelines.kernel.registry import DEMO_REGISTRY, LIVE_REGISTRY, load_registry

DEMO_SITE = Path(__file__).resolve().parent.parent / "demo" / "site"
DEMO_OUTLETS = load_registry(DEMO_REGISTRY)


def override(outlet: str):
    return DEMO_OUTLETS.get(outlet).extraction


def pages(outlet: str) -> list[tuple[str, bytes]]:
    files = sorted(DEMO_SITE.glob(f"{outlet}/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.html"))
    assert files, outlet
    return [(f"http://{outlet}.example/{f.relative_to(DEMO_SITE).as_posix()}", f.read_bytes()) for f in files]


def both(url: str, body: bytes, outlet: str) -> tuple[Extracted, Extracted]:
    plain, tuned = extract_html(body, url, "", None, min_chars=None), extract_html(body, url, "", override(outlet), min_chars=None)
    assert isinstance(plain, Extracted) and isinstance(tuned, Extracted), (url, plain, tuned)
    return plain, tuned


def test_every_override_says_why():
    tuned = {o.id: o.extraction for path in (DEMO_REGISTRY, LIVE_REGISTRY) for o in load_registry(path) if o.extraction}
    assert set(tuned) == {"east-wire", "harmony-herald", "shiji-shangbao"}  # each tested below
    for outlet_id, extraction in tuned.items():
        assert len(extraction.why) > 30, outlet_id


def test_east_wire_editor_line_and_syndication_notice_are_dropped():
    for url, body in pages("east-wire"):
        plain, tuned = both(url, body, "east-wire")
        assert "copy may be republished" in plain.text and "[Editor:" in plain.text, url  # what went wrong
        assert "copy may be republished" not in tuned.text and "[Editor:" not in tuned.text, url
        assert plain.text.startswith(tuned.text.split("\n")[0])  # the story itself is untouched
        assert len(tuned.text.split("\n")) == len(plain.text.split("\n")) - 2


@pytest.mark.parametrize("outlet, expected", [
    ("harmony-herald", {"Zhou Lan", "Li Jiahui", "East Wire"}),
    ("shiji-shangbao", {"吴晓峰", "韩松", "何佳"}),
])
def test_byline_overrides_find_the_author(outlet, expected):
    found = set()
    for url, body in pages(outlet):
        plain, tuned = both(url, body, outlet)
        assert plain.author is None, url  # what went wrong
        assert tuned.author and len(tuned.author) <= 40 and "|" not in tuned.author, (url, tuned.author)
        assert tuned.text == plain.text
        found.add(tuned.author)
    assert expected <= found


def test_demo_pages_carry_no_headline_kicker_or_related_links():
    """The generic cleaning, not an override: every demo outlet's headline and section label."""
    for outlet in ("circuit-ledger", "granite-herald", "westbridge-review", "daily-beacon", "harmony-herald"):
        for url, body in pages(outlet):
            result = extract_html(body, url, "", override(outlet), min_chars=None)
            first = result.text.split("\n")[0]
            assert first != result.title and len(first.split()) > 6, (url, first)
            assert "Related stories" not in result.text and "Most Viewed" not in result.text
