"""Which cctv-xwlb sentences the Chinese label files hold, chosen by a fixed rule.

The Chinese claim-mining labels (pipelines/claims/training/claims_zh_train.jsonl and
bench/devsets/claims_zh_dev.jsonl) were written by reading every sentence this module
selects; the labels themselves were not produced by any rule. Recording the selection here
lets anyone check that the files hold exactly these sentences, and extend them the same way.

- Sentences: a story's `text` is cut into paragraphs (lines) and each paragraph after every
  run of 。！？； with the closing quotes or brackets that follow it; leading and trailing
  whitespace (full-width spaces included) is trimmed. This splitter belongs to the data set,
  not to the miner under test, so a change to pipelines/claims/segment.py cannot move it.
- Split by story: a story's bucket is the first 8 hex digits of SHA-256(story_id) modulo 10;
  buckets 0–4 are train, 5–9 dev, so no story is in both.
- Train: train-bucket stories of scs_stories.jsonl in hash order, each contributing the
  sentences within two of a sentence matching the corpus' own selection terms (MANIFEST.md),
  until at least 400 sentences; then train-bucket stories of other_stories.jsonl, whole, in
  hash order, until at least 100 more (real negatives, about 20%).
- Dev: dev-bucket stories of scs_stories.jsonl, whole (every sentence), in hash order, until
  at least 550 sentences; then dev-bucket stories of other_stories.jsonl, whole, until at
  least 60 more. In hash order these include policy stories, court defaulter-list stories,
  news roundups where one item is about credit and stories using 失信/黑名单 in their
  everyday sense (a foreign blacklist, a moral appeal).

Run `python bench/devsets/cctv_selection.py` to compare the label files with the rule
(exit status 1 on a difference; 0, with a message, when the corpora are absent locally).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Iterator, NamedTuple

if __package__ in (None, ""):  # run as a script: import bench.* from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.shared_data import CORPORA, REPO, exit_code_when_absent

CORPUS = "cctv-xwlb"
TRAIN_FILE = REPO / "pipelines" / "claims" / "training" / "claims_zh_train.jsonl"
DEV_FILE = REPO / "bench" / "devsets" / "claims_zh_dev.jsonl"
_STOP = re.compile(r"[。！？；]+[”’」』）)》\"]*")
_LINE = re.compile(r"[^\n]+")
_TRIM = " \t\r\n\u3000\xa0"
# the terms the corpus was selected by (cctv-xwlb/MANIFEST.md)
_CORPUS_TERMS = re.compile(r"社会信用|失信|信用中国|信用体系|信用惩戒|信用修复|信用监管|联合惩戒|红黑名单|黑名单")


class Pick(NamedTuple):
    story_id: str
    start: int
    end: int


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for line in _LINE.finditer(text):
        cursor = line.start()
        for stop in _STOP.finditer(text, line.start(), line.end()):
            spans.append((cursor, stop.end()))
            cursor = stop.end()
        if cursor < line.end():
            spans.append((cursor, line.end()))
    trimmed = []
    for start, end in spans:
        while start < end and text[start] in _TRIM:
            start += 1
        while end > start and text[end - 1] in _TRIM:
            end -= 1
        if end > start:
            trimmed.append((start, end))
    return trimmed


def story_hash(story_id: str) -> str:
    return hashlib.sha256(story_id.encode("utf-8")).hexdigest()


def is_dev(story_id: str) -> bool:
    return int(story_hash(story_id)[:8], 16) % 10 >= 5


def _stories(corpora: Path, name: str, dev: bool) -> list[dict]:
    with (corpora / CORPUS / name).open(encoding="utf-8") as lines:
        stories = [json.loads(line) for line in lines]
    return sorted((s for s in stories if is_dev(s["story_id"]) == dev), key=lambda s: story_hash(s["story_id"]))


def _whole(stories: list[dict], at_least: int) -> Iterator[Pick]:
    count = 0
    for story in stories:
        for start, end in sentence_spans(story["text"]):
            count += 1
            yield Pick(story["story_id"], start, end)
        if count >= at_least:
            return


def _near_terms(stories: list[dict], at_least: int, window: int = 2) -> Iterator[Pick]:
    count = 0
    for story in stories:
        text = story["text"]
        spans = sentence_spans(text)
        hits = [i for i, (a, b) in enumerate(spans) if _CORPUS_TERMS.search(text[a:b])]
        near = sorted({j for i in hits for j in range(i - window, i + window + 1) if 0 <= j < len(spans)})
        for j in near:
            count += 1
            yield Pick(story["story_id"], *spans[j])
        if count >= at_least:
            return


def train_picks(corpora: Path = CORPORA) -> list[Pick]:
    return (list(_near_terms(_stories(corpora, "scs_stories.jsonl", dev=False), 400))
            + list(_whole(_stories(corpora, "other_stories.jsonl", dev=False), 100)))


def dev_picks(corpora: Path = CORPORA) -> list[Pick]:
    return (list(_whole(_stories(corpora, "scs_stories.jsonl", dev=True), 550))
            + list(_whole(_stories(corpora, "other_stories.jsonl", dev=True), 60)))


def file_picks(path: Path) -> list[Pick]:
    picks = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            ref = json.loads(line)
            picks.append(Pick(ref["doc_id"], ref["start"], ref["end"]))
    return picks


def differences(expected: list[Pick], found: list[Pick]) -> list[str]:
    missing, extra = set(expected) - set(found), set(found) - set(expected)
    return ([f"missing {p.story_id} {p.start}:{p.end}" for p in sorted(missing)]
            + [f"not selected {p.story_id} {p.start}:{p.end}" for p in sorted(extra)])


def main() -> int:
    if not (CORPORA / CORPUS).is_dir():
        return exit_code_when_absent(CORPORA / CORPUS, "cctv selection check")
    status = 0
    for path, expected in ((TRAIN_FILE, train_picks()), (DEV_FILE, dev_picks())):
        problems = differences(expected, file_picks(path))
        for problem in problems[:20]:
            print(f"{path.name}: {problem}")
        status |= bool(problems)
        print(f"{path.name}: {len(expected)} sentences selected, {len(problems)} differences")
    return status


if __name__ == "__main__":
    sys.exit(main())
