"""Per-outlet extraction overrides, for outlets whose pages come out wrong with the generic
path (trafilatura plus `extract._clean`). Each entry says what was wrong, so it can be
dropped when the outlet's templates change.

An override can
- prune page nodes before extraction (`prune_xpath`: boilerplate trafilatura keeps),
- drop extracted lines (`drop_lines`: regexes matched against whole lines),
- read the author from a page node where trafilatura finds none (`author_xpath`, with an
  optional `author_pattern` whose first group is the name).

Add one only after checking an outlet's pages in a built data directory; every entry has a
test in tests/test_extract_overrides.py."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Override:
    outlet_id: str
    why: str
    prune_xpath: tuple[str, ...] = ()
    drop_lines: tuple[re.Pattern, ...] = ()
    author_xpath: str | None = None
    author_pattern: re.Pattern | None = None


def _class(name: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


OVERRIDES: dict[str, Override] = {
    o.outlet_id: o
    for o in (
        Override(
            "east-wire",
            why="the wire's editor line and its syndication notice ('copy may be republished') "
                "follow the story inside <article> and were extracted as the last two paragraphs",
            prune_xpath=(f"//p[{_class('editor-line')}]", f"//p[{_class('rights')}]"),
            drop_lines=(re.compile(r"^East Wire \(demo\) copy may be republished\b"),),
        ),
        Override(
            "harmony-herald",
            why="the byline sits in an 'info' line ('By NAME | Source: ...'); trafilatura found no author",
            author_xpath=f"//div[{_class('info')}]",
            author_pattern=re.compile(r"\bBy\s+([^|]+?)\s*(?:\||$)"),
        ),
        Override(
            "shiji-shangbao",
            why="the byline sits in the 'from_info' line (作者：记者 NAME); trafilatura found no author",
            author_xpath="//div[@class='from_info']//span[contains(., '作者')]",
            author_pattern=re.compile(r"作者[:：]\s*(?:记者|本报记者)?\s*(\S+)"),
        ),
    )
}


def override_for(outlet_id: str | None) -> Override | None:
    return OVERRIDES.get(outlet_id) if outlet_id else None
