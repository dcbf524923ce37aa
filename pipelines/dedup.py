"""De-duplication across outlets: exact (normalized text hash) and near-duplicate
(MinHash LSH over character shingles, which work for English and Chinese alike).

State media syndicate each other's copy; one canonical article is kept and the others
point to it through `duplicate_of`."""

from __future__ import annotations

import re
from dataclasses import replace

from datasketch import MinHash, MinHashLSH

from pipelines.records import Article

NUM_PERM = 128
SHINGLE = 5
THRESHOLD = 0.8


def _shingles(text: str) -> set[str]:
    compact = re.sub(r"\s+", " ", text.lower())
    return {compact[i : i + SHINGLE] for i in range(max(len(compact) - SHINGLE + 1, 1))}


def minhash(text: str) -> MinHash:
    mh = MinHash(num_perm=NUM_PERM, seed=13)
    mh.update_batch([s.encode("utf-8") for s in _shingles(text)])
    return mh


def _canonical_order(article: Article) -> tuple:
    # the earliest publication is the original; ties go to the stable article id
    return (article.published or "9999", article.article_id)


def deduplicate(articles: list[Article], threshold: float = THRESHOLD) -> list[Article]:
    """Return the same articles, each copy marked with the id of its canonical article."""
    ordered = sorted(articles, key=_canonical_order)
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    by_hash: dict[str, str] = {}
    canonical_of: dict[str, str] = {}
    for article in ordered:
        if article.text_sha256 in by_hash:
            canonical_of[article.article_id] = by_hash[article.text_sha256]
            continue
        mh = minhash(article.text)
        near = sorted(lsh.query(mh))
        if near:
            canonical_of[article.article_id] = near[0] if near[0] not in canonical_of else canonical_of[near[0]]
            continue
        by_hash[article.text_sha256] = article.article_id
        lsh.insert(article.article_id, mh)
    return [replace(a, duplicate_of=canonical_of.get(a.article_id)) for a in articles]
