"""What pipelines/extract/htmltree.py buys: FrameCheck's page extraction with its own parser and
author search beside the same extraction with trafilatura's own (`trafilatura.utils.load_html`
and `trafilatura.metadata.extract_author`), in one run, on the same real pages
(../shared/corpora: scrapinghub-aeb and trafilatura-eval; the demo web when absent).

htmltree restates trafilatura internals (pinned by a hash of its source; tests/test_htmltree.py
fails loudly on a trafilatura whose expressions differ), so it must keep paying for itself:
this benchmark shows the gain, and checks that both paths give the same text, title, author
and date on every page.

Runs alone: `python bench/htmltree_gain.py [--repeat 3]`. Prints a table, then one JSON line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from extraction_speed import load_pages  # noqa: E402  (the same real pages as the speed benchmark)


@contextmanager
def trafilatura_parsing():
    """extract_html with trafilatura's own tree and author search in place of htmltree's."""
    from trafilatura.metadata import extract_author
    from trafilatura.utils import load_html

    import pipelines.extract.core as core

    saved = core.parse_html, core.find_author
    core.parse_html, core.find_author = load_html, extract_author
    try:
        yield
    finally:
        core.parse_html, core.find_author = saved


def extract_all(pages: list[tuple[str, bytes]]) -> tuple[float, list]:
    from pipelines.extract import extract_html

    started = time.perf_counter()
    results = [extract_html(body, url) for url, body in pages]
    return time.perf_counter() - started, results


def fields(result) -> tuple:
    return (type(result).__name__, getattr(result, "text", None), getattr(result, "title", None),
            getattr(result, "author", None), getattr(result, "published", None), getattr(result, "reason", None))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="interleaved passes; the best of each is kept")
    args = parser.parse_args()
    from pipelines.extract import warm_up

    pages, source = load_pages()
    warm_up()
    ours, theirs = [], []
    for _ in range(args.repeat):  # interleaved, so that load on a shared machine hits both alike
        seconds, our_results = extract_all(pages)
        ours.append(seconds)
        with trafilatura_parsing():
            seconds, their_results = extract_all(pages)
        theirs.append(seconds)
    differ = sum(fields(a) != fields(b) for a, b in zip(our_results, their_results))
    ours_rate, theirs_rate = len(pages) / min(ours), len(pages) / min(theirs)
    print(f"{len(pages)} pages ({source}), best of {args.repeat}")
    print(f"  extract_html, htmltree parser + author search : {ours_rate:7.1f} pages/s")
    print(f"  extract_html, trafilatura's load_html + author : {theirs_rate:7.1f} pages/s")
    print(f"  gain {ours_rate / theirs_rate:.2f}x; pages where the two differ: {differ}")
    print(json.dumps({"bench": "htmltree_gain", "pages": len(pages), "source": source,
                      "htmltree_pages_per_s": round(ours_rate, 1), "trafilatura_pages_per_s": round(theirs_rate, 1),
                      "gain": round(ours_rate / theirs_rate, 3), "pages_differing": differ}))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
