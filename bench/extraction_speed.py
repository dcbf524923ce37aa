"""Extraction throughput and memory: FrameCheck's extraction beside bare trafilatura.

1. Per page, one process, the same real pages (../shared/corpora: scrapinghub-aeb and
   trafilatura-eval, read by path), best of --repeat interleaved passes:
   - trafilatura text: `trafilatura.extract(page, url=url)`, text only, its defaults;
   - trafilatura text+metadata: `trafilatura.bare_extraction(page, url=url, with_metadata=True)`,
     the same fields FrameCheck keeps (text, title, author, date);
   - framecheck: `pipelines.extract.extract_page`, the whole per-page path (binary checks,
     decoding, trafilatura, metadata, cleaning, language, relevance, hashing).
   Ratios are framecheck docs/s over each trafilatura's (target: at least 0.8). The run also
   checks, on every page, that trafilatura given our parser's tree (pipelines/extract/htmltree.py)
   returns the text, title, author and date it returns for the page source, and that our lean
   metadata path (the author search included) gives its title, author and date.
2. The extract stage end to end (`pipelines.extract.ExtractStep`, as `framecheck extract`
   runs it), in a child process per run, on data directories whose WARC files hold the real
   pages repeated under distinct URLs, every page let through the topic filter so that all of
   them are written: 1,000 documents with 1 and with 2 worker processes (the speed-up), and
   10,000 documents with 2 (peak memory must stay flat: articles are streamed to Parquet and
   only small de-duplication keys stay in memory).
3. The claims stage (`pipelines.claims.ClaimsStep`, as `framecheck claims run` runs it) on the
   1,000 and 10,000 articles, in a child process each: its peak memory must stay flat too
   (articles are read and claims written a batch at a time).

Runs alone: `python bench/extraction_speed.py [--small 1000] [--large 10000] [--larger 20000] [--repeat 3]`.
--larger adds a third size to both memory runs, to show where memory levels off (0: skip).
Prints a table and, last, one line of JSON with the figures. Without ../shared/corpora it
falls back to the demo web's pages and says so; under CI=true that absence is an error
(bench/shared_data.py).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEMO_SITE = REPO / "demo" / "site"
OUTLET = "granite-herald"  # a demo outlet: the registry must know the URLs' host

RUN = "crawl-20260101T000000000000Z"

from bench.shared_data import CORPORA, exit_code_when_absent, in_ci  # noqa: E402


def load_pages() -> tuple[list[tuple[str, bytes]], str]:
    pages = []
    aeb = CORPORA / "scrapinghub-aeb"
    if aeb.exists():
        truth = json.loads((aeb / "ground-truth.json").read_text(encoding="utf-8"))
        for page_id, item in sorted(truth.items()):
            pages.append((item.get("url") or f"http://aeb.invalid/{page_id}",
                          gzip.decompress((aeb / "html" / f"{page_id}.html.gz").read_bytes())))
    teval = CORPORA / "trafilatura-eval"
    if teval.exists():
        items = json.loads((teval / "evaldata_subset.json").read_text(encoding="utf-8"))
        for url, item in sorted(items.items()):
            path = teval / "pages" / item["file"]
            if path.exists():
                pages.append((url, path.read_bytes()))
    if pages:
        return pages, "scrapinghub-aeb + trafilatura-eval"
    print(f"note: {CORPORA} is absent; measuring on the demo web's pages instead", file=sys.stderr)
    files = sorted(DEMO_SITE.glob("*/[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.html"))
    return [(f"http://{f.relative_to(DEMO_SITE).parts[0]}.example/{f.relative_to(DEMO_SITE).as_posix()}", f.read_bytes())
            for f in files], "demo web (fallback)"


# --- 1. per page -------------------------------------------------------------------------


def per_page(pages: list[tuple[str, bytes]], repeat: int) -> dict:
    import trafilatura

    from pipelines.extract.core import extract_page, warm_up
    from pipelines.kernel.io import DataDir
    from pipelines.kernel.records import FetchRecord
    from pipelines.kernel.registry import combined_registry
    from pipelines.kernel.topic import load_topic
    from pipelines.kernel.warc import ArchivedResponse

    registry, topic = combined_registry(DataDir(Path("data"))), load_topic()
    jobs = []
    for i, (url, body) in enumerate(pages):
        local = f"http://{OUTLET}.example/{OUTLET}/bench/{i}.html"  # so that the registry knows the outlet
        fetch = FetchRecord(local, local, 200, "2026-01-01T00:00:00Z", "", OUTLET, "western", "article", "text/html",
                            "x.warc.gz", 0, None, RUN)
        jobs.append((url, body, ArchivedResponse(local, 200, {"content-type": "text/html"}, body, ""), fetch))

    systems = {
        "trafilatura text": lambda job: trafilatura.extract(job[1], url=job[0]),
        "trafilatura text+metadata": lambda job: trafilatura.bare_extraction(job[1], url=job[0], with_metadata=True),
        "framecheck": lambda job: extract_page(job[2], job[3], registry, topic),
    }
    warm_up()  # the date parser's one-off cache filling (~1.3 s) would otherwise land in one system's time
    for job in jobs[:20]:  # warm caches (lxml, regexes, OpenCC) before timing
        for system in systems.values():
            system(job)
    best = {name: float("inf") for name in systems}
    for _ in range(repeat):
        for name, system in systems.items():
            started = time.perf_counter()
            for job in jobs:
                system(job)
            best[name] = min(best[name], time.perf_counter() - started)
    rates = {name: len(jobs) / seconds for name, seconds in best.items()}
    return {"pages": len(jobs), "docs_per_s": rates,
            "ratio_vs_text": rates["framecheck"] / rates["trafilatura text"],
            "ratio_vs_text_metadata": rates["framecheck"] / rates["trafilatura text+metadata"],
            "metadata_differences": metadata_differences(pages)}


def metadata_differences(pages: list[tuple[str, bytes]]) -> dict:
    """Pages where FrameCheck's shortcuts change an answer: our parser's tree given to
    trafilatura (text, title, author, date), and our lean metadata path, each beside
    trafilatura's full extraction of the page source."""
    import trafilatura

    from pipelines.extract.core import decode_html, page_metadata
    from pipelines.extract.htmltree import parse_html

    differ = {"text": 0, "metadata": 0}
    for url, body in pages:
        html = decode_html(body, None)
        full = trafilatura.bare_extraction(html, url=url, with_metadata=True)
        tree = parse_html(html)
        ours = trafilatura.bare_extraction(tree, url=url, with_metadata=True)  # works on a copy of the tree
        if full is None or tree is None:
            differ["text"] += ours is not None
            continue
        differ["text"] += ours is None or (full.text, full.title, full.author, full.date) != (
            ours.text, ours.title, ours.author, ours.date)
        lean = page_metadata(tree, url)
        differ["metadata"] += (full.title, full.author, full.date) != (lean.title, lean.author, lean.date)
    return differ


# --- 2. the stage, in child processes ----------------------------------------------------


def build_data_dir(root: Path, pages: list[tuple[str, bytes]], n: int):
    from crawlers.archive import ArchiveWriter
    from pipelines.kernel.io import DataDir
    from pipelines.kernel.records import FetchRecord
    from pipelines.kernel.warc import sha256_hex

    data = DataDir(root)
    writer = ArchiveWriter(data, RUN)
    for i in range(n):
        _url, body = pages[i % len(pages)]
        url = f"http://{OUTLET}.example/{OUTLET}/bench/{i:06d}.html"
        warc_file, offset = writer.write_exchange(url=url, method="GET", request_headers=[], status=200, reason="OK",
                                                  response_headers=[("Content-Type", "text/html")], body=body)
        writer.add(FetchRecord(url, url, 200, "2026-01-01T00:00:00Z", sha256_hex(body), OUTLET, "western", "article",
                               "text/html", warc_file, offset, None, RUN))
    writer.close()
    return data


def own_peak_rss_mb() -> float:
    """This process's own peak resident set (VmHWM). Not getrusage's ru_maxrss: Linux carries
    the parent's high-water mark into an exec'd child, so a child of this benchmark (which
    holds every page) would report at least the benchmark's own size. Worker processes are
    forked from the stage process, so RUSAGE_CHILDREN holds their own peaks."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(data_root: str, workers: int) -> None:
    """One extract-stage run; prints its time and peak memory as JSON."""
    from pipelines.extract import ExtractStep
    from pipelines.kernel.io import DataDir
    from pipelines.kernel.step import run_step
    from pipelines.kernel.topic import load_topic

    data = DataDir(Path(data_root))
    topic = replace(load_topic(), min_score=0.0)  # every page is written, as if all were on topic
    started = time.perf_counter()
    summary = run_step(ExtractStep(data, workers, topic=topic), force=True)
    target = data.table("articles")
    seconds = time.perf_counter() - started
    import pyarrow.parquet as pq

    print(json.dumps({
        "seconds": seconds, "docs": summary.records_in, "rows": pq.ParquetFile(target).metadata.num_rows,
        "skipped": dict(summary.skipped),
        "peak_rss_main_mb": own_peak_rss_mb(),
        "peak_rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))


def claims_child(data_root: str) -> None:
    """One claims-stage run on the articles the extract run wrote; prints time and peak memory."""
    from pipelines.claims import ClaimsStep
    from pipelines.kernel.io import DataDir
    from pipelines.kernel.step import run_step

    data = DataDir(Path(data_root))
    started = time.perf_counter()
    summary = run_step(ClaimsStep(data), force=True)
    print(json.dumps({
        "seconds": time.perf_counter() - started, "docs": summary.records_in, "rows": summary.records_out,
        "peak_rss_main_mb": own_peak_rss_mb(),
    }))


def run_child(data_root: Path, workers: int | None) -> dict:
    mode = ["--child", str(data_root), str(workers)] if workers else ["--claims-child", str(data_root)]
    result = subprocess.run([sys.executable, __file__, *mode], capture_output=True, text=True, cwd=REPO, timeout=3600)
    if result.returncode != 0:
        raise SystemExit(f"child run failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def print_growth(runs: dict, sized_runs: list[tuple[int, str]], unit: str) -> None:
    """Peak memory of each run against the next smaller one."""
    present = [(n, key) for n, key in sized_runs if key in runs]
    for (smaller, key_a), (larger, key_b) in zip(present, present[1:]):
        ratio = runs[key_b]["peak_rss_main_mb"] / runs[key_a]["peak_rss_main_mb"]
        print(f"   peak memory, {larger} vs {smaller} {unit}: {ratio:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000, help="Documents in the small run (default 1000).")
    parser.add_argument("--large", type=int, default=10000, help="Documents in the large run (default 10000).")
    parser.add_argument("--larger", type=int, default=20000, help="A third size for the memory runs (0: none).")
    parser.add_argument("--repeat", type=int, default=3, help="Timed passes per system in part 1 (best counts).")
    parser.add_argument("--child", nargs=2, metavar=("DATA_DIR", "WORKERS"), help=argparse.SUPPRESS)
    parser.add_argument("--claims-child", metavar="DATA_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return 0
    if args.claims_child:
        claims_child(args.claims_child)
        return 0

    if in_ci() and not CORPORA.exists():  # locally the demo pages stand in; CI must measure the real ones
        return exit_code_when_absent(CORPORA, "extraction_speed: the real pages")
    pages, source = load_pages()
    print(f"pages: {len(pages)} from {source}; CPUs: {os.cpu_count()}", file=sys.stderr)
    page_results = per_page(pages, args.repeat)
    runs = {}
    with tempfile.TemporaryDirectory(prefix="fc-bench-") as tmp:
        for n in sorted({args.small, args.large, args.larger} - {0}):
            started = time.perf_counter()
            build_data_dir(Path(tmp) / str(n), pages, n)
            print(f"built {n} documents into WARC files in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        runs["small_w1"] = run_child(Path(tmp) / str(args.small), 1)
        runs["small_w2"] = run_child(Path(tmp) / str(args.small), 2)
        runs["large_w2"] = run_child(Path(tmp) / str(args.large), 2)
        runs["claims_small"] = run_child(Path(tmp) / str(args.small), None)
        runs["claims_large"] = run_child(Path(tmp) / str(args.large), None)
        if args.larger:
            runs["larger_w2"] = run_child(Path(tmp) / str(args.larger), 2)
            runs["claims_larger"] = run_child(Path(tmp) / str(args.larger), None)

    speedup = runs["small_w1"]["seconds"] / runs["small_w2"]["seconds"]
    growth = runs["large_w2"]["peak_rss_main_mb"] / runs["small_w2"]["peak_rss_main_mb"]
    rates = page_results["docs_per_s"]
    print(f"\n1. per page, one process, {page_results['pages']} real pages ({source})")
    for name, rate in rates.items():
        print(f"   {name:<28} {rate:8.1f} docs/s")
    print(f"   framecheck / trafilatura text+metadata  {page_results['ratio_vs_text_metadata']:.2f}  (target >= 0.8)")
    print(f"   framecheck / trafilatura text only      {page_results['ratio_vs_text']:.2f}")
    differences = page_results["metadata_differences"]
    print(f"   pages where our parser changes trafilatura's text or metadata: {differences['text']}")
    print(f"   pages where our metadata differs from trafilatura's full extraction: {differences['metadata']}")
    print("\n2. the extract stage (WARC in, Parquet out), every page written")
    print(f"   {'run':<22} {'docs':>6} {'rows':>6} {'seconds':>8} {'docs/s':>7} {'peak RSS main':>14} {'peak RSS worker':>16}")
    for label, key, workers in (("small, 1 worker", "small_w1", 1), ("small, 2 workers", "small_w2", 2),
                                ("large, 2 workers", "large_w2", 2), ("larger, 2 workers", "larger_w2", 2)):
        if key not in runs:
            continue
        r = runs[key]
        print(f"   {label:<22} {r['docs']:>6} {r['rows']:>6} {r['seconds']:>8.1f} {r['docs'] / r['seconds']:>7.1f} "
              f"{r['peak_rss_main_mb']:>11.0f} MB {r['peak_rss_worker_mb']:>13.0f} MB")
    print(f"   speed-up from 2 worker processes: {speedup:.2f}x")
    sizes = (args.small, args.large, args.larger)
    print_growth(runs, list(zip(sizes, ("small_w2", "large_w2", "larger_w2"))), "documents (the stage process)")
    claims_growth = runs["claims_large"]["peak_rss_main_mb"] / runs["claims_small"]["peak_rss_main_mb"]
    print("\n3. the claims stage on those articles (streamed in and out)")
    for label, key in (("small", "claims_small"), ("large", "claims_large"), ("larger", "claims_larger")):
        if key not in runs:
            continue
        r = runs[key]
        print(f"   {label:<22} {r['docs']:>6} articles {r['rows']:>6} claims {r['seconds']:>8.1f} s "
              f"{r['peak_rss_main_mb']:>8.0f} MB peak")
    print_growth(runs, list(zip(sizes, ("claims_small", "claims_large", "claims_larger"))), "articles")
    print(json.dumps({
        "benchmark": "extraction_speed", "pages": page_results["pages"], "source": source, "cpus": os.cpu_count(),
        "docs_per_s": {k: round(v, 1) for k, v in rates.items()},
        "ratio_vs_trafilatura_text_metadata": round(page_results["ratio_vs_text_metadata"], 3),
        "ratio_vs_trafilatura_text": round(page_results["ratio_vs_text"], 3),
        "metadata_differences": page_results["metadata_differences"],
        "stage": {k: {kk: (round(vv, 1) if isinstance(vv, float) else vv) for kk, vv in v.items()} for k, v in runs.items()},
        "speedup_2_workers": round(speedup, 2),
        "peak_rss_main_mb": {str(n): round(runs[k]["peak_rss_main_mb"]) for n, k in
                             ((args.small, "small_w2"), (args.large, "large_w2"), (args.larger, "larger_w2")) if k in runs},
        "peak_rss_growth": round(growth, 3),
        "claims_peak_rss_mb": {str(n): round(runs[k]["peak_rss_main_mb"]) for n, k in
                               ((args.small, "claims_small"), (args.large, "claims_large"), (args.larger, "claims_larger"))
                               if k in runs},
        "claims_peak_rss_growth": round(claims_growth, 3),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
