"""scikit-learn baselines: majority class, TF-IDF (word + character n-grams) logistic
regression, and a linear SVM. Character n-grams cover Chinese without a segmenter.

`train_and_evaluate` is shared by the release baselines (`release_baselines`, run by
`framecheck release build` and `framecheck baselines`) and the LIAR check in bench/.
Everything here is deterministic for the same rows (fixed seeds, scores rounded to four
places), so the baseline results and plots can sit inside a byte-reproducible release;
the fitted models (skops files, which embed zip times) are kept outside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from pipelines.kernel.label_schema import LabelSchema, load_schema
from pipelines.kernel.models import save_model

MODELS = ("majority", "logreg", "svm")
MODEL_DESCRIPTIONS = {
    "majority": "most frequent training label",
    "logreg": "TF-IDF word 1-2-grams + char_wb 2-4-grams (sublinear tf) → LogisticRegression(C=1, class_weight=balanced)",
    "svm": "TF-IDF word 1-2-grams + char_wb 2-4-grams (sublinear tf) → LinearSVC(C=0.1, class_weight=balanced)",
}
EVAL_SPLITS = ("test", "ood_test")
BREAKDOWNS = ("language", "camp")


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


def _scores(gold: list[str], predicted: list[str], label_names: list[str]) -> dict:
    """n, accuracy, macro-F1 and F1 per class (over label_names; a class never predicted nor
    present scores 0), rounded to four places."""
    per_class = f1_score(gold, predicted, labels=label_names, average=None, zero_division=0)
    return {
        "n": len(predicted),
        "accuracy": round(float(accuracy_score(gold, predicted)), 4),
        "macro_f1": round(float(f1_score(gold, predicted, labels=label_names, average="macro", zero_division=0)), 4),
        "per_class_f1": {name: round(float(score), 4) for name, score in zip(label_names, per_class)},
    }


def evaluate(model, eval_set: EvalSet, label_names: list[str]) -> dict:
    if not eval_set.texts:
        return {"n": 0}
    predicted = list(model.predict(eval_set.texts))
    result = {
        **_scores(eval_set.labels, predicted, label_names),
        # rows gold × columns predicted, in label_names order; rows with a label outside it are left out
        "confusion": confusion_matrix(eval_set.labels, predicted, labels=label_names).tolist(),
    }
    for breakdown, values in (eval_set.groups or {}).items():
        result[f"by_{breakdown}"] = {}
        for value in sorted(set(values)):
            idx = [i for i, v in enumerate(values) if v == value]
            result[f"by_{breakdown}"][value] = _scores([eval_set.labels[i] for i in idx], [predicted[i] for i in idx], label_names)
    return result


def train_and_evaluate(train_texts: list[str], train_labels: list[str], eval_sets: list[EvalSet],
                       label_names: list[str], kinds=MODELS, seed: int = 0, model_dir: Path | None = None,
                       task: str = "task", keep_models: dict | None = None, make=make_model) -> dict:
    """Fit each model kind on the training rows; score every eval set.

    Models are saved with skops into model_dir (never pickle), and/or put into keep_models
    as `<task>-<kind>` → fitted pipeline, for the caller to save later."""
    results = {}
    if len(set(train_labels)) < 2:
        return {"skipped": f"training labels have fewer than two classes ({sorted(set(train_labels))})"}
    for kind in kinds:
        model = make(kind, seed).fit(train_texts, train_labels)
        results[kind] = {es.name: evaluate(model, es, label_names) for es in eval_sets}
        if keep_models is not None:
            keep_models[f"{task}-{kind}"] = model
        if model_dir is not None:
            save_models(model_dir, {f"{task}-{kind}": model})
    return results


def compact(model):
    """Make a fitted pipeline cheap to save without changing its predictions.

    A TfidfVectorizer's vocabulary_ maps terms to numpy integers, which skops stores as one
    array file each (tens of thousands of zip members, minutes to write); plain ints are
    stored inline. stop_words_ (terms cut by max_features) is introspection only and,
    per scikit-learn's docs, safe to drop before persisting."""
    stack = [model]
    while stack:
        item = stack.pop()
        if isinstance(item, Pipeline):
            stack += [step for _, step in item.steps]
        elif isinstance(item, FeatureUnion):
            stack += [transformer for _, transformer in item.transformer_list]
        elif isinstance(item, TfidfVectorizer) and hasattr(item, "vocabulary_"):
            item.vocabulary_ = {term: int(index) for term, index in item.vocabulary_.items()}
            if hasattr(item, "stop_words_"):
                item.stop_words_ = None
    return model


def save_models(model_dir: Path, models: dict) -> list[Path]:
    """Save fitted pipelines with skops (`<name>.skops`), each written atomically by the
    kernel's `save_model`, beside the allow-list that `load_model` reads them back with."""
    return [save_model(model_dir / f"{name}.skops", compact(model)) for name, model in sorted(models.items())]


# --- The release's tasks ---------------------------------------------------------------


# The merged class of a yes-vs-rest task: every choice but the positive one.
OTHERS = "no"


@dataclass(frozen=True)
class Task:
    """A baseline task: one single field of the label schema, on the rows where the field is
    asked (its required_if holds: verdicts of check-worthy claims)."""

    field: str
    label_names: list[str]
    condition: tuple[str, str] | None
    positive: str | None  # set: the positive value against the other choices merged
    description: str

    def select(self, frame):
        return frame if self.condition is None else frame[frame[self.condition[0]] == self.condition[1]]

    def labels_of(self, frame) -> list:
        if self.positive is None:
            return list(frame[self.field])
        return [self.positive if v == self.positive else OTHERS for v in frame[self.field]]


def schema_tasks(schema: LabelSchema, names: dict[str, list[str]]) -> list[Task]:
    """One task per single field of the schema that the release has (names: its class names).

    A field that other fields' required_if points at (checkworthy: verdict and distortion are
    asked where it is "yes") is a yes-vs-rest task: that value against the other choices merged,
    the question the pipeline asks before any other. Every other single field is a task over
    its own classes, on the rows where its required_if holds."""
    tasks = []
    for field in schema.fields_of_kind("single"):
        if field.name not in names:
            continue
        condition, positive = field.required_if, schema.positive(field.name)
        rows = "all claims" if condition is None else f"claims where {condition[0]} is {condition[1]}"
        if positive is not None:
            others = [n for n in names[field.name] if n != positive]
            tasks.append(Task(field.name, [positive, OTHERS], condition, positive,
                              f"{rows}; {positive} vs. {OTHERS} ({', '.join(others)} merged)"))
        else:
            tasks.append(Task(field.name, list(names[field.name]), condition, None,
                              f"{rows}; {', '.join(names[field.name])}"))
    return tasks


def release_baselines(frames: dict, names: dict[str, list[str]], schema: LabelSchema | None = None, seed: int = 0,
                      keep_models: dict | None = None) -> dict:
    """Train on the train split, score test and ood_test, per task (labels as names in frames).

    frames: split → pandas DataFrame with text, language, camp and label columns as names;
    names: the release's class names per single field; schema: the label schema (default the
    committed one), which decides the tasks."""
    if "train" not in frames:
        raise ValueError("the release has no train split to fit baselines on")
    results = {"seed": seed, "models": dict(MODEL_DESCRIPTIONS), "tasks": {}}
    for task in schema_tasks(schema or load_schema(), names):
        train = task.select(frames["train"])
        eval_sets = []
        for split in EVAL_SPLITS:
            if split in frames:
                frame = task.select(frames[split])
                eval_sets.append(EvalSet(split, list(frame["text"]), task.labels_of(frame),
                                         {key: list(frame[key]) for key in BREAKDOWNS}))
        results["tasks"][task.field] = {
            "description": task.description,
            "labels": task.label_names,
            "train_size": len(train),
            "eval_sizes": {es.name: len(es.texts) for es in eval_sets},
            "results": train_and_evaluate(list(train["text"]), task.labels_of(train), eval_sets, task.label_names,
                                          seed=seed, task=task.field, keep_models=keep_models),
        }
    return results


CONFUSION_FONT_PT = 11


def confusion_png(task: str, task_result: dict, kinds=("logreg", "svm")) -> bytes | None:
    """One PNG per task: confusion matrices, a row per model, a column per eval split.

    Byte-reproducible: Agg backend, fixed size and dpi, no Software or date metadata."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = task_result.get("results", {})
    kinds = [k for k in kinds if k in results]
    splits = [s for s in EVAL_SPLITS if any(s in results[k] and results[k][s].get("n") for k in kinds)]
    if not kinds or not splits:
        return None
    labels = task_result["labels"]
    # Sized to be read where it is shown (the report scales it to a 900 px column): labels and
    # counts at 11-12 pt on a 4.6-inch panel, long label names rotated, no overlapping titles.
    with plt.rc_context({"font.size": CONFUSION_FONT_PT, "svg.hashsalt": "framecheck"}):
        fig, axes = plt.subplots(len(kinds), len(splits), figsize=(4.6 * len(splits), 4.4 * len(kinds)), squeeze=False)
        for i, kind in enumerate(kinds):
            for j, split in enumerate(splits):
                ax = axes[i][j]
                matrix = np.array(results[kind][split].get("confusion") or np.zeros((len(labels), len(labels))))
                ax.imshow(matrix, cmap="Blues")
                for (r, c), value in np.ndenumerate(matrix):
                    ax.text(c, r, str(int(value)), ha="center", va="center",
                            color="white" if value > matrix.max() / 2 else "black", fontsize=CONFUSION_FONT_PT + 1)
                ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right", fontsize=CONFUSION_FONT_PT)
                ax.set_yticks(range(len(labels)), labels, fontsize=CONFUSION_FONT_PT)
                macro = results[kind][split].get("macro_f1")
                ax.set_title(f"{kind} · {split}\nmacro-F1 {macro:.3f}" if macro is not None else f"{kind} · {split}",
                             fontsize=CONFUSION_FONT_PT + 1)
                ax.set_xlabel("predicted", fontsize=CONFUSION_FONT_PT)
                ax.set_ylabel("gold", fontsize=CONFUSION_FONT_PT)
        fig.suptitle(f"{task}: confusion matrices", fontsize=CONFUSION_FONT_PT + 3)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
    return buffer.getvalue()
