"""The shared crawl frontier under a kill: two crawler processes on one Redis frontier against a
local mirror of several sites (demo/mirror_site.py, served by demo.server in its own process),
one SIGKILLed midway, beside a plain single-process crawl (no frontier) of the same sites with
the same politeness, in the same run.

Measured: pages archived and duplicates (WARC response records per URL, counted with warcio
over both workers' files), the smallest gap between two requests to one domain as the server saw
them (across both workers; the delay is the floor), when the kill happened, how long the survivor
took after it, the wall time of both crawls (their ratio: the frontier's cost; politeness caps
pages/s at domains/delay either way), and one Redis round trip (HSET on loopback, the median of
2,000): the window in which a kill between a WARC write and its archived mark would archive a
page twice. Redis is Debian's redis-server on a free loopback port, without persistence.

Runs alone: `python bench/frontier.py [--hosts 10] [--pages 200] [--delay 0.1] [--strict]`; prints a
few lines and, last, one line of JSON. `--strict` exits 1 unless every page is archived exactly once
and no two requests to a domain came closer than the delay. Without redis-server it says so and
exits 0, or 1 under CI=true."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import yaml  # noqa: E402
from warcio.archiveiterator import ArchiveIterator  # noqa: E402

from bench.shared_data import in_ci  # noqa: E402
from demo.mirror_site import write_mirror  # noqa: E402

FRAMECHECK = [sys.executable, "-m", "pipelines.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--bind", "127.0.0.1",
                             "--port", str(port), "--dir", str(folder), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


SERVE = """
import json, sys, time
from pathlib import Path
from demo.server import SiteServer
with SiteServer(Path(sys.argv[1])) as server:
    print(server.proxy_url, flush=True)
    sys.stdin.read()  # until the parent closes it
    Path(sys.argv[2]).write_text(json.dumps(list(server.log)))
"""


def serve(site: Path, log_file: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(site), str(log_file)], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def stop_serving(proc: subprocess.Popen, log_file: Path) -> list:
    proc.stdin.close()
    proc.wait(timeout=60)
    return json.loads(log_file.read_text())


def crawl_cmd(data: Path, registry: Path, proxy: str, delay: float, frontier: str | None = None,
              worker: str | None = None) -> list[str]:
    settings = [f"DOWNLOAD_DELAY={delay}", "RANDOMIZE_DOWNLOAD_DELAY=false", "AUTOTHROTTLE_ENABLED=false",
                "CONCURRENT_REQUESTS_PER_DOMAIN=1", "DOWNLOAD_TIMEOUT=10"]
    cmd = FRAMECHECK + ["--data-dir", str(data), "crawl", "--source", "live", "--registry", str(registry),
                        "--proxy", proxy] + [a for s in settings for a in ("--setting", s)]
    if frontier:
        cmd += ["--frontier", frontier, "--worker", worker, "--lease-ttl", "2"]
    return cmd


def responses(folder: Path) -> Counter:
    counts = Counter()
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    counts[record.rec_headers.get_header("WARC-Target-URI")] += 1
    return counts


def min_gaps(log: list) -> dict[str, float]:
    times = defaultdict(list)
    for at, host, _path in log:
        times[host].append(at)
    return {h: min((b - a for a, b in zip(sorted(t), sorted(t)[1:])), default=float("inf")) for h, t in times.items()}


def journal_lines(data: Path, worker: str) -> int:
    return sum(len(p.read_bytes().splitlines()) for p in (data / "raw" / "manifest").glob(f"crawl-{worker}-*.journal.jsonl"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--pages", type=int, default=200, help="article pages per host")
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        print("frontier: redis-server is not installed (Debian: apt-get install redis-server); nothing measured")
        print(json.dumps({"bench": "frontier", "skipped": "redis-server not installed"}))
        sys.exit(1 if in_ci() else 0)
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory(prefix="fc-frontier-") as tmp:
        tmp = Path(tmp)
        outlets = []
        for k in range(args.hosts):
            reg = write_mirror(tmp / "site", args.pages, host=f"mirror{k}.example", outlet_id=f"mirror{k}", per_listing=50)
            outlets += yaml.safe_load(reg.read_text())["outlets"]
        registry = tmp / "site" / "registry.yaml"
        registry.write_text(yaml.safe_dump({"outlets": outlets}))
        total = args.hosts * args.pages

        # the plain single-process crawl, same politeness
        server, proxy = serve(tmp / "site", tmp / "plain-log.json")
        t0 = time.monotonic()
        subprocess.run(crawl_cmd(tmp / "plain", registry, proxy, args.delay), cwd=REPO, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        plain_s = time.monotonic() - t0
        plain_log = stop_serving(server, tmp / "plain-log.json")

        redis_proc, url = start_redis(tmp / "redis")
        try:
            import redis

            client = redis.Redis.from_url(url)
            rtts = []
            for i in range(2000):
                t = time.perf_counter()
                client.hset("bench:rtt", f"http://x.example/{i}", "w")
                rtts.append(time.perf_counter() - t)
            client.delete("bench:rtt")

            server, proxy = serve(tmp / "site", tmp / "frontier-log.json")
            data = tmp / "shared"
            t0 = time.monotonic()
            a = subprocess.Popen(crawl_cmd(data, registry, proxy, args.delay, url, "a"), cwd=REPO, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            b = subprocess.Popen(crawl_cmd(data, registry, proxy, args.delay, url, "b"), cwd=REPO, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while journal_lines(data, "b") < total * 0.15 and b.poll() is None:
                time.sleep(0.02)
            os.kill(b.pid, signal.SIGKILL)
            b.wait()
            killed_at = time.monotonic() - t0
            _out, err = a.communicate(timeout=600)
            frontier_s = time.monotonic() - t0
            log = stop_serving(server, tmp / "frontier-log.json")
        finally:
            redis_proc.kill()
            redis_proc.wait()
        if a.returncode != 0:
            raise SystemExit(f"the surviving worker failed: {err[-2000:]}")
        counts = responses(data / "raw" / "warc")
        by_b = sum(n for p in (data / "raw" / "warc").glob("crawl-b-*.warc.gz") for n in responses_one(p).values())
        articles = [u for u in counts if "/news/" in u]
        gaps = min_gaps([e for e in log if e[1].endswith(".example")])
        plain_gaps = min_gaps([e for e in plain_log if e[1].endswith(".example")])
        figures = {
            "bench": "frontier", "hosts": args.hosts, "article_pages": total, "delay_s": args.delay,
            "archived_articles": len(articles), "duplicate_records": sum(n - 1 for n in counts.values() if n > 1),
            "records_by_killed_worker": by_b, "records_by_survivor": sum(counts.values()) - by_b,
            "min_gap_per_domain_s": round(min(gaps.values()), 4), "plain_min_gap_per_domain_s": round(min(plain_gaps.values()), 4),
            "requests_seen_by_server": len(log), "plain_requests_seen_by_server": len(plain_log),
            "killed_at_s": round(killed_at, 2), "survivor_after_kill_s": round(frontier_s - killed_at, 2),
            "frontier_wall_s": round(frontier_s, 2), "plain_wall_s": round(plain_s, 2),
            "wall_ratio_frontier_vs_plain": round(frontier_s / plain_s, 3),
            "redis_hset_rtt_ms_median": round(statistics.median(rtts) * 1000, 3),
            "redis_hset_rtt_ms_p99": round(sorted(rtts)[int(len(rtts) * 0.99)] * 1000, 3),
            "requeued_by_survivor": sum(int(n) for n in re.findall(r"re-queued (\d+) request", err)),
        }
    print(f"frontier: {figures['archived_articles']}/{total} articles, {figures['duplicate_records']} duplicate records, "
          f"min gap per domain {figures['min_gap_per_domain_s']} s (delay {args.delay} s)")
    print(f"kill at {figures['killed_at_s']} s; survivor done {figures['survivor_after_kill_s']} s later; "
          f"two workers {figures['frontier_wall_s']} s vs one plain process {figures['plain_wall_s']} s")
    print(json.dumps(figures))
    if args.strict and (figures["archived_articles"] != total or figures["duplicate_records"]
                        or figures["min_gap_per_domain_s"] < args.delay - 0.002):
        sys.exit(1)


def responses_one(path: Path) -> Counter:
    counts = Counter()
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                counts[record.rec_headers.get_header("WARC-Target-URI")] += 1
    return counts


if __name__ == "__main__":
    main()
