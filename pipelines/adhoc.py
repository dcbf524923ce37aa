"""Ad-hoc mining: any HTML, text, transcript or comment file → candidate claims as dicts."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

from pipelines.claims import load_cues, mine_text
from pipelines.extract import decode_html
from pipelines.relevance import load_topic

COMMENT_SUFFIXES = (".jsonl",)


def _is_comment_dump(path: Path) -> bool:
    if path.suffix.lower() in COMMENT_SUFFIXES:
        return True
    if path.suffix.lower() == ".json":
        head = path.read_text(encoding="utf-8", errors="replace")[:200000]
        return '"comments"' in head or head.lstrip().startswith("[")
    return False


def file_texts(path: Path) -> list[tuple[str, str]]:
    """(unit id, text) pairs: one for a page or transcript, one per comment."""
    from crawlers.transcripts import read_comments, transcript_text

    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        import trafilatura

        html = decode_html(path.read_bytes(), None)
        text = trafilatura.extract(html, include_comments=False, include_tables=False) or ""
        return [("page", text)]
    if _is_comment_dump(path):
        return [(f"comment:{c.comment_id}", c.text) for c in read_comments(path)]
    return [("transcript" if suffix in (".vtt", ".srt") else "text", transcript_text(path))]


def mine_files(files: list[Path], min_score: float, on_skip: Callable[[Path, str], None]) -> Iterator[dict]:
    topic, cues = load_topic(), load_cues()
    for path in files:
        if not path.is_file():
            on_skip(path, "no such file")
            continue
        try:
            units = file_texts(path)
        except Exception as exc:  # one unreadable file must not stop the others
            on_skip(path, f"{type(exc).__name__}: {exc}")
            continue
        for unit, text in units:
            for c in mine_text(text, topic, cues, min_score=min_score):
                yield {
                    "text": c.text,
                    "source_file": str(path),
                    "unit": unit,
                    "start": c.start,
                    "end": c.end,
                    "checkworthiness": c.checkworthiness,
                    "language": c.language,
                    "context_before": c.context_before,
                    "context_after": c.context_after,
                    "cues": [{"start": s.start, "end": s.end, "label": s.label, "text": s.text} for s in c.cues],
                }
