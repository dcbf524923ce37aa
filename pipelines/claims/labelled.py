"""Sentences labelled by reading, kept as references into third-party corpora.

Third-party text never enters the repository: a labelled sentence is stored as its corpus,
document id and character offsets into that document's text, with a hash of the sentence, and
its labels. `resolve` reads the text back from the corpora folder (`../shared/corpora`) and
refuses a reference whose text no longer hashes the same, so a changed corpus cannot silently
shift the labels.

Reference file: JSON Lines, one object per sentence:

    {"corpus": "cctv-xwlb", "doc_id": "VIDE…", "start": 120, "end": 168, "sha256": "…16 hex…",
     "lang": "zh", "scs": true, "target": false, "reason": "opinion"}

- offsets are Python string indices into the document's `text` field;
- sha256: the first 16 hex digits of SHA-256 over the sentence's UTF-8 bytes;
- scs: the sentence is about the SCS or one of its parts; target: it asserts something
  checkable about it (the rule is in annotation/GUIDELINES.md); reason: a short code.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

# corpus name → (files holding its documents, the field naming a document)
CORPUS_FILES: dict[str, tuple[tuple[str, ...], str]] = {
    "en-scs-texts": (("docs.jsonl",), "doc_id"),
    "cctv-xwlb": (("scs_stories.jsonl", "other_stories.jsonl"), "story_id"),
}


class LabelledError(ValueError):
    """A reference that cannot be resolved: its message names the file, line and field."""


@dataclass(frozen=True)
class SentenceRef:
    corpus: str
    doc_id: str
    start: int
    end: int
    sha256: str
    lang: str
    scs: bool
    target: bool
    reason: str = ""


@dataclass(frozen=True)
class LabelledSentence:
    ref: SentenceRef
    text: str


def sentence_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def make_ref(corpus: str, doc_id: str, document_text: str, start: int, end: int, lang: str,
             scs: bool, target: bool, reason: str = "") -> SentenceRef:
    """A reference to document_text[start:end], hashed, for writing a label file."""
    return SentenceRef(corpus, doc_id, start, end, sentence_hash(document_text[start:end]), lang, scs, target, reason)


def write_refs(path: Path, refs: Iterable[SentenceRef]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for ref in refs:
            out.write(json.dumps(ref.__dict__, ensure_ascii=False) + "\n")
    tmp.replace(path)


def read_refs(path: Path) -> list[SentenceRef]:
    refs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
            refs.append(SentenceRef(**fields))
        except (json.JSONDecodeError, TypeError) as exc:
            raise LabelledError(f"{path}:{number}: not a sentence reference ({exc})") from None
    return refs


@lru_cache(maxsize=8)
def corpus_documents(corpora: Path, corpus: str) -> dict[str, str]:
    """doc id → text for one corpus under the corpora folder."""
    if corpus not in CORPUS_FILES:
        raise LabelledError(f"unknown corpus {corpus!r} (known: {', '.join(CORPUS_FILES)})")
    names, id_field = CORPUS_FILES[corpus]
    documents: dict[str, str] = {}
    for name in names:
        with (corpora / corpus / name).open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                documents[record[id_field]] = record["text"]
    return documents


def resolve(path: Path, corpora: Path) -> Iterator[LabelledSentence]:
    """The labelled sentences of a reference file, their text read from the corpora."""
    for number, ref in enumerate(read_refs(path), 1):
        documents = corpus_documents(corpora, ref.corpus)
        if ref.doc_id not in documents:
            raise LabelledError(f"{path}:{number}: doc_id {ref.doc_id!r} is not in {ref.corpus}")
        text = documents[ref.doc_id][ref.start:ref.end]
        if sentence_hash(text) != ref.sha256:
            raise LabelledError(f"{path}:{number}: sha256: the text at {ref.start}:{ref.end} of {ref.doc_id} "
                                "does not match the label (the corpus changed)")
        yield LabelledSentence(ref, text)
