"""The outlet registry: which outlets exist, their camp, languages, domains and how to
discover their articles. Data lives in YAML (crawlers/outlets.yaml for the live web,
demo/site/outlets.yaml for the embedded demo web)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.kernel.config import CRAWLERS_DIR, DEMO_DIR, Checker, load_yaml

CAMPS = ("western", "chinese_state", "chinese_commercial", "hong_kong", "reference")
LANGUAGES = ("en", "zh-Hans", "zh-Hant")
DISCOVERY_TYPES = ("news_sitemap", "sitemap", "rss", "atom", "search", "listing")
OUTLET_KEYS = ("id", "name", "country", "camp", "languages", "domains", "redistribute", "discovery", "allow", "deny", "notes", "verified", "follow")

LIVE_REGISTRY = CRAWLERS_DIR / "outlets.yaml"
DEMO_REGISTRY = DEMO_DIR / "site" / "outlets.yaml"


@dataclass(frozen=True)
class Discovery:
    type: str
    url: str


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

    def owns(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
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
        return next((o for o in self.outlets if o.owns(url)), None)

    def select(self, ids: list[str] | None = None, camp: str | None = None) -> list[Outlet]:
        chosen = [o for o in self.outlets if (not ids or o.id in ids) and (not camp or o.camp == camp)]
        unknown = sorted(set(ids or ()) - set(self._by_id))
        if unknown:
            from pipelines.kernel.io import FrameCheckError

            raise FrameCheckError(f"{self.path}: unknown outlet id(s): {', '.join(unknown)}")
        return chosen


def load_registry(path: Path = LIVE_REGISTRY) -> Registry:
    check = Checker(path)
    doc = check.mapping(load_yaml(path), "(top)", required=("outlets",))
    outlets, seen = [], set()
    for i, raw in enumerate(check.sequence(doc["outlets"], "outlets", min_len=1)):
        where = f"outlets[{i}]"
        check.mapping(raw, where, required=("id", "name", "camp", "languages", "domains", "discovery"), allowed=OUTLET_KEYS)
        oid = check.string(raw["id"], f"{where}.id", pattern=r"[a-z0-9-]+")
        if oid in seen:
            check.fail(f"{where}.id", f"duplicate outlet id {oid!r}")
        seen.add(oid)
        where = f"outlets[{oid}]"
        langs = tuple(check.string(v, f"{where}.languages", choices=LANGUAGES) for v in check.sequence(raw["languages"], f"{where}.languages", 1))
        discovery = []
        for j, d in enumerate(check.sequence(raw["discovery"], f"{where}.discovery", 1)):
            check.mapping(d, f"{where}.discovery[{j}]", required=("type", "url"), allowed=("type", "url", "verified", "notes"))
            dtype = check.string(d["type"], f"{where}.discovery[{j}].type", choices=DISCOVERY_TYPES)
            url = check.string(d["url"], f"{where}.discovery[{j}].url")
            if dtype == "search" and "{query}" not in url:
                check.fail(f"{where}.discovery[{j}].url", "a search URL template needs a {query} placeholder")
            discovery.append(Discovery(dtype, url))
        redistribute = raw.get("redistribute", False)
        if not isinstance(redistribute, bool):
            check.fail(f"{where}.redistribute", "expected true or false")
        outlets.append(
            Outlet(
                id=oid,
                name=check.string(raw["name"], f"{where}.name"),
                country=str(raw.get("country", "")),
                camp=check.string(raw["camp"], f"{where}.camp", choices=CAMPS),
                languages=langs,
                domains=tuple(check.string(d, f"{where}.domains").lower() for d in check.sequence(raw["domains"], f"{where}.domains", 1)),
                redistribute=redistribute,
                discovery=tuple(discovery),
                allow=tuple(check.regex(p, f"{where}.allow") for p in raw.get("allow") or [".*"]),
                deny=tuple(check.regex(p, f"{where}.deny") for p in raw.get("deny") or []),
                follow=tuple(check.regex(p, f"{where}.follow") for p in raw.get("follow") or []),
            )
        )
    return Registry(outlets, path)


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
