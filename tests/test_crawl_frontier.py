"""The shared crawl frontier on a real Redis (Debian's redis-server on loopback), with real
crawler processes against a real local HTTP server (demo.server) serving a mirror of several
sites: two workers share one queue and one seen-set; one is SIGKILLed midway; the survivor
finishes the queue; every page is archived exactly once across both workers' WARCs (counted with
warcio), and per domain no two requests reached the server closer than the delay, across both.
Also: Redis down (at the start and midway) gives one `error:` line and loses nothing locally, and
the workers' manifests collect into one data directory without duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import FRAMECHECK, REPO, run_cli
from redis_fixtures import RedisServer, free_port, redis_server, redis_url, require_redis_server  # noqa: F401
from warcio.archiveiterator import ArchiveIterator

from demo.mirror_site import write_mirror
from demo.server import SiteServer

DELAY = 0.1  # seconds between two requests to one domain, across the cluster
HOSTS = 10
PAGES_PER_HOST = 200  # 2,000 article pages in all


def write_sites(root: Path, hosts: int, pages: int) -> Path:
    """`hosts` mirror sites under root, one registry listing all of them."""
    outlets = []
    for k in range(hosts):
        registry = write_mirror(root, pages, host=f"mirror{k}.example", outlet_id=f"mirror{k}", per_listing=50)
        outlets += yaml.safe_load(registry.read_text())["outlets"]
    registry = root / "registry.yaml"
    registry.write_text(yaml.safe_dump({"outlets": outlets}))
    return registry


def worker_cmd(data: Path, registry: Path, proxy: str, frontier: str, worker: str, lease_ttl: float = 2.0) -> list[str]:
    settings = [f"DOWNLOAD_DELAY={DELAY}", "RANDOMIZE_DOWNLOAD_DELAY=false", "AUTOTHROTTLE_ENABLED=false",
                "CONCURRENT_REQUESTS_PER_DOMAIN=1", "DOWNLOAD_TIMEOUT=10"]
    return FRAMECHECK + ["--data-dir", str(data), "crawl", "--source", "live", "--registry", str(registry),
                         "--proxy", proxy, "--frontier", frontier, "--worker", worker, "--lease-ttl", str(lease_ttl)] \
        + [a for s in settings for a in ("--setting", s)]


def start(cmd: list[str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})


def journal_lines(data: Path, worker: str) -> int:
    return sum(len(p.read_bytes().splitlines()) for p in (data / "raw" / "manifest").glob(f"crawl-{worker}-*.journal.jsonl"))


def response_counts(warc_dirs: list[Path], pattern: str = "*.warc.gz") -> Counter:
    counts = Counter()
    for folder in warc_dirs:
        for path in sorted(folder.glob(pattern)):
            with path.open("rb") as fh:
                for record in ArchiveIterator(fh):  # raises on any damaged record
                    if record.rec_type == "response":
                        counts[record.rec_headers.get_header("WARC-Target-URI")] += 1
    return counts


def min_gap_per_host(log) -> dict[str, float]:
    times = defaultdict(list)
    for at, host, _path in log:
        times[host].append(at)
    return {host: min((b - a for a, b in zip(sorted(ts), sorted(ts)[1:])), default=float("inf"))
            for host, ts in times.items()}


def test_two_workers_share_the_frontier_and_survive_a_sigkill(tmp_path, redis_url):  # noqa: F811
    site = tmp_path / "site"
    registry = write_sites(site, HOSTS, PAGES_PER_HOST)
    data = tmp_path / "data"  # one data directory for both workers: their files are named by worker
    with SiteServer(site) as server:
        a = start(worker_cmd(data, registry, server.proxy_url, redis_url, "a"))
        b = start(worker_cmd(data, registry, server.proxy_url, redis_url, "b"))
        deadline = time.monotonic() + 90
        try:
            while journal_lines(data, "b") < 300:  # midway: b has archived about 300 pages
                assert b.poll() is None, f"worker b ended before the kill: {b.stderr.read()[-2000:]}"
                assert time.monotonic() < deadline, "the crawl made no progress"
                time.sleep(0.02)
        finally:
            if b.poll() is None:
                os.kill(b.pid, signal.SIGKILL)
            b.wait()
        killed_at = time.monotonic()
        assert a.poll() is None, "worker a must still be crawling when b is killed"
        _out, err_a = a.communicate(timeout=150)
        assert a.returncode == 0, err_a[-3000:]
        log = list(server.log)
    assert "re-queued" in err_a, "the survivor re-queued the killed worker's leases"
    survivor_log = (data / "logs" / "crawl.a.log").read_text()
    assert "worker b is gone" in survivor_log and "whose callback failed" not in survivor_log

    counts = response_counts([data / "raw" / "warc"])
    articles = {u for u in counts if "/news/" in u}
    assert len(articles) == HOSTS * PAGES_PER_HOST
    assert max(counts.values()) == 1, sorted((u, n) for u, n in counts.items() if n > 1)[:10]
    for k in range(HOSTS):
        assert counts[f"http://mirror{k}.example/robots.txt"] == 1
        assert counts[f"http://mirror{k}.example/page/4.html"] == 1
    by_b = response_counts([data / "raw" / "warc"], "crawl-b-*.warc.gz")
    assert sum(by_b.values()) >= 300, "the killed worker's pages stay in its own WARC files"
    assert sum(response_counts([data / "raw" / "warc"], "crawl-a-*.warc.gz").values()) + sum(by_b.values()) == sum(counts.values())

    gaps = min_gap_per_host([(t, h, p) for t, h, p in log if h.endswith(".example")])
    assert len(gaps) == HOSTS
    assert min(gaps.values()) >= DELAY - 0.002, gaps  # Redis's clock is in milliseconds
    assert killed_at  # the survivor finished after the kill (a.communicate above)

    # the killed worker, rerun, finds the frontier done and finishes its own run: its manifest
    rerun = run_cli("crawl", "--source", "live", "--registry", registry, "--proxy", "http://127.0.0.1:9",
                    "--frontier", redis_url, "--worker", "b", data_dir=data)
    assert "resumed unfinished run" in rerun.stderr
    manifests = sorted((data / "raw" / "manifest").glob("*.parquet"))
    assert [m.name.split("-")[1] for m in manifests] == ["a", "b"]
    rows = [r for m in manifests for r in pq.read_table(m).to_pylist() if r["kind"] == "article"]
    assert len(rows) == HOSTS * PAGES_PER_HOST and {r["final_url"] for r in rows} == articles
    assert response_counts([data / "raw" / "warc"]) == counts, "the rerun fetched nothing again"


def test_redis_unreachable_at_start_is_one_line(tmp_path):
    registry = write_mirror(tmp_path / "site", 5)
    result = run_cli("crawl", "--source", "live", "--registry", registry, "--proxy", "http://127.0.0.1:9",
                     "--frontier", f"redis://127.0.0.1:{free_port()}/0", "--worker", "w1",
                     data_dir=tmp_path / "data", check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --frontier redis://127.0.0.1:"), result.stderr
    assert "Redis unavailable" in lines[0] and "Traceback" not in result.stderr


@pytest.mark.parametrize("url, field", [("http://127.0.0.1:6379/0", "not a Redis URL"),
                                        ("redis://127.0.0.1:99999/0", "invalid port"),
                                        ("redis://127.0.0.1:6379/zero", "must be a number")])
def test_a_bad_frontier_setting_is_one_line(tmp_path, url, field):
    result = run_cli("crawl", "--source", "live", "--frontier", url, data_dir=tmp_path / "data", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: --frontier:") and field in result.stderr, result.stderr


def test_a_bad_worker_id_is_one_line(tmp_path):
    result = run_cli("crawl", "--source", "live", "--frontier", "redis://127.0.0.1:6379/0", "--worker", "a/b",
                     data_dir=tmp_path / "data", check=False)
    assert result.returncode == 1 and result.stderr.strip().startswith("error: --worker:"), result.stderr


def test_redis_down_midway_stops_with_one_line_and_a_rerun_resumes(tmp_path):
    require_redis_server()
    site = tmp_path / "site"
    registry = write_sites(site, 2, 100)
    data = tmp_path / "data"
    redis_srv = RedisServer(tmp_path / "redis").start()
    try:
        with SiteServer(site) as server:
            cmd = worker_cmd(data, registry, server.proxy_url, redis_srv.url, "solo")
            proc = start(cmd)
            deadline = time.monotonic() + 60
            while journal_lines(data, "solo") < 40:
                assert proc.poll() is None, proc.stderr.read()[-2000:]
                assert time.monotonic() < deadline, "the crawl made no progress"
                time.sleep(0.02)
            redis_srv.stop()  # Redis dies: its frontier (kept in memory only) is lost with it
            _out, err = proc.communicate(timeout=60)
            assert proc.returncode == 1, err[-2000:]
            lines = err.strip().splitlines()
            assert lines[-1].startswith("error: --frontier") and "Redis unavailable" in lines[-1], err[-2000:]
            assert "Traceback" not in err
            archived = response_counts([data / "raw" / "warc"])
            assert sum(archived.values()) >= 40
            assert not list((data / "raw" / "manifest").glob("*.parquet")), "a stopped run must not look finished"

            redis_srv.start()  # an empty Redis: discovery restarts, archived pages come from the archive
            final = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120,
                                   env={**os.environ, "COLUMNS": "200"})
            assert final.returncode == 0, final.stderr[-3000:]
    finally:
        redis_srv.stop()
    assert "resumed unfinished run" in final.stderr
    counts = response_counts([data / "raw" / "warc"])
    assert len([u for u in counts if "/news/" in u]) == 200
    assert max(counts.values()) == 1, sorted(u for u, n in counts.items() if n > 1)[:10]
    assert all(counts[u] == 1 for u in archived)


def test_collect_merges_the_workers_manifests_without_duplicates(tmp_path, redis_url):  # noqa: F811
    site = tmp_path / "site"
    registry = write_sites(site, 3, 60)
    dirs = [tmp_path / "w1", tmp_path / "w2"]  # each worker its own data directory (its own machine)
    with SiteServer(site) as server:
        procs = [start(worker_cmd(d, registry, server.proxy_url, redis_url, d.name)) for d in dirs]
        for proc in procs:
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err[-3000:]
    merged = tmp_path / "merged"
    result = run_cli("frontier", "collect", *dirs, data_dir=merged)
    again = run_cli("frontier", "collect", *dirs, data_dir=merged)  # collecting twice changes nothing
    assert "copied 0 manifest(s) and 0 WARC file(s)" in again.stderr, again.stderr
    manifests = sorted((merged / "raw" / "manifest").glob("*.parquet"))
    assert [m.name.split("-")[1] for m in manifests] == ["w1", "w2"]
    rows = [r for m in manifests for r in pq.read_table(m).to_pylist()]
    articles = [r["final_url"] for r in rows if r["kind"] == "article"]
    assert len(articles) == len(set(articles)) == 180
    assert Counter(r["final_url"] for r in rows if r["warc_file"]).most_common(1)[0][1] == 1
    for r in rows:
        assert (merged / "raw" / "warc" / r["warc_file"]).is_file() or not r["warc_file"]
    assert "0 of them by more than one run" in result.stderr, result.stderr
    assert response_counts([merged / "raw" / "warc"]) == response_counts([d / "raw" / "warc" for d in dirs])

    # the extract stage reads the merged manifests as one: every article once
    import sys
    sys.path.insert(0, str(REPO))
    from pipelines.extract.core import article_fetches, manifest_table
    from pipelines.kernel.io import DataDir

    chosen, _left_out = article_fetches(manifest_table(DataDir(merged)))
    assert len(chosen) == 180

    import json as _json

    status = _json.loads(run_cli("frontier", "status", "--frontier", redis_url).stdout)
    assert status["queued"] == 0 and status["archived"] >= 180 and set(status["workers"]) <= {"w1", "w2"}
    assert not any(w["alive"] or w["in_flight"] for w in status["workers"].values())
    refused = run_cli("frontier", "clear", "--frontier", redis_url, check=False)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert "deleted" in run_cli("frontier", "clear", "--frontier", redis_url, "--yes").stdout
    assert _json.loads(run_cli("frontier", "status", "--frontier", redis_url).stdout)["seen"] == 0

    (dirs[1] / "raw" / "warc" / sorted(p.name for p in (dirs[1] / "raw" / "warc").glob("*.warc.gz"))[0]).write_bytes(b"x")
    clash = run_cli("frontier", "collect", *dirs, data_dir=merged, check=False)
    assert clash.returncode == 1 and "already exists with other bytes" in clash.stderr
    assert "Traceback" not in clash.stderr


def test_the_frontier_comes_from_the_environment_and_its_password_is_never_printed(tmp_path):
    registry = write_mirror(tmp_path / "site", 5)
    url = f"redis://:s3cret-pass@127.0.0.1:{free_port()}/0"
    result = run_cli("crawl", "--source", "live", "--registry", registry, "--proxy", "http://127.0.0.1:9",
                     data_dir=tmp_path / "data", check=False, env={"FRAMECHECK_FRONTIER": url, "FRAMECHECK_WORKER": "w9"})
    assert result.returncode == 1 and result.stderr.startswith("error: --frontier redis://:***@127.0.0.1:"), result.stderr
    assert "s3cret" not in result.stderr + result.stdout


def test_ctrl_c_hands_the_leases_back_and_the_same_command_resumes(tmp_path, redis_url):  # noqa: F811
    import redis

    site = tmp_path / "site"
    registry = write_sites(site, 2, 100)
    data = tmp_path / "data"
    with SiteServer(site) as server:
        cmd = worker_cmd(data, registry, server.proxy_url, redis_url, "c1")
        proc = start(cmd)
        deadline = time.monotonic() + 60
        while journal_lines(data, "c1") < 40:
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            assert time.monotonic() < deadline, "the crawl made no progress"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err[-2000:]
        client = redis.Redis.from_url(redis_url)
        assert client.hlen("framecheck:outlets:inflight:c1") == 0, "a clean stop leaves no lease behind"
        assert int(client.get("framecheck:outlets:requests:count") or 0) > 0, "what was left to do stays queued"
        final = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120,
                               env={**os.environ, "COLUMNS": "200"})
        assert final.returncode == 0, final.stderr[-3000:]
    counts = response_counts([data / "raw" / "warc"])
    assert len([u for u in counts if "/news/" in u]) == 200
    assert max(counts.values()) == 1, sorted(u for u, n in counts.items() if n > 1)[:10]
