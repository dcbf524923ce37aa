"""FrameCheck crawlers: the outlet registry, Scrapy spiders, the WARC archive, and the demo web."""
