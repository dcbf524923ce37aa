"""Records: deterministic ids, canonical URLs, Parquet round trips with explicit schemas."""

import pyarrow.parquet as pq
import pytest

from pipelines.kernel.io import FrameCheckError, read_records, write_records
from pipelines.kernel.records import (
    Claim,
    CueSpan,
    EvidenceCandidate,
    article_id_for,
    canonical_url,
    claim_id_for,
)


def test_canonical_url_drops_tracking_fragment_and_case():
    assert canonical_url("HTTPS://News.Example.com/a/b.html?utm_source=x&id=3#top") == "https://news.example.com/a/b.html?id=3"
    assert canonical_url("http://example.com:80/x") == "http://example.com/x"


def test_parameters_that_select_content_make_distinct_articles():
    """Only real tracking keys go: `from_date`, `share_id` and `spmx` select content (the
    earlier prefix rule dropped every key starting with from, share or spm)."""
    first = article_id_for("https://news.example.com/search?from_date=2019-01-01&page=2")
    assert first != article_id_for("https://news.example.com/search?from_date=2020-01-01&page=2")
    assert first != article_id_for("https://news.example.com/search?page=2")
    assert canonical_url("https://x.example/a?share_id=7&spmx=1") == "https://x.example/a?share_id=7&spmx=1"


def test_tracking_parameters_of_every_kind_are_dropped():
    assert article_id_for("https://x.example/a?utm_source=x&id=3") == article_id_for("https://x.example/a?id=3")
    assert (canonical_url("https://x.example/a?UTM_Medium=rss&fbclid=1&gclid=2&spm=a.b.c&id=3&msclkid=4")
            == "https://x.example/a?id=3")
    assert canonical_url("https://x.example/a.html#comments") == "https://x.example/a.html"


def test_canonical_form_sorts_query_keeps_repeats_and_non_default_ports():
    assert canonical_url("http://x.example/a?tag=b&tag=a&utm_campaign=z") == "http://x.example/a?tag=a&tag=b"
    assert canonical_url("https://x.example:443/a") == "https://x.example/a"
    assert canonical_url("http://x.example:443/a") == "http://x.example:443/a"  # not http's default port
    assert canonical_url("http://user:secret@x.example:8080/a") == "http://x.example:8080/a"
    assert canonical_url("http://x.example") == "http://x.example/"
    assert canonical_url("urn:framecheck:video:abc") == "urn:framecheck:video:abc"  # transcripts without a URL


def test_ids_are_deterministic_and_distinct():
    a = article_id_for("https://example.com/a.html?utm_medium=rss")
    assert a == article_id_for("https://EXAMPLE.com/a.html")
    # fixed values, computed outside Python: "a" + the first 15 hex digits of
    # `printf 'https://example.com/a.html' | sha1sum`, and "c" + those of `printf 'a0ef76053de69719:0:10' | sha1sum`
    assert a == "a0ef76053de69719"
    assert claim_id_for(a, 0, 10) == "c1dd66032c195b52"
    assert claim_id_for(a, 0, 11) == "c2c177e4332d07cc"


def _claim(**kw):
    base = dict(claim_id="c1", article_id="a1", start=0, end=5, text="hello", context_before="", context_after="",
                language="en", checkworthiness=0.5, outlet_id="o", camp="western", published=None, url="http://x",
                cues=(CueSpan(0, 5, "loaded_word", "hello"),), evidence_candidates=(EvidenceCandidate("F01", 0.25),))
    base.update(kw)
    return Claim(**base)


def test_parquet_round_trip_keeps_nested_records(tmp_path):
    path = tmp_path / "claims.parquet"
    claims = [_claim(), _claim(claim_id="c2", cues=())]
    assert write_records(path, claims, Claim) == 2
    assert read_records(path, Claim) == claims
    schema = pq.read_schema(path)
    assert str(schema.field("cues").type).startswith("list<")
    assert not list(tmp_path.glob(".*tmp")), "no temp file left behind"


def test_corrupt_parquet_is_a_clear_error(tmp_path):
    path = tmp_path / "claims.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(FrameCheckError, match="claims.parquet: not a readable Parquet file"):
        read_records(path, Claim)


def test_wrong_table_is_a_clear_error(tmp_path):
    from pipelines.kernel.records import FetchRecord

    path = tmp_path / "claims.parquet"
    write_records(path, [_claim()], Claim)
    with pytest.raises(FrameCheckError, match="not a FetchRecord table"):
        read_records(path, FetchRecord)


def _fetch_rows() -> list[dict]:
    from pipelines.kernel.records import FetchRecord, to_row

    return [to_row(FetchRecord(
        url=f"https://example.org/news/{i}-é\"\\\n", final_url="https://example.org/x", status=200 + i,
        fetched_at="2026-01-01T00:00:00Z", sha256="ab" * 32, outlet_id="o", camp="c", kind="article",
        content_type="text/html", warc_file="w.warc.gz", warc_offset=2**40 + i,
        skip_reason=None if i % 2 else "off_topic", run_id="r")) for i in range(5)]


def test_flat_records_are_written_as_from_pylist_would(tmp_path):
    """The manifest goes through pyarrow's JSON reader (no pandas import): same table, same types,
    nulls, quotes, newlines and non-ASCII text."""
    import pyarrow as pa

    from pipelines.kernel.io import _flat_table, _is_flat, read_table
    from pipelines.kernel.records import SCHEMAS, FetchRecord

    schema, rows = SCHEMAS[FetchRecord], _fetch_rows()
    assert _is_flat(schema) and not _is_flat(SCHEMAS[Claim])
    expected = pa.Table.from_pylist(rows, schema=schema)
    assert _flat_table(rows, schema).equals(expected, check_metadata=True)
    path = tmp_path / "m.parquet"
    write_records(path, [], FetchRecord)  # no rows: still a table with the schema
    assert read_table(path).schema.equals(schema)


def test_flat_records_out_of_range_fail_as_from_pylist_does():
    import pyarrow as pa

    from pipelines.kernel.io import _flat_table
    from pipelines.kernel.records import SCHEMAS, FetchRecord

    rows = [{**_fetch_rows()[0], "status": 2**40}]  # status is int32
    with pytest.raises(pa.ArrowInvalid):
        _flat_table(rows, SCHEMAS[FetchRecord])
    with pytest.raises(pa.ArrowInvalid):
        pa.Table.from_pylist(rows, schema=SCHEMAS[FetchRecord])


def test_writing_a_manifest_does_not_import_pandas(tmp_path):
    """pandas costs a crawl ~0.3 s of CPU at its end when pyarrow converts Python lists."""
    import subprocess
    import sys

    code = ("import sys, pathlib; from pipelines.kernel.io import write_records, read_records;"
            "from pipelines.kernel.records import FetchRecord, from_row;"
            f"rows = {_fetch_rows()!r};"
            "p = pathlib.Path(sys.argv[1]); write_records(p, [from_row(FetchRecord, r) for r in rows], FetchRecord);"
            "assert 'pandas' not in sys.modules, 'pandas imported';"
            "assert len(read_records(p, FetchRecord)) == 5")
    import os
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}  # this checkout's code
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.parquet")], capture_output=True, text=True,
                          env=env)
    assert done.returncode == 0, done.stderr[-2000:]
