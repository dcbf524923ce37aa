"""Ad-hoc mining: any HTML, text, transcript or comment file → candidate claims as dicts.

What `start`/`end` index, by kind of file (the `unit` field says which):
- plain text (`unit: text`): the file's decoded text, so `text[start:end]` of the file is
  the candidate;
- HTML (`unit: page`): the article text FrameCheck extracts from the page;
- captions .vtt/.srt (`unit: transcript`): the caption text without timings and repeats;
- comment dumps .jsonl/.json (`unit: comment:<id>`): that comment's text."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

from pipelines.claims.mine import MAX_CANDIDATE_CHARS, EvidenceRetriever, load_cues, mine_text
from pipelines.claims.ranker import load_ranker
from pipelines.kernel.records import claim_id_for
from pipelines.kernel.text import detect_language, language_skip_reason

COMMENT_SUFFIXES = (".jsonl",)
EVIDENCE_K = 3


def _is_comment_dump(path: Path) -> bool:
    if path.suffix.lower() in COMMENT_SUFFIXES:
        return True
    if path.suffix.lower() == ".json":
        head = path.read_text(encoding="utf-8", errors="replace")[:200000]
        return '"comments"' in head or head.lstrip().startswith("[")
    return False


def file_texts(path: Path) -> list[tuple[str, str]]:
    """(unit id, text) pairs: one for a page, transcript or text file, one per comment."""
    from crawlers import read_comments, transcript_text
    from pipelines.extract import Skip, extract_html

    suffix = path.suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        result = extract_html(path.read_bytes(), None, "", None, min_chars=None)
        if isinstance(result, Skip):
            raise ValueError(f"no article text ({result.reason})")
        return [("page", result.text)]
    if _is_comment_dump(path):
        return [(f"comment:{c.comment_id}", c.text) for c in read_comments(path)]
    if suffix in (".vtt", ".srt"):
        return [("transcript", transcript_text(path))]
    return [("text", path.read_text(encoding="utf-8-sig", errors="replace"))]


def mine_files(files: list[Path], min_score: float | None, on_skip: Callable[[Path, str], None],
               evidence_k: int = EVIDENCE_K, data_root: Path | None = None) -> Iterator[dict]:
    """min_score: the cut (None: the model's own, chosen on the dev set); data_root: a data
    directory whose refitted ranker overrides the packaged one."""
    from pipelines.kernel.facts import load_facts

    cues, ranker = load_cues(), load_ranker(data_root)
    retriever = EvidenceRetriever(load_facts()) if evidence_k else None
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
            if not text.strip():
                on_skip(path, f"{unit}: empty text")
                continue
            language = detect_language(text)
            unsupported = language_skip_reason(language)
            if unsupported:
                on_skip(path, f"{unit}: {unsupported}")
                continue
            if "\n" not in text.strip() and len(text) > 100 * MAX_CANDIDATE_CHARS:
                on_skip(path, f"{unit}: one line of {len(text):,} characters (sentences over "
                              f"{MAX_CANDIDATE_CHARS} characters are not scored)")
            candidates = mine_text(text, cues, language, min_score=min_score, ranker=ranker, explain=True)
            evidence = (retriever.top_k([c.text for c in candidates], evidence_k, [c.language for c in candidates])
                        if retriever else [()] * len(candidates))
            for c, ev in zip(candidates, evidence):
                yield {
                    "id": claim_id_for(f"{path}#{unit}", c.start, c.end),
                    "text": c.text,
                    "source_file": str(path),
                    "unit": unit,
                    "start": c.start,
                    "end": c.end,
                    "checkworthiness": c.checkworthiness,
                    "reasons": c.reasons,
                    "language": c.language,
                    "context_before": c.context_before,
                    "context_after": c.context_after,
                    "cues": [{"start": s.start, "end": s.end, "label": s.label, "text": s.text} for s in c.cues],
                    "evidence": [{"fact_id": e.fact_id, "score": e.score} for e in ev],
                }
