"""Synthetic news sites for tests and benchmarks: N on-topic article pages (fictional text
about the Social Credit System, varied so no two pages are near-duplicates), paginated
listings, a sitemap, robots.txt and a matching registry entry. Served by
demo.server.SiteServer like any other site folder.

`write_mirror(root, 2000)` writes `root/<host>/...` and `root/registry.yaml`."""

from __future__ import annotations

import html
from pathlib import Path

import yaml

CITIES = ("Rongcheng", "Suqian", "Hangzhou", "Wuxi", "Xiamen", "Fuzhou", "Shanghai", "Chengdu", "Weihai", "Taizhou",
          "Nanjing", "Guangzhou", "Shenzhen", "Tianjin", "Qingdao", "Dalian", "Jinan", "Wuhan", "Changsha", "Kunming")
AGENCIES = ("the Supreme People's Court", "the National Development and Reform Commission", "the People's Bank of China",
            "the State Administration for Market Regulation", "a city credit office", "the tax bureau", "a provincial court")
TOPICS = ("judgment defaulters", "corporate credit records", "joint punishment memoranda", "local points schemes",
          "the unified social credit code", "travel restrictions on defaulters", "credit repair rules", "red lists")

_EN_SENTENCES = (
    "China's social credit system is not a single national score, and {city} shows why: its scheme covers {topic} and little else.",
    "Officials at {agency} said {n} entries were added in {year}, most of them linked to {topic}.",
    "Critics in Western coverage often describe a citizen score that watches everything, but the {city} records examined here list court judgments and fines.",
    "A lawyer in {city} said people on the list of judgment defaulters can leave it within {m} days once they settle the debt.",
    "In {year} {agency} published guidance on {topic}, asking local offices to publish the legal basis of every listing.",
    "Sesame Credit, a commercial score, is a separate product, a point that reports about {city} regularly miss.",
    "Researchers counted {n} documents on {topic} issued between {year} and {year2}, many of them local pilot rules.",
    "The draft social credit law discussed in {year2} would narrow what {agency} may list and for how long.",
    "Residents of {city} interviewed for this report said the scheme mattered mostly to firms, through {topic}.",
    "Numbers matter: {n} restrictions on flights were reported in {year}, a count of bookings blocked rather than of people.",
)

_ZH_SENTENCES = (
    "社会信用体系并不是一个全国统一的评分，{city}的做法就说明了这一点，当地主要涉及{topic}。",
    "{agency}表示，{year}年新增记录{n}条，大多与失信被执行人有关。",
    "一些外国媒体把它描述成监控一切的公民评分，但{city}公开的记录主要是法院判决和行政处罚。",
    "{city}的一位律师说，失信被执行人履行义务后，通常可以在{m}天内被移出名单。",
    "{year}年，有关部门发布了关于信用修复的指导意见，要求公开每一项惩戒措施的法律依据。",
    "芝麻信用是商业信用评分，与政府主导的社会信用体系建设是两回事。",
    "研究人员统计了{year}年至{year2}年间发布的{n}份文件，其中不少是地方试点规则。",
    "{year2}年讨论的社会信用体系建设法草案，将限制列入名单的范围和期限。",
)
_ZH_CITIES = ("荣成", "宿迁", "杭州", "无锡", "厦门", "福州", "上海", "成都", "威海", "台州")
_ZH_AGENCIES = ("最高人民法院", "国家发展改革委", "中国人民银行", "市场监管总局", "市信用办")
_ZH_TOPICS = ("企业信用记录", "联合惩戒", "信用承诺", "限制高消费", "统一社会信用代码")


def _slots(i: int, zh: bool) -> dict:
    cities, agencies, topics = (_ZH_CITIES, _ZH_AGENCIES, _ZH_TOPICS) if zh else (CITIES, AGENCIES, TOPICS)
    return {
        "city": cities[i % len(cities)], "agency": agencies[(i // 3) % len(agencies)],
        "topic": topics[(i * 7) % len(topics)], "n": 1000 + (i * 7919) % 90000, "m": 3 + i % 27,
        "year": 2014 + i % 9, "year2": 2016 + (i * 5) % 9,
    }


def article_text(i: int, lang: str = "en", sentences: int = 8) -> tuple[str, list[str]]:
    """(title, paragraphs) of fictional article i; varied enough that no two are near-duplicates."""
    zh = lang != "en"
    pool = _ZH_SENTENCES if zh else _EN_SENTENCES
    paragraphs = []
    for p in range(sentences // 2):
        parts = []
        for s in range(2):
            k = (i * 3 + p * 2 + s) % len(pool)
            parts.append(pool[k].format(**_slots(i * 11 + p * 5 + s, zh)))
        paragraphs.append(("" if zh else " ").join(parts))
    slots = _slots(i, zh)
    title = (f"{slots['city']}社会信用体系调查之{i}" if zh
             else f"Social credit in {slots['city']}, report {i}: what the records show")
    return title, paragraphs


def article_html(title: str, paragraphs: list[str], published: str, *, lang: str = "en",
                 meta_charset: str | None = "utf-8", author: str = "Fixture Desk") -> str:
    meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f'<!doctype html>\n<html lang="{lang}"><head>{meta}<title>{html.escape(title)}</title>'
            f'<meta name="author" content="{html.escape(author)}"><meta name="date" content="{published}"></head>\n'
            f'<body><header><a href="/">Home</a></header>\n<article><h1>{html.escape(title)}</h1>\n'
            f'<p class="byline">By {html.escape(author)}, {published}</p>\n{body}\n</article>\n'
            f'<footer>A fictional page written for FrameCheck tests.</footer></body></html>\n')


def listing_html(title: str, links: list[str], next_link: str | None) -> str:
    items = "\n".join(f'<li><a href="{href}">{html.escape(href)}</a></li>' for href in links)
    more = f'<p><a href="{next_link}">Next page</a></p>' if next_link else ""
    return f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>" \
           f"<body><h1>{html.escape(title)}</h1><ul>\n{items}\n</ul>{more}</body></html>\n"


def write_mirror(root: Path, n_pages: int, *, host: str = "mirror-news.example", outlet_id: str = "mirror-news",
                 per_listing: int = 100, routes: dict | None = None) -> Path:
    """Write a site of n_pages articles under root/<host>/ and root/registry.yaml; return the registry path."""
    site = Path(root) / host
    (site / "news").mkdir(parents=True, exist_ok=True)
    (site / "page").mkdir(exist_ok=True)
    paths = []
    for i in range(n_pages):
        title, paragraphs = article_text(i)
        published = f"20{18 + i % 7}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        path = f"/news/{i // 500:03d}/story-{i:05d}.html"
        (site / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (site / path.lstrip("/")).write_text(article_html(title, paragraphs, published), encoding="utf-8")
        paths.append(path)
    pages = [paths[k:k + per_listing] for k in range(0, len(paths), per_listing)] or [[]]
    for number, links in enumerate(pages, start=1):
        name = "index.html" if number == 1 else f"page/{number}.html"
        next_link = f"/page/{number + 1}.html" if number < len(pages) else None
        (site / name).write_text(listing_html(f"Mirror news, page {number}", links, next_link), encoding="utf-8")
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    if routes:
        (site / "_routes.yaml").write_text(yaml.safe_dump(routes), encoding="utf-8")
    escaped = host.replace(".", r"\.")
    registry = {"outlets": [{
        "id": outlet_id, "name": f"{host} (synthetic mirror)", "country": "XX", "camp": "western", "languages": ["en"],
        "domains": [host], "redistribute": True,
        "discovery": [{"type": "listing", "url": f"http://{host}/index.html"}],
        "allow": [rf"^http://{escaped}/news/\d+/story-\d+\.html$"],
        "follow": [rf"^http://{escaped}/(index|page/\d+)\.html$"],
    }]}
    registry_path = Path(root) / "registry.yaml"
    registry_path.write_text(yaml.safe_dump(registry, sort_keys=False), encoding="utf-8")
    return registry_path
