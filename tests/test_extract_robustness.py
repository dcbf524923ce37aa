"""The extract stage on a data directory with damaged input: a corrupt WARC record, a
truncated one, a page of binary garbage, a 20 MB page and a missing WARC file are each
skipped with a reason, and the run completes with the good pages (streamed to Parquet in
batches, syndicated copies marked)."""

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import run_cli

from crawlers.archive import ArchiveWriter
from pipelines.kernel.io import DataDir
from pipelines.kernel.records import FetchRecord
from pipelines.kernel.warc import sha256_hex

RUN = "crawl-20260101T000000000000Z"
STORY = [
    "China's social credit system is not one national score, the Supreme People's Court said in a report on Monday.",
    "The court list of dishonest judgment debtors, which began in 2013, names Chinese people who can repay a "
    "court-ordered debt but refuse to, and people on it can be blocked from buying plane and train tickets.",
    "By the end of 2018, courts had blocked flight-ticket purchases 17.46 million times, the report said. "
    "Most people leave the list within days of paying what they owe.",
]
OTHER_STORY = [
    "Rongcheng, a city in Shandong, gives every resident 1,000 credit points under a local social credit scheme.",
    "Residents gain points for volunteering and lose them for unpaid fines, and the Chinese city says the scheme "
    "now needs consent, while officials insist the points bring perks rather than punishments.",
    "Other cities, including Xiamen and Fuzhou, run voluntary apps with their own scores and small rewards.",
]


def html(title: str, paragraphs: list[str], trailer: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><meta charset='utf-8'><title>{title}</title>"
            f"<meta property='article:published_time' content='2019-03-04T08:00:00Z'></head>"
            f"<body><article><h1>{title}</h1>{body}{trailer}</article></body></html>").encode()


def url(outlet: str, slug: str) -> str:
    return f"http://{outlet}.example/{outlet}/2019/03/{slug}.html"


def archive(data: DataDir, pages: list[tuple[str, str, bytes]]) -> dict[str, tuple[str, int, int]]:
    """Write pages as WARC exchanges with manifest rows; return url → (file, offset, end)."""
    writer = ArchiveWriter(data, RUN)
    places = {}
    for outlet, page_url, body in pages:
        warc_file, offset = writer.write_exchange(url=page_url, method="GET", request_headers=[], status=200, reason="OK",
                                                  response_headers=[("Content-Type", "text/html; charset=utf-8")], body=body)
        writer.add(FetchRecord(url=page_url, final_url=page_url, status=200, fetched_at="2026-01-01T00:00:00Z",
                               sha256=sha256_hex(body), outlet_id=outlet, camp="western", kind="article",
                               content_type="text/html", warc_file=warc_file, warc_offset=offset, skip_reason=None,
                               run_id=RUN))
        places[page_url] = (warc_file, offset)
    writer.close()
    ordered = sorted(places.items(), key=lambda kv: kv[1][1])
    ends = {u: (ordered[i + 1][1][1] if i + 1 < len(ordered) else None) for i, (u, _p) in enumerate(ordered)}
    return {u: (f, o, ends[u]) for u, (f, o) in places.items()}


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    data = DataDir(tmp_path_factory.mktemp("data"))
    rng = random.Random(4)
    good = url("granite-herald", "court-list")
    copy = url("harmony-herald", "court-list-copy")
    other = url("westbridge-review", "rongcheng-points")
    corrupt = url("granite-herald", "corrupt")
    garbage = url("granite-herald", "garbage")
    huge = url("granite-herald", "huge")
    truncated = url("daily-beacon", "truncated")
    big_page = b"<html><body>" + b"<p>social credit system China Chinese filler text</p>" * (20 * 1024 * 1024 // 52) + b"</body></html>"
    assert len(big_page) >= 20 * 1024 * 1024 - 100
    places = archive(data, [
        ("granite-herald", good, html("Court list is not a score", STORY)),
        ("harmony-herald", copy, html("Court list is not a score", STORY, "<p>Source: Granite Herald.</p>")),
        ("granite-herald", corrupt, html("A page that will be damaged", STORY)),
        ("granite-herald", garbage, bytes(rng.randrange(256) for _ in range(60_000))),
        ("granite-herald", huge, big_page),
        ("westbridge-review", other, html("Points for good deeds", OTHER_STORY)),
        ("daily-beacon", truncated, html("A page cut short", STORY)),
    ])
    warc = data.warc_dir / places[corrupt][0]
    raw = bytearray(warc.read_bytes())
    start, end = places[corrupt][1] + 40, places[corrupt][2] - 20
    for i in range(start, end):  # scramble the compressed bytes inside the record
        raw[i] ^= 0x5A
    raw = raw[: places[truncated][1] + (len(raw) - places[truncated][1]) // 2]  # the last record, cut in half
    warc.write_bytes(bytes(raw))
    # a manifest row whose WARC file is gone
    writer = ArchiveWriter(data, "crawl-20260102T000000000000Z")
    writer.add(FetchRecord(url=url("granite-herald", "lost"), final_url=url("granite-herald", "lost"), status=200,
                           fetched_at="2026-01-02T00:00:00Z", sha256="0" * 64, outlet_id="granite-herald", camp="western",
                           kind="article", content_type="text/html", warc_file="crawl-gone-00001.warc.gz",
                           warc_offset=0, skip_reason=None, run_id="crawl-20260102T000000000000Z"))
    writer.close()
    return data, {"good": good, "copy": copy, "other": other, "corrupt": corrupt, "garbage": garbage,
                  "huge": huge, "truncated": truncated}


def _skips(data: DataDir) -> dict[str, str]:
    lines = (data.logs / "extract.skips.jsonl").read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["url"]: json.loads(line)["reason"] for line in lines}


def test_extract_command_skips_damaged_input_and_completes(damaged):
    data, urls = damaged
    result = run_cli("extract", "--workers", "2", data_dir=data.root, timeout=300)
    assert result.returncode == 0
    assert "records out" in result.stderr and "skipped: corrupt_record" in result.stderr
    rows = pq.read_table(data.table("articles")).to_pylist()
    by_url = {r["url"]: r for r in rows}
    assert set(by_url) == {urls["good"], urls["copy"], urls["other"]}
    assert by_url[urls["copy"]]["duplicate_of"] == by_url[urls["good"]]["article_id"]
    assert by_url[urls["good"]]["duplicate_of"] is None and by_url[urls["other"]]["duplicate_of"] is None
    assert by_url[urls["good"]]["text"].split("\n") == STORY
    skips = _skips(data)
    assert skips[urls["corrupt"]].startswith("corrupt_record")
    assert skips[urls["truncated"]].startswith("corrupt_record")
    assert skips[urls["garbage"]] == "binary_or_garbled"
    assert skips[urls["huge"]] == "too_large"
    assert skips[url("granite-herald", "lost")].startswith("unreadable_record")
    assert "WARC file missing" in skips[url("granite-herald", "lost")]
    assert not list(data.tables.glob(".*"))  # no staging or temp files left behind


def test_run_extract_streams_batches_in_one_process(damaged, monkeypatch, tmp_path):
    import shutil

    import pipelines.extract.core as extract
    from pipelines.kernel.step import run_step

    data, urls = damaged
    copy = DataDir(tmp_path / "copy")
    shutil.copytree(data.root / "raw", copy.root / "raw")
    monkeypatch.setattr(extract, "BATCH_ROWS", 1)
    seen = []
    summary = run_step(extract.ExtractStep(copy), progress=lambda results, total, name: (seen.append(total) or results))
    target = copy.table("articles")
    assert seen == [8]
    parquet = pq.ParquetFile(target)
    assert parquet.metadata.num_rows == 3 and parquet.num_row_groups == 3  # one batch per article
    assert summary.records_out == 3
    assert summary.skipped["corrupt_record"] == 2 and summary.skipped["too_large"] == 1
    assert summary.skipped["binary_or_garbled"] == 1 and summary.skipped["unreadable_record"] == 1
    assert any("1 syndicated copies" in note and "harmony-herald" in note for note in summary.notes)


def test_extract_page_reasons_without_an_archive():
    from pipelines.extract.core import Skip, extract_page
    from pipelines.kernel.registry import combined_registry
    from pipelines.kernel.topic import load_topic
    from pipelines.kernel.warc import ArchivedResponse

    def fetch(u):
        return FetchRecord(u, u, 200, "2026-01-01T00:00:00Z", "0", "", "", "article", "text/html", "x.warc.gz", 0, None, RUN)

    registry, topic = combined_registry(DataDir(Path("data"))), load_topic()
    unknown = "http://nowhere.invalid/a.html"
    response = ArchivedResponse(unknown, 200, {"content-type": "text/html"}, html("T", STORY), "")
    assert extract_page(response, fetch(unknown), registry, topic) == Skip("unknown_outlet", unknown)
    known = url("granite-herald", "pdf")
    response = ArchivedResponse(known, 200, {"content-type": "application/pdf"}, b"%PDF-1.4", "")
    assert extract_page(response, fetch(known), registry, topic) == Skip("not_html", known)
