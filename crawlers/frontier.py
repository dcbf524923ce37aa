"""A crawl frontier shared by N crawler processes (on N machines) through one Redis.

scrapy-redis supplies the queue and the seen-set: its Scheduler (SCHEDULER_PERSIST) and its
RFPDupeFilter, driven by FrameCheck's own async-`start()` spider (scrapy-redis's RedisSpider
does not start on Scrapy >= 2.16). Each process keeps its own WARC files and manifest, named by
its worker id (`crawl-<worker>-<time>`), so they never collide in a shared data directory or when
copied together. On top of scrapy-redis, this module adds what a cluster with dying members needs:

- Leases. A request popped from the queue is moved, in the same Lua script, into the worker's
  in-flight hash; it leaves it only when its callback (or errback) has run and every request it
  produced is in the queue (or when a redirect or retry of it is queued). Each worker refreshes a
  heartbeat key; a worker whose heartbeat expired is dead, and any survivor moves its in-flight
  requests back into the queue (one Lua script, so two survivors never re-queue twice).
- Archived marks. Right after a response is written to the WARC (and journaled), its URL is
  marked archived in Redis. A re-queued request whose page another worker archived is not
  archived again: an article is dropped (it has no links to follow), a discovery page (listing,
  sitemap, feed) is fetched again for its links but not archived. The worker that archived it
  serves it from its own archive. What remains: a kill between the WARC write and the Redis mark
  (one round trip on the same event-loop turn) archives that page twice; the manifest reader
  keeps the latest fetch of a URL, so the merged manifests still hold it once.
- Cluster politeness. One request per domain at a time across the whole cluster, with the delay:
  a per-domain lock (taken with the next-allowed time in one Lua script on Redis's own clock,
  held from the request until its response) and a next-allowed time set on release, to the delay
  Scrapy's slot has for that domain in this process (DOWNLOAD_DELAY, or more under AutoThrottle).
  A lock held by a dead worker is taken over as soon as its heartbeat has expired.
- Redis unreachable: the crawl stops with one line; the run stays open and resumes when rerun.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from pipelines.kernel.io import FrameCheckError

logger = logging.getLogger(__name__)

FRONTIER_ENV = "FRAMECHECK_FRONTIER"
WORKER_ENV = "FRAMECHECK_WORKER"
DEFAULT_LEASE_TTL = 30.0  # seconds without a heartbeat before a worker counts as dead
FRONTIER_CLOSE_REASON = "frontier_unavailable"
_WORKER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SCHEMES = ("redis", "rediss", "unix")


class FrontierUnavailable(FrameCheckError):
    """Redis could not be reached or answered with an error; nothing local is lost."""

    def __init__(self, url: str, exc: Exception):
        what = str(exc).strip().rstrip(".") or type(exc).__name__
        super().__init__(f"--frontier {safe_url(url)}: Redis unavailable ({what}); what was archived is kept: "
                         f"start Redis (or fix the address), then run the same crawl again to resume")


class FrontierStopped(IgnoreRequest):
    """Redis failed during the crawl: the crawl is stopping; the request stays leased in Redis."""


class ArchivedElsewhere(IgnoreRequest):
    """Another worker of the cluster already archived this page."""


@dataclass(frozen=True)
class FrontierConfig:
    url: str
    worker: str
    lease_ttl: float = DEFAULT_LEASE_TTL

    @property
    def prefix(self) -> str:
        return "framecheck:outlets"


def safe_url(url: str) -> str:
    """The URL without a password (it may carry one: redis://:secret@host)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return parts._replace(netloc=user + netloc).geturl()


def frontier_config(url: str | None, worker: str | None = None, lease_ttl: float | None = None) -> FrontierConfig | None:
    """The validated frontier setting (`--frontier`, else FRAMECHECK_FRONTIER), or None; one-line errors."""
    url = url or os.environ.get(FRONTIER_ENV) or None
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise FrameCheckError(f"--frontier: {safe_url(url)!r} is not a Redis URL (redis://host:port/db, rediss://…, unix://…)")
    if parts.scheme != "unix":
        try:
            parts.port  # noqa: B018 — urllib checks the port when it is read
        except ValueError:
            raise FrameCheckError(f"--frontier: {safe_url(url)!r} has an invalid port") from None
        if not parts.hostname:
            raise FrameCheckError(f"--frontier: {safe_url(url)!r} names no host")
        db = parts.path.strip("/")
        if db and not db.isdigit():
            raise FrameCheckError(f"--frontier: {safe_url(url)!r}: the database must be a number, not {db!r}")
    worker = worker or os.environ.get(WORKER_ENV) or socket.gethostname().split(".")[0]
    if not _WORKER_ID.match(worker):
        raise FrameCheckError(f"--worker: {worker!r} is not a worker id (letters, digits, '.', '_', '-'; at most 64)")
    ttl = DEFAULT_LEASE_TTL if lease_ttl is None else float(lease_ttl)
    if ttl <= 0:
        raise FrameCheckError(f"--lease-ttl: {ttl:g} must be more than 0 seconds")
    return FrontierConfig(url=url, worker=worker, lease_ttl=ttl)


def scrapy_settings(config: FrontierConfig) -> dict:
    """The Scrapy settings that put a crawl on the shared frontier."""
    return {
        "SCHEDULER": "crawlers.frontier.FrontierScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "crawlers.frontier.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": f"{config.prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{config.prefix}:seen",
        "REDIS_URL": config.url,
        "REDIS_PARAMS": {"socket_timeout": 10, "socket_connect_timeout": 5, "retry_on_timeout": False},
        "FRAMECHECK_FRONTIER": config.url,
        "FRAMECHECK_WORKER": config.worker,
        "FRAMECHECK_LEASE_TTL": config.lease_ttl,
    }


FRONTIER_DOWNLOADER_MIDDLEWARES = {
    "crawlers.frontier.ArchivedElsewhereMiddleware": 940,  # after robots.txt, before the archive (950)
    "crawlers.frontier.ClusterPolitenessMiddleware": 960,  # closest to the network: held while it is used
}
# The outermost spider middleware: what it lets through goes straight to the scheduler.
FRONTIER_SPIDER_MIDDLEWARES = {"crawlers.frontier.LeaseReleaseMiddleware": 10}


# --- Lua: each runs atomically inside Redis -------------------------------------------------

# The queue is one sorted set per domain (score: -priority, as scrapy-redis's PriorityQueue), a
# list of the domains in round-robin order, a set of them, and a count of all queued requests.
# A lease value is "score domain data", so a dead worker's leases go back where they came from.

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: domain list, domain set, count; ARGV: queue prefix, domain, score, data.
_PUSH = """
if redis.call('ZADD', ARGV[1] .. ARGV[2], ARGV[3], ARGV[4]) == 1 then redis.call('INCR', KEYS[3]) end
if redis.call('SADD', KEYS[2], ARGV[2]) == 1 then redis.call('RPUSH', KEYS[1], ARGV[2]) end
return 1
"""

# KEYS: domain list, domain set, count, in-flight hash of this worker, lease counter.
# ARGV: queue prefix, slot prefix, next prefix, heartbeat prefix, worker, lock ms, may wait (1/0).
# Pop the best request of the first domain, in round-robin order, that is free now (no live
# holder, its delay passed), taking its slot; else, if this worker holds nothing (so no answer
# will wake its engine), the request of the domain free soonest, which then waits for its turn.
_POP_LEASE = _NOW + """
local function take(d, lock)
  local q = ARGV[1] .. d
  local item = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')
  redis.call('ZREM', q, item[1])
  redis.call('DECR', KEYS[3])
  redis.call('LREM', KEYS[1], 1, d)
  redis.call('RPUSH', KEYS[1], d)
  local id = redis.call('INCR', KEYS[5])
  redis.call('HSET', KEYS[4], id, item[2] .. ' ' .. d .. ' ' .. item[1])
  local holder = ''
  if lock then
    holder = ARGV[5] .. '|lease' .. id .. '|r'
    redis.call('SET', ARGV[2] .. d, holder, 'PX', tonumber(ARGV[6]))
  end
  return {tostring(id), item[1], holder}
end
local soonest, soonest_wait = nil, nil
for _, d in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if redis.call('ZCARD', ARGV[1] .. d) == 0 then
    redis.call('LREM', KEYS[1], 0, d)
    redis.call('SREM', KEYS[2], d)
  else
    local wait = 0
    local holder = redis.call('GET', ARGV[2] .. d)
    if holder then
      local w = string.match(holder, '^(.-)|')
      if w and redis.call('EXISTS', ARGV[4] .. w) == 1 then wait = -1 end
    end
    if wait == 0 then
      local nxt = tonumber(redis.call('GET', ARGV[3] .. d) or '0')
      if now < nxt then wait = nxt - now end
    end
    if wait == 0 then return take(d, true) end
    if wait > 0 and (soonest_wait == nil or wait < soonest_wait) then soonest, soonest_wait = d, wait end
  end
end
if ARGV[7] == '1' and soonest then return take(soonest, false) end
return false
"""

# KEYS: domain list, domain set, count, in-flight hash of the (dead) worker, workers set.
# ARGV: queue prefix, the worker. Its leases back into the queue.
_REQUEUE = """
local entries = redis.call('HGETALL', KEYS[4])
local n = 0
for i = 1, #entries, 2 do
  local v = entries[i + 1]
  local a = string.find(v, ' ', 1, true)
  local b = string.find(v, ' ', a + 1, true)
  local d = string.sub(v, a + 1, b - 1)
  if redis.call('ZADD', ARGV[1] .. d, tonumber(string.sub(v, 1, a - 1)), string.sub(v, b + 1)) == 1 then
    redis.call('INCR', KEYS[3])
  end
  if redis.call('SADD', KEYS[2], d) == 1 then redis.call('RPUSH', KEYS[1], d) end
  n = n + 1
end
redis.call('DEL', KEYS[4])
redis.call('SREM', KEYS[5], ARGV[2])
return n
"""

# KEYS: lock, next-allowed time; ARGV: holder ("worker|token|u"), lock ttl ms, heartbeat key prefix,
# this request's reservation (taken by its pop, "worker|token|r") or "". A holder is "r" (reserved
# at pop, not yet in use: a request of the same worker, such as its robots.txt, may go first) or
# "u" (in use). Returns 0 (taken) or the milliseconds to wait before asking again.
_SLOT_ACQUIRE = _NOW + """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[4] then
  local w, kind = string.match(holder, '^(.-)|.*|(%a)$')
  if w and redis.call('EXISTS', ARGV[3] .. w) == 1 then
    if not (kind == 'r' and w == string.match(ARGV[1], '^(.-)|')) then return 20 end
  end
end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < nxt then return nxt - now end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 0
"""

# KEYS: lock, next-allowed time; ARGV: holder, delay ms. Free the slot; the next request waits the delay.
_SLOT_RELEASE = _NOW + """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
local nxt = now + tonumber(ARGV[2])
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
if nxt > cur then redis.call('SET', KEYS[2], nxt, 'PX', tonumber(ARGV[2]) + 60000) end
return nxt
"""


class Frontier:
    """This worker's view of the shared frontier: leases, heartbeat, archived marks, domain slots.

    Every Redis error ends here as `failure` (a FrontierUnavailable) and closes the crawl."""

    def __init__(self, server: redis.Redis, config: FrontierConfig):
        self.server, self.config, self.worker = server, config, config.worker
        p = config.prefix
        self.queue_key = f"{p}:requests"
        self.domain_queue_prefix = f"{p}:requests:q:"
        self.domains_key = f"{p}:requests:domains"  # round-robin order
        self.domain_set_key = f"{p}:requests:domain-set"
        self.count_key = f"{p}:requests:count"
        self.workers_key = f"{p}:workers"
        self.counter_key = f"{p}:lease-seq"
        self.archived_key = f"{p}:archived"
        self.alive_prefix = f"{p}:alive:"
        self.failure: FrontierUnavailable | None = None
        self.on_failure = None  # set by the scheduler: closes the spider
        self._push = server.register_script(_PUSH)
        self._pop = server.register_script(_POP_LEASE)
        self._requeue = server.register_script(_REQUEUE)
        self._acquire = server.register_script(_SLOT_ACQUIRE)
        self._release = server.register_script(_SLOT_RELEASE)
        self.requeued = 0
        self.beat_error: Exception | None = None  # set by the heartbeat thread
        self._stop_beat: threading.Event | None = None
        self.holding = 0  # leases this process holds now
        self._children: dict[str, int] = {}  # lease -> its callback's requests not yet in the queue
        self._finished: dict[str, object] = {}  # lease -> its request, callback done, children pending
        self.lock_ms = 40_000  # a domain slot taken at pop lasts until the answer (see the middleware)

    def inflight_key(self, worker: str | None = None) -> str:
        return f"{self.config.prefix}:inflight:{worker or self.worker}"

    def fail(self, exc: Exception) -> FrontierUnavailable:
        self.stop_beating()
        if self.failure is None:
            self.failure = FrontierUnavailable(self.config.url, exc)
            logger.error("frontier: %s", self.failure)
            if self.on_failure is not None:
                self.on_failure()
        return self.failure

    # --- membership ----------------------------------------------------------------------

    def join(self) -> int:
        """Register and beat once; re-queue what an earlier session of this worker left leased
        (it was killed); refuse a worker id that is alive elsewhere."""
        alive = self.alive_prefix + self.worker
        if not self.server.set(alive, os.getpid(), nx=True, px=self._ttl_ms()):
            raise FrameCheckError(f"--worker {self.worker}: a crawler with this worker id is running on the frontier "
                                  f"(its heartbeat is fresh); give each process its own --worker, or, if it was killed, "
                                  f"wait {self.config.lease_ttl:g} s (--lease-ttl) for its heartbeat to expire")
        left = int(self._requeue_worker(self.worker) or 0)
        self.server.sadd(self.workers_key, self.worker)  # after the re-queue, which forgets the worker
        self._start_beating()
        return left

    def _start_beating(self) -> None:
        """The heartbeat runs in a thread of its own: a busy or slow event loop (start-up, a big
        page) never looks like a dead worker; a killed process stops beating at once."""
        self._stop_beat = threading.Event()
        client = redis.Redis.from_url(self.config.url, socket_timeout=5, socket_connect_timeout=5)
        key, pid, ttl = self.alive_prefix + self.worker, os.getpid(), self._ttl_ms()

        def beat_forever() -> None:
            while not self._stop_beat.wait(ttl / 4000):
                try:
                    client.set(key, pid, px=ttl)
                except redis.RedisError as exc:
                    self.beat_error = exc
                    return

        threading.Thread(target=beat_forever, name="frontier-heartbeat", daemon=True).start()

    def _requeue_worker(self, worker: str) -> int:
        keys = [self.domains_key, self.domain_set_key, self.count_key, self.inflight_key(worker), self.workers_key]
        return int(self._requeue(keys=keys, args=[self.domain_queue_prefix, worker]) or 0)

    def _ttl_ms(self) -> int:
        return max(int(self.config.lease_ttl * 1000), 100)

    def beat(self) -> None:
        """Refresh this worker's heartbeat; re-queue the leases of workers whose heartbeat expired."""
        if self.beat_error is not None:
            raise self.beat_error
        self.server.set(self.alive_prefix + self.worker, os.getpid(), px=self._ttl_ms())
        self.server.sadd(self.workers_key, self.worker)
        for worker in self.server.smembers(self.workers_key):
            worker = worker.decode() if isinstance(worker, bytes) else worker
            if worker != self.worker and not self.server.exists(self.alive_prefix + worker):
                n = int(self._requeue_worker(worker) or 0)
                if n:
                    self.requeued += n
                    logger.warning("frontier: worker %s is gone; re-queued its %d in-flight request(s)", worker, n)

    def stop_beating(self) -> None:
        if self._stop_beat is not None:
            self._stop_beat.set()

    def leave(self) -> None:
        self.stop_beating()
        self.server.delete(self.alive_prefix + self.worker)

    def others_busy(self) -> bool:
        """Another worker holds leases (its callbacks may still add requests), or the queue is not empty."""
        if self.queued():
            return True
        for worker in self.server.smembers(self.workers_key):
            worker = worker.decode() if isinstance(worker, bytes) else worker
            if worker != self.worker and self.server.hlen(self.inflight_key(worker)):
                return True
        return False

    # --- leases --------------------------------------------------------------------------

    def queued(self) -> int:
        return int(self.server.get(self.count_key) or 0)

    def push(self, domain: str, score: float, data: bytes) -> None:
        self._push(keys=[self.domains_key, self.domain_set_key, self.count_key],
                   args=[self.domain_queue_prefix, domain, score, data])

    def pop(self) -> tuple[str, bytes, str] | None:
        """(lease id, encoded request, the domain slot's holder if the pop took it, else "")."""
        keys = [self.domains_key, self.domain_set_key, self.count_key, self.inflight_key(), self.counter_key]
        args = [self.domain_queue_prefix, *self._slot_keys(""), self.alive_prefix, self.worker, self.lock_ms,
                "1" if self.holding == 0 else "0"]
        got = self._pop(keys=keys, args=args)
        if not got:
            return None
        self.holding += 1
        return tuple(v.decode() if isinstance(v, bytes) and i != 1 else v for i, v in enumerate(got))

    def clear_queue(self) -> None:
        domains = [d.decode() for d in self.server.smembers(self.domain_set_key)]
        self.server.delete(self.domains_key, self.domain_set_key, self.count_key,
                           *(self.domain_queue_prefix + d for d in domains))

    def release(self, request) -> None:
        """The request's work is done (its outputs are queued): drop its lease. Idempotent."""
        lease = request.meta.pop("fc_lease", None)
        if lease is None or self.failure is not None:
            return
        self.holding = max(self.holding - 1, 0)
        try:
            self.server.hdel(self.inflight_key(), lease)
        except redis.RedisError as exc:
            self.fail(exc)

    def child_made(self, parent_lease: str, child) -> None:
        """A request the callback of a leased one made; its parent's lease waits for it."""
        self._children[parent_lease] = self._children.get(parent_lease, 0) + 1
        child.meta["fc_parent"] = parent_lease

    def child_queued(self, child) -> None:
        """The scheduler queued (or dropped as seen) a child: release a finished parent with none left."""
        parent = child.meta.pop("fc_parent", None)
        if parent is None or parent not in self._children:
            return
        self._children[parent] -= 1
        if self._children[parent] <= 0:
            del self._children[parent]
            if parent in self._finished:
                self.release(self._finished.pop(parent))

    def callback_done(self, request) -> None:
        """The callback ended; its lease goes once every request it made is in the queue."""
        lease = request.meta.get("fc_lease")
        if lease is None:
            return
        if self._children.get(lease, 0) > 0:
            self._finished[lease] = request
        else:
            self.release(request)

    def leaked(self) -> int:
        """Leases left although nothing is in progress here (a callback that raised): dropped."""
        n = self.server.hlen(self.inflight_key())
        if n:
            self.server.delete(self.inflight_key())
        self.holding = 0
        self._children.clear()
        self._finished.clear()
        return n

    # --- archived marks ------------------------------------------------------------------

    def archived_by(self, url: str) -> str | None:
        who = self.server.hget(self.archived_key, url)
        return who.decode() if isinstance(who, bytes) else who

    def claim(self, url: str) -> str:
        """Claim a page no lease covers (robots.txt): the worker that archives it."""
        self.server.hsetnx(self.archived_key, url, self.worker)
        return self.archived_by(url) or self.worker

    def mark_archived(self, url: str) -> None:
        self.server.hset(self.archived_key, url, self.worker)

    # --- domain slots --------------------------------------------------------------------

    def acquire(self, domain: str, holder: str, lock_ms: int, reservation: str = "") -> int:
        return int(self._acquire(keys=self._slot_keys(domain), args=[holder, lock_ms, self.alive_prefix, reservation]))

    def release_slot(self, domain: str, holder: str, delay_ms: int) -> None:
        self._release(keys=self._slot_keys(domain), args=[holder, delay_ms])

    def _slot_keys(self, domain: str) -> list[str]:
        return [f"{self.config.prefix}:slot:{domain}", f"{self.config.prefix}:next:{domain}"]

    # --- administration ------------------------------------------------------------------

    def status(self) -> dict:
        workers = sorted(w.decode() if isinstance(w, bytes) else w for w in self.server.smembers(self.workers_key))
        return {
            "queued": self.queued(),
            "seen": self.server.scard(f"{self.config.prefix}:seen"),
            "archived": self.server.hlen(self.archived_key),
            "workers": {w: {"alive": bool(self.server.exists(self.alive_prefix + w)),
                            "in_flight": self.server.hlen(self.inflight_key(w))} for w in workers},
        }

    def clear(self) -> int:
        keys = list(self.server.scan_iter(match=f"{self.config.prefix}:*", count=1000))
        return self.server.delete(*keys) if keys else 0


def connect(config: FrontierConfig) -> Frontier:
    """A connected frontier (PING answered), or FrontierUnavailable."""
    try:
        server = redis.Redis.from_url(config.url, socket_timeout=10, socket_connect_timeout=5)
        server.ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        raise FrontierUnavailable(config.url, exc) from None
    return Frontier(server, config)


def _frontier_of(spider) -> Frontier | None:
    return getattr(spider, "frontier", None)


# --- scrapy-redis extension points -------------------------------------------------------------


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue, one per domain, taken in turns; a pop is a lease (Frontier.pop)."""

    def __len__(self):
        return _frontier_of(self.spider).queued()

    def push(self, request):
        domain = self.spider.crawler.engine.downloader.get_slot_key(request)
        _frontier_of(self.spider).push(domain, -request.priority, self._encode_request(request))

    def pop(self, timeout=0):
        got = _frontier_of(self.spider).pop()
        if got is None:
            return None
        lease, data, holder = got
        request = self._decode_request(data)
        request.meta["fc_lease"] = lease
        request.meta.pop("fc_slot_holder", None)
        if holder:
            request.meta["fc_slot_holder"] = holder  # the pop took the domain's slot for this request
        return request

    def clear(self):
        _frontier_of(self.spider).clear_queue()


class FrontierScheduler(Scheduler):
    """scrapy-redis's Scheduler with leases, a heartbeat, and a stop (not a traceback) when Redis fails."""

    @classmethod
    def from_crawler(cls, crawler):
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        return instance

    def open(self, spider):
        super().open(spider)
        frontier = _frontier_of(spider)
        self.frontier = frontier
        frontier.on_failure = self._stop
        ttl = frontier.config.lease_ttl
        self._beat = task.LoopingCall(self._heartbeat)
        self._beat.start(max(ttl / 4, 0.05), now=False)
        self.crawler.signals.connect(self._idle, signal=signals.spider_idle)

    def _stop(self) -> None:
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=FRONTIER_CLOSE_REASON))

    def _heartbeat(self) -> None:
        if self.frontier.failure is not None:
            return
        try:
            self.frontier.beat()
        except redis.RedisError as exc:
            self.frontier.fail(exc)

    def _idle(self, spider=None) -> None:
        """Stay open while another worker may still add requests (or its leases come back)."""
        if self.frontier.failure is not None:
            return
        try:
            leaked = self.frontier.leaked()
            if leaked:
                logger.warning("frontier: dropped %d lease(s) of requests whose callback failed", leaked)
            self.frontier.beat()
            busy = self.frontier.others_busy()
        except redis.RedisError as exc:
            self.frontier.fail(exc)
            return
        if busy:
            raise DontCloseSpider

    def close(self, reason):
        if getattr(self, "_beat", None) is not None and self._beat.running:
            self._beat.stop()
        if self.frontier.failure is None:
            try:
                if reason != "finished":  # stopped early: what this worker holds goes back to the queue
                    self.frontier.server.sadd(self.frontier.workers_key, self.frontier.worker)
                    self.frontier._requeue_worker(self.frontier.worker)
                self.frontier.leave()
            except redis.RedisError as exc:
                self.frontier.fail(exc)
        return super().close(reason)

    def enqueue_request(self, request):
        if self.frontier.failure is not None:
            return False  # its parent's lease stays in Redis: the request comes back when the crawl resumes
        try:
            parent_waits = "fc_parent" in request.meta
            if parent_waits:  # not serialized into the queue: it names a lease of this process only
                parent = request.meta.pop("fc_parent")
            queued = super().enqueue_request(request)
            if parent_waits:
                request.meta["fc_parent"] = parent
                self.frontier.child_queued(request)
            # a redirect or a retry of a leased request: the new request carries the work on
            self.frontier.release(request)
        except redis.RedisError as exc:
            self.frontier.fail(exc)
            return False
        return queued

    def next_request(self):
        if self.frontier.failure is not None:
            return None
        try:
            return super().next_request()
        except redis.RedisError as exc:
            self.frontier.fail(exc)
            return None

    def has_pending_requests(self):
        if self.frontier.failure is not None:
            return False
        try:
            return super().has_pending_requests()
        except redis.RedisError as exc:
            self.frontier.fail(exc)
            return False


# --- middlewares -----------------------------------------------------------------------------


class LeaseReleaseMiddleware:
    """Spider middleware, the outermost: a response's lease ends once every request its callback
    made is in the queue (Scrapy hands a callback's outputs on in parallel, after the callback
    has ended), so a kill at any moment leaves either the lease or the new requests in Redis."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _leased(self, response):
        frontier = _frontier_of(self.crawler.spider)
        request = getattr(response, "request", None)
        if frontier is None or request is None or "fc_lease" not in request.meta:
            return None, None
        return frontier, request

    def _seen(self, frontier, request, item):
        if isinstance(item, Request):
            frontier.child_made(request.meta["fc_lease"], item)
        return item

    def process_spider_output(self, response, result, spider=None):
        frontier, request = self._leased(response)
        if frontier is None:
            yield from result
            return
        for item in result:
            yield self._seen(frontier, request, item)
        frontier.callback_done(request)

    async def process_spider_output_async(self, response, result, spider=None):
        frontier, request = self._leased(response)
        if frontier is None:
            async for item in result:
                yield item
            return
        async for item in result:
            yield self._seen(frontier, request, item)
        frontier.callback_done(request)

    def process_spider_exception(self, response, exception, spider=None):
        frontier, request = self._leased(response)
        if frontier is not None:
            frontier.callback_done(request)
        return None


class ArchivedElsewhereMiddleware:
    """A re-queued request whose page another worker archived: an article is dropped, a discovery
    page is fetched for its links but not archived again. Marks each page archived after its write."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.retry_codes = {int(c) for c in crawler.settings.getlist("RETRY_HTTP_CODES")}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        frontier = _frontier_of(self.crawler.spider)
        if frontier is None:
            return None
        if frontier.failure is not None:
            raise FrontierStopped(str(frontier.failure))
        # set afresh for this hop (a redirect or a re-queued request carries its parent's meta)
        request.meta.pop("fc_no_archive", None)
        request.meta.pop("fc_warc", None)
        try:
            if "fc_lease" in request.meta:
                who = frontier.archived_by(request.url)
            else:  # robots.txt: each worker needs it, the archive needs it once
                who = frontier.claim(request.url)
        except redis.RedisError as exc:
            raise FrontierStopped(str(frontier.fail(exc))) from None
        if who is None or who == frontier.worker:
            return None  # new, or this worker's own: its archive serves it
        if request.meta.get("fc_kind") == "article":
            raise ArchivedElsewhere(f"archived by worker {who}")
        request.meta["fc_no_archive"] = True
        return None

    def process_response(self, request, response, spider=None):
        frontier = _frontier_of(self.crawler.spider)
        # fc_warc: this worker wrote the page now, or served it from its archive (an earlier session)
        if (frontier is None or frontier.failure is not None or "fc_warc" not in request.meta
                or response.status in self.retry_codes):
            return response
        try:
            frontier.mark_archived(response.url)
        except redis.RedisError as exc:
            frontier.fail(exc)
        return response


class ClusterPolitenessMiddleware:
    """At most one request per domain at a time across the cluster, `delay` apart (see Frontier)."""

    POLL_S = 0.25  # the longest single wait before asking Redis again

    def __init__(self, crawler):
        self.crawler = crawler
        self.base_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        self.lock_ms = int((crawler.settings.getfloat("DOWNLOAD_TIMEOUT") + 10) * 1000)
        frontier = _frontier_of(crawler.spider) if crawler.spider else None
        if frontier is not None:
            frontier.lock_ms = self.lock_ms

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _domain(self, request) -> str:
        return self.crawler.engine.downloader.get_slot_key(request)

    async def process_request(self, request, spider=None):
        frontier = _frontier_of(self.crawler.spider)
        if frontier is None:
            return None
        domain = self._domain(request)
        reservation = request.meta.pop("fc_slot_holder", None) or ""
        holder = f"{frontier.worker}|{uuid.uuid4().hex}|u"
        while True:
            if frontier.failure is not None:
                raise FrontierStopped(str(frontier.failure))
            try:
                wait_ms = frontier.acquire(domain, holder, self.lock_ms, reservation)
            except redis.RedisError as exc:
                raise FrontierStopped(str(frontier.fail(exc))) from None
            if wait_ms <= 0:
                break
            await asyncio.sleep(min(wait_ms / 1000, self.POLL_S))
        request.meta["fc_slot"] = (domain, holder, time.monotonic())
        return None

    def _free(self, request) -> None:
        """Free the domain's slot: after a download the next request waits the delay; a request
        that never reached the network (served from the archive, dropped) leaves it free at once."""
        frontier = _frontier_of(self.crawler.spider)
        taken = request.meta.pop("fc_slot", None)
        unused = request.meta.pop("fc_slot_holder", None)  # taken by the pop, never used
        if frontier is None or frontier.failure is not None or (taken is None and unused is None):
            return
        domain, holder = (taken[0], taken[1]) if taken else (self._domain(request), unused)
        delay = 0.0
        if taken is not None:
            slot = self.crawler.engine.downloader.slots.get(domain)
            delay = max(self.base_delay, slot.delay if slot is not None else 0.0)  # AutoThrottle may raise it
        try:
            frontier.release_slot(domain, holder, int(delay * 1000))
        except redis.RedisError as exc:
            frontier.fail(exc)

    def process_response(self, request, response, spider=None):
        self._free(request)
        return response

    def process_exception(self, request, exception, spider=None):
        self._free(request)
        return None
