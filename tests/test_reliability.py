"""Defects found by attacking FrameCheck, each with the test that caught it: model files
that run code, workers and temp files a killed run leaves behind, HTML bombs, commenter
names in disguise, tracebacks instead of one-line errors, an altered release called
identical, and file modes. The kill tests kill real processes."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import FRAMECHECK, REPO, run_cli
from test_extract_robustness import RUN, STORY

from crawlers.archive import ArchiveWriter
from pipelines.kernel.io import DataDir, FrameCheckError, StageSummary, write_records
from pipelines.kernel.records import Claim, Fact, FetchRecord, Source
from pipelines.kernel.warc import sha256_hex


def page(n: int, paragraphs: int = 1) -> bytes:
    """An on-topic article page, different for each n."""
    body = "".join(f"<p>{p} (Report {n}, part {k}.)</p>" for k in range(paragraphs) for p in STORY)
    return (f"<html><head><meta charset='utf-8'><title>Court list report {n}</title>"
            f"<meta property='article:published_time' content='2019-03-04T08:00:00Z'></head>"
            f"<body><article><h1>Court list report {n}</h1>{body}</article></body></html>").encode()


def archive_pages(data: DataDir, bodies: list[bytes]) -> list[str]:
    """Write pages as WARC exchanges with manifest rows (as a crawl would); return their URLs."""
    writer = ArchiveWriter(data, RUN)
    urls = []
    for n, body in enumerate(bodies):
        url = f"http://granite-herald.example/granite-herald/2019/03/report-{n:04d}.html"
        warc_file, offset = writer.write_exchange(url=url, method="GET", request_headers=[], status=200, reason="OK",
                                                  response_headers=[("Content-Type", "text/html; charset=utf-8")], body=body)
        writer.add(FetchRecord(url=url, final_url=url, status=200, fetched_at="2026-01-01T00:00:00Z", sha256=sha256_hex(body),
                               outlet_id="granite-herald", camp="western", kind="article", content_type="text/html",
                               warc_file=warc_file, warc_offset=offset, skip_reason=None, run_id=RUN))
        urls.append(url)
    writer.close()
    return urls


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), stderr
    return lines[0]


# --- D5: a model file must not run code ----------------------------------------------------


def crafted_model(path: Path) -> None:
    """A Pipeline whose first step calls sorted(texts, key=exec): predicting runs each text."""
    import skops.io as sio
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    step = FunctionTransformer()
    model = Pipeline([("features", step), ("clf", DummyClassifier(strategy="prior"))]).fit([[0], [1]], ["yes", "no"])
    step.func, step.kw_args = sorted, {"key": exec}
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, path)


def _claim(i: int, text: str) -> Claim:
    return Claim(claim_id=f"c{i}", article_id="a", start=0, end=1, text=text, context_before="", context_after="",
                 language="en", checkworthiness=0.5, outlet_id="o", camp="western", published=None, url="u")


def test_a_crafted_ranker_in_the_data_directory_is_refused_and_never_runs(tmp_path):
    from annotation.sync import annotation_order
    from pipelines.claims import data_model_path

    data = DataDir(tmp_path / "data")
    model = data_model_path(data.root)  # the task order's model: the data directory's ranker overrides the packaged one
    crafted_model(model)
    payload = tmp_path / "payload-ran"
    claims = [_claim(1, f"open({str(payload)!r}, 'w').close()")]  # the text the model would exec
    with pytest.raises(FrameCheckError) as err:
        annotation_order(data, claims, StageSummary("annotate push"))
    assert not payload.exists(), "the model's code ran"
    message = str(err.value)
    assert message.startswith(f"{model}: refusing to load a model holding type builtins.exec") and "\n" not in message


def test_the_models_the_project_writes_hold_only_allowed_types_and_load(tmp_path):
    from pipelines.baselines import save_models
    from pipelines.baselines.models import MODELS, make_model
    from pipelines.kernel.models import TRUSTED_TYPES, load_model, untrusted_types

    texts = ["the court list bans flights", "I love this sunny day", "信用中国 公示 失信 名单"] * 6
    labels = ["yes", "no", "yes"] * 6
    models = {f"checkworthy-{kind}": make_model(kind).fit(texts, labels) for kind in MODELS}
    expected = {name: list(model.predict(texts)) for name, model in models.items()}
    for path in save_models(tmp_path, models):
        assert untrusted_types(path) == [], path  # all on the exact allow-list (empty with skops 0.16)
        assert list(load_model(path).predict(texts)) == expected[path.stem]
    assert TRUSTED_TYPES == frozenset()


# --- D8 and D17: a killed extract ----------------------------------------------------------


PAGES = 240


@pytest.fixture(scope="module")
def many_pages(tmp_path_factory):
    """A data directory with enough pages that `extract --workers 2` runs for several seconds."""
    data = DataDir(tmp_path_factory.mktemp("pages") / "data")
    archive_pages(data, [page(n, paragraphs=12) for n in range(PAGES)])
    return data


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _extract_killed_mid_run(data: DataDir) -> list[int]:
    """Start `framecheck extract --workers 2`, SIGKILL it once both workers are extracting
    (its staging file is there), and return the workers' pids."""
    proc = subprocess.Popen(FRAMECHECK + ["--data-dir", str(data.root), "extract", "--workers", "2"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while time.monotonic() < deadline and proc.poll() is None:
            workers = _children(proc.pid)
            if len(workers) >= 2 and list(data.tables.glob(".articles*")):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "extract finished before it could be killed: give it more pages"
        assert len(workers) >= 2, "no worker processes seen"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    return workers


def test_killing_extract_takes_its_workers_with_it(many_pages, tmp_path):
    data = DataDir(tmp_path / "data")
    shutil.copytree(many_pages.root, data.root)
    workers = _extract_killed_mid_run(data)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "workers outlived the killed run"
    run_cli("extract", "--workers", "2", data_dir=data.root, timeout=300)
    assert pq.read_metadata(data.table("articles")).num_rows == PAGES


def test_a_killed_extract_leaves_temp_files_the_next_run_removes(many_pages, tmp_path):
    data = DataDir(tmp_path / "data")
    shutil.copytree(many_pages.root, data.root)
    _extract_killed_mid_run(data)
    left = sorted(p.name for p in data.tables.glob(".*"))
    assert left, "the killed run left no temp file: the test did not kill it mid-run"
    assert not data.table("articles").exists()
    result = run_cli("extract", "--workers", "2", data_dir=data.root, timeout=300)
    assert sorted(p.name for p in data.tables.glob(".*")) == [], "stale temp files were kept"
    assert "left by an interrupted run" in result.stderr
    rows = pq.read_table(data.table("articles"), columns=["url", "text"]).to_pylist()
    assert len(rows) == PAGES and all(row["text"].startswith(STORY[0]) for row in rows)


def test_the_runner_removes_its_outputs_stale_temp_files_and_no_others(tmp_path):
    from pipelines.kernel.step import Step, run_step

    class WriteFacts(Step):
        name = "write-facts"

        def outputs(self):
            return [self.data.table("facts"), self.data.root / "release" / "0.1.0"]

        def run(self, ctx):
            fact = Fact("F01", "courts", "t", "s", "陈述", None, None, "verified", (Source("primary", "s"),))
            write_records(self.data.table("facts"), [fact], Fact)

    data = DataDir(tmp_path / "data")
    stale = [data.tables / ".facts.parquet.k3j_x9ab.tmp", data.tables / ".facts.parquet.q8z0aa1b.staging.tmp",
             data.root / "release" / ".0.1.0.abcd1234.tmp"]
    kept = [data.tables / ".claims.parquet.k3j_x9ab.tmp", data.tables / "facts.parquet.tmp", data.tables / ".facts.parquet.keep"]
    for path in stale[:2] + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"partial")
    (stale[2] / "data").mkdir(parents=True)
    (stale[2] / "data" / "train.parquet").write_bytes(b"partial")
    summary = run_step(WriteFacts(data))
    assert [p for p in stale if p.exists()] == []
    assert [p for p in kept if not p.exists()] == [], "a temp file of another output, or no temp file, was removed"
    assert any("3 temp file(s) left by an interrupted run" in note for note in summary.notes)


# --- D9: HTML bombs and texts without end ------------------------------------------------------


def test_an_html_bomb_is_dropped_before_it_is_parsed():
    from pipelines.extract.core import MAX_BODY_BYTES, Skip, extract_html

    paragraph = "<p>" + " ".join(STORY) + "</p>"
    bomb = f"<html><head><title>Social credit</title></head><body><article>{paragraph}{'<b>x</b>' * 1_000_000}</article></body></html>"
    assert len(bomb) <= MAX_BODY_BYTES  # under the byte bound, so only the element bound stops it
    assert extract_html(bomb.encode(), "http://granite-herald.example/bomb.html", "text/html") == \
        Skip("too_many_elements", "http://granite-herald.example/bomb.html")


def test_a_page_of_endless_text_is_dropped_as_too_long():
    from pipelines.extract.core import MAX_TAGS, MAX_TEXT_CHARS, Skip, extract_html

    words = " ".join(["credit"] * 80)
    paragraphs = MAX_TEXT_CHARS // len(words) + 10
    body = (f"<html><head><title>Social credit</title></head><body><article><p>{' '.join(STORY)}</p>"
            + "".join(f"<p>Paragraph {k}: {words}.</p>" for k in range(paragraphs)) + "</article></body></html>")
    assert body.count("<") < MAX_TAGS
    assert extract_html(body.encode(), "http://granite-herald.example/long.html", "text/html") == \
        Skip("too_long", "http://granite-herald.example/long.html")


def test_a_claims_context_is_bounded_and_keeps_the_words_nearest_the_claim():
    from pipelines.claims.mine import MAX_CONTEXT_CHARS, load_cues, mine_text

    before = "x" * 50_000 + " The nearest words before."  # a run of "x" as the HTML bomb gave, then words
    after = "The nearest words after " + "x" * 50_000
    claim = STORY[0]
    text = f"{before}\n{claim}\n{after}"
    candidates = [c for c in mine_text(text, load_cues(), "en") if c.text == claim]
    assert candidates, "the on-topic sentence was not mined"
    found = candidates[0]
    assert 0 < len(found.context_before) <= MAX_CONTEXT_CHARS and 0 < len(found.context_after) <= MAX_CONTEXT_CHARS
    assert found.context_before.endswith("The nearest words before.") and found.context_after.startswith("The nearest words after")


# --- D15: commenter names in every spelling ----------------------------------------------------


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


COMMENTERS = [
    {"id": "1", "author": "Zhang Wei", "author_id": "UCzhangwei0001", "author_url": "https://www.youtube.com/@zw_1988",
     "author_thumbnail": "https://yt3.ggpht.com/ytc/AIdroZhAnGwEiAvatar=s88-c-k-c0x00ffffff-no-rj",
     "text": "The social credit system is a court list, not a score."},
    {"id": "2", "author": _nfd("Zoë Lambert"), "author_id": "UCzoe0002", "author_url": "https://www.youtube.com/channel/UCzoe0002",
     "text": "I agree with Zhang  Wei, and ZhangWei said it first; ZHANG WEI and zhang_wei, same person."},
    {"id": "3", "author": "Al", "author_id": "UCal0003",
     "text": "Zoë Lambert is right about social credit, and " + _nfd("Zoë") + " Lambert said so twice."},
    {"id": "4", "author": "@bob", "author_id": "UCbob0004",
     "text": "Al is wrong. See https://www.youtube.com/@zw_1988. and youtube.com/channel/UCzoe0002/videos, "
             "m.youtube.com/@ZW_1988, thanks zw_1988 and zw1988; avatar "
             "https://yt3.ggpht.com/ytc/AIdroZhAnGwEiAvatar=s176-c-k-c0x00ffffff-no-rj on social credit."},
]
# Each spelling that must not survive, as a case-insensitive search (NFC-normalized text).
VARIANTS = {
    "two spaces / joined / upper / underscore": r"zhang[\s_]*wei",
    "NFD or NFC Zoë, surname": r"zo(ë|e\u0308)|lambert",
    "two-letter name": r"(?<![\w])Al(?![\w])",
    "handle from author_url": r"zw_?1988",
    "channel id": r"UC(zoe|zhangwei|al|bob)\d{4}",
    "avatar image id": r"AIdroZhAnGwEiAvatar",
}


def _leaks(texts: list[str]) -> list[str]:
    import re

    joined = unicodedata.normalize("NFC", "\n".join(texts))
    return [name for name, pattern in VARIANTS.items()
            if re.search(pattern, joined, flags=0 if name == "two-letter name" else re.IGNORECASE)]


def test_scrub_names_catches_every_spelling():
    from crawlers.transcripts import comments_from_items

    comments = comments_from_items(COMMENTERS)
    assert _leaks([c.text for c in comments]) == []
    assert "et al" in comments_from_items([{"id": "9", "author": "Al", "author_id": "UCx", "text": "Smith et al say so."}])[0].text
    aliases = {c.comment_id: c.author for c in comments}
    assert comments[1].text.startswith(f"I agree with {aliases['1']}, and {aliases['1']} said it first")
    assert comments[2].text.startswith(f"{aliases['2']} is right") and comments[3].text.startswith(f"{aliases['3']} is wrong")


def test_no_spelling_of_a_commenter_is_archived_or_stored(tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    dump = tmp_path / "comments.jsonl"
    dump.write_text("\n".join(json.dumps(item, ensure_ascii=False) for item in COMMENTERS) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    run_cli("import-transcript", "--comments", dump, "--channel", "Explainer Desk", "--camp", "western",
            "--url", "https://www.youtube.com/watch?v=abc", data_dir=data)
    stored = [json.dumps(row, ensure_ascii=False) for row in pq.read_table(data / "tables" / "transcripts.parquet").to_pylist()]
    archived = []
    for warc in (data / "raw" / "warc").glob("*.warc.gz"):
        with warc.open("rb") as fh:
            archived += [record.content_stream().read().decode("utf-8") for record in ArchiveIterator(fh)]
    manifests = [json.dumps(pq.read_table(f).to_pylist(), default=str) for f in (data / "raw" / "manifest").glob("*.parquet")]
    assert len(stored) == 4 and archived
    assert _leaks(stored + archived + manifests) == []


# --- D16: one-line errors ---------------------------------------------------------------------


def test_a_malformed_label_studio_url_is_a_one_line_error(monkeypatch):
    from annotation.sync import _connect

    monkeypatch.setenv("LABEL_STUDIO_URL", "http://[::1")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "key")
    with pytest.raises(FrameCheckError, match=r"^LABEL_STUDIO_URL: 'http://\[::1' is not a valid URL"):
        _connect()


def _small_release(out: Path) -> Path:
    from test_release import _article, _claim, _gold, _tables

    from pipelines.kernel.label_schema import load_schema
    from pipelines.release.tables import write_release

    articles = [_article(i) for i in range(30)]
    claims = [_claim(i, f"a{i % 30:03d}") for i in range(60)]
    definition, tables = _tables((articles, claims, {c.claim_id: _gold() for c in claims}))
    folder, _written = write_release(tables, definition, load_schema(), out, lambda s: "card\n")
    return folder


def test_release_push_with_the_hub_unreachable_is_a_one_line_error(tmp_path):
    folder = _small_release(tmp_path / "0.1.0")
    result = run_cli("release", "push", folder, "--repo-id", "org/scs-framing", data_dir=tmp_path / "data", check=False,
                     env={"HF_TOKEN": "hf_test", "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "0"}, timeout=120)
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert "http://127.0.0.1:9: could not create or find the dataset repo org/scs-framing" in line


def test_a_full_disk_during_extract_is_a_one_line_error_naming_the_file(tmp_path, monkeypatch, capsys):
    import pyarrow.parquet

    from pipelines import cli

    data = DataDir(tmp_path / "data")
    archive_pages(data, [page(0)])

    def full_disk(self, *args, **kwargs):  # what Arrow raises when write() fails with ENOSPC
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pyarrow.parquet.ParquetWriter, "write_table", full_disk)
    monkeypatch.setattr(sys, "argv", ["framecheck", "--data-dir", str(data.root), "extract"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 1
    line = one_error_line(capsys.readouterr().err)
    assert line == f"error: {data.table('articles')}: No space left on device"
    assert not list(data.tables.glob("*")), "a partial table or temp file was left"


def test_a_full_disk_during_a_release_write_names_the_release_folder(tmp_path, monkeypatch):
    import pyarrow.parquet

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pyarrow.parquet, "write_table", full_disk)
    with pytest.raises(OSError) as err:
        _small_release(tmp_path / "0.1.0")
    assert (err.value.errno, err.value.filename, err.value.strerror) == (errno.ENOSPC, str(tmp_path / "0.1.0"),
                                                                        "No space left on device")
    assert list(tmp_path.iterdir()) == [], "a partial release or its temp folder was left"


# --- D21: an altered release is not "identical" ------------------------------------------------


def test_a_rebuild_over_an_altered_release_refuses(tmp_path):
    from pipelines.kernel.label_schema import load_schema
    from pipelines.release.tables import write_release

    folder = _small_release(tmp_path / "0.1.0")
    train = folder / "data" / "claims" / "train.parquet"
    train.write_bytes(train.read_bytes()[:-100] + b"\0" * 100)  # altered; SHA256SUMS untouched
    from test_release import _article, _claim, _gold, _tables

    articles = [_article(i) for i in range(30)]
    claims = [_claim(i, f"a{i % 30:03d}") for i in range(60)]
    definition, tables = _tables((articles, claims, {c.claim_id: _gold() for c in claims}))
    with pytest.raises(FrameCheckError) as err:
        write_release(tables, definition, load_schema(), folder, lambda s: "card\n")
    assert str(err.value).startswith(f"{folder}: release {definition.version} already exists but its files no longer "
                                     f"match its SHA256SUMS (changed or missing: data/claims/train.parquet; not listed: none)")


# --- File modes: one rule for tables and releases ----------------------------------------------


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_tables_models_and_releases_get_the_mode_open_would_give(tmp_path, umask_022):
    from pipelines.baselines import save_models
    from pipelines.baselines.models import make_model
    from pipelines.kernel.io import atomic_path, write_text_atomic

    table = tmp_path / "data" / "tables" / "facts.parquet"
    write_records(table, [Fact("F01", "courts", "t", "s", "陈述", None, None, "verified", (Source("primary", "s"),))], Fact)
    write_text_atomic(tmp_path / "state.json", "{}")
    [model] = save_models(tmp_path / "models", {"m": make_model("majority").fit(["a", "b"], ["x", "y"])})
    for path in (table, tmp_path / "state.json", model):
        assert _mode(path) == 0o644, path
    folder = _small_release(tmp_path / "release" / "0.1.0")
    assert {_mode(p) for p in folder.rglob("*") if p.is_file()} == {0o644}
    assert {_mode(p) for p in [folder, *folder.rglob("*")] if p.is_dir()} == {0o755}
    os.umask(0o077)  # the rule follows the umask, as open() does
    with atomic_path(tmp_path / "private.txt") as tmp:
        tmp.write_text("x")
    assert _mode(tmp_path / "private.txt") == 0o600
