"""Segmentation on real text: sentence boundaries in unpunctuated speech, and what the prose
splitter keeps out of the candidates.

1. Speech. The held-out debates of CLEF CheckThat! 2019's test set (seven debates and speeches,
   never trained on: pipelines/claims/boundaries.py) with punctuation and case removed, as an
   auto-caption writes them. Boundary F1 against the original punctuation (exact word gap) for:
   - heuristic: the clause-opener splitter used before (`split_unpunctuated`);
   - model: the committed boundary model, every gap above even odds;
   - decoded: the model with the length limits mining uses (`split_speech`, 3 to 40 words);
   and words per second of each, in the same run.
2. Prose. en-scs-texts (English) and cctv-xwlb's SCS stories (Chinese): sentences from the
   previous splitter (one paragraph per line, the regex splitter) and from `segment`, the
   reasons it drops sentences, how many sentences longer than 60 words each gives, how many
   hold a footnote number glued after a stop ("China.20 As"), and characters per second.

Usage: python bench/segmentation.py   (reads ../shared/corpora, or $FRAMECHECK_SHARED/corpora)
Without the corpora it says so and exits 0, or 1 under CI=true (bench/shared_data.py). Ends
with one line of JSON."""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.shared_data import CORPORA, exit_code_when_absent  # noqa: E402


def _word_ends(words: list[str]) -> dict[int, int]:
    """Character end of each word in ' '.join(words) → the word's index."""
    ends, offset = {}, 0
    for index, word in enumerate(words):
        offset += len(word)
        ends[offset] = index
        offset += 1
    return ends


def speech(streams) -> dict:
    import numpy as np

    from pipelines.claims.boundaries import boundary_f1, load_boundary_model, summarise
    from pipelines.claims.segment import decode_boundaries, split_unpunctuated

    model = load_boundary_model()
    if model is None:
        raise SystemExit("error: pipelines/claims/models/boundaries.skops is missing (run `framecheck claims train`)")
    counts: dict[str, list] = {"heuristic": [], "model": [], "decoded": []}
    seconds = Counter()
    words = sum(len(s.words) for s in streams)
    for stream in streams:
        text = " ".join(stream.words)
        ends = _word_ends(stream.words)
        started = time.perf_counter()
        spans = split_unpunctuated(text)
        seconds["heuristic"] += time.perf_counter() - started
        counts["heuristic"].append(boundary_f1({ends[e] for _s, e in spans[:-1]}, stream.boundaries))
        started = time.perf_counter()
        probabilities = model.probabilities(stream.words)
        seconds["model"] += time.perf_counter() - started
        counts["model"].append(boundary_f1({int(i) for i in np.flatnonzero(probabilities > 0.5)}, stream.boundaries))
        started = time.perf_counter()
        cuts = decode_boundaries(probabilities)
        seconds["decoded"] += time.perf_counter() - started
        counts["decoded"].append(boundary_f1(set(cuts), stream.boundaries))
    seconds["decoded"] += seconds["model"]  # decoding comes on top of scoring
    return {name: {**summarise(c), "words_per_s": round(words / max(seconds[name], 1e-9))} for name, c in counts.items()}


_GLUED_FOOTNOTE = re.compile(r"[^\W\d_][.!?][\"”’]?\d{1,3}\s+[A-Z]")


def prose(documents: list[str]) -> dict:
    from pipelines.claims.segment import segment, split_punctuated

    def long(text: str, spans) -> int:
        return sum(len(text[a:b].split()) > 60 for a, b in spans)

    def glued(text: str, spans) -> int:
        return sum(bool(_GLUED_FOOTNOTE.search(text[a:b])) for a, b in spans)

    old_spans, new_segments = [], []
    started = time.perf_counter()
    for text in documents:
        spans = []
        for line in re.finditer(r"[^\n]+", text):
            spans += split_punctuated(text, line.start(), line.end())
        old_spans.append([s for s in spans if text[s[0]:s[1]].strip()])
    old_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for text in documents:
        new_segments.append(segment(text))
    new_seconds = time.perf_counter() - started
    kept = [[(s.start, s.end) for s in segs if s.drop is None] for segs in new_segments]
    chars = sum(len(t) for t in documents)
    return {
        "documents": len(documents),
        "old": {"sentences": sum(map(len, old_spans)), "over_60_words": sum(long(t, s) for t, s in zip(documents, old_spans)),
                "glued_footnotes": sum(glued(t, s) for t, s in zip(documents, old_spans)),
                "chars_per_s": round(chars / max(old_seconds, 1e-9))},
        "new": {"sentences": sum(map(len, new_segments)), "candidates": sum(map(len, kept)),
                "over_60_words": sum(long(t, s) for t, s in zip(documents, kept)),
                "glued_footnotes": sum(glued(t, s) for t, s in zip(documents, kept)),
                "chars_per_s": round(chars / max(new_seconds, 1e-9)),
                "dropped": dict(Counter(s.drop for segs in new_segments for s in segs if s.drop).most_common())},
    }


def _texts(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    needed = CORPORA / "checkworthiness"
    for path in (needed, CORPORA / "en-scs-texts", CORPORA / "cctv-xwlb"):
        if not path.exists():
            return exit_code_when_absent(path, "bench/segmentation.py")
    from pipelines.claims.boundaries import debate_streams

    streams = debate_streams(CORPORA)["test"]
    result = {"speech_held_out": {"debates": len(streams), "words": sum(len(s.words) for s in streams),
                                  **speech(streams)}}
    result["prose_en"] = prose(_texts(CORPORA / "en-scs-texts" / "docs.jsonl"))
    result["prose_zh"] = prose(_texts(CORPORA / "cctv-xwlb" / "scs_stories.jsonl"))
    heuristic, decoded = result["speech_held_out"]["heuristic"], result["speech_held_out"]["decoded"]
    print(f"speech boundary F1 on {len(streams)} held-out debates: heuristic {heuristic['f1']:.3f}, "
          f"model {result['speech_held_out']['model']['f1']:.3f}, decoded {decoded['f1']:.3f}")
    for lang in ("en", "zh"):
        p = result[f"prose_{lang}"]
        print(f"prose {lang}: {p['old']['sentences']} → {p['new']['sentences']} sentences, {p['new']['candidates']} "
              f"candidates; >60 words {p['old']['over_60_words']} → {p['new']['over_60_words']}; glued footnotes "
              f"{p['old']['glued_footnotes']} → {p['new']['glued_footnotes']}; dropped {p['new']['dropped']}")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
