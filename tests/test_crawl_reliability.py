"""The crawl and its WARC archive under attack, as real processes against a real local server:
Ctrl-C twice, two crawls on one data directory, a full disk, a kill while a run finishes,
torn and damaged WARC files replayed, files that are not WARC at all, and proxy credentials
that must never reach the archive."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import FRAMECHECK, REPO, run_cli
from test_crawl_fixtures import FAST, extract_with, manifest_rows, settings_args
from test_crawl_resume import journal_lines, response_counts, run_and_kill

from demo.mirror_site import write_mirror
from demo.server import SiteServer

PAGES = 40
ENV = {**os.environ, "COLUMNS": "200"}


def site_crawl_cmd(data: Path, registry: Path, site: Path, runner: list[str] = FRAMECHECK) -> list[str]:
    """A crawl of a local site folder (served on 127.0.0.1 by the command): skipped when unchanged."""
    return runner + ["--data-dir", str(data), "crawl", "--source", "live", "--registry", str(registry),
                     "--site-root", str(site)]


def run_cmd(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=False, cwd=REPO, capture_output=True, text=True, timeout=120, env=ENV)


def mirror(tmp_path: Path, delay: float = 0.0, routes: dict | None = None, pages: int = PAGES) -> tuple[Path, Path]:
    site = tmp_path / "site"
    routes = routes or ({"/news/*": {"delay": delay}} if delay else None)
    return site, write_mirror(site, pages, per_listing=20, routes=routes)


def articles_archived(data: Path) -> Counter:
    return Counter({u: n for u, n in response_counts(data).items() if "/news/" in u})


def wait_for_journal(proc: subprocess.Popen, data: Path, lines: int) -> None:
    deadline = time.monotonic() + 60
    while journal_lines(data) < lines:
        assert proc.poll() is None, f"the crawl ended too early: {proc.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, "the crawl made no progress"
        time.sleep(0.01)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


# --- D1: Ctrl-C twice --------------------------------------------------------------------


def test_ctrl_c_twice_leaves_the_run_resumable_and_the_resumed_run_is_then_done(tmp_path):
    """Scrapy forces an unclean shutdown (its finish_reason is None): the run must stay open,
    the command exit 130 without saying "done", and the same command finish the crawl; after
    that, a third run has nothing to do."""
    site, registry = mirror(tmp_path, delay=0.2)  # slow pages keep the graceful stop waiting
    data = tmp_path / "data"
    cmd = site_crawl_cmd(data, registry, site)
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
    wait_for_journal(proc, data, 8)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "forcing unclean shutdown" in (data / "logs" / "crawl.log").read_text()  # the second Ctrl-C counted
    assert "crawl: done" not in err and "crawl: stopped before the end" in err
    assert (data / "state" / "crawl-current-run").exists()
    assert not list((data / "raw" / "manifest").glob("*.parquet")), "a stopped run must not look finished"
    assert len(articles_archived(data)) < PAGES

    resumed = run_cmd(cmd)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed unfinished run" in resumed.stderr and "crawl: done" in resumed.stderr
    counts = articles_archived(data)
    assert len(counts) == PAGES and max(counts.values()) == 1

    again = run_cmd(cmd)
    assert again.returncode == 0 and "nothing to do" in again.stderr, again.stderr[-2000:]
    assert articles_archived(data) == counts


# --- D2: two crawls on one data directory ----------------------------------------------------


def test_a_second_crawl_on_the_same_data_dir_is_refused_and_the_first_ends_right(tmp_path):
    # the second listing page answers late: the first crawl is still running when the second starts
    site, registry = mirror(tmp_path, routes={"/page/2.html": {"delay": 5}})
    data = tmp_path / "data"
    cmd = site_crawl_cmd(data, registry, site)
    first = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
    wait_for_journal(first, data, 3)
    second = run_cmd(cmd)
    running_while_refused = first.poll() is None
    _out, first_err = first.communicate(timeout=120)
    assert running_while_refused, "the first crawl ended before the second started: nothing was tested"
    assert second.returncode == 1
    assert len(error_lines(second.stderr)) == 1, second.stderr
    assert re.match(rf"error: {re.escape(str(data))}: in use by framecheck crawl \(pid {first.pid}\)", second.stderr)
    assert first.returncode == 0, first_err[-2000:]
    counts = response_counts(data)
    assert len([u for u in counts if "/news/" in u]) == PAGES and max(counts.values()) == 1
    rows = manifest_rows(data)
    assert len(rows) == len(counts) and len({r["final_url"] for r in rows}) == len(rows)


def test_a_killed_crawl_leaves_no_stale_lock(tmp_path):
    site, registry = mirror(tmp_path, delay=0.05)
    data = tmp_path / "data"
    cmd = site_crawl_cmd(data, registry, site)
    run_and_kill(cmd, data, after_lines=5)
    assert "framecheck crawl (pid" in (data / "state" / ".lock").read_text()  # its holder's note is left...
    final = run_cmd(cmd)
    assert final.returncode == 0, final.stderr[-2000:]  # ...but not its lock
    assert "in use" not in final.stderr
    counts = articles_archived(data)
    assert len(counts) == PAGES and max(counts.values()) == 1


# --- D3: a full disk -------------------------------------------------------------------------

# Runs `framecheck` with a disk that fills up: writes to files ending in TARGET get AFTER
# bytes in all (the last one short, as a real full disk answers), then ENOSPC; for
# ".parquet", writing the manifest fails.
FULL_DISK = """
import errno, os, runpy, sys
sys.path.insert(0, {repo!r})
TARGET, AFTER = {target!r}, {after}
ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
room = [AFTER]
real_write = os.write

def write(fd, data):
    try:
        name = os.readlink(f"/proc/self/fd/{{fd}}")
    except OSError:
        name = ""
    if not name.endswith(TARGET):
        return real_write(fd, data)
    if room[0] <= 0:
        raise ENOSPC
    written = real_write(fd, bytes(data[:room[0]]))
    room[0] -= written
    return written

os.write = write
if TARGET == ".parquet":
    import pyarrow.parquet as pq
    real_write_table = pq.write_table

    def write_table(table, where, *args, **kwargs):
        if "manifest" in str(where):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(where))
        return real_write_table(table, where, *args, **kwargs)

    pq.write_table = write_table
sys.argv = ["framecheck"] + sys.argv[1:]
runpy.run_module("pipelines.cli", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("target,after", [(".warc.gz", 12_000), (".journal.jsonl", 3_000), (".parquet", 0)])
def test_a_full_disk_stops_the_crawl_resumably_with_true_offsets(tmp_path, target, after):
    from pipelines.kernel.warc import read_response

    pages = 15
    site, registry = mirror(tmp_path, pages=pages)
    data = tmp_path / "data"
    wrapper = tmp_path / "full_disk.py"
    wrapper.write_text(FULL_DISK.format(repo=str(REPO), target=target, after=after), encoding="utf-8")
    failed = run_cmd(site_crawl_cmd(data, registry, site, runner=[FRAMECHECK[0], str(wrapper)]))
    assert failed.returncode == 1, failed.stderr[-3000:]
    lines = error_lines(failed.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: ") and "no space left on device" in lines[0], failed.stderr
    assert target in lines[0]  # it names the file that could not be written
    run_id = (data / "state" / "crawl-current-run").read_text().strip()
    journal = data / "raw" / "manifest" / f"{run_id}.journal.jsonl"
    assert not list((data / "raw" / "manifest").glob("*.parquet"))
    rows = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert rows, "nothing was archived before the disk filled up"
    for row in rows:  # every row the run kept points at its own record
        if row.get("warc_file"):
            assert read_response(data / "raw" / "warc" / row["warc_file"], row["warc_offset"]).url == row["final_url"]
    response_counts(data)  # every WARC file reads back whole
    if target != ".parquet":
        assert len(articles_archived(data)) < pages

    final = run_cmd(site_crawl_cmd(data, registry, site))
    assert final.returncode == 0, final.stderr[-3000:]
    counts = articles_archived(data)
    assert len(counts) == pages and max(counts.values()) == 1
    assert len(extract_with(data, registry)) == pages


def disk_full_for(suffix: str, room: int):
    """An os.write for which files ending in suffix have `room` more bytes, then ENOSPC."""
    import errno

    real_write = os.write
    left = [room]

    def write(fd, data):
        if not os.readlink(f"/proc/self/fd/{fd}").endswith(suffix):
            return real_write(fd, data)
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = real_write(fd, bytes(data[:left[0]]))
        left[0] -= written
        return written

    return write


def test_a_failed_write_is_cut_back_and_stops_all_writing(tmp_path, monkeypatch):
    from crawlers.archive import ArchiveWriteError, ArchiveWriter
    from pipelines.kernel.io import DataDir

    writer = ArchiveWriter(DataDir(tmp_path), "crawl-test")

    def exchange(k: int):
        return writer.write_exchange(url=f"http://x.example/{k}.html", method="GET", request_headers=[], status=200,
                                     reason="OK", response_headers=[("Content-Type", "text/html")],
                                     body=os.urandom(4000))

    warc_file, _ = exchange(0)
    path = tmp_path / "raw" / "warc" / warc_file
    whole = path.stat().st_size
    monkeypatch.setattr(os, "write", disk_full_for(".warc.gz", 1000))  # part of the next exchange fits
    with pytest.raises(ArchiveWriteError, match="no space left on device"):
        exchange(1)
    assert path.stat().st_size == whole  # the torn part is cut off
    monkeypatch.undo()
    with pytest.raises(ArchiveWriteError):  # nothing may be written after a failure, space or not
        exchange(2)
    assert path.stat().st_size == whole


def test_a_full_disk_during_a_replay_is_one_line_error_and_leaves_nothing(archived, tmp_path, monkeypatch):
    from pipelines.kernel.io import FrameCheckError

    monkeypatch.setattr(os, "write", disk_full_for(".warc.gz", 5000))
    with pytest.raises(FrameCheckError, match="no space left on device; nothing of this replay was kept"):
        replay(archived, archived["warc"], tmp_path)
    assert not [p for p in (tmp_path / "replayed" / "raw").rglob("*") if p.is_file()]


# --- D18: a kill while the run finishes --------------------------------------------------------

# Runs `framecheck`, killing itself with SIGKILL right after the step named KILL_AFTER.
KILL_WHILE_FINISHING = """
import os, pathlib, runpy, signal, sys
sys.path.insert(0, {repo!r})
KILL_AFTER = {kill_after!r}

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if KILL_AFTER == "marker removed":
    real_unlink = pathlib.Path.unlink

    def unlink(self, *args, **kwargs):
        real_unlink(self, *args, **kwargs)
        if self.name == "crawl-current-run":
            die()

    pathlib.Path.unlink = unlink
else:
    import crawlers.archive
    real_close = crawlers.archive.ArchiveWriter.close

    def close(self):
        manifest = real_close(self)
        die()

    crawlers.archive.ArchiveWriter.close = close
sys.argv = ["framecheck"] + sys.argv[1:]
runpy.run_module("pipelines.cli", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("kill_after", ["manifest written", "marker removed"])
def test_a_kill_while_the_run_finishes_does_not_make_the_next_crawl_redo_it(tmp_path, kill_after):
    site, registry = mirror(tmp_path)
    data = tmp_path / "data"
    wrapper = tmp_path / "kill.py"
    wrapper.write_text(KILL_WHILE_FINISHING.format(repo=str(REPO), kill_after=kill_after), encoding="utf-8")
    killed = run_cmd(site_crawl_cmd(data, registry, site, runner=[FRAMECHECK[0], str(wrapper)]))
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    before = response_counts(data)
    assert len([u for u in before if "/news/" in u]) == PAGES
    manifests = sorted((data / "raw" / "manifest").glob("*.parquet"))
    assert len(manifests) == 1

    again = run_cmd(site_crawl_cmd(data, registry, site))
    assert again.returncode == 0, again.stderr[-2000:]
    assert "nothing to do" in again.stderr, again.stderr[-2000:]
    assert response_counts(data) == before
    assert sorted((data / "raw" / "manifest").glob("*.parquet")) == manifests
    assert len(pq.read_table(manifests[0])) == len(before)


# --- D14: credentials ----------------------------------------------------------------------


def _all_bytes(root: Path) -> bytes:
    """Every file under root, gzip files (the WARC files) decompressed."""
    blobs = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        blobs.append(gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob)
    return b"\n".join(blobs)


@pytest.mark.parametrize("how", ["--proxy", "http_proxy"])
def test_proxy_credentials_are_never_archived(tmp_path, how):
    from warcio.archiveiterator import ArchiveIterator

    site = tmp_path / "site"
    registry = write_mirror(site, 5)
    data = tmp_path / "data"
    with SiteServer(site) as server:
        host_port = server.proxy_url.split("://", 1)[1]
        proxy = f"http://fc-user:s3cret-pw@{host_port}"
        args = ["crawl", "--source", "live", "--registry", registry, *settings_args(*FAST)]
        env = {"no_proxy": "", "NO_PROXY": ""}
        if how == "--proxy":
            args += ["--proxy", proxy]
        else:
            env.update(http_proxy=proxy, HTTP_PROXY=proxy)
        result = run_cli(*args, data_dir=data, env=env)
    everything = _all_bytes(data) + result.stdout.encode() + result.stderr.encode()
    token = base64.b64encode(b"fc-user:s3cret-pw")
    assert b"s3cret-pw" not in everything and token not in everything
    seen = []
    for path in (data / "raw" / "warc").glob("*.warc.gz"):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "request":
                    seen.append(record.http_headers.get_header("Proxy-Authorization"))
    assert seen and set(seen) == {"<redacted>"}  # the proxy was asked with the login, the archive keeps none


def test_credential_headers_are_redacted_in_both_directions(tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    from crawlers.archive import ArchiveWriter
    from pipelines.kernel.io import DataDir

    writer = ArchiveWriter(DataDir(tmp_path), "crawl-test")
    warc_file, _ = writer.write_exchange(
        url="http://x.example/", method="GET", status=200, reason="OK", body=b"<html></html>",
        request_headers=[("Host", "x.example"), ("Authorization", "Bearer t0ken"), ("Cookie", "sid=abc123")],
        response_headers=[("Content-Type", "text/html"), ("Set-Cookie", "sid=abc123; HttpOnly")])
    writer.suspend()
    headers = {}
    with (tmp_path / "raw" / "warc" / warc_file).open("rb") as fh:
        for record in ArchiveIterator(fh):
            headers[record.rec_type] = dict(record.http_headers.headers)
    assert headers["request"] == {"Host": "x.example", "Authorization": "<redacted>", "Cookie": "<redacted>"}
    assert headers["response"]["Set-Cookie"] == "<redacted>" and headers["response"]["Content-Type"] == "text/html"


# --- D4, D7, D19: replaying damaged and foreign files ----------------------------------------


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    """A finished crawl of a small site: its WARC file, the places of its article responses,
    and the articles extracted from it."""
    root = tmp_path_factory.mktemp("archived")
    site = root / "site"
    registry = write_mirror(site, 12, per_listing=20)
    data = root / "data"
    run_cli("crawl", "--source", "live", "--registry", registry, "--site-root", site, data_dir=data, timeout=120)
    rows = sorted((r for r in manifest_rows(data) if r["kind"] == "article"), key=lambda r: r["warc_offset"])
    (warc,) = {r["warc_file"] for r in rows}
    return {"data": data, "registry": registry, "warc": data / "raw" / "warc" / warc, "rows": rows,
            "articles": extract_with(data, registry)}


def replay(archived, warc: Path, tmp_path: Path):
    """Replay one file into a new data directory (in this process, as `crawl --from-warc` does)."""
    from crawlers import ReplayStep
    from pipelines.kernel.io import DataDir
    from pipelines.kernel.registry import select_outlets
    from pipelines.kernel.step import run_step

    data = DataDir(tmp_path / "replayed")
    summary = run_step(ReplayStep(data, [warc], select_outlets(data, archived["registry"], None, None)))
    skips = [json.loads(line) for line in (data.logs / "crawl.skips.jsonl").read_text().splitlines()] \
        if (data.logs / "crawl.skips.jsonl").exists() else []
    return data.root, summary, [s for s in skips if s["reason"].startswith("damaged_warc")]


def member_end(blob: bytes, start: int) -> int:
    """Where the gzip member starting at `start` ends."""
    import zlib

    inflater = zlib.decompressobj(31)
    inflater.decompress(blob[start:])
    return len(blob) - len(inflater.unused_data)


def test_replay_of_a_warc_cut_inside_a_record_skips_the_torn_record(archived, tmp_path):
    blob = archived["warc"].read_bytes()
    last = archived["rows"][-1]
    cut = tmp_path / "cut.warc.gz"
    # cut near the end of the last record's gzip member: what is left of it still inflates to most of the page
    start = last["warc_offset"]
    cut.write_bytes(blob[: start + (member_end(blob, start) - start) * 9 // 10])
    data, summary, damaged = replay(archived, cut, tmp_path)
    assert summary.skipped["damaged_warc"] == 1 and len(damaged) == 1
    assert damaged[0]["offset"] == last["warc_offset"] and "cut short" in damaged[0]["reason"]
    replayed = extract_with(data, archived["registry"])
    expected = {u: a["text"] for u, a in archived["articles"].items() if u != last["final_url"]}
    assert {u: a["text"] for u, a in replayed.items()} == expected  # no article cut mid-word
    assert {r["final_url"] for r in manifest_rows(data)} >= set(expected)
    assert last["final_url"] not in {r["final_url"] for r in manifest_rows(data)}


def _garbage_member() -> bytes:
    return gzip.compress(b"this gzip member holds no WARC record at all\n" * 20)


DAMAGE = {
    "raw bytes between records": lambda blob, at: blob[:at] + os.urandom(3000) + blob[at:],
    "a gzip member that is not WARC": lambda blob, at: blob[:at] + _garbage_member() + blob[at:],
    "a bit flipped inside a record": lambda blob, at: blob[:at + 200] + bytes([blob[at + 200] ^ 0x10]) + blob[at + 201:],
    "a plain WARC with one record's body altered": None,  # built in the test
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_replay_resynchronises_after_a_damaged_stretch(archived, tmp_path, damage):
    blob = archived["warc"].read_bytes()
    victim = archived["rows"][4]
    at = victim["warc_offset"]
    if DAMAGE[damage] is None:  # uncompressed: the same records as plain WARC, one body byte changed
        plain = gzip.decompress(blob)
        marker = plain.index(victim["final_url"].encode())
        body = plain.index(b"<p>", marker)
        damaged_blob = plain[:body] + b"<P>" + plain[body + 3:]
        path = tmp_path / "damaged.warc"
    else:
        damaged_blob = DAMAGE[damage](blob, at)
        path = tmp_path / "damaged.warc.gz"
    path.write_bytes(damaged_blob)
    data, summary, damaged = replay(archived, path, tmp_path)
    assert summary.skipped["damaged_warc"] == 1 and len(damaged) == 1, damaged
    lost = {victim["final_url"]} if damage in ("a bit flipped inside a record",
                                                "a plain WARC with one record's body altered") else set()
    replayed = extract_with(data, archived["registry"])
    expected = {u: a["text"] for u, a in archived["articles"].items() if u not in lost}
    assert {u: a["text"] for u, a in replayed.items()} == expected  # every intact record after the damage too
    assert archived["rows"][-1]["final_url"] in replayed


@pytest.mark.parametrize("content", ["random bytes", "a text file"])
def test_replay_of_a_file_that_is_not_warc_is_one_line_error_and_writes_nothing(tmp_path, content):
    bad = tmp_path / "not-really.warc.gz"
    bad.write_bytes(os.urandom(20_000) if content == "random bytes" else b"just some notes, no archive here\n" * 40)
    data = tmp_path / "data"
    result = run_cli("crawl", "--from-warc", bad, data_dir=data, check=False)
    assert result.returncode == 1
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}: not a WARC file"), result.stderr
    assert not (data / "raw").exists()


def test_since_after_until_is_one_line_error(tmp_path):
    site = tmp_path / "site"
    registry = write_mirror(site, 1)  # a local site: were the dates not checked, the crawl would stay offline
    result = run_cli("crawl", "--source", "live", "--registry", registry, "--site-root", site,
                     "--since", "2024-05-01", "--until", "2024-04-01", data_dir=tmp_path / "d", check=False)
    assert result.returncode == 1
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: --since: 2024-05-01 is after --until 2024-04-01")
