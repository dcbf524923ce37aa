"""The claim ranker on labelled references: per language R-precision, recall within the top
2×|gold|, candidates per 100 sentences and the confusion at the cut; and the choice of the
cut itself (on a dev set only: training never sees the dev references)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.claims.labelled import LabelledError, SentenceRef, corpus_documents, read_refs, sentence_hash
from pipelines.claims.ranker import ClaimRanker
from pipelines.claims.segment import split_sentences


def scored_refs(ranker: ClaimRanker, paths: list[Path], corpora: Path) -> list[tuple[SentenceRef, float]]:
    """Every referenced sentence scored in its document (neighbours as the miner sees them)."""
    by_doc: dict[tuple[str, str], list[SentenceRef]] = {}
    for path in paths:
        for ref in read_refs(path):
            by_doc.setdefault((ref.corpus, ref.doc_id), []).append(ref)
    sentences, groups, marks = [], [], []
    for number, ((corpus, doc_id), refs) in enumerate(sorted(by_doc.items())):
        text = corpus_documents(corpora, corpus)[doc_id]
        doc_sentences, _scs, _target, doc_refs = document_with_refs(text, refs)
        sentences += doc_sentences
        groups += [number] * len(doc_sentences)
        marks += doc_refs
    scores = ranker.score_sentences(sentences, np.asarray(groups))
    return [(ref, s.score) for ref, s in zip(marks, scores) if ref is not None]


def document_with_refs(text: str, refs: list[SentenceRef]) -> tuple[list[str], list[int | None], list[int | None],
                                                                     list[SentenceRef | None]]:
    """The document's sentences in order, the labelled ones exactly as referenced and the
    others as the miner segments them (context): texts, scs and target labels (None for
    context), and the reference of each (None for context)."""
    for ref in refs:
        if sentence_hash(text[ref.start : ref.end]) != ref.sha256:
            raise LabelledError(f"{ref.corpus}/{ref.doc_id}: sha256: the text at {ref.start}:{ref.end} does not "
                                "match the label (the corpus changed)")
    refs = sorted(refs, key=lambda r: r.start)
    language = "zh-Hans" if refs[0].lang.startswith("zh") else "en"
    spans = [(a, b, None) for a, b in split_sentences(text, language)
             if not any(a < r.end and r.start < b for r in refs)]
    spans += [(r.start, r.end, r) for r in refs]
    spans.sort(key=lambda s: s[0])
    sentences = [text[a:b] for a, b, _r in spans]
    scs = [None if r is None else int(r.scs) for _a, _b, r in spans]
    target = [None if r is None else int(r.target) for _a, _b, r in spans]
    return sentences, scs, target, [r for _a, _b, r in spans]


def ranking_metrics(labels: list[bool], scores: list[float], cut: float) -> dict:
    """Pool the sentences; candidates are those scoring at least the cut, ranked by score."""
    labels_arr, scores_arr = np.asarray(labels, dtype=bool), np.asarray(scores, dtype=float)
    gold = int(labels_arr.sum())
    kept = scores_arr >= cut
    order = np.argsort(-np.where(kept, scores_arr, -1.0), kind="stable")
    ranked = [labels_arr[i] for i in order if kept[i]]
    tp = int((kept & labels_arr).sum())
    return {
        "sentences": len(labels), "gold": gold, "candidates": int(kept.sum()),
        "r_precision": round(sum(ranked[:gold]) / gold, 3) if gold else None,
        "recall_at_2x_gold": round(sum(ranked[: 2 * gold]) / gold, 3) if gold else None,
        "candidates_per_100": round(100.0 * kept.sum() / max(len(labels), 1), 1),
        "confusion_at_cut": {"tp": tp, "fp": int((kept & ~labels_arr).sum()), "fn": int((~kept & labels_arr).sum()),
                             "tn": int((~kept & ~labels_arr).sum())},
        "precision_at_cut": round(tp / kept.sum(), 3) if kept.sum() else None,
        "recall_at_cut": round(tp / gold, 3) if gold else None,
    }


def choose_cut(labels: list[bool], scores: list[float]) -> float:
    """The threshold of the one score with the best F1 of targets (ties: the higher cut)."""
    labels_arr, scores_arr = np.asarray(labels, dtype=bool), np.asarray(scores, dtype=float)
    best, best_f1 = 0.5, -1.0
    for cut in np.unique(np.round(scores_arr, 4)):
        kept = scores_arr >= cut
        tp = (kept & labels_arr).sum()
        if not tp:
            continue
        f1 = 2 * tp / (kept.sum() + labels_arr.sum())
        if f1 >= best_f1:
            best, best_f1 = float(cut), f1
    return best


def per_language(scored: list[tuple[SentenceRef, float]], cut: float) -> dict:
    out = {}
    for language in sorted({ref.lang[:2] for ref, _s in scored}):
        rows = [(ref.target, score) for ref, score in scored if ref.lang[:2] == language]
        out[language] = ranking_metrics([t for t, _s in rows], [s for _t, s in rows], cut)
    return out
