"""CC-NEWS on datatrove (pipelines/ccnews): documents per second for 1, 2 and 4 tasks on the
local executor beside a plain single-process loop (warcio + the same prefilter and
`extract_page`), in one run, on ≥ 20,000 WARC records built from real pages, with the check
that every run gives the same articles.

Records: cctv-xwlb stories (../shared/corpora; SCS and other news) rendered as simple HTML
pages under a demo registry domain (huaxia-ribao.example), and the same stories again under
foreign domains (CC-NEWS is mostly other sites), in 4 gzip WARC shards.

Runs alone: `python bench/scale_out.py [--records 20000]`. Prints a table, then one JSON line."""

from __future__ import annotations

import argparse
import html
import json
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from shared_data import CORPORA, exit_code_when_absent  # noqa: E402

STORIES = CORPORA / "cctv-xwlb"
SHARDS = 4
DIFFERENT = {"warc_file", "warc_offset"}  # where a record sits; everything else must match


def story_pages(limit: int) -> list[tuple[str, bytes]]:
    stories = []
    for name in ("scs_stories.jsonl", "other_stories.jsonl"):
        with (STORIES / name).open(encoding="utf-8") as fh:
            stories += [json.loads(line) for line in fh]
    pages = []
    for copy in range(limit // len(stories) + 1):
        for story in stories:
            year, month = story["date"][:4], story["date"][5:7]
            host = "huaxia-ribao.example/huaxia-ribao" if copy == 0 else f"news-{copy}.test/world"
            body = (f"<html><head><meta charset='utf-8'><title>{html.escape(story['title'])}</title></head><body>"
                    f"<article><h1>{html.escape(story['title'])}</h1>{story['html']}</article></body></html>")
            pages.append((f"http://{host}/{year}/{month}/{story['story_id'].lower()}.html", body.encode("utf-8")))
    return pages[:limit]


def write_shards(folder: Path, pages: list[tuple[str, bytes]]) -> list[Path]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    paths = [folder / f"shard-{i}.warc.gz" for i in range(SHARDS)]
    for i, path in enumerate(paths):
        with path.open("wb") as fh:
            writer = WARCWriter(fh, gzip=True)
            for url, body in pages[i::SHARDS]:
                http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http))
    return paths


def plain_loop(paths: list[Path], registry, topic) -> list[dict]:
    """One process, no datatrove: warcio, the same prefilter, the same extraction."""
    from warcio.archiveiterator import ArchiveIterator

    from pipelines.ccnews import prefilter_reason
    from pipelines.extract import Skip, extract_page, warm_up
    from pipelines.kernel.records import FetchRecord, to_row
    from pipelines.kernel.warc import response_from_record, sha256_hex

    warm_up()
    rows = []
    for path in paths:
        with path.open("rb") as fh:
            iterator = ArchiveIterator(fh)
            for record in iterator:
                if record.rec_type != "response":
                    continue
                response = response_from_record(record)
                if prefilter_reason(registry, topic, response.url, response.status, response.headers, response.body):
                    continue
                outlet = registry.for_url(response.url)
                fetch = FetchRecord(url=response.url, final_url=response.url, status=response.status,
                                    fetched_at=response.warc_date, sha256=sha256_hex(response.body), outlet_id=outlet.id,
                                    camp=outlet.camp, kind="article", content_type=response.headers.get("content-type", ""),
                                    warc_file=path.name, warc_offset=iterator.get_record_offset(), skip_reason=None,
                                    run_id="plain")
                result = extract_page(response, fetch, registry, topic)
                if not isinstance(result, Skip) and result.relevance >= topic.min_score:
                    rows.append(to_row(result))
    return rows


def comparable(rows: list[dict]) -> dict:
    return {row["article_id"]: {k: v for k, v in row.items() if k not in DIFFERENT} for row in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    args = parser.parse_args()
    if not STORIES.exists():
        return exit_code_when_absent(STORIES, "cctv-xwlb stories")
    import logging

    import pyarrow.parquet as pq
    from loguru import logger

    from pipelines.ccnews import run_ccnews
    from pipelines.extract import warm_up
    from pipelines.kernel.io import DataDir
    from pipelines.kernel.registry import combined_registry
    from pipelines.kernel.topic import load_topic

    logger.remove()  # datatrove's per-task logs would swamp the table
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = write_shards(root, story_pages(args.records))
        registry, topic = combined_registry(DataDir(root / "data")), load_topic()
        warm_up()  # date parser and language model caches: outside every timing (forked tasks inherit them)
        start = time.perf_counter()
        expected = comparable(plain_loop(paths, registry, topic))
        runs = {"plain loop": time.perf_counter() - start}
        identical = True
        for tasks in (1, 2, 4):
            out = root / f"out-{tasks}"
            start = time.perf_counter()
            result = run_ccnews([str(p) for p in paths], str(out), registry, topic, tasks=tasks, workers=min(tasks, 2))
            runs[f"datatrove {tasks} task(s)"] = time.perf_counter() - start
            got = comparable([row for shard in result.shards for row in pq.read_table(shard).to_pylist()])
            identical = identical and got == expected and not result.failed
        # the plain loop once more, last: run order (page cache, a busy shared machine) shows in the spread
        start = time.perf_counter()
        identical = identical and comparable(plain_loop(paths, registry, topic)) == expected
        runs["plain loop, again"] = time.perf_counter() - start
    base = runs["plain loop"]
    print(f"{args.records} WARC records in {SHARDS} shards, {len(expected)} articles; 2 cores")
    print(f"{'run':<24}{'seconds':>9}{'docs/s':>10}{'vs plain':>10}")
    for name, seconds in runs.items():
        print(f"{name:<24}{seconds:>9.1f}{args.records / seconds:>10.0f}{base / seconds:>9.2f}x")
    print(f"identical articles in every run: {identical}")
    print(json.dumps({"bench": "scale_out", "records": args.records, "articles": len(expected), "identical": identical,
                      "docs_per_s": {name: round(args.records / s, 1) for name, s in runs.items()},
                      "seconds": {name: round(s, 2) for name, s in runs.items()}}))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
