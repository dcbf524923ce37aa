"""The real spider against fixture sites on a real HTTP server on 127.0.0.1.

The sites (tests/fixtures/sites/web/, one folder per host, written by make_sites.py) cover
robots.txt, sitemap indexes (declared in robots.txt, one of them gzipped), RSS and Atom,
paginated listings, redirects, 404/500/503, a page slower than the timeout, an oversize page,
a PDF, and Chinese pages in GBK and Big5, declared, undeclared and mis-declared.

The crawl runs as `framecheck crawl` in a subprocess, through a server this test owns, so
the server's request log (with timestamps) shows exactly what went over the wire."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import REPO, run_cli
from warcio.archiveiterator import ArchiveIterator

from demo.server import SiteServer

FIXTURES = REPO / "tests" / "fixtures" / "sites"
REGISTRY = FIXTURES / "registry.yaml"
WEB = FIXTURES / "web"
EXPECTED = yaml.safe_load((FIXTURES / "expected.yaml").read_text(encoding="utf-8"))

FAST = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=false", "CONCURRENT_REQUESTS_PER_DOMAIN=4"]
TROUBLE = ["DOWNLOAD_TIMEOUT=1.5", "DOWNLOAD_MAXSIZE=200000", "RETRY_TIMES=2"]


def settings_args(*settings: str) -> list[str]:
    return [arg for s in settings for arg in ("--setting", s)]


def manifest_rows(data: Path) -> list[dict]:
    return [row for f in sorted((data / "raw" / "manifest").glob("*.parquet")) for row in pq.read_table(f).to_pylist()]


def warc_responses(data: Path) -> list[tuple[str, str, int, bytes]]:
    """(file, target URI, status, body) of every response record, read back with warcio."""
    out = []
    for path in sorted((data / "raw" / "warc").glob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    out.append((path.name, record.rec_headers.get_header("WARC-Target-URI"),
                                int(record.http_headers.get_statuscode()), record.content_stream().read()))
    return out


def extract_with(data: Path, registry: Path) -> dict[str, dict]:
    """Run the extract stage (as `framecheck extract` does) with the fixture registry; return
    articles.parquet rows by URL."""
    from pipelines.extract import ExtractStep
    from pipelines.kernel.io import DataDir
    from pipelines.kernel.registry import load_registry
    from pipelines.kernel.step import run_step

    run_step(ExtractStep(DataDir(data), registry=load_registry(registry)), force=True)
    target = DataDir(data).table("articles")
    return {row["url"]: row for row in pq.read_table(target).to_pylist()}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    data = tmp_path_factory.mktemp("fixture-crawl")
    with SiteServer(WEB) as server:
        result = run_cli("crawl", "--source", "live", "--registry", REGISTRY, "--proxy", server.proxy_url,
                         *settings_args(*FAST, *TROUBLE), data_dir=data, timeout=300)
        log = list(server.log)
    return data, log, result


@pytest.fixture(scope="module")
def articles(crawled):
    data, _log, _result = crawled
    return extract_with(data, REGISTRY)


def hits(log) -> Counter:
    return Counter(f"http://{host}{path}" for _t, host, path in log)


def rows_for(rows, url, field="url"):
    return [r for r in rows if r[field] == url]


def test_robots_disallow_obeyed(crawled):
    data, log, _ = crawled
    rows = manifest_rows(data)
    leak = "http://sitemap-news.example/private/draft-leak.html"
    assert [r["skip_reason"] for r in rows_for(rows, leak)] == ["robots_disallowed"]
    assert not any(path.startswith("/private/") for _t, _h, path in log), "a disallowed path reached the server"
    fetched_robots = {host for _t, host, path in log if path == "/robots.txt"}
    assert fetched_robots == {"sitemap-news.example", "feed-news.example", "listing-news.example",
                              "trouble-news.example", "gbk-news.example", "big5-news.example"}


def test_sitemap_index_from_robots_rss_atom_and_paginated_listing_discovery(crawled):
    data, log, _ = crawled
    rows = manifest_rows(data)
    kinds = {r["final_url"]: r["kind"] for r in rows}
    assert kinds["http://sitemap-news.example/sitemaps/index.xml"] == "sitemap"  # declared in robots.txt
    assert kinds["http://sitemap-news.example/sitemaps/2025.xml.gz"] == "sitemap"  # gzipped, from the index
    assert kinds["http://feed-news.example/rss.xml"] == "feed" and kinds["http://feed-news.example/atom.xml"] == "feed"
    assert kinds["http://listing-news.example/page/3.html"] == "listing"  # pagination followed to the end
    fetched = {r["final_url"] for r in rows if r["kind"] == "article" and r["status"] == 200}
    by_source = {
        "sitemap": [u for u in EXPECTED if "sitemap-news" in u],
        "rss": [u for u in EXPECTED if "/posts/rss-" in u],
        "atom": [u for u in EXPECTED if "/posts/atom-" in u],
        "listing": [u for u in EXPECTED if "listing-news" in u],
    }
    for source, urls in by_source.items():
        assert urls and set(urls) <= fetched, (source, sorted(set(urls) - fetched))
    assert "http://sitemap-news.example/news/2025/01/credit-repair.html" in fetched  # listed only in the .xml.gz


def test_redirects_followed_and_final_url_recorded(crawled):
    data, _log, _ = crawled
    rows = manifest_rows(data)
    for start, final, status in (("http://sitemap-news.example/news/old/moved-story.html",
                                  "http://sitemap-news.example/news/2024/06/moved-story.html", 301),
                                 ("http://trouble-news.example/articles/redirect-me.html",
                                  "http://trouble-news.example/articles/landed.html", 302)):
        hop = [r for r in rows_for(rows, start) if r["final_url"] == start]
        assert [(r["status"], r["skip_reason"]) for r in hop] == [(status, "redirect")]
        landed = [r for r in rows_for(rows, start) if r["final_url"] == final]
        assert [(r["status"], r["skip_reason"]) for r in landed] == [(200, None)]


def test_errors_retried_then_logged_as_skips(crawled):
    data, log, _ = crawled
    rows = manifest_rows(data)
    count = hits(log)
    base = "http://trouble-news.example/articles/"
    # 500: the first try and RETRY_TIMES=2 retries, each archived, then given up
    assert count[base + "broken.html"] == 3
    assert [r["skip_reason"] for r in rows_for(rows, base + "broken.html")] == ["http_500"] * 3
    # 503 once, then 200 on the retry: the page is kept
    assert count[base + "flaky.html"] == 2
    assert sorted((r["status"], r["skip_reason"] or "") for r in rows_for(rows, base + "flaky.html")) == [(200, ""), (503, "http_503")]
    # 404: retried like a 500 (pages being published or moved 404 briefly), then logged
    assert count[base + "missing.html"] == 3
    assert [r["skip_reason"] for r in rows_for(rows, base + "missing.html")] == ["http_404"] * 3
    # slower than DOWNLOAD_TIMEOUT: tried 3 times, then one skip row without a WARC record
    assert count[base + "slow.html"] == 3
    slow = rows_for(rows, base + "slow.html")
    assert [(r["skip_reason"], r["status"], r["warc_file"]) for r in slow] == [("timeout", 0, "")]
    # and every skip is in the crawl's skip log, one JSON line each
    logged = [json.loads(line) for line in (data / "logs" / "crawl.skips.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(entry["reason"], entry["url"]) for entry in logged} == {(r["skip_reason"], r["url"]) for r in rows if r["skip_reason"]}


def test_oversize_and_non_html_skipped_with_reasons(crawled):
    data, _log, _ = crawled
    rows = manifest_rows(data)
    base = "http://trouble-news.example/articles/"
    assert [r["skip_reason"] for r in rows_for(rows, base + "huge.html")] == ["too_large"]
    pdf = rows_for(rows, base + "report.pdf")
    assert [(r["status"], r["skip_reason"], r["content_type"]) for r in pdf] == [(200, "not_html", "application/pdf")]
    assert [r["skip_reason"] for r in rows_for(rows, base + "offtopic.html")] == ["off_topic"]
    assert [r["skip_reason"] for r in rows_for(rows, "http://sitemap-news.example/news/2025/02/gardening.html")] == ["off_topic"]


def test_every_expected_page_becomes_an_article(articles):
    assert set(articles) == set(EXPECTED)
    for url, expected in EXPECTED.items():
        article = articles[url]
        assert article["title"] == expected["title"], url
        assert expected["contains"] in article["text"], url
        assert article["language"] == expected["language"], url
        assert "\ufffd" not in article["text"] + article["title"], url


@pytest.mark.parametrize("page", ["gbk-meta", "gbk-undeclared", "says-gb2312-is-utf8", "says-utf8-is-gbk"])
def test_gbk_pages_decode_whatever_they_declare(articles, page):
    article = articles[f"http://gbk-news.example/zh/{page}.html"]
    assert article["language"] == "zh-Hans" and "社会信用体系" in article["text"]
    assert article["outlet_id"] == "fx-gbk" and article["camp"] == "chinese_commercial"


@pytest.mark.parametrize("page", ["big5-header", "big5-meta", "says-gbk-is-big5"])
def test_big5_pages_decode_whatever_they_declare(articles, page):
    article = articles[f"http://big5-news.example/hk/{page}.html"]
    assert article["language"] == "zh-Hant" and "社會信用體系" in article["text"]


def test_warc_reads_back_and_matches_the_manifest(crawled):
    data, _log, _ = crawled
    rows = [r for r in manifest_rows(data) if r["warc_file"]]
    responses = warc_responses(data)
    assert len(responses) == len(rows)
    from pipelines.kernel.warc import read_response

    for row in rows:
        record = read_response(data / "raw" / "warc" / row["warc_file"], row["warc_offset"])
        assert record.url == row["final_url"] and record.status == row["status"]
        assert hashlib.sha256(record.body).hexdigest() == row["sha256"]
    # each response has its request record, linked by WARC-Concurrent-To
    for path in (data / "raw" / "warc").glob("*.warc.gz"):
        ids, links = set(), set()
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    ids.add(record.rec_headers.get_header("WARC-Record-ID"))
                elif record.rec_type == "request":
                    links.add(record.rec_headers.get_header("WARC-Concurrent-To"))
        assert ids == links


def test_each_page_archived_once(crawled):
    data, _log, _ = crawled
    per_url = Counter(url for _f, url, status, _b in warc_responses(data) if status == 200)
    assert per_url and max(per_url.values()) == 1, [u for u, n in per_url.items() if n > 1]


def test_one_request_per_host_at_a_time_with_the_configured_delay(tmp_path):
    """Politeness, without reading a clock: the server holds every answer longer than the
    delay, so a crawler allowed two requests per host would have two in flight at once; it
    never has more than one, while two hosts are crawled side by side. Scrapy's downloader
    slots (one per host, as the crawl recorded them) have the project's per-domain
    concurrency and exactly the DOWNLOAD_DELAY asked for."""
    from crawlers import settings as project_settings

    delay, latency = 0.2, 0.5  # latency > delay: requests of a slot with concurrency 2 would overlap
    with SiteServer(WEB, latency=latency) as server:
        run_cli("crawl", "--source", "live", "--registry", REGISTRY, "--proxy", server.proxy_url,
                "--outlets", "fx-listing", "--outlets", "fx-feed",
                *settings_args(f"DOWNLOAD_DELAY={delay}", "RANDOMIZE_DOWNLOAD_DELAY=false", "AUTOTHROTTLE_ENABLED=false"),
                data_dir=tmp_path, timeout=180)
        peak, peak_total, log = server.peak_in_flight, server.peak_in_flight_total, list(server.log)
    hosts = {"listing-news.example", "feed-news.example"}
    assert set(peak) == hosts and all(n >= 8 for n in Counter(host for _t, host, _p in log).values())
    assert peak == {host: 1 for host in hosts}, peak
    assert peak_total == 2  # the limit is per host: both hosts were served at once
    assert project_settings.CONCURRENT_REQUESTS_PER_DOMAIN == 1
    applied = json.loads((tmp_path / "logs" / "crawl.politeness.json").read_text(encoding="utf-8"))
    assert applied["settings"]["CONCURRENT_REQUESTS_PER_DOMAIN"] == project_settings.CONCURRENT_REQUESTS_PER_DOMAIN
    assert applied["slots"] == {host: {"concurrency": project_settings.CONCURRENT_REQUESTS_PER_DOMAIN,
                                       "min_delay": delay, "max_delay": delay} for host in hosts}


def test_since_and_until_keep_dated_feed_and_sitemap_items_in_range(tmp_path):
    """RSS items dated 1-3 April, Atom entries 1-2 May, sitemap entries last modified 1 June:
    --since 2024-04-02 --until 2024-05-01 requests exactly the three items dated in between
    (both ends included), and no sitemap article."""
    with SiteServer(WEB) as server:
        run_cli("crawl", "--source", "live", "--registry", REGISTRY, "--proxy", server.proxy_url,
                "--outlets", "fx-feed", "--outlets", "fx-sitemap", "--since", "2024-04-02", "--until", "2024-05-01",
                *settings_args(*FAST), data_dir=tmp_path, timeout=120)
        log = list(server.log)
    requested = {f"http://{host}{path}" for _t, host, path in log}
    articles = {url for url in requested if "/posts/" in url or "/news/" in url}
    assert articles == {"http://feed-news.example/posts/rss-2.html", "http://feed-news.example/posts/rss-3.html",
                        "http://feed-news.example/posts/atom-1.html"}
    # the dated sources themselves were read
    assert {"http://feed-news.example/rss.xml", "http://feed-news.example/atom.xml",
            "http://sitemap-news.example/sitemaps/2024.xml"} <= requested


def test_download_failures_are_classified_by_type():
    from scrapy.exceptions import (
        CannotResolveHostError,
        DownloadCancelledError,
        DownloadConnectionRefusedError,
        DownloadTimeoutError,
        IgnoreRequest,
    )
    from twisted.internet.error import DNSLookupError, TCPTimedOutError
    from twisted.python.failure import Failure

    from crawlers.middlewares import RobotsDisallowed
    from crawlers.spiders.outlets import failure_reason

    cases = {DownloadTimeoutError("took longer than 1.5 seconds"): "timeout", TCPTimedOutError(): "timeout",
             CannotResolveHostError("no.example"): "download_error:dns", DNSLookupError("no.example"): "download_error:dns",
             DownloadConnectionRefusedError(): "download_error:connection_refused",
             DownloadCancelledError("Cancelling download: expected response size larger than download max size"): "too_large",
             RobotsDisallowed("Forbidden by robots.txt"): "robots_disallowed",
             IgnoreRequest("max redirections reached"): "ignored_request",
             ValueError("something else"): "download_error:ValueError"}
    assert {type(exc).__name__: failure_reason(Failure(exc)) for exc in cases} == {
        type(exc).__name__: reason for exc, reason in cases.items()}


def test_sitemap_bodies_found_as_scrapy_finds_them():
    import gzip as gz

    from scrapy.http import HtmlResponse, TextResponse, XmlResponse

    from crawlers.spiders.outlets import sitemap_body

    xml = b'<?xml version="1.0"?><urlset><url><loc>http://x.example/a.html</loc></url></urlset>'
    packed = gz.compress(xml)
    # a .xml.gz served as application/xml without Content-Encoding is still gzip (the demo server does this)
    assert sitemap_body(XmlResponse("http://x.example/s.xml.gz", body=packed), 10_000) == xml
    assert sitemap_body(TextResponse("http://x.example/sitemap?page=1", body=packed), 10_000) == xml
    assert sitemap_body(XmlResponse("http://x.example/sitemap", body=xml), 10_000) == xml
    assert sitemap_body(TextResponse("http://x.example/s.xml", body=xml), 10_000) == xml  # unpacked by HttpCompression
    assert sitemap_body(HtmlResponse("http://x.example/sitemap", body=b"<html>soft 404</html>"), 10_000) is None
    with pytest.raises(ValueError):  # past DOWNLOAD_MAXSIZE once unpacked
        sitemap_body(TextResponse("http://x.example/s.xml.gz", body=gz.compress(b" " * 50_000)), 10_000)
