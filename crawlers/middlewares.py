"""Downloader middlewares: route demo hosts through the local demo server, and write
every response to the WARC archive before anything else sees it."""

from __future__ import annotations

from pipelines.io import utc_now
from pipelines.records import FetchRecord

from crawlers.archive import sha256_hex


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
    """Archive each response (request + response records) and add its manifest row."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        spider = spider or self.crawler.spider
        archive = getattr(spider, "archive", None)
        if archive is None:
            return response
        body = response.body
        warc_file, offset = archive.write_exchange(
            url=response.url,
            method=request.method,
            request_headers=_headers(request.headers),
            status=response.status,
            reason="",
            response_headers=_headers(response.headers),
            body=body,
        )
        first_url = (request.meta.get("redirect_urls") or [request.url])[0]
        status = response.status
        skip = None if status == 200 else ("redirect" if 300 <= status < 400 else f"http_{status}")
        outlet = spider.outlet_for(response.url) or spider.outlet_for(first_url)
        archive.add(
            FetchRecord(
                url=first_url,
                final_url=response.url,
                status=status,
                fetched_at=utc_now(),
                sha256=sha256_hex(body),
                outlet_id=outlet.id if outlet else "",
                camp=outlet.camp if outlet else "",
                kind=request.meta.get("fc_kind", "robots" if response.url.endswith("/robots.txt") else "other"),
                content_type=response.headers.get(b"Content-Type", b"").decode("latin-1"),
                warc_file=warc_file,
                warc_offset=offset,
                skip_reason=skip,
                run_id=archive.run_id,
            )
        )
        request.meta["fc_warc"] = (warc_file, offset)
        spider.on_fetched(response)
        return response


def _headers(headers) -> list[tuple[str, str]]:
    return [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, values in headers.items()
        for value in values
    ]
