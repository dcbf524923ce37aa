"""scikit-learn baselines: majority class, TF-IDF (word + character n-grams) logistic
regression, and a linear SVM. Character n-grams cover Chinese without a segmenter.

`train_and_evaluate` is shared by the release baselines and the LIAR check in bench/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

MODELS = ("majority", "logreg", "svm")


def make_model(kind: str, seed: int = 0) -> Pipeline:
    if kind == "majority":
        return Pipeline([("clf", DummyClassifier(strategy="most_frequent"))])
    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=1, sublinear_tf=True, max_features=200_000)),
        ]
    )
    if kind == "logreg":
        clf = LogisticRegression(max_iter=2000, C=1.0, class_weight="balanced", random_state=seed)
    elif kind == "svm":
        clf = LinearSVC(C=0.1, class_weight="balanced", random_state=seed)
    else:
        raise ValueError(f"unknown model kind {kind!r} (expected one of {', '.join(MODELS)})")
    return Pipeline([("features", features), ("clf", clf)])


@dataclass
class EvalSet:
    name: str
    texts: list[str]
    labels: list[str]
    groups: dict[str, list[str]] | None = None  # breakdown name → group value per row


def evaluate(model, eval_set: EvalSet, label_names: list[str]) -> dict:
    if not eval_set.texts:
        return {"n": 0}
    predicted = list(model.predict(eval_set.texts))
    result = {
        "n": len(predicted),
        "accuracy": round(float(accuracy_score(eval_set.labels, predicted)), 4),
        "macro_f1": round(float(f1_score(eval_set.labels, predicted, labels=label_names, average="macro", zero_division=0)), 4),
        "per_class_f1": {
            name: round(float(score), 4)
            for name, score in zip(label_names, f1_score(eval_set.labels, predicted, labels=label_names, average=None, zero_division=0))
        },
        "confusion": _confusion(eval_set.labels, predicted, label_names),
    }
    for breakdown, values in (eval_set.groups or {}).items():
        result[f"by_{breakdown}"] = {}
        for value in sorted(set(values)):
            idx = [i for i, v in enumerate(values) if v == value]
            gold = [eval_set.labels[i] for i in idx]
            pred = [predicted[i] for i in idx]
            result[f"by_{breakdown}"][value] = {
                "n": len(idx),
                "macro_f1": round(float(f1_score(gold, pred, labels=label_names, average="macro", zero_division=0)), 4),
            }
    return result


def _confusion(gold: list[str], predicted: list[str], names: list[str]) -> list[list[int]]:
    index = {n: i for i, n in enumerate(names)}
    matrix = np.zeros((len(names), len(names)), dtype=int)
    for g, p in zip(gold, predicted):
        if g in index and p in index:
            matrix[index[g], index[p]] += 1
    return matrix.tolist()


def train_and_evaluate(train_texts: list[str], train_labels: list[str], eval_sets: list[EvalSet],
                       label_names: list[str], kinds=MODELS, seed: int = 0, model_dir: Path | None = None,
                       task: str = "task") -> dict:
    """Fit each model kind on the training rows; score every eval set. Models saved with skops."""
    results = {}
    if len(set(train_labels)) < 2:
        return {"skipped": f"training labels have fewer than two classes ({sorted(set(train_labels))})"}
    for kind in kinds:
        model = make_model(kind, seed).fit(train_texts, train_labels)
        results[kind] = {es.name: evaluate(model, es, label_names) for es in eval_sets}
        if model_dir is not None:
            import skops.io as sio

            model_dir.mkdir(parents=True, exist_ok=True)
            sio.dump(model, model_dir / f"{task}-{kind}.skops")
    return results
