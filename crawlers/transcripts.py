"""Video transcripts (plain text, WebVTT, SRT) and comment dumps (JSON lines, yt-dlp info
JSON) as sources of their own kind. Commenter names are pseudonymized on read."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from annotation.labels import pseudonym
from pipelines.io import FrameCheckError

_TIMING = re.compile(r"^\s*(\d{2}:)?\d{2}:\d{2}[.,]\d{3}\s+-->\s+")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Comment:
    comment_id: str
    author: str  # pseudonym
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


def read_comments(path: Path) -> list[Comment]:
    """JSON lines (one comment per line) or a yt-dlp info JSON with a `comments` list."""
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".jsonl":
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            doc = json.loads(text)
            items = doc.get("comments", []) if isinstance(doc, dict) else doc
    except ValueError as exc:
        raise FrameCheckError(f"{path}: not JSON ({exc})") from None
    comments = []
    for i, item in enumerate(items):
        body = item.get("text") or ""
        if not body.strip():
            continue
        who = item.get("author_id") or item.get("author_channel_id") or item.get("author") or f"anon-{i}"
        comments.append(Comment(
            comment_id=str(item.get("comment_id") or item.get("id") or i),
            author=pseudonym(who, prefix="commenter"),
            text=body.strip(),
            published=item.get("published") or (str(item["timestamp"]) if item.get("timestamp") else None),
            parent=item.get("parent") if item.get("parent") not in (None, "root") else None,
        ))
    return comments
