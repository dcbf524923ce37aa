"""The outlet registry: which outlets exist, their camp, languages, domains, how to
discover their articles and, for a few, how extraction departs from the generic path. Data
lives in YAML (crawlers/outlets.yaml for the live web, demo/site/outlets.yaml for the
embedded demo web), validated by the models below."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from lxml import etree
from pydantic import (
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pipelines.kernel.config import (
    CRAWLERS_DIR,
    DEMO_DIR,
    ConfigModel,
    Regex,
    Text,
    invalid,
    load_config,
    require_text,
    require_unique,
)

CAMPS = ("western", "chinese_state", "chinese_commercial", "hong_kong", "reference")
LANGUAGES = ("en", "zh-Hans", "zh-Hant")
DISCOVERY_TYPES = ("news_sitemap", "sitemap", "rss", "atom", "search", "listing")

LIVE_REGISTRY = CRAWLERS_DIR / "outlets.yaml"
DEMO_REGISTRY = DEMO_DIR / "site" / "outlets.yaml"


@dataclass(frozen=True)
class Discovery:
    type: str
    url: str


@dataclass(frozen=True)
class Override:
    """Per-outlet extraction overrides (an outlet's `extraction:` in the registry), for outlets
    whose pages come out wrong with the generic path (trafilatura plus the extract stage's
    cleaning). `why` says what was wrong, so the entry can go when the templates change.
    - prune_xpath: page nodes removed before extraction (boilerplate trafilatura keeps);
    - drop_lines: regexes; extracted lines they match are dropped;
    - author_xpath: read the author from this node where trafilatura finds none, with an
      optional author_pattern whose first group is the name."""

    why: str
    prune_xpath: tuple[str, ...] = ()
    drop_lines: tuple[re.Pattern, ...] = ()
    author_xpath: str | None = None
    author_pattern: re.Pattern | None = None


def url_host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    country: str
    camp: str
    languages: tuple[str, ...]
    domains: tuple[str, ...]
    redistribute: bool
    discovery: tuple[Discovery, ...]
    allow: tuple[re.Pattern, ...]
    deny: tuple[re.Pattern, ...]
    follow: tuple[re.Pattern, ...]  # listing pages worth following (pagination, sections)
    extraction: Override | None = None

    def owns(self, url: str) -> bool:
        return self.owns_host(url_host(url))

    def owns_host(self, host: str) -> bool:
        """Whether a host (as url_host gives it) is one of this outlet's domains or under one."""
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def is_article_url(self, url: str) -> bool:
        if any(p.search(url) for p in self.deny):
            return False
        return any(p.search(url) for p in self.allow)

    def is_listing_url(self, url: str) -> bool:
        return not any(p.search(url) for p in self.deny) and any(p.search(url) for p in self.follow)

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "country": self.country,
            "camp": self.camp,
            "languages": list(self.languages),
            "domains": list(self.domains),
            "redistribute": self.redistribute,
            "discovery": [{"type": d.type, "url": d.url} for d in self.discovery],
        }


class Registry:
    def __init__(self, outlets: list[Outlet], path: Path):
        self.outlets = outlets
        self.path = path
        self._by_id = {o.id: o for o in outlets}

    def __iter__(self):
        return iter(self.outlets)

    def __len__(self):
        return len(self.outlets)

    def get(self, outlet_id: str) -> Outlet:
        return self._by_id[outlet_id]

    def for_url(self, url: str) -> Outlet | None:
        host = url_host(url)  # split once, not once per outlet
        return next((o for o in self.outlets if o.owns_host(host)), None)

    def select(self, ids: list[str] | None = None, camp: str | None = None) -> list[Outlet]:
        chosen = [o for o in self.outlets if (not ids or o.id in ids) and (not camp or o.camp == camp)]
        unknown = sorted(set(ids or ()) - set(self._by_id))
        if unknown:
            from pipelines.kernel.io import FrameCheckError

            raise FrameCheckError(f"{self.path}: unknown outlet id(s): {', '.join(unknown)}")
        return chosen


# --- The registry file's models ----------------------------------------------------------


def _xpath(value: Any) -> str:
    text = require_text(value)
    try:
        etree.XPath(text)
    except etree.XPathError as exc:
        raise invalid((), f"invalid XPath {text!r}: {exc}") from None
    return text


XPath = Annotated[str, PlainValidator(_xpath)]


class ExtractionModel(ConfigModel):
    why: Text
    prune_xpath: list[XPath] = []
    drop_lines: list[Regex] = []
    author_xpath: XPath | None = None
    author_pattern: Regex | None = None

    @model_validator(mode="after")
    def _consistent(self):
        if self.author_pattern is not None and self.author_xpath is None:
            raise invalid(("author_pattern",), "needs an author_xpath to search")
        if self.author_pattern is not None and self.author_pattern.groups < 1:
            raise invalid(("author_pattern",), "needs a group: its first group is the author's name")
        if not (self.prune_xpath or self.drop_lines or self.author_xpath):
            raise invalid((), "changes nothing: give prune_xpath, drop_lines or author_xpath")
        return self


class DiscoveryModel(ConfigModel):
    type: Literal[DISCOVERY_TYPES]
    url: Text
    verified: bool = True
    notes: str = ""

    @field_validator("url")
    @classmethod
    def _search_has_query(cls, url: str, info: ValidationInfo) -> str:
        if info.data.get("type") == "search" and "{query}" not in url:
            raise invalid((), "a search URL template needs a {query} placeholder")
        return url


class OutletModel(ConfigModel):
    id: Text
    name: Text
    country: str = ""
    camp: Literal[CAMPS]
    languages: Annotated[list[Literal[LANGUAGES]], Field(min_length=1)]
    domains: Annotated[list[Text], Field(min_length=1)]
    redistribute: bool = False
    discovery: Annotated[list[DiscoveryModel], Field(min_length=1)]
    allow: list[Regex] | None = None  # none given: every URL of the outlet's domains
    deny: list[Regex] | None = None
    follow: list[Regex] | None = None
    notes: str = ""
    verified: bool = True
    extraction: ExtractionModel | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9-]+", value):
            raise invalid((), f"{value!r} is not an outlet id (lowercase letters, digits and '-')")
        return value

    @field_validator("country")
    @classmethod
    def _country_code(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Z]{2}", value):
            raise invalid((), f"{value!r} is not a two-letter country code (ISO 3166-1 alpha-2)")
        return value


class RegistryModel(ConfigModel):
    outlets: Annotated[list[OutletModel], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self):
        require_unique([o.id for o in self.outlets], lambda i: ("outlets", i, "id"), "outlet id")
        return self


def _override(model: ExtractionModel | None) -> Override | None:
    if model is None:
        return None
    return Override(why=model.why, prune_xpath=tuple(model.prune_xpath), drop_lines=tuple(model.drop_lines),
                    author_xpath=model.author_xpath, author_pattern=model.author_pattern)


def _outlet(model: OutletModel) -> Outlet:
    return Outlet(
        id=model.id,
        name=model.name,
        country=model.country,
        camp=model.camp,
        languages=tuple(model.languages),
        domains=tuple(d.lower() for d in model.domains),
        redistribute=model.redistribute,
        discovery=tuple(Discovery(d.type, d.url) for d in model.discovery),
        allow=tuple(model.allow or [re.compile(".*")]),
        deny=tuple(model.deny or ()),
        follow=tuple(model.follow or ()),
        extraction=_override(model.extraction),
    )


def load_registry(path: Path = LIVE_REGISTRY) -> Registry:
    return Registry([_outlet(o) for o in load_config(path, RegistryModel).outlets], path)


def remember_registry(data, path: Path) -> Path:
    """Keep a copy of a custom registry in the data directory (data/state/registries/), so
    that later stages, and readers of the archive, know the outlets it was crawled with."""
    import hashlib

    body = Path(path).read_bytes()
    target = data.state / "registries" / f"{Path(path).stem}-{hashlib.sha256(body).hexdigest()[:10]}.yaml"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return target


def data_dir_registries(data) -> list[Path]:
    """The custom registries a data directory was crawled with (see remember_registry)."""
    folder = data.state / "registries"
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def registry_files(data) -> list[Path]:
    """Every registry whose outlets a data directory's pages may belong to, owners first."""
    return data_dir_registries(data) + [p for p in (DEMO_REGISTRY, LIVE_REGISTRY) if p.exists()]


def combined_registry(data) -> Registry:
    """Live and demo outlets together (demo domains, *.example, never clash with real ones);
    registries a crawl of this data directory used come first: their outlets own their URLs."""
    registries = [load_registry(p) for p in registry_files(data)]
    return Registry([o for r in registries for o in r.outlets], registries[0].path)


def select_outlets(data, registry_file: Path | None, ids: list[str] | None, camp: str | None,
                   default: Path | None = None) -> list[Outlet]:
    """The outlets a crawl or a replay covers: those of registry_file (a copy is kept in the
    data directory), else of default, else of every registry together."""
    from pipelines.kernel.io import FrameCheckError

    if registry_file:
        registry = load_registry(registry_file)
    elif default:
        registry = load_registry(default)
    else:
        registry = combined_registry(data)
    chosen = registry.select(ids or None, camp)
    if not chosen:
        raise FrameCheckError(f"{registry.path}: no outlet matches --outlets/--camp")
    if registry_file:
        remember_registry(data, registry_file)
    return chosen
