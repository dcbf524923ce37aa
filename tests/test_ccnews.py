"""CC-NEWS on datatrove (pipelines/ccnews): the same articles as `crawl --from-warc` + `extract`,
resumable by datatrove completions, a torn shard failing only its task, shards the claims
stage reads."""

import gzip
import shutil
from io import BytesIO
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines.ccnews import run_ccnews
from pipelines.kernel.io import DataDir, FrameCheckError
from pipelines.kernel.registry import combined_registry
from pipelines.kernel.topic import load_topic
from tests.conftest import REPO, run_cli

SITE = REPO / "demo" / "site"
# fields that legitimately differ: where the record sits (the replay copies it into the data
# directory's own archive) and duplicate_of (extract marks syndicated copies across the whole
# corpus; a task sees only its own shard, so the shards leave it empty)
DIFFERENT = {"warc_file", "warc_offset", "duplicate_of"}
OFF_TOPIC = ("<html><head><title>Rain returns to the valley</title></head><body><article><h1>Rain returns</h1>"
             + "<p>After a dry month the valley saw steady rain on Tuesday, filling reservoirs and cheering farmers "
               "who had waited weeks for water. Forecasters expect more showers through the weekend.</p>" * 4
             + "</article></body></html>")


def demo_pages(count_per_outlet: int = 3) -> list[tuple[str, bytes]]:
    pages = []
    for outlet_dir in sorted(p for p in SITE.iterdir() if p.is_dir()):
        files = sorted(outlet_dir.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.html"))[:count_per_outlet]
        pages += [(f"http://{outlet_dir.name}.example/{outlet_dir.name}/{f.relative_to(outlet_dir).as_posix()}",
                   f.read_bytes()) for f in files]
    return pages


def write_warc(path: Path, pages: list[tuple[str, bytes]]) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, body in pages:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http))


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    root = tmp_path_factory.mktemp("ccnews")
    pages = demo_pages()
    granite = next(url for url, _ in pages if "granite-herald" in url)
    scs_page = pages[0][1]
    extra = [(granite.rsplit("/", 1)[0] + "/rain-returns.html", OFF_TOPIC.encode()),  # registry domain, off topic
             ("http://elsewhere.test/2019/03/scs.html", scs_page)]  # on topic, not a registry domain
    records = pages + extra
    (root / "warcs").mkdir()
    paths = [root / "warcs" / "a.warc.gz", root / "warcs" / "b.warc.gz"]
    write_warc(paths[0], records[0::2])
    write_warc(paths[1], records[1::2])
    return root, paths


@pytest.fixture(scope="module")
def both_ways(shards):
    root, paths = shards
    data = root / "data"
    run_cli("crawl", "--from-warc", *paths, data_dir=data)
    run_cli("extract", data_dir=data)
    result = run_cli("ccnews", *paths, "--tasks", 2, "--workers", 2, "--out", root / "out", data_dir=data)
    return root, data, result


def rows_by_id(files) -> dict:
    rows = [row for f in files for row in pq.read_table(f).to_pylist()]
    return {row["article_id"]: row for row in rows}


def test_same_articles_as_crawl_and_extract(both_ways):
    root, data, result = both_ways
    expected = rows_by_id([data / "tables" / "articles.parquet"])
    shards = sorted((root / "out" / "articles").glob("*.parquet"))
    got = rows_by_id(shards)
    assert len(shards) == 2 and len(expected) >= 10
    assert set(got) == set(expected)
    for article_id, row in expected.items():
        for key in row.keys() - DIFFERENT:
            assert got[article_id][key] == row[key], (article_id, key)
    # the foreign-domain and off-topic pages were dropped and counted in datatrove's stats
    assert "dropped_not_in_registry=1" in result.stdout
    assert "dropped_off_topic_page=1" in result.stdout  # the prefilter, before extraction
    assert "dropped_off_topic=" in result.stdout  # extracted, then below the relevance threshold
    assert "2 shard(s)" in result.stdout


def test_rerun_skips_finished_tasks(both_ways):
    root, data, _ = both_ways
    out = root / "out"
    before = {p: p.stat().st_mtime_ns for p in (out / "articles").glob("*.parquet")}
    assert sorted(p.name for p in (out / "logs" / "completions").iterdir()) == ["00000", "00001"]
    again = run_ccnews([str(p) for p in sorted((root / "warcs").glob("*.warc.gz"))], str(out),
                       combined_registry(DataDir(data)), load_topic(), tasks=2, workers=1)
    assert again.skipped_completed == 2 and not again.failed
    assert {p: p.stat().st_mtime_ns for p in (out / "articles").glob("*.parquet")} == before


def test_torn_shard_fails_only_its_task(shards, tmp_path):
    root, paths = shards
    warcs = tmp_path / "warcs"
    warcs.mkdir()
    good = shutil.copy(paths[1], warcs / "b.warc.gz")
    torn = warcs / "a.warc.gz"
    whole = paths[0].read_bytes()
    torn.write_bytes(whole[: len(whole) // 2])
    out = tmp_path / "out"
    result = run_ccnews([str(torn), str(good)], str(out), combined_registry(DataDir(tmp_path / "data")), load_topic(),
                        tasks=2, workers=2)
    assert list(result.failed) == [0]
    assert "torn or unreadable WARC" in result.failed[0]
    assert [Path(s).name for s in result.shards] == ["00001.parquet"]
    assert rows_by_id(result.shards)
    # the failed task has no completion: a rerun retries it (and fails again, with its reason)
    assert not (out / "logs" / "completions" / "00000").exists()
    assert (out / "logs" / "completions" / "00001").exists()
    again = run_ccnews([str(torn), str(good)], str(out), combined_registry(DataDir(tmp_path / "data")), load_topic(),
                       tasks=2, workers=1)
    assert again.skipped_completed == 1 and list(again.failed) == [0]


def test_not_a_warc_fails_its_task(shards, tmp_path):
    _root, paths = shards
    bogus = tmp_path / "bogus.warc.gz"
    bogus.write_bytes(gzip.compress(b"this is not a WARC file\n" * 20))
    result = run_ccnews([str(bogus), str(paths[1])], str(tmp_path / "out"), combined_registry(DataDir(tmp_path / "d")),
                        load_topic(), tasks=2, workers=1)
    assert list(result.failed) == [1] or list(result.failed) == [0]
    assert len(result.shards) == 1


def test_claims_reads_the_shards(both_ways, tmp_path):
    from pipelines.claims import ClaimsStep
    from pipelines.kernel.step import run_step

    root, _data, _ = both_ways
    shards = sorted((root / "out" / "articles").glob("*.parquet"))
    data = DataDir(tmp_path / "data")
    summary = run_step(ClaimsStep(data, sources=shards))
    assert summary.records_in == len(rows_by_id(shards))
    assert pq.read_table(data.table("claims")).num_rows > 0


def test_ray_without_ray_is_a_one_line_error(shards, tmp_path):
    _root, paths = shards
    result = run_cli("ccnews", paths[0], "--executor", "ray", "--out", tmp_path / "out", check=False)
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert lines == ["error: --executor ray: ray is not installed (pip install 'ray[default]')"]


def test_no_matching_warcs_is_an_error(tmp_path):
    with pytest.raises(FrameCheckError, match="no WARC files match"):
        run_ccnews([str(tmp_path / "*.warc.gz")], str(tmp_path / "out"), combined_registry(DataDir(tmp_path)),
                   load_topic())


def test_slurm_needs_a_partition(shards, tmp_path):
    _root, paths = shards
    with pytest.raises(FrameCheckError, match="--slurm-partition is required"):
        run_ccnews([str(paths[0])], str(tmp_path / "out"), combined_registry(DataDir(tmp_path)), load_topic(),
                   executor="slurm")
