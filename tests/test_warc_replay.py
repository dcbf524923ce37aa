"""WARC replay: `framecheck crawl --from-warc` rebuilds a data directory from archived WARC
files without the network, so extraction gives the same articles as after the live crawl;
and the same reader ingests Common Crawl news WARCs (CC-NEWS), keeping only relevant article
pages of the registry's outlets."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import run_cli
from test_crawl_fixtures import (
    REGISTRY,
    WEB,
    extract_with,
    manifest_rows,
    warc_responses,
)
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


@pytest.fixture(scope="module")
def live_and_replayed(tmp_path_factory):
    live = tmp_path_factory.mktemp("live")
    run_cli("crawl", "--source", "live", "--registry", REGISTRY, "--site-root", WEB, "--outlets", "fx-sitemap",
            "--outlets", "fx-feed", "--outlets", "fx-gbk", "--outlets", "fx-big5", "--outlets", "fx-listing",
            data_dir=live, timeout=300)
    replayed = tmp_path_factory.mktemp("replayed")
    warcs = sorted((live / "raw" / "warc").glob("*.warc.gz"))
    # the first file after --from-warc, any others as arguments: `--from-warc PATH…`
    result = run_cli("crawl", "--registry", REGISTRY, "--from-warc", warcs[0], *warcs[1:], data_dir=replayed, timeout=300)
    return live, replayed, result


def test_replay_uses_no_network_and_copies_every_record(live_and_replayed):
    live, replayed, result = live_and_replayed
    assert "no network used" in result.stderr
    before = sorted((url, status, body) for _f, url, status, body in warc_responses(live))
    after = sorted((url, status, body) for _f, url, status, body in warc_responses(replayed))
    assert before == after and len(before) > 20
    live_rows = {(r["url"], r["final_url"], r["status"], r["kind"], r["skip_reason"], r["sha256"], r["fetched_at"])
                 for r in manifest_rows(live) if r["warc_file"]}
    replay_rows = {(r["url"], r["final_url"], r["status"], r["kind"], r["skip_reason"], r["sha256"], r["fetched_at"])
                   for r in manifest_rows(replayed)}
    assert replay_rows == live_rows


def test_replay_gives_the_same_articles_as_the_live_crawl(live_and_replayed):
    live, replayed, _ = live_and_replayed
    a, b = extract_with(live, REGISTRY), extract_with(replayed, REGISTRY)
    assert len(a) >= 20
    fields = ("article_id", "title", "text", "language", "outlet_id", "published", "body_sha256", "text_sha256")
    assert {u: tuple(r[f] for f in fields) for u, r in a.items()} == {u: tuple(r[f] for f in fields) for u, r in b.items()}


# --- Common Crawl news WARCs -------------------------------------------------------------

BBC_ARTICLE = "https://www.bbc.com/news/world-asia-china-47700001"
CHINANEWS_ARTICLE = "https://www.chinanews.com.cn/gn/2019/03-05/8771234.shtml"


def _page(title: str, paragraphs: list[str], charset: str = "utf-8") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<html><head><meta charset="{charset}"><title>{title}</title></head><body><article><h1>{title}</h1>'
            f"{body}</article></body></html>")


SCS_EN = ["China's social credit system is not one national score but a set of court blacklists and corporate records.",
          "The Supreme People's Court list of judgment defaulters bars people who refuse to pay from flying.",
          "Local pilot schemes such as Rongcheng's points system were voluntary, and many have been scaled back.",
          "Sesame Credit is a commercial score run by a private company, separate from the government programme."]
SCS_ZH = ["社会信用体系建设是一项长期工作，失信被执行人名单由最高人民法院管理。",
          "有关部门表示，信用修复制度将进一步完善，企业可以依法申请移出严重失信主体名单。",
          "专家指出，社会信用体系并不是一个全国统一的个人评分，外国媒体的一些报道存在误解。",
          "各地在推进信用体系建设的同时，也在加强个人信息保护。"]
FOOTBALL = ["The home side won two nil on a wet evening, with both goals after the break."] * 5


def write_cc_news(path: Path, gzipped: bool) -> None:
    """A small CC-NEWS-like WARC: warcinfo, request/response pairs and metadata, mixed domains."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gzipped)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test", "isPartOf": "CC-NEWS"}))

        def response(url: str, body: bytes, status: str = "200 OK", ctype: str = "text/html; charset=utf-8"):
            request = writer.create_warc_record(url, "request", http_headers=StatusAndHeaders(
                "GET / HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True))
            headers = StatusAndHeaders(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=headers)
            request.rec_headers.add_header("WARC-Concurrent-To", record.rec_headers.get_header("WARC-Record-ID"))
            writer.write_record(request)
            writer.write_record(record)
            writer.write_record(writer.create_warc_record(url, "metadata", payload=BytesIO(b"fetchTimeMs: 120\r\n"),
                                                          warc_content_type="application/warc-fields"))

        response(BBC_ARTICLE, _page("What China's social credit system really is", SCS_EN * 2).encode())
        response("https://www.bbc.com/news/world-asia-china-47700002", _page("Trade talks resume", FOOTBALL).encode())
        response("https://www.example.org/2019/social-credit", _page("Social credit explained", SCS_EN * 2).encode())
        response("https://www.bbc.com/sport/football/47700003", _page("China social credit", SCS_EN * 2).encode())
        response("https://www.bbc.com/news/world-asia-china-47700004", b"gone", status="404 Not Found", ctype="text/plain")
        response("https://www.bbc.com/news/world-asia-china-47700005", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, ctype="image/png")
        response(CHINANEWS_ARTICLE, _page("社会信用体系建设稳步推进", SCS_ZH * 2, charset="gbk").encode("gbk"),
                 ctype="text/html")  # GBK, declared only in the meta tag


@pytest.mark.parametrize("suffix", [".warc.gz", ".warc"])
def test_cc_news_warc_filtered_by_registry_domains_and_topic(tmp_path, suffix):
    source = tmp_path / f"CC-NEWS-20190305-00001{suffix}"
    write_cc_news(source, gzipped=suffix.endswith(".gz"))
    data = tmp_path / "data"
    result = run_cli("crawl", "--from-warc", source, data_dir=data)  # default: demo + live registries
    rows = manifest_rows(data)
    assert sorted((r["final_url"], r["outlet_id"], r["camp"], r["kind"], r["skip_reason"]) for r in rows) == [
        (BBC_ARTICLE, "bbc", "western", "article", None),
        (CHINANEWS_ARTICLE, "chinanews", "chinese_state", "article", None),
    ]
    for reason in ("not_in_registry", "not_article_url", "off_topic", "http_404", "not_html"):
        assert f"skipped: {reason}" in result.stderr, reason
    # the copies keep the original records (and their request records) and read back with warcio
    assert sorted(url for _f, url, _s, _b in warc_responses(data)) == sorted([BBC_ARTICLE, CHINANEWS_ARTICLE])
    run_cli("extract", data_dir=data)
    articles = {a["url"]: a for a in pq.read_table(data / "tables" / "articles.parquet").to_pylist()}
    assert set(articles) == {BBC_ARTICLE, CHINANEWS_ARTICLE}
    assert articles[BBC_ARTICLE]["outlet_id"] == "bbc" and articles[BBC_ARTICLE]["language"] == "en"
    zh = articles[CHINANEWS_ARTICLE]
    assert zh["language"] == "zh-Hans" and "失信被执行人" in zh["text"] and "\ufffd" not in zh["text"]


def test_from_warc_errors_are_one_line(tmp_path):
    result = run_cli("crawl", "--from-warc", tmp_path / "nothing-here.warc.gz", data_dir=tmp_path / "d", check=False)
    assert result.returncode != 0 and "error:" in result.stderr and "no such WARC file" in result.stderr
    stray = run_cli("crawl", tmp_path / "x.warc.gz", data_dir=tmp_path / "d", check=False)
    assert stray.returncode != 0 and "--from-warc" in stray.stderr
