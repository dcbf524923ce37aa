"""How the English claim-mining label sets were cut from ../shared/corpora/en-scs-texts.

Split by document, never by sentence (neighbouring sentences of one text would leak across):
- dev: the two long mixed documents (en-010, a multi-page case study; en-013, an essay whose
  background section is dense with claims and whose body is argument), plus the five other
  documents whose SHA-256 of the doc id sorts first; 7 documents, 416 sentences;
- train: the remaining 6 documents.

Sentences: pysbd (English, clean=False) within each paragraph line; en-007 is hard-wrapped at
72 columns, so its paragraphs are the blank-line separated blocks with single newlines read as
spaces. Plainly wrong boundaries were then fixed by hand (a list number split from its item,
a multi-sentence quotation kept as one, a lone closing quote, a citation cut at "Vol.");
`rule_spans` gives the spans before those fixes, and the test holds the files to them for all
but a few sentences. Labels were decided by reading each sentence in its document
(annotation/GUIDELINES.md, section 8), never by a keyword rule or a model.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
DEV_FILE = REPO / "bench" / "devsets" / "claims_en_dev.jsonl"
TRAIN_FILE = REPO / "pipelines" / "claims" / "training" / "claims_en_train.jsonl"
MIXED_DOCUMENTS = ("en-010", "en-013")
OTHER_DEV_DOCUMENTS = 5
HARD_WRAPPED = frozenset({"en-007"})


def dev_documents(doc_ids: list[str]) -> set[str]:
    others = sorted((d for d in doc_ids if d not in MIXED_DOCUMENTS), key=lambda d: hashlib.sha256(d.encode()).hexdigest())
    return set(MIXED_DOCUMENTS) | set(others[:OTHER_DEV_DOCUMENTS])


def rule_spans(doc_id: str, text: str) -> list[tuple[int, int]]:
    """Sentence offsets by the stated rule, before the hand fixes."""
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False)
    wrapped = doc_id in HARD_WRAPPED
    spans = []
    for para in re.finditer(r"(?:[^\n]|\n(?!\n))+" if wrapped else r"[^\n]+", text):
        body = para.group(0).replace("\n", " ") if wrapped else para.group(0)  # same length: offsets hold
        cursor = 0
        for sentence in segmenter.segment(body):
            sentence = sentence.strip()
            if not sentence:
                continue
            at = body.find(sentence, cursor)
            spans.append((para.start() + at, para.start() + at + len(sentence)))
            cursor = at + len(sentence)
    return spans
