"""Downloader middlewares: route demo hosts through the local demo server, obey robots.txt
(Scrapy's middleware, with its refusals told apart by type), and write every response to
the WARC archive before anything else sees it (a local write error stops the crawl); and the
crawl's log formatter."""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import (
    RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware,
)
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers
from scrapy.http.response import Response
from scrapy.logformatter import LogFormatter
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import deferred_from_coro

from crawlers.archive import (
    H_CAMP,
    H_KIND,
    H_OUTLET,
    H_REQUEST_URL,
    ArchiveWriteError,
    skip_for_status,
)
from pipelines.kernel.io import utc_now
from pipelines.kernel.records import FetchRecord
from pipelines.kernel.warc import decoded_body, read_response, sha256_hex

ARCHIVE_WRITE_ERROR = "archive_write_error"  # the spider's close reason after a local write error


class RobotsDisallowed(IgnoreRequest):
    """robots.txt forbids this URL to our user agent."""


class AlreadyFailed(IgnoreRequest):
    """An earlier session of this run fetched this URL and failed; its skip row is logged."""


class ArchiveStopped(IgnoreRequest):
    """The archive can no longer be written (disk full): the crawl is stopping, nothing is logged."""


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, raising RobotsDisallowed instead of a bare
    IgnoreRequest, so the spider's errback can tell a refusal from the other reasons a
    request is ignored (too many redirects, a body past DOWNLOAD_MAXSIZE once decompressed)."""

    def process_request_2(self, rp, request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as refusal:
            raise RobotsDisallowed(*refusal.args) from refusal


class DemoProxyMiddleware:
    """Send requests through DEMO_PROXY (the local demo server) when that setting is set."""

    def __init__(self, proxy: str | None):
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("DEMO_PROXY"))

    def process_request(self, request, spider=None):
        if self.proxy and request.url.startswith("http://"):
            request.meta["proxy"] = self.proxy
        return None


class WarcArchiveMiddleware:
    """Archive each response (request + response records) and add its manifest row.

    In a resumed run, a request this run already answered in an earlier session is served
    from the archive (no network, nothing written twice), so the crawl rediscovers what it
    had found and every page stays in the archive exactly once."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.retry_codes = {int(c) for c in crawler.settings.getlist("RETRY_HTTP_CODES")}
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        spider = spider or self.crawler.spider
        archive = getattr(spider, "archive", None)
        request.meta["fc_from_archive"] = False
        if archive is None:
            return None
        if archive.failure is not None:
            raise ArchiveStopped(str(archive.failure))
        row = archive.archived_for(request.url)
        if row is not None and row.status and row.status not in self.retry_codes:
            try:
                archived = read_response(archive.data.warc_dir / row.warc_file, row.warc_offset)
            except Exception:
                return None  # unreadable: fetch it again
            headers = Headers({k: v for k, v in archived.headers.items()
                               if k not in ("content-encoding", "transfer-encoding", "content-length")})
            cls = responsetypes.from_args(headers=headers, url=request.url, body=archived.body)
            request.meta["fc_from_archive"] = True
            request.meta["fc_warc"] = (row.warc_file, row.warc_offset)
            return cls(url=request.url, status=archived.status, headers=headers, body=archived.body,
                       request=request, flags=["archived"])
        failed = archive.failed_before(request.url)
        if failed is not None and failed.kind == request.meta.get("fc_kind", failed.kind):
            raise AlreadyFailed(f"already failed in this run: {failed.skip_reason}")
        return None

    def process_response(self, request, response: Response, spider=None):
        spider = spider or self.crawler.spider
        archive = getattr(spider, "archive", None)
        if archive is None or request.meta.get("fc_from_archive"):
            return response
        if request.meta.get("fc_no_archive"):  # another worker on the shared frontier archived it
            spider.on_fetched(response)
            return response
        try:
            request.meta["fc_warc"] = self._archive(archive, spider, request, response)
        except ArchiveWriteError as exc:
            self._stop()
            raise ArchiveStopped(str(exc)) from None
        spider.on_fetched(response)
        return response

    @staticmethod
    def _archive(archive, spider, request, response: Response) -> tuple[str, int]:
        """Write the exchange and its manifest row; return its (WARC file, offset)."""
        body = response.body
        first_url = (request.meta.get("redirect_urls") or [request.url])[0]
        status = response.status
        outlet = spider.outlet_for(response.url) or spider.outlet_for(first_url)
        kind = request.meta.get("fc_kind", "robots" if response.url.endswith("/robots.txt") else "other")
        fetched_at = utc_now()
        warc_file, offset = archive.write_exchange(
            url=response.url,
            method=request.method,
            request_headers=_headers(request.headers),
            status=status,
            reason="",
            response_headers=_headers(response.headers),
            body=body,
            fetched_at=fetched_at,
            extra={H_KIND: kind, H_REQUEST_URL: first_url if first_url != response.url else "",
                   H_OUTLET: outlet.id if outlet else "", H_CAMP: outlet.camp if outlet else ""},
        )
        encoding = response.headers.get(b"Content-Encoding", b"").decode("latin-1")
        archive.add(
            FetchRecord(
                url=first_url,
                final_url=response.url,
                status=status,
                fetched_at=fetched_at,
                sha256=sha256_hex(decoded_body(body, encoding)),
                outlet_id=outlet.id if outlet else "",
                camp=outlet.camp if outlet else "",
                kind=kind,
                content_type=response.headers.get(b"Content-Type", b"").decode("latin-1"),
                warc_file=warc_file,
                warc_offset=offset,
                skip_reason=skip_for_status(status),
                run_id=archive.run_id,
            )
        )
        return warc_file, offset

    def _stop(self) -> None:
        """Close the spider, once: no new requests; those in flight end as ArchiveStopped."""
        if not self.stopping:
            self.stopping = True
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=ARCHIVE_WRITE_ERROR))


def _headers(headers) -> list[tuple[str, str]]:
    return [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, values in headers.items()
        for value in values
    ]


class CrawlLogFormatter(LogFormatter):
    """Scrapy's log messages, except that "Crawled (200) <GET ...>" (DEBUG) is not built when the
    log level drops it: Scrapy filters by level in its log handler, not in its loggers, so at
    LOG_LEVEL INFO every response still built the message and a LogRecord for nothing."""

    def __init__(self, log_crawled: bool = True):
        super().__init__()
        self.log_crawled = log_crawled

    @classmethod
    def from_crawler(cls, crawler):
        level = crawler.settings.get("LOG_LEVEL")
        level = logging.getLevelName(level) if isinstance(level, str) else level
        return cls(log_crawled=not isinstance(level, int) or level <= logging.DEBUG)

    def crawled(self, request, response, spider):
        # None: Scrapy's documented way for a LogFormatter method to log nothing
        return super().crawled(request, response, spider) if self.log_crawled else None
