"""De-duplication across outlets: exact (normalized text hash) and near-duplicate
(MinHash LSH over character shingles, which work for English and Chinese alike).

State media syndicate each other's copy; one canonical article is kept (the earliest
published, ties to the smaller id) and the others point to it through `duplicate_of`.
Hong Kong outlets re-run mainland copy in traditional characters, so Chinese text is
compared in simplified form.

Streaming use: `dedup_key(article)` keeps what de-duplication needs of an article (a
few hundred bytes: no text), and `assign_duplicates(keys)` decides on those keys alone,
so the extract stage never holds the articles' text in memory."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from pipelines.kernel.records import Article
from pipelines.kernel.text import is_chinese

NUM_PERM = 128
SHINGLE = {"en": 5, "zh": 3}  # a Chinese character carries about as much as 2–3 Latin letters
THRESHOLD = 0.8
_SEED = 13
_SCHEME = "affine32"  # datasketch's default: 32-bit hash values
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class DedupKey:
    article_id: str
    outlet_id: str
    published: str | None
    text_hash: str
    signature: np.ndarray  # uint32[NUM_PERM]: MinHash values are below 2**32


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize_for_shingles(text: str) -> str:
    """Case, width, punctuation and script differences removed; words kept apart."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if _CJK.search(folded):
        folded = _t2s().convert(folded)
    folded = re.sub(r"[\W_]+", " ", folded)
    # spaces between Chinese characters are layout, not word breaks
    folded = re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", folded)
    return folded.strip()


def shingles(text: str, language: str = "en") -> set[str]:
    compact = normalize_for_shingles(text)
    size = SHINGLE["zh" if is_chinese(language) else "en"]
    return {compact[i : i + size] for i in range(max(len(compact) - size + 1, 1))}


def minhash(text: str, language: str = "en") -> MinHash:
    mh = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME)
    mh.update_batch([s.encode("utf-8") for s in shingles(text, language)])
    return mh


def dedup_key(article: Article) -> DedupKey:
    signature = minhash(article.text, article.language).hashvalues.astype(np.uint32, copy=False)
    return DedupKey(article.article_id, article.outlet_id, article.published, article.text_sha256, signature)


def _canonical_order(key: DedupKey) -> tuple:
    # the earliest publication is the original; ties go to the stable article id
    return (key.published or "9999", key.article_id)


def assign_duplicates(keys: list[DedupKey], threshold: float = THRESHOLD) -> dict[str, str]:
    """Map each duplicate's article id to its canonical article's id (canonicals are absent).

    Exact copies share the normalized text hash. Near copies are LSH candidates whose
    estimated Jaccard similarity reaches the threshold (LSH alone lets some lower ones in)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    by_hash: dict[str, str] = {}
    signatures: dict[str, np.ndarray] = {}
    canonical_of: dict[str, str] = {}
    for key in sorted(keys, key=_canonical_order):
        if key.text_hash in by_hash:
            canonical_of[key.article_id] = by_hash[key.text_hash]
            continue
        mh = LeanMinHash(seed=_SEED, hashvalues=key.signature, scheme=_SCHEME)
        near = [(float(np.mean(signatures[c] == key.signature)), c) for c in lsh.query(mh)]
        near = sorted((-sim, c) for sim, c in near if sim >= threshold)
        if near:
            canonical_of[key.article_id] = near[0][1]
            continue
        by_hash[key.text_hash] = key.article_id
        signatures[key.article_id] = key.signature
        lsh.insert(key.article_id, mh)
    return canonical_of


def deduplicate(articles: list[Article], threshold: float = THRESHOLD) -> list[Article]:
    """Return the same articles, each copy marked with the id of its canonical article."""
    canonical_of = assign_duplicates([dedup_key(a) for a in articles], threshold)
    return [replace(a, duplicate_of=canonical_of.get(a.article_id)) for a in articles]


def duplicate_groups(keys: list[DedupKey], canonical_of: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """canonical id → [(copy id, copy outlet)], for the stage's summary and log."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for key in keys:
        if key.article_id in canonical_of:
            groups.setdefault(canonical_of[key.article_id], []).append((key.article_id, key.outlet_id))
    return groups
