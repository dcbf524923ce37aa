"""Transcripts and comments as sources of their own kind: `framecheck import-transcript`
archives them (WARC resource records), lists them in a manifest and writes Article records
to tables/transcripts.parquet; no commenter name or channel id is ever written in clear."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
from conftest import REPO, require_shared, run_cli

from crawlers.transcripts import read_comments, split_plain_transcript, transcript_text

DEMO = REPO / "demo" / "inputs"
SEED = ("seed", "000_e957894638b7bb6d.txt")  # under ../shared


def every_byte_written(data: Path) -> str:
    """All the data directory holds, as text: raw bytes, gzip members unpacked, Parquet cells."""
    chunks = []
    for path in sorted(p for p in data.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        chunks.append(raw.decode("utf-8", errors="replace"))
        if path.name.endswith(".gz"):
            chunks.append(gzip.decompress(raw).decode("utf-8", errors="replace"))
        if path.suffix == ".parquet":
            chunks.append(json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False, default=str))
    return "\n".join(chunks)


def transcripts_table(data: Path) -> list[dict]:
    return pq.read_table(data / "tables" / "transcripts.parquet").to_pylist()


def test_demo_inputs_import_with_no_commenter_name_in_clear(tmp_path):
    result = run_cli("import-transcript", DEMO / "explainer-desk-scs.vtt", "--comments", DEMO / "explainer-desk-scs.comments.jsonl",
                     "--info", DEMO / "explainer-desk-scs.info.json", "--camp", "western", data_dir=tmp_path)
    rows = transcripts_table(tmp_path)
    transcript = [r for r in rows if r["source_kind"] == "transcript"]
    comments = [r for r in rows if r["source_kind"] == "comments"]
    assert len(transcript) == 1 and len(comments) == 15
    t = transcript[0]
    assert t["outlet_name"] == "Explainer Desk (demo)" and t["camp"] == "western" and t["published"] == "2019-05-01"
    assert t["url"] == "https://video.example.invalid/watch?v=demo-explainer-01" and t["language"] == "en"
    assert "-->" not in t["text"] and "WEBVTT" not in t["text"] and t["relevance"] >= 8
    assert {c["url"] for c in comments} == {f"{t['url']}&lc=c{k:02d}" for k in range(1, 16)}
    assert all(c["author"].startswith("commenter-") for c in comments)
    assert len({c["author"] for c in comments}) == 15
    assert {c["language"] for c in comments} == {"en", "zh-Hans"}
    assert len({c["article_id"] for c in rows}) == 16

    # the archive holds what the rows point at
    from pipelines.kernel.warc import read_response

    for row in rows:
        record = read_response(tmp_path / "raw" / "warc" / row["warc_file"], row["warc_offset"])
        import hashlib

        assert hashlib.sha256(record.body).hexdigest() == row["body_sha256"]
    manifest = [r for f in (tmp_path / "raw" / "manifest").glob("*.parquet") for r in pq.read_table(f).to_pylist()]
    assert sorted(r["kind"] for r in manifest) == ["comments", "info", "transcript"]

    names = set()
    for line in (DEMO / "explainer-desk-scs.comments.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        names |= {item["author"], item["author_channel_id"]}
    written = every_byte_written(tmp_path)
    leaked = sorted(n for n in names if n in written)
    assert not leaked, leaked
    assert not [n for n in names if n in result.stdout + result.stderr]


def test_reimport_replaces_rows_and_pseudonyms_are_stable(tmp_path):
    args = ("import-transcript", DEMO / "explainer-desk-scs.vtt", "--comments", DEMO / "explainer-desk-scs.comments.jsonl",
            "--info", DEMO / "explainer-desk-scs.info.json", "--camp", "western")
    run_cli(*args, data_dir=tmp_path)
    first = {r["article_id"]: r["author"] for r in transcripts_table(tmp_path)}
    run_cli(*args, data_dir=tmp_path)
    second = {r["article_id"]: r["author"] for r in transcripts_table(tmp_path)}
    assert first == second and len(second) == 16


def test_seed_transcript_and_numbered_comments(tmp_path):
    seed = require_shared(*SEED)
    run_cli("import-transcript", seed, "--channel", "NowThis World", "--camp", "western", "--date", "2019", data_dir=tmp_path)
    rows = transcripts_table(tmp_path)
    transcript = [r for r in rows if r["source_kind"] == "transcript"]
    comments = {r["url"].rsplit("lc=", 1)[1]: r for r in rows if r["source_kind"] == "comments"}
    raw = seed.read_text(encoding="utf-8")
    assert len(transcript) == 1
    t = transcript[0]
    assert raw.startswith(t["text"][:200]) and t["text"].endswith("every week")  # the whole caption run, nothing after
    assert t["relevance"] >= 8 and t["language"] == "en" and t["published"] == "2019"
    # numbered 1-19 with 2 and 18 missing; a comment's indented second paragraph stays with it
    assert sorted(comments, key=int) == [str(n) for n in range(1, 20) if n not in (2, 18)]
    assert "\n" in comments["1"]["text"] and "\n" in comments["10"]["text"]
    assert comments["4"]["language"] == "zh-Hans"
    assert all(c["author"] is None for c in comments.values())  # the seed carries no names at all
    assert all(c["outlet_name"] == "NowThis World" and c["camp"] == "western" for c in rows)


def test_caption_formats_and_comment_dumps(tmp_path):
    srt = tmp_path / "talk.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:03,000\n<i>the social credit system</i>\n\n2\n00:00:03,000 --> 00:00:05,000\n"
                   "the social credit system\nis not one score\n\n", encoding="utf-8")
    assert transcript_text(srt) == "the social credit system is not one score"
    vtt = tmp_path / "talk.vtt"
    vtt.write_text("WEBVTT\nKind: captions\nLanguage: en\n\n00:00.000 --> 00:02.000\nhello <c.colorE5E5E5>there</c>\n\n"
                   "NOTE a note\n\n00:02.000 --> 00:04.000\nhello there\nagain\n", encoding="utf-8")
    assert transcript_text(vtt) == "hello there again"
    transcript, comments = split_plain_transcript("words words\n\n  1. first\n\n    more of first\n\n  3. third\n")
    assert transcript == "words words" and [(c.comment_id, c.text) for c in comments] == [("1", "first\nmore of first"), ("3", "third")]
    # a yt-dlp info JSON: names, ids and @mentions are all replaced by pseudonyms
    info = tmp_path / "video.info.json"
    info.write_text(json.dumps({"id": "abc", "title": "Social credit, explained", "channel": "Some Channel",
                                "upload_date": "20200102", "webpage_url": "https://www.youtube.com/watch?v=abc",
                                "comments": [
                                    {"id": "1", "author": "@Jane Roe", "author_id": "UCjane", "text": "Great video on social credit", "timestamp": 1577923200},
                                    {"id": "2", "author": "@bob", "author_id": "UCbob", "parent": "1", "text": "@Jane Roe no, @bob disagrees and so does @carol99"},
                                    {"id": "3", "author": "@empty", "author_id": "UCx", "text": "   "},
                                ]}), encoding="utf-8")
    parsed = read_comments(info)
    assert [c.comment_id for c in parsed] == ["1", "2"] and parsed[1].parent == "1"
    assert parsed[0].published == "2020-01-02T00:00:00Z"
    for c in parsed:
        assert not any(name in c.text for name in ("Jane", "bob", "carol99", "UCjane")), c.text
    assert parsed[1].text.startswith(parsed[0].author) and f"{parsed[1].author} disagrees" in parsed[1].text
    result = run_cli("import-transcript", "--info", info, "--camp", "western", data_dir=tmp_path / "data")
    rows = transcripts_table(tmp_path / "data")
    assert [r["source_kind"] for r in rows] == ["comments", "comments"]  # no transcript given: comments only
    assert rows[0]["url"] == "https://www.youtube.com/watch?v=abc&lc=1" and rows[0]["published"] == "2020-01-02"
    written = every_byte_written(tmp_path / "data")
    assert not any(name in written for name in ("Jane Roe", "UCjane", "UCbob", "carol99")), "a name was written in clear"
    assert "records out" in result.stderr


def test_import_errors_are_one_line(tmp_path):
    plain = tmp_path / "t.txt"
    plain.write_text("some words about the social credit system", encoding="utf-8")
    result = run_cli("import-transcript", plain, data_dir=tmp_path / "d", check=False)
    assert result.returncode == 1 and "error:" in result.stderr and "--channel" in result.stderr
    assert not (tmp_path / "d" / "tables").exists()
    bad = tmp_path / "c.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    result = run_cli("import-transcript", plain, "--channel", "X", "--comments", bad, data_dir=tmp_path / "d", check=False)
    assert result.returncode == 1 and "c.jsonl: not JSON" in result.stderr
    assert run_cli("import-transcript", plain, "--channel", "X", "--camp", "martian", data_dir=tmp_path / "d", check=False).returncode == 1


def test_japanese_and_korean_comments_are_archived_but_not_mined(tmp_path):
    """The claims stage reads English and Chinese: a Japanese or Korean comment is left out of
    the transcripts table with its reason (counted and logged), not mined as Chinese or English."""
    from crawlers.transcripts import import_transcript
    from pipelines.kernel.io import DataDir

    dump = tmp_path / "c.jsonl"
    texts = {"1": "The court list is not a social credit score.", "2": "社会信用スコアは本当に存在するのか？",
             "3": "중국의 사회신용체계는 하나의 점수가 아니다.", "4": "失信被执行人名单不是信用评分。"}
    dump.write_text("".join(json.dumps({"comment_id": cid, "author": f"user{cid}", "text": text}, ensure_ascii=False) + "\n"
                            for cid, text in texts.items()), encoding="utf-8")
    data = DataDir(tmp_path / "data")
    summary = import_transcript(data, comments=dump, channel="Some Channel", camp="western",
                                url="https://www.youtube.com/watch?v=abc")
    rows = transcripts_table(tmp_path / "data")
    assert {r["url"].rsplit("=", 1)[1]: r["language"] for r in rows} == {"1": "en", "4": "zh-Hans"}
    assert dict(summary.skipped) == {"language_unsupported:ja": 1, "language_unsupported:ko": 1}
    logged = [json.loads(line) for line in (data.logs / "import-transcript.skips.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(entry["reason"], entry["url"]) for entry in logged] == [
        ("language_unsupported:ja", "https://www.youtube.com/watch?v=abc&lc=2"),
        ("language_unsupported:ko", "https://www.youtube.com/watch?v=abc&lc=3")]
