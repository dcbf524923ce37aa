"""Extraction quality on real pages: FrameCheck's extraction beside plain trafilatura.

Corpora (read by path from ../shared/corpora, never copied; skipped with a message when absent,
an error under CI=true; see bench/shared_data.py):
- scrapinghub-aeb: 181 real pages with the full ground-truth article text. Score: bag-of-
  tokens precision / recall / F1 per page, averaged over pages. Tokens are words for Latin
  script and single characters for Chinese, Japanese and Korean (character level for CJK).
  An empty extraction scores 0.
- trafilatura-eval: 527 real pages with snippets that must / must not appear in the text
  (upstream's method: a found must-snippet is a true positive, a found must-not-snippet a
  false positive), for all pages and for the Chinese ones. For the Chinese pages the
  snippets are also weighted by their length in characters.
- the demo web (demo/site, our own fictional outlets, the ones we tune): ground
  truth is the text of the paragraphs in each page's article-body container.

Systems, on the same page bytes:
- trafilatura: plain `trafilatura.extract(page, url=url)` with its defaults;
- trafilatura, our options: the same without comments and tables, as FrameCheck calls it;
- framecheck: `pipelines.extract.extract_html`, the production path (decoding checks,
  trafilatura, cleaning, per-outlet overrides). A skipped page scores as an empty
  extraction. The extract stage's too-short rule (a page under 300 characters, 120 in
  Chinese, is a teaser, not an article) is a filter, not extraction: it is left out of the
  scores and the pages it would drop are counted below the table.

Runs alone: `python bench/extraction_quality.py [--limit N]`. Prints a table and, last,
one line of JSON with the figures. `measure()` computes the same figures without printing
(tests/test_quality_floors.py holds them to bench/quality_floors.json).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEMO_SITE = REPO / "demo" / "site"

import lxml.html  # noqa: E402
import trafilatura  # noqa: E402

from bench.shared_data import CORPORA, exit_code_when_absent, in_ci  # noqa: E402
from pipelines.extract.core import MIN_CHARS, Skip, extract_html  # noqa: E402
from pipelines.kernel.registry import DEMO_REGISTRY, load_registry  # noqa: E402
from pipelines.kernel.text import detect_language, is_chinese  # noqa: E402

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")  # Han characters in Japanese or Korean text
_SHORT: set[str] = set()  # pages whose text the extract stage would skip as too short
_DEMO_OUTLETS = load_registry(DEMO_REGISTRY)  # demo pages carry their outlet id (extraction overrides)
# the article-body container of each demo outlet's template
_DEMO_BODY = ("cl-prose", "db-article__content", "story-body", "rm_txt_con", "essay-text")


def tokens(text: str) -> Counter:
    return Counter(_TOKEN.findall(text.casefold()))


def prf(predicted: str, truth: str) -> tuple[float, float, float]:
    pred, gold = tokens(predicted), tokens(truth)
    if not gold:
        return (1.0, 1.0, 1.0) if not pred else (0.0, 1.0, 0.0)
    if not pred:
        return 0.0, 0.0, 0.0
    overlap = sum((pred & gold).values())
    p, r = overlap / sum(pred.values()), overlap / sum(gold.values())
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _is_chinese_text(text: str) -> bool:
    """Chinese by FrameCheck's own language rule, and not Japanese or Korean."""
    return is_chinese(detect_language(text)) and not _KANA_HANGUL.search(text)


def _squash(text: str) -> str:
    return " ".join(text.split())


# --- systems ---------------------------------------------------------------------------


def plain(body: bytes, url: str, outlet_id: str | None) -> str:
    return trafilatura.extract(body, url=url) or ""


def plain_our_options(body: bytes, url: str, outlet_id: str | None) -> str:
    return trafilatura.extract(body, url=url, include_comments=False, include_tables=False) or ""


def framecheck(body: bytes, url: str, outlet_id: str | None) -> str:
    extraction = _DEMO_OUTLETS.get(outlet_id).extraction if outlet_id else None
    result = extract_html(body, url, "", extraction, min_chars=None)
    if isinstance(result, Skip):
        return ""
    if len(result.text) < MIN_CHARS["zh" if is_chinese(result.language) else "en"]:
        _SHORT.add(url)
    return result.text


SYSTEMS = {"trafilatura": plain, "trafilatura, our options": plain_our_options, "framecheck": framecheck}


# --- corpora ---------------------------------------------------------------------------


def scrapinghub_pages(limit: int | None):
    root = CORPORA / "scrapinghub-aeb"
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for i, (page_id, item) in enumerate(sorted(truth.items())):
        if limit and i >= limit:
            break
        body = gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes())
        yield page_id, body, item.get("url") or "", item["articleBody"]


def trafilatura_eval_pages(limit: int | None):
    root = CORPORA / "trafilatura-eval"
    items = json.loads((root / "evaldata_subset.json").read_text(encoding="utf-8"))
    chinese = {p["file"] for p in json.loads((root / "page_index.json").read_text(encoding="utf-8")) if p.get("chinese")}
    for i, (url, item) in enumerate(sorted(items.items())):
        if limit and i >= limit and item["file"] not in chinese:
            continue
        path = root / "pages" / item["file"]
        if path.exists():
            yield url, path.read_bytes(), item.get("with") or [], item.get("without") or [], item["file"] in chinese


def demo_pages():
    registry = load_registry(DEMO_REGISTRY)
    for path in sorted(DEMO_SITE.glob("*/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.html")):
        outlet = path.relative_to(DEMO_SITE).parts[0]
        body = path.read_bytes()
        tree = lxml.html.fromstring(body)
        container = None
        for name in _DEMO_BODY:
            found = tree.xpath(f'//*[contains(concat(" ", normalize-space(@class), " "), " {name} ")]')
            if found:
                container = found[0]
                break
        if container is None:
            found = tree.xpath('//*[@id="Content" or @id="artibody"]')
            container = found[0] if found else None
        if container is None:
            continue
        truth = "\n".join(_squash(p.text_content()) for p in container.xpath(".//p") if p.text_content().strip())
        url = f"http://{outlet}.example/{path.relative_to(DEMO_SITE).as_posix()}"
        owner = registry.for_url(url)
        yield url, body, truth, (owner.id if owner else None), _is_chinese_text(truth)


# --- scoring ---------------------------------------------------------------------------


def score_full_text(pages, label: str, results: dict, systems: dict = SYSTEMS) -> None:
    sums = {name: [0.0, 0.0, 0.0] for name in systems}
    zh_sums = {name: [0.0, 0.0, 0.0] for name in systems}
    n = n_zh = 0
    for _key, body, url, truth, outlet_id, is_zh in pages:
        n += 1
        n_zh += is_zh
        for name, system in systems.items():
            p, r, f = prf(system(body, url, outlet_id), truth)
            for acc in (sums[name],) + ((zh_sums[name],) if is_zh else ()):
                acc[0] += p
                acc[1] += r
                acc[2] += f
    results[label] = {"pages": n, **{name: [v / max(n, 1) for v in s] for name, s in sums.items()}}
    if n_zh:
        results[f"{label}, Chinese pages"] = {"pages": n_zh, **{name: [v / n_zh for v in s] for name, s in zh_sums.items()}}


def score_snippets(pages, results: dict, systems: dict = SYSTEMS) -> None:
    counts = {scope: {name: Counter() for name in systems} for scope in ("all", "zh", "zh_chars")}
    n = n_zh = 0
    for url, body, with_, without, is_zh in pages:
        n += 1
        n_zh += is_zh
        for name, system in systems.items():
            text = _squash(system(body, url, None))
            for snippet, wanted in [(s, True) for s in with_] + [(s, False) for s in without]:
                found = _squash(snippet) in text
                cell = ("tp" if found else "fn") if wanted else ("fp" if found else "tn")
                counts["all"][name][cell] += 1
                if is_zh:
                    counts["zh"][name][cell] += 1
                    counts["zh_chars"][name][cell] += len(_squash(snippet))
    labels = {"all": ("trafilatura-eval (snippets)", n), "zh": ("trafilatura-eval, Chinese pages (snippets)", n_zh),
              "zh_chars": ("trafilatura-eval, Chinese pages (snippet characters)", n_zh)}
    for scope, (label, pages) in labels.items():
        row = {"pages": pages}
        for name, c in counts[scope].items():
            p = c["tp"] / max(c["tp"] + c["fp"], 1)
            r = c["tp"] / max(c["tp"] + c["fn"], 1)
            row[name] = [p, r, 2 * p * r / (p + r) if p + r else 0.0]
        results[label] = row


SHARED_CORPORA = ("scrapinghub-aeb", "trafilatura-eval")


def measure(limit: int | None = None, systems: dict = SYSTEMS) -> dict:
    """The figures, nothing printed: {corpus label: {"pages": n, system: [P, R, F1]}}. A shared
    corpus that is absent is left out; the demo web is always there."""
    _SHORT.clear()
    results: dict = {}
    score_full_text(((u, b, u, t, o, z) for u, b, t, o, z in demo_pages()), "demo web (tuned outlets)", results, systems)
    if (CORPORA / "scrapinghub-aeb").exists():
        score_full_text(((k, b, u, t, None, _is_chinese_text(t)) for k, b, u, t in scrapinghub_pages(limit)),
                        "scrapinghub-aeb (full text)", results, systems)
    if (CORPORA / "trafilatura-eval").exists():
        score_snippets(trafilatura_eval_pages(limit), results, systems)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="At most this many pages per corpus (Chinese pages always).")
    args = parser.parse_args()
    started = time.perf_counter()
    missing = [CORPORA / name for name in SHARED_CORPORA if not (CORPORA / name).exists()]
    for path in missing:
        exit_code_when_absent(path, f"extraction_quality: {path.name}")
    if missing and in_ci():
        return 1
    results = measure(args.limit)

    names = list(SYSTEMS)
    header = f"{'corpus':<56} {'pages':>5}  " + "  ".join(f"{n + ' P/R/F1':>32}" for n in names)
    print(header)
    print("-" * len(header))
    for label, row in results.items():
        cells = "  ".join(f"{'%.3f / %.3f / %.3f' % tuple(row[n]):>32}" for n in names)
        print(f"{label:<56} {row['pages']:>5}  {cells}")
    print(f"({time.perf_counter() - started:.0f} s)")
    print(f"pages the extract stage would skip as too short (not counted against framecheck above): {len(_SHORT)}")
    worse = [label for label, row in results.items() if row["framecheck"][2] + 1e-9 < row["trafilatura"][2]]
    print("framecheck F1 is below plain trafilatura on: " + (", ".join(worse) if worse else "none"))
    summary = {label: {"pages": row["pages"], **{n: {"p": round(row[n][0], 4), "r": round(row[n][1], 4), "f1": round(row[n][2], 4)}
                                               for n in names}} for label, row in results.items()}
    print(json.dumps({"benchmark": "extraction_quality", "results": summary, "framecheck_worse_on": worse,
                      "too_short_pages": len(_SHORT)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
