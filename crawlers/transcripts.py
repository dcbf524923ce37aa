"""Video transcripts (plain text, WebVTT, SRT) and comment dumps (JSON lines, yt-dlp info
JSON) as sources of their own kind. Commenter names are pseudonymized on read.

`import_transcript` is the I/O edge behind `framecheck import-transcript`: it archives the
inputs as WARC resource records (the transcript; the comments with every commenter name,
handle, channel id and channel or avatar URL already replaced by a keyed-hash pseudonym, in
any spelling: pipelines/kernel/privacy.py `NameScrubber`; the video's metadata), adds their rows
to a manifest (kind transcript / comments), and writes Article records — one for the
transcript, one per comment — to data/tables/transcripts.parquet. No commenter name is
written anywhere in clear: not to the archive, the manifest, the table or a log."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.kernel.io import FrameCheckError
from pipelines.kernel.privacy import NameScrubber, profile_names, pseudonym

_TIMING = re.compile(r"^\s*(\d{2}:)?\d{2}:\d{2}[.,]\d{3}\s+-->\s+")
_TAG = re.compile(r"<[^>]+>")
_NUMBERED = re.compile(r"^\s{0,8}(\d{1,4})\.\s+(\S.*)$")
_NAME_KEYS = ("author", "author_name", "authorDisplayName", "author_id", "author_channel_id", "authorChannelId",
              "author_url", "author_thumbnail", "uploader", "uploader_id", "uploader_url", "username", "user")
_URL_KEYS = ("author_url", "author_thumbnail", "uploader_url")


@dataclass(frozen=True)
class Comment:
    comment_id: str
    author: str | None  # pseudonym, never a name
    text: str
    published: str | None
    parent: str | None


def transcript_text(path: Path) -> str:
    """Caption text without cue numbers, timings, styling tags or repeated rolling lines."""
    raw = path.read_text(encoding="utf-8-sig", errors="replace")
    if path.suffix.lower() not in (".vtt", ".srt"):
        return raw.strip()
    lines, previous = [], None
    for line in raw.splitlines():
        stripped = line.strip()
        if (not stripped or stripped == "WEBVTT" or stripped.isdigit() or _TIMING.match(stripped)
                or stripped.startswith(("NOTE", "Kind:", "Language:", "STYLE", "REGION"))):
            continue
        text = _TAG.sub("", stripped)
        if text != previous:  # auto-captions repeat the rolling line
            lines.append(text)
        previous = text
    return " ".join(lines)


def split_plain_transcript(raw: str) -> tuple[str, list[Comment]]:
    """A plain-text file holding a transcript followed by numbered comments (`1. …`, with
    indented continuation paragraphs), as the project's seed is: (transcript, comments).
    A file without a numbered block after the first blank line is all transcript."""
    lines = raw.replace("\r\n", "\n").split("\n")
    start = None
    for i, line in enumerate(lines):
        if _NUMBERED.match(line) and i > 0 and not lines[i - 1].strip():
            start = i
            break
    if start is None:
        return raw.strip(), []
    transcript = "\n".join(lines[:start]).strip()
    comments: list[tuple[str, list[str]]] = []
    for line in lines[start:]:
        match = _NUMBERED.match(line)
        if match and (not comments or int(match.group(1)) > int(comments[-1][0])):
            comments.append((match.group(1), [match.group(2).strip()]))
        elif line.strip() and comments:
            comments[-1][1].append(line.strip())
    return transcript, [Comment(comment_id=number, author=None, text="\n".join(parts), published=None, parent=None)
                        for number, parts in comments if " ".join(parts).strip()]


def _comment_items(path: Path) -> tuple[list[dict], dict]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        if path.suffix.lower() == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()], {}
        doc = json.loads(text)
    except ValueError as exc:
        raise FrameCheckError(f"{path}: not JSON ({exc.__class__.__name__} at line {getattr(exc, 'lineno', '?')})") from None
    if isinstance(doc, dict):
        return list(doc.get("comments") or []), doc
    if isinstance(doc, list):
        return doc, {}
    raise FrameCheckError(f"{path}: expected a list of comments or a yt-dlp info JSON object")


def _identity(item: dict, i: int) -> str | None:
    return item.get("author_id") or item.get("author_channel_id") or item.get("authorChannelId") or item.get("author") or None


def commenter_names(items: list[dict]) -> dict[str, str]:
    """Every name, handle and id a dump gives for its commenters → the commenter's alias."""
    names: dict[str, str] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        who = _identity(item, i)
        if not who:
            continue
        alias = pseudonym(who, prefix="commenter")
        for key in _NAME_KEYS:
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                continue
            for name in (profile_names(value) if key in _URL_KEYS or "://" in value else [value.strip()]):
                names[name] = alias
    return names


def read_comments(path: Path) -> list[Comment]:
    """JSON lines (one comment per line) or a yt-dlp info JSON with a `comments` list."""
    items, _info = _comment_items(path)
    return comments_from_items(items)


def comments_from_items(items: list[dict]) -> list[Comment]:
    scrubber = NameScrubber(commenter_names(items))
    comments = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        body = str(item.get("text") or "").strip()
        if not body:
            continue
        who = _identity(item, i)
        timestamp = item.get("timestamp")
        published = item.get("published") or (_iso_from_timestamp(timestamp) if timestamp else None)
        parent = item.get("parent")
        comments.append(Comment(
            comment_id=str(item.get("comment_id") or item.get("id") or i),
            author=pseudonym(who, prefix="commenter") if who else None,
            text=scrubber.scrub(body),
            published=str(published) if published else None,
            parent=str(parent) if parent not in (None, "", "root") else None,
        ))
    return comments


def _iso_from_timestamp(value) -> str | None:
    from datetime import datetime, timezone

    try:
        return datetime.fromtimestamp(float(value), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError, OverflowError):
        return None


# --- import: the I/O edge ----------------------------------------------------------------

_INFO_KEEP = ("id", "title", "channel", "channel_id", "channel_url", "upload_date", "webpage_url", "language",
              "description", "duration", "timestamp", "release_date")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "channel"


def iso_date(value: str | None) -> str | None:
    if not value:
        return None
    value = str(value).strip()
    if re.fullmatch(r"\d{8}", value):  # yt-dlp's upload_date
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    match = re.match(r"\d{4}(-\d{2}(-\d{2})?)?", value)
    return match.group(0) if match else None


def comment_url(video_url: str, comment_id: str) -> str:
    """YouTube's own link form for one comment: the video URL with lc=<comment id>."""
    return f"{video_url}{'&' if '?' in video_url else '?'}lc={comment_id}"


def import_transcript(data, transcript: Path | None = None, comments: Path | None = None, info: Path | None = None, *,
                      channel: str | None = None, outlet_id: str | None = None, camp: str | None = None,
                      url: str | None = None, published: str | None = None, title: str | None = None,
                      registry=None, topic=None, skips=None):
    """Archive a transcript and/or a comment dump and write their Article records."""
    from crawlers.archive import ArchiveWriter, new_run_id
    from pipelines.kernel.io import (
        SkipLog,
        StageSummary,
        read_records,
        utc_now,
        write_records,
    )
    from pipelines.kernel.records import Article, FetchRecord, article_id_for
    from pipelines.kernel.text import (
        detect_language,
        language_skip_reason,
        normalized_text_hash,
    )
    from pipelines.kernel.topic import load_topic
    from pipelines.kernel.warc import sha256_hex

    if transcript is None and comments is None and info is None:
        raise FrameCheckError("import-transcript: give a transcript file, --comments FILE or --info FILE")
    for path in (transcript, comments, info):
        if path is not None and not Path(path).is_file():
            raise FrameCheckError(f"{path}: no such file")
    topic = topic or load_topic()
    summary = StageSummary("import-transcript")

    meta, info_comments = {}, []
    if info is not None:
        items, doc = _comment_items(Path(info))
        if not doc:
            raise FrameCheckError(f"{info}: not a yt-dlp info JSON object")
        meta, info_comments = doc, items
    text, inline_comments = "", []
    if transcript is not None:
        transcript = Path(transcript)
        if transcript.suffix.lower() in (".vtt", ".srt"):
            text = transcript_text(transcript)
        else:
            text, inline_comments = split_plain_transcript(transcript.read_text(encoding="utf-8-sig", errors="replace"))
    all_comments = list(inline_comments)
    if comments is not None:
        items, doc = _comment_items(Path(comments))
        meta = meta or doc
        all_comments += comments_from_items(items)
    elif info_comments:
        all_comments += comments_from_items(info_comments)

    outlet = None
    if outlet_id and registry is not None:
        try:
            outlet = registry.get(outlet_id)
        except KeyError:
            raise FrameCheckError(f"--outlet: {outlet_id!r} is not in the registry") from None
    channel_name = channel or meta.get("channel") or meta.get("uploader") or (outlet.name if outlet else None)
    if not channel_name:
        raise FrameCheckError("import-transcript: no channel name (give --channel, or --info with a `channel` field)")
    oid = outlet.id if outlet else (outlet_id or "channel-" + _slug(channel_name))
    camp_name = camp or (outlet.camp if outlet else "unknown")
    sources = [p for p in (transcript, comments, info) if p is not None]
    digest = hashlib.sha256(b"".join(Path(p).read_bytes() for p in sources)).hexdigest()
    video_url = url or meta.get("webpage_url") or f"urn:framecheck:video:{digest[:20]}"
    video_title = title or meta.get("title") or (Path(transcript).stem if transcript else channel_name)
    date = iso_date(published) or iso_date(meta.get("upload_date")) or iso_date(meta.get("release_date"))
    summary.records_in = (1 if text else 0) + len(all_comments)

    run_id = new_run_id("import")
    archive = ArchiveWriter(data, run_id)
    fetched_at = utc_now()
    articles: list = []
    own_log = skips is None  # the step runner passes its skip log; a direct call gets its own
    skips = SkipLog(data, "import-transcript") if own_log else skips

    def supported(language: str, url: str) -> bool:
        """Japanese, Korean, ... texts are archived but not turned into articles: the
        claims stage reads English and Chinese only."""
        reason = language_skip_reason(language)
        if reason:
            summary.skip(reason)
            skips.write(reason, url=url)
        return reason is None

    def archive_resource(kind: str, target: str, body: bytes, ctype: str) -> tuple[str, int, str]:
        warc_file, offset = archive.write_resource(target, body, ctype, fetched_at=fetched_at,
                                                   extra={"FrameCheck-Kind": kind, "FrameCheck-Outlet": oid})
        sha = sha256_hex(body)
        archive.add(FetchRecord(url=target, final_url=target, status=200, fetched_at=fetched_at, sha256=sha,
                                outlet_id=oid, camp=camp_name, kind=kind, content_type=ctype, warc_file=warc_file,
                                warc_offset=offset, skip_reason=None, run_id=run_id))
        return warc_file, offset, sha

    if meta:
        kept = {k: meta[k] for k in _INFO_KEEP if k in meta}
        archive_resource("info", video_url + ("&" if "?" in video_url else "?") + "info=1",
                         json.dumps(kept, ensure_ascii=False, indent=1).encode(), "application/json")
    thread_score = 0.0
    if text:
        warc_file, offset, sha = archive_resource("transcript", video_url, text.encode("utf-8"), "text/plain; charset=utf-8")
        thread_score = topic.score(text, video_title)
        language = detect_language(text)
        if supported(language, video_url):
            articles.append(Article(
                article_id=article_id_for(video_url), url=video_url, outlet_id=oid, outlet_name=channel_name, camp=camp_name,
                language=language, source_kind="transcript", title=video_title, author=None, published=date,
                text=text, text_sha256=normalized_text_hash(text), relevance=thread_score, duplicate_of=None,
                warc_file=warc_file, warc_offset=offset, body_sha256=sha))
    else:
        thread_score = topic.score(meta.get("description") or "", video_title)
    if all_comments:
        dump = [{"comment_id": c.comment_id, "author": c.author, "text": c.text, "published": c.published,
                 "parent": c.parent} for c in all_comments]
        body = "\n".join(json.dumps(row, ensure_ascii=False) for row in dump).encode("utf-8") + b"\n"
        warc_file, offset, sha = archive_resource("comments", video_url + ("&" if "?" in video_url else "?") + "comments=1",
                                                  body, "application/jsonl; charset=utf-8")
        for c in all_comments:
            curl = comment_url(video_url, c.comment_id)
            language = detect_language(c.text)
            if not supported(language, curl):
                continue
            articles.append(Article(
                article_id=article_id_for(curl), url=curl, outlet_id=oid, outlet_name=channel_name, camp=camp_name,
                language=language, source_kind="comments", title=video_title, author=c.author,
                published=iso_date(c.published) or date, text=c.text, text_sha256=normalized_text_hash(c.text),
                # a comment is on topic through the thread it belongs to
                relevance=max(topic.score(c.text), thread_score), duplicate_of=None,
                warc_file=warc_file, warc_offset=offset, body_sha256=sha))
    manifest = archive.close()
    if own_log:
        skips.close()

    table = data.table("transcripts")
    new_ids = {a.article_id for a in articles}
    previous = [a for a in read_records(table, Article)] if table.exists() else []
    kept_rows = [a for a in previous if a.article_id not in new_ids] + articles
    write_records(table, sorted(kept_rows, key=lambda a: (a.outlet_id, a.url)), Article)
    summary.records_out = len(articles)
    summary.outputs += [str(table), str(manifest)]
    summary.notes.append(f"{sum(a.source_kind == 'transcript' for a in articles)} transcript and "
                         f"{sum(a.source_kind == 'comments' for a in articles)} comments from {channel_name} ({oid}, camp {camp_name}); "
                         f"{len(previous) - (len(kept_rows) - len(articles))} earlier rows replaced; commenter names pseudonymized")
    if camp_name == "unknown":
        summary.notes.append("no camp given: pass --camp or --outlet so that analyses by camp can use these rows")
    return summary
