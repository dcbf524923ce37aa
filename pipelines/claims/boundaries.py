"""Sentence boundaries in speech without punctuation, learned from real punctuated speech.

Auto-captions arrive as one run of lower-case words. The model here was taught where the
sentences of real speech end: US debate and speech transcripts (ClaimBuster, CLEF
CheckThat! 2019 and 2020 in `../shared/corpora/checkworthiness/`) with their punctuation and
case removed, every gap between two words labelled "a sentence ends here" or not, by the
original line and sentence breaks. Each gap is described by the words around it, hashed
(`FeatureHasher`): the saved model holds weights of hash buckets, never a word of the
transcripts, so the third-party text stays out of the repository.

`split_speech` (pipelines/claims/segment.py) decodes the probabilities with length limits.
`train_boundary_model` is what `framecheck claims train` runs; nothing trains at import.
Held out from training: the seven debates and speeches of CLEF 2019's test set, whole, so
the boundary F1 in the metrics is measured on debates the model never saw."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipelines.kernel.config import PIPELINES_DIR

BOUNDARY_MODEL_FILE = PIPELINES_DIR / "claims" / "models" / "boundaries.skops"
N_FEATURES = 2**18
CORPUS = "checkworthiness"
HELD_OUT_FILE = "clef2019_t1_test.csv"  # whole debates, never trained on
DEV_FILES = ("20161010_2pres.tsv", "20170216_trump_press.tsv", "20160722_trump_acceptance.tsv")  # tuning the decoder

_NOT_WORD = re.compile(r"[^\w'-]+")


def speech_word(token: str) -> str:
    """A token as an auto-caption writes it: lower case, no punctuation around or inside
    it but apostrophes and hyphens ("700,000" → "700000", "don't" stays)."""
    return _NOT_WORD.sub("", token.lower()).strip("'-")


def speech_words(text: str) -> list[str]:
    return [w for w in (speech_word(t) for t in text.split()) if w]


def _shape(word: str) -> str:
    return "D" if word[:1].isdigit() else "W"


def gap_features(words: list[str], i: int) -> list[str]:
    """Features of the gap after words[i]: the two words before it and the two after, their
    pairs across and on each side, the last word's ending, and whether text follows."""
    def at(k: int) -> str:
        return words[k] if 0 <= k < len(words) else ("<s>" if k < 0 else "</s>")

    a1, a0, b0, b1 = at(i - 1), at(i), at(i + 1), at(i + 2)
    return [f"a0={a0}", f"a1={a1}", f"b0={b0}", f"b1={b1}", f"a1a0={a1}|{a0}", f"a0b0={a0}|{b0}",
            f"b0b1={b0}|{b1}", f"a0s={a0[-3:]}", f"a0b0s={_shape(a0)}{_shape(b0)}", f"a1a0b0={a1}|{a0}|{b0}",
            f"a0b0b1={a0}|{b0}|{b1}"]


def _hasher():
    from sklearn.feature_extraction import FeatureHasher

    return FeatureHasher(n_features=N_FEATURES, input_type="string", alternate_sign=False)


@dataclass(frozen=True)
class BoundaryModel:
    """A fitted classifier over hashed gap features: P(a sentence ends after word i)."""

    classifier: object

    def probabilities(self, words: list[str]) -> np.ndarray:
        if len(words) < 2:
            return np.zeros(0)
        features = _hasher().transform(gap_features(words, i) for i in range(len(words) - 1))
        return self.classifier.predict_proba(features)[:, 1]


@lru_cache(maxsize=2)
def load_boundary_model(path: Path = BOUNDARY_MODEL_FILE) -> BoundaryModel | None:
    """The committed model, or None when there is none (segmentation falls back to the
    clause-opener heuristic)."""
    from pipelines.kernel.models import load_model

    if not path.exists():
        return None
    return BoundaryModel(load_model(path))


MIN_SPEECH_WORDS, MAX_SPEECH_WORDS = 3, 40  # windows an annotator can read as one claim
# A cut gains the boundary's log-odds minus this: -0.75 also takes gaps the model rates a little
# below even odds. Chosen on the dev debates (boundaries.DEV_FILES: F1 0.650 against 0.635 at 0),
# never on the test debates.
CUT_BIAS = -0.75


def decode_boundaries(probabilities: np.ndarray, min_words: int = MIN_SPEECH_WORDS,
                      max_words: int = MAX_SPEECH_WORDS, bias: float = CUT_BIAS) -> list[int]:
    """Gap indices i (a sentence ends after word i) for len(probabilities) + 1 words: the cuts
    that maximise the summed log-odds of the boundaries taken, with every window between
    min_words and max_words words (the last one may be shorter)."""
    n = len(probabilities) + 1
    clipped = np.clip(probabilities, 1e-6, 1 - 1e-6)
    # a window starting at word s > 0 means a cut after word s-1, which gains gain[s-1]
    gain = np.concatenate([[0.0], np.log(clipped / (1 - clipped)) - bias])
    best = np.full(n + 1, -np.inf)
    back = np.zeros(n + 1, dtype=np.int64)
    best[0] = 0.0
    for j in range(1, n + 1):  # best[j]: the first j words cut into windows
        shortest = 1 if j == n else min_words  # the last window may be shorter
        starts = np.arange(max(0, j - max_words), j - shortest + 1)
        if starts.size == 0:
            continue
        values = best[starts] + gain[starts]
        pick = int(np.argmax(values))
        best[j], back[j] = values[pick], starts[pick]
    cuts, j = [], n
    while j > 0:
        j = int(back[j])
        if j > 0:
            cuts.append(j - 1)
    return sorted(cuts)


# --- Training data: real punctuated speech, punctuation removed -----------------------------

@dataclass(frozen=True)
class Stream:
    """One debate or run of consecutive lines as unpunctuated words, with the gold boundaries
    (indices i: a sentence ends after words[i]; the end of the stream is not counted)."""

    name: str
    words: list[str]
    boundaries: frozenset[int]


_SENTENCE_END = re.compile(r"[.!?]+[\"')\]”’]*$")


def _line_pieces(line: str) -> list[list[str]]:
    """A line's sentences as word lists: a line is a sentence or more (a word ending in . ! ?
    before another word ends one, as the transcribers punctuated it; "Mr." is not one)."""
    pieces, current = [], []
    for token in line.split():
        word = speech_word(token)
        if word:
            current.append(word)
        if current and _SENTENCE_END.search(token) and word not in ("mr", "mrs", "ms", "dr", "st", "jr", "sen", "gov"):
            if not re.fullmatch(r"[a-z]", word):  # "George W. Bush"
                pieces.append(current)
                current = []
    if current:
        pieces.append(current)
    return pieces


def stream_of(name: str, lines: list[str]) -> Stream:
    words: list[str] = []
    boundaries = set()
    for line in lines:
        for piece in _line_pieces(line):
            words += piece
            boundaries.add(len(words) - 1)
    boundaries.discard(len(words) - 1)
    return Stream(name, words, frozenset(boundaries))


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t" if path.suffix == ".tsv" else ","))


def _by_file(rows: list[dict]) -> dict[str, list[str]]:
    files: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        files.setdefault(row["file_name"], []).append((int(row["line_number"]), row["text"]))
    return {name: [text for _n, text in sorted(lines)] for name, lines in files.items()}


def _runs(name: str, texts: list[str], excluded: set[str], min_lines: int = 3) -> list[Stream]:
    """Consecutive lines not in `excluded`, as streams (an excluded line breaks a run)."""
    streams, run = [], []
    for text in texts + [None]:
        if text is None or text in excluded:
            if len(run) >= min_lines:
                streams.append(stream_of(f"{name}#{len(streams)}", run))
            run = []
        else:
            run.append(text)
    return streams


def debate_streams(corpora: Path) -> dict[str, list[Stream]]:
    """train / dev / test streams. test: CLEF 2019's test debates, whole; dev: three CLEF 2019
    training debates; train: the other CLEF 2019 debates, CLEF 2020's lines and ClaimBuster's
    runs of consecutive sentence ids, each without any line of a test debate (CLEF 2020
    repeats CLEF 2019's debates)."""
    folder = corpora / CORPUS
    test_files = _by_file(_read(folder / HELD_OUT_FILE))
    test_lines = {line for lines in test_files.values() for line in lines}
    train_files = _by_file(_read(folder / "clef2019_t1_train.csv"))
    dev_lines = {line for name in DEV_FILES for line in train_files[name]}
    held = test_lines | dev_lines
    split: dict[str, list[Stream]] = {
        "test": [stream_of(name, lines) for name, lines in sorted(test_files.items())],
        "dev": [stream_of(name, train_files[name]) for name in DEV_FILES],
        "train": [],
    }
    for name, lines in sorted(train_files.items()):
        if name not in DEV_FILES:
            split["train"] += _runs(name, lines, held)
    for clef2020 in ("clef2020_t5_train.tsv", "clef2020_t5_test_gold.tsv"):
        split["train"] += _runs(clef2020, [row["text"] for row in _read(folder / clef2020)], held)
    claimbuster = sorted(_read(folder / "claimbuster_groundtruth.csv"), key=lambda r: int(r["sentence_id"]))
    run: list[str] = []
    previous = None
    for row in claimbuster + [None]:
        number = int(row["sentence_id"]) if row else None
        if row is None or previous is None or number != previous + 1 or row["text"] in held:
            if len(run) >= 3:
                split["train"].append(stream_of(f"claimbuster#{previous}", run))
            run = []
        if row is not None and row["text"] not in held:
            run.append(row["text"])
        previous = number
    return split


def _matrix(streams: list[Stream]):
    from scipy import sparse

    hasher = _hasher()
    blocks, labels = [], []
    for stream in streams:
        gaps = range(len(stream.words) - 1)
        if not gaps:
            continue
        blocks.append(hasher.transform(gap_features(stream.words, i) for i in gaps))
        labels.append(np.fromiter((i in stream.boundaries for i in gaps), dtype=np.int8, count=len(gaps)))
    return sparse.vstack(blocks).tocsr(), np.concatenate(labels)


def boundary_f1(predicted: set[int], gold: frozenset[int] | set[int]) -> tuple[int, int, int]:
    """(true positives, predicted, gold): exact word-gap matches."""
    return len(predicted & gold), len(predicted), len(gold)


def summarise(counts: list[tuple[int, int, int]]) -> dict[str, float]:
    tp, predicted, gold = (sum(c[k] for c in counts) for k in range(3))
    precision = tp / predicted if predicted else 0.0
    recall = tp / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "gold": gold}


def train_boundary_model(shared_corpora_dir: Path, out_path: Path = BOUNDARY_MODEL_FILE) -> dict:
    """Fit the boundary model on the training debates, save it with skops to out_path, and
    return its metrics: gap counts, and boundary F1 on the held-out debates (model alone at
    p > 0.5, and decoded with the length limits `split_speech` uses)."""
    from sklearn.linear_model import SGDClassifier

    from pipelines.kernel.models import save_model

    split = debate_streams(Path(shared_corpora_dir))
    if not any(len(s.words) > 1 for s in split["train"]):
        raise ValueError(f"{Path(shared_corpora_dir) / CORPUS}: no training lines outside the held-out debates")
    features, labels = _matrix(split["train"])
    classifier = SGDClassifier(loss="log_loss", alpha=5e-7, max_iter=15, tol=None, random_state=0)
    classifier.fit(features, labels)
    classifier.coef_ = classifier.coef_.astype(np.float32)  # half the file; the scores do not move
    model = BoundaryModel(classifier)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    save_model(out_path, classifier)
    metrics = {"data": f"{CORPUS}: ClaimBuster, CLEF CheckThat! 2019 (train), 2020 (train, test); "
                       f"held out: {HELD_OUT_FILE}",
               "train_gaps": int(labels.size), "train_boundaries": int(labels.sum()),
               "train_streams": len(split["train"]), "n_features": N_FEATURES}
    for part in ("dev", "test"):
        alone, decoded = [], []
        for stream in split[part]:
            probabilities = model.probabilities(stream.words)
            alone.append(boundary_f1({int(i) for i in np.flatnonzero(probabilities > 0.5)}, stream.boundaries))
            decoded.append(boundary_f1(set(decode_boundaries(probabilities)), stream.boundaries))
        metrics[f"{part}_model_f1"] = summarise(alone)
        metrics[f"{part}_decoded_f1"] = summarise(decoded)
    return metrics

