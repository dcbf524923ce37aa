"""The crawl's log formatter: Scrapy's messages, the per-response one only when it is logged."""

import logging

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings

from crawlers.middlewares import CrawlLogFormatter


class _Crawler:
    def __init__(self, level):
        self.settings = Settings({"LOG_LEVEL": level})


def _crawled(level):
    request = Request("http://example.org/news/1.html")
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    return CrawlLogFormatter.from_crawler(_Crawler(level)).crawled(request, response, None)


def test_crawled_message_is_not_built_when_the_level_drops_it():
    assert _crawled("INFO") is None
    assert _crawled(logging.WARNING) is None


def test_crawled_message_is_scrapys_at_debug():
    logkws = _crawled("DEBUG")
    assert logkws["level"] == logging.DEBUG and logkws["args"]["status"] == 200
