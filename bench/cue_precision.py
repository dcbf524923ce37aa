"""Cue-span precision per label on real text, judged by reading.

bench/devsets/cue_precision.jsonl holds 106 cue matches sampled at random (seed 11, up to 15 per
language and label) from every match of the lexicon (pipelines/claims/cues.yaml, after issue
11 removed its memorised entries) in the candidate sentences of en-scs-texts, 500 New York
Times and 500 China Daily articles of hwcfpp-chinadaily-nyt (seed 7), and all of cctv-xwlb.
Each was judged by reading its sentence: does the span do what its label says
(dystopia_reference: a reference to dystopian fiction or imagery, not 1984 the year;
sweeping_generalization: a claim about all people, every act, everywhere, not an
administrative "full coverage"; loaded_word: emotive or pejorative framing, not the neutral
reporting word; benign_frame: state or apologetic framing)? The file holds corpus, document
id, offsets and hashes, never the text; `note` says why a span is wrong, or "state_slogan" for
a correct benign frame that has nothing to do with credit.

Prints precision per language and label, with the number judged, and whether the current
lexicon still finds each judged span (a change to cues.yaml shows here), then one JSON line.
`precision` is the lexicon as sampled; `current_precision` counts only the judged spans the
current lexicon still finds. After the bare "1984" and 全覆盖 went because of this sample, the
current figure is measured on the sample that guided the change, so it is not independent:
a fresh sample is the honest check.

Usage: python bench/cue_precision.py   (reads ../shared/corpora, or $FRAMECHECK_SHARED/corpora)
Without the corpora it says so and exits 0, or 1 under CI=true (bench/shared_data.py)."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.shared_data import CORPORA, exit_code_when_absent  # noqa: E402

JUDGED = REPO / "bench" / "devsets" / "cue_precision.jsonl"
FILE_CORPORA = {"hwcfpp-chinadaily-nyt"}  # one document a file: doc_id is its path in the corpus


def document_text(corpus: str, doc_id: str) -> str:
    from pipelines.claims.labelled import corpus_documents

    if corpus in FILE_CORPORA:
        return (CORPORA / corpus / doc_id).read_text(encoding="utf-8", errors="replace")
    return corpus_documents(CORPORA, corpus)[doc_id]


def main() -> int:
    for corpus in ("en-scs-texts", "cctv-xwlb", "hwcfpp-chinadaily-nyt"):
        if not (CORPORA / corpus).exists():
            return exit_code_when_absent(CORPORA / corpus, "bench/cue_precision.py")
    from pipelines.claims.labelled import sentence_hash
    from pipelines.claims.mine import load_cues

    cues = load_cues()
    tally: dict[str, dict[str, int]] = defaultdict(
        lambda: {"judged": 0, "correct": 0, "still_matched": 0, "still_matched_correct": 0})
    for number, line in enumerate(JUDGED.read_text(encoding="utf-8").splitlines(), 1):
        ref = json.loads(line)
        text = document_text(ref["corpus"], ref["doc_id"])
        if sentence_hash(text[ref["start"] : ref["end"]]) != ref["sha256"]:
            print(f"error: {JUDGED}:{number}: sha256: the span of {ref['doc_id']} changed (the corpus changed)",
                  file=sys.stderr)
            return 1
        sentence_start = ref["sentence_start"]
        found = cues.find(text[sentence_start : ref["sentence_end"]])
        matched = any((s.start + sentence_start, s.end + sentence_start, s.label) == (ref["start"], ref["end"], ref["label"])
                      for s in found)
        for key in (f"{ref['lang']}:{ref['label']}", f"{ref['lang']}:all"):
            tally[key]["judged"] += 1
            tally[key]["correct"] += ref["correct"]
            tally[key]["still_matched"] += matched
            tally[key]["still_matched_correct"] += matched and ref["correct"]
    result = {key: {**counts, "precision": round(counts["correct"] / counts["judged"], 3),
                    "current_precision": round(counts["still_matched_correct"] / max(counts["still_matched"], 1), 3)}
              for key, counts in sorted(tally.items())}
    for key, row in result.items():
        print(f"{key:34} precision {row['precision']:.2f} ({row['correct']}/{row['judged']}); current lexicon: "
              f"{row['still_matched']} still matched, {row['current_precision']:.2f} of them correct")
    print(json.dumps({"cue_precision": result, "judged": sum(r["judged"] for k, r in result.items() if k.endswith(":all"))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
