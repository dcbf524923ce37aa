"""Scrapy settings: polite by default (the project template's defaults, and more).

The demo web and local benchmarks override a few of these (see crawlers/crawl.py)."""

BOT_NAME = "framecheck"
SPIDER_MODULES = ["crawlers.spiders"]

# An honest User-Agent that says who we are and where to complain.
CONTACT_URL = "https://github.com/framecheck/framecheck#crawling-policy"
USER_AGENT = f"FrameCheck/0.1 (research crawler; +{CONTACT_URL})"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
# The spider yields requests only, never items (pages are archived by a downloader middleware),
# so there is nothing for the item pipeline to do in parallel; but Scrapy (>= 2.13) starts
# CONCURRENT_ITEMS asyncio tasks for every callback's output, empty or not: at the default 100
# that is about an eighth of the crawl's CPU.
CONCURRENT_ITEMS = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2.0
RANDOMIZE_DOWNLOAD_DELAY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

RETRY_ENABLED = True
RETRY_TIMES = 2
# 404 too: news sites briefly 404 pages that are being published or moved
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429, 404]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# Every followed link adds one level, and so does every page of a paginated listing (page N of a
# section is depth N): deep enough for years of a section archive; the registry's explicit follow
# patterns keep crawler traps out, and --max-pages bounds the articles.
DEPTH_LIMIT = 100
REDIRECT_ENABLED = True

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy (>= 2.19) otherwise starts a local HTTP server that runs Python code sent to it, and
# writes its token to a file under the user's profile: no crawl of ours needs that. (Its class
# is still imported, aiohttp with it: Scrapy loads every listed component to normalise names.)
REMOTE_CONTROL_ENABLED = False
# Scrapy's messages, but no "Crawled (200)" message built per response when the level drops it
LOG_FORMATTER = "crawlers.middlewares.CrawlLogFormatter"
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

# HTTP cache for development only: `framecheck crawl --http-cache`.
HTTPCACHE_ENABLED = False
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"

DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.DemoProxyMiddleware": 50,
    # Scrapy's, in its place, raising RobotsDisallowed so that a refusal is logged as one
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.middlewares.RobotsTxtMiddleware": 100,
    # Closest to the network, so every raw response (redirects and retries too) is archived.
    "crawlers.middlewares.WarcArchiveMiddleware": 950,
}
