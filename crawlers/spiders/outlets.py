"""One generic spider for every outlet in the registry.

Discovery follows each outlet's configured sources (news sitemaps, sitemaps, RSS/Atom
feeds, search URL templates, section listings); article pages are archived by the WARC
middleware, and the spider only decides what to follow and why a page goes no further."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import date
from email.utils import parsedate_to_datetime
from urllib.parse import quote_plus

import scrapy
from lxml import etree
from lxml import html as lxml_html
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TxTimeoutError

from crawlers.frontier import ArchivedElsewhere, FrontierStopped
from crawlers.middlewares import AlreadyFailed, RobotsDisallowed
from pipelines.kernel.encoding import decode_html
from pipelines.kernel.registry import Outlet, url_host

# Why a request got no response, by the type of its failure (first match wins). Scrapy
# (>= 2.15) raises its own download errors, wrapping Twisted's; Twisted's still come
# from a connect timeout (TCPTimedOutError) and from download handlers that do not wrap.
# The reasons do not name the exception, so they stay the same across Scrapy versions.
FAILURE_REASONS = (
    ("robots_disallowed", (RobotsDisallowed,)),
    ("too_large", (DownloadCancelledError,)),  # Scrapy cancels a download past DOWNLOAD_MAXSIZE
    ("timeout", (DownloadTimeoutError, TxTimeoutError, TCPTimedOutError)),
    ("download_error:dns", (CannotResolveHostError, DNSLookupError)),
    ("download_error:connection_refused", (DownloadConnectionRefusedError, TxConnectionRefusedError)),
    ("ignored_request", (IgnoreRequest,)),  # too many redirects, too large once decompressed, ...
)
SITEMAP_TYPES = ("urlset", "sitemapindex")


class OutletSpider(scrapy.Spider):
    name = "outlets"

    def __init__(self, outlets: list[Outlet], topic, archive, since: date | None = None, until: date | None = None,
                 max_pages: int | None = None, progress=None, frontier=None, **kwargs):
        super().__init__(**kwargs)
        self.outlets = outlets
        self.topic = topic
        self.archive = archive
        self.since, self.until = since, until
        self.max_pages = max_pages
        self.progress = progress
        self.frontier = frontier  # the shared frontier (crawlers/frontier.py), or None
        self.article_requests = 0

    # --- hooks used by the middleware -------------------------------------------------

    def outlet_for(self, url: str) -> Outlet | None:
        host = url_host(url)  # split once, not once per outlet
        return next((o for o in self.outlets if o.owns_host(host)), None)

    def on_fetched(self, response) -> None:
        if self.progress is not None:
            self.progress(response)

    # --- discovery -------------------------------------------------------------------

    async def start(self):
        for outlet in self.outlets:
            for source in outlet.discovery:
                if source.type == "search":
                    for query in self._queries(outlet):
                        url = source.url.replace("{query}", quote_plus(query))
                        yield self._request(url, outlet, "listing", self.parse_listing)
                elif source.type in ("sitemap", "news_sitemap"):
                    yield self._request(source.url, outlet, "sitemap", self.parse_sitemap)
                elif source.type in ("rss", "atom"):
                    yield self._request(source.url, outlet, "feed", self.parse_feed)
                else:
                    yield self._request(source.url, outlet, "listing", self.parse_listing)

    def _queries(self, outlet: Outlet) -> list[str]:
        queries = self.topic.search_queries
        langs = {"en" if lang == "en" else "zh" for lang in outlet.languages}
        return [q for lang in sorted(langs) for q in queries.get(lang, [])]

    def _request(self, url, outlet, kind, callback, **meta):
        return scrapy.Request(url, callback=callback, errback=self.on_error,
                              meta={"fc_kind": kind, "fc_outlet": outlet.id, **meta})

    def _article(self, url: str, outlet: Outlet):
        if self.max_pages is not None and self.article_requests >= self.max_pages:
            return None
        self.article_requests += 1
        return self._request(url, outlet, "article", None)  # None: Scrapy's default callback, parse

    def _in_range(self, when: date | None) -> bool:
        if when is None:
            return True
        return (self.since is None or when >= self.since) and (self.until is None or when <= self.until)

    def parse_sitemap(self, response):
        outlet = self._outlet(response)
        if response.url.endswith("/robots.txt"):  # sitemaps declared in robots.txt
            for url in sitemap_urls_from_robots(response.body, base_url=response.url):
                yield self._request(url, outlet, "sitemap", self.parse_sitemap)
            return
        max_size = response.meta.get("download_maxsize", self.settings.getint("DOWNLOAD_MAXSIZE"))
        try:
            body = sitemap_body(response, max_size)
        except ValueError:  # scrapy.utils.gz.gunzip: more than max_size once decompressed
            self._skip(response, "too_large")
            return
        except (OSError, EOFError, struct.error, zlib.error):  # a damaged .gz
            body = None
        try:
            sitemap = Sitemap(body) if body else None
        except (etree.XMLSyntaxError, StopIteration):  # StopIteration: no element at all
            sitemap = None
        if sitemap is None or sitemap.type not in SITEMAP_TYPES:
            self._skip(response, "unparseable_sitemap")
            return
        for entry in sitemap:
            loc = entry.get("loc", "").strip()
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                yield self._request(loc, outlet, "sitemap", self.parse_sitemap)
            elif outlet.is_article_url(loc) and self._in_range(_iso_date(entry.get("lastmod"))):
                request = self._article(loc, outlet)
                if request is not None:
                    yield request

    def parse_feed(self, response):
        outlet = self._outlet(response)
        try:
            root = etree.fromstring(response.body, parser=etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            self._skip(response, "unparseable_feed")
            return
        for item in root.iter("item", "{http://www.w3.org/2005/Atom}entry"):
            link = item.findtext("link") or ""
            if not link:
                node = item.find("{http://www.w3.org/2005/Atom}link")
                link = node.get("href", "") if node is not None else ""
            when = item.findtext("pubDate") or item.findtext("{http://www.w3.org/2005/Atom}updated")
            link = link.strip()
            if link and outlet.is_article_url(link) and self._in_range(_feed_date(when)):
                request = self._article(link, outlet)
                if request is not None:
                    yield request

    def parse_listing(self, response):
        outlet = self._outlet(response)
        if not hasattr(response, "css"):
            self._skip(response, "not_html")
            return
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href.strip()).split("#", 1)[0]
            if not outlet.owns(url):
                continue
            if outlet.is_article_url(url):
                request = self._article(url, outlet)
                if request is not None:
                    yield request
            elif outlet.is_listing_url(url):
                yield self._request(url, outlet, "listing", self.parse_listing)

    def parse(self, response):
        """An article page. It is Scrapy's default callback, so article requests carry none:
        with a JOBDIR, Scrapy stores each request's callback by name, found by inspect.getmembers
        over the spider (20-70 us a request); a request without one is stored without that."""
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        # isinstance, not hasattr(response, "text"): that property decodes the whole body, which
        # article_skip_reason decodes again with the extractor's decoder
        reason = "not_html" if not isinstance(response, TextResponse) else article_skip_reason(response.body, ctype, self.topic)
        if reason:
            self._skip(response, reason)

    # --- failures --------------------------------------------------------------------

    def on_error(self, failure):
        try:
            self._log_failure(failure)
        finally:
            if self.frontier is not None:
                self.frontier.release(failure.request)  # its work is done (no outputs)

    def _log_failure(self, failure):
        request = failure.request
        if failure.check(HttpError, AlreadyFailed, ArchivedElsewhere):
            return  # archived with its status as the skip reason / logged by an earlier session of this run
        if self.archive.failure is not None or failure.check(FrontierStopped):
            return  # the archive or the frontier failed: the crawl is stopping; a resumed run fetches this again
        reason = failure_reason(failure)
        previous = self.archive.failed_before(request.url)
        if previous is not None and previous.skip_reason == reason:
            return  # an earlier session of this run logged the same failure
        from pipelines.kernel.io import utc_now
        from pipelines.kernel.records import FetchRecord

        outlet = self.outlet_for(request.url)
        self.archive.add(FetchRecord(
            url=request.url, final_url=request.url, status=0, fetched_at=utc_now(), sha256="",
            outlet_id=outlet.id if outlet else "", camp=outlet.camp if outlet else "",
            kind=request.meta.get("fc_kind", "other"), content_type="", warc_file="", warc_offset=-1,
            skip_reason=reason, run_id=self.archive.run_id,
        ))

    def _outlet(self, response) -> Outlet:
        return next(o for o in self.outlets if o.id == response.meta["fc_outlet"])

    def _skip(self, response, reason: str) -> None:
        warc = response.meta.get("fc_warc")
        if warc and self.archive.failure is None:  # else the resumed run, rereading the page, records it
            self.archive.mark_skip(warc[0], warc[1], reason)


def failure_reason(failure) -> str:
    """The skip reason of a failed download (see FAILURE_REASONS)."""
    for reason, kinds in FAILURE_REASONS:
        if failure.check(*kinds):
            return reason
    return f"download_error:{type(failure.value).__name__}"


def sitemap_body(response, max_size: int) -> bytes | None:
    """The sitemap XML of a response, or None when it is not one: found as Scrapy's
    SitemapSpider finds it (a gzip file is unpacked with Scrapy's gunzip, within max_size;
    an XML response, or a .xml/.xml.gz URL that HttpCompression already unpacked, is XML),
    except that gzip comes first: a .xml.gz served as application/xml is still gzip."""
    if gzip_magic_number(response):
        return gunzip(response.body, max_size=max_size)
    if isinstance(response, XmlResponse) or response.url.endswith((".xml", ".xml.gz")):
        return response.body
    return None


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def article_skip_reason(body: bytes, content_type: str | None, topic) -> str | None:
    """Why an archived article page goes no further (not HTML, off topic), or None.

    Decodes with the extractor's decoder, so crawl, replay and extraction see the same text."""
    ctype = (content_type or "").lower()
    if ctype and "html" not in ctype:
        return "not_html"
    html = _XML_DECLARATION.sub("", decode_html(body, ctype or None), count=1)  # lxml refuses str + declaration
    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):
        return "unparseable_html"
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    title = " ".join(tree.xpath("//title//text()"))
    return None if topic.is_relevant(tree.text_content(), title) else "off_topic"


def _iso_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _feed_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value.strip()).date()
    except (TypeError, ValueError):
        return _iso_date(value)
