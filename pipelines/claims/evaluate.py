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


# The annotator budget: at most this many candidates per 100 sentences of a document
# about the SCS.
CANDIDATE_BUDGET_PER_100 = 40.0
CUT_RULE = ("per language, on the dev set: among the thresholds (each distinct score) that keep at most "
            f"{CANDIDATE_BUDGET_PER_100:g} candidates per 100 sentences of the on-topic dev documents (the issue's "
            "annotator budget), the one with the highest recall within the top 2x|gold|, then the highest "
            "R-precision, then the highest threshold (the fewest candidates that rank as well); the pooled cut, "
            "the same rule over both languages, is the fallback for any other language")


def choose_cut_in_budget(labels: list[bool], scores: list[float], on_topic: list[bool] | None = None,
                         budget: float = CANDIDATE_BUDGET_PER_100) -> float:
    """The cut by CUT_RULE. The ranking metrics only ever look at the top 2x|gold| candidates,
    so the rule keeps no more than that ranking needs, and fewer when the budget says so; it
    never optimises a figure the ranking does not produce."""
    labels_arr, scores_arr = np.asarray(labels, dtype=bool), np.asarray(scores, dtype=float)
    topic = np.ones(len(labels_arr), dtype=bool) if on_topic is None or not any(on_topic) else np.asarray(on_topic, bool)
    best, best_key = float(scores_arr.max()) if len(scores_arr) else 0.5, None
    for cut in np.unique(np.round(scores_arr, 4)):
        if cut <= 0:
            continue  # a zero score is "not scored" (the cascade's prefilter dropped it)
        kept = scores_arr >= cut
        if 100.0 * (kept & topic).sum() / topic.sum() > budget:
            continue
        m = ranking_metrics(labels, scores, float(cut))
        key = (m["recall_at_2x_gold"] or 0.0, m["r_precision"] or 0.0, float(cut))
        if best_key is None or key > best_key:
            best, best_key = float(cut), key
    return best


def on_topic_documents(scored: list[tuple[SentenceRef, float]]) -> set[tuple[str, str]]:
    """Documents with at least one sentence about the SCS (where the budget applies)."""
    return {(ref.corpus, ref.doc_id) for ref, _s in scored if ref.scs}


def choose_cuts(scored: list[tuple[SentenceRef, float]]) -> tuple[dict[str, float], float]:
    """({language: cut}, pooled cut) by CUT_RULE on scored dev references."""
    topic = on_topic_documents(scored)

    def cut_of(rows):
        return choose_cut_in_budget([r.target for r, _s in rows], [s for _r, s in rows],
                                    [(r.corpus, r.doc_id) in topic for r, _s in rows])
    languages = sorted({ref.lang[:2] for ref, _s in scored})
    return {lang: cut_of([(r, s) for r, s in scored if r.lang[:2] == lang]) for lang in languages}, cut_of(scored)


def per_language(scored: list[tuple[SentenceRef, float]], cut: float | dict[str, float]) -> dict:
    """Metrics per language at one cut, or at each language's own cut ({language: cut})."""
    out = {}
    for language in sorted({ref.lang[:2] for ref, _s in scored}):
        rows = [(ref.target, score) for ref, score in scored if ref.lang[:2] == language]
        language_cut = cut.get(language, min(cut.values())) if isinstance(cut, dict) else cut
        out[language] = ranking_metrics([t for t, _s in rows], [s for _t, s in rows], language_cut)
    return out
