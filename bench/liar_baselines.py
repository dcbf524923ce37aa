"""LIAR (Wang, ACL 2017): FrameCheck's own baseline code on a published fact-checking table.

Runs `pipelines.baselines.models` (the same majority / TF-IDF logistic regression / linear SVM
models the release trains) on LIAR's statements only (text, six labels), and prints test
accuracy beside the paper's Table 2, then one line of JSON. Exits 1 when the logistic
regression or SVM row is more than 0.03 from the paper's, or the loader does not read
exactly 10,269 / 1,284 / 1,283 statements.

No tuning was needed: the models are the release's defaults (see MODEL_DESCRIPTIONS), and
nothing is fit or chosen on the test split; validation accuracy is printed alongside.

The TSVs hold unbalanced double quotes (e.g. `Says "...`), so a default CSV parse merges
rows silently; the loader reads with quoting disabled and checks every row has 14 fields.

Usage: python bench/liar_baselines.py [LIAR_DIR]   (default: ../shared/corpora/liar, or $LIAR_DIR)
The corpus is read in place and never copied; without it the benchmark says so and exits 0,
or 1 under CI=true (bench/shared_data.py). `run()` computes the figures without printing
(tests/test_quality_floors.py holds them to bench/quality_floors.json).
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.shared_data import CORPORA, exit_code_when_absent  # noqa: E402

DEFAULT_DIR = CORPORA / "liar"
SPLITS = {"train": "train.tsv", "valid": "valid.tsv", "test": "test.tsv"}
EXPECTED = {"train": 10269, "valid": 1284, "test": 1283}
LABELS = ["pants-fire", "false", "barely-true", "half-true", "mostly-true", "true"]
# Wang (2017), Table 2: six-way test accuracy of the text-only models
PAPER_TEST = {"majority": 0.208, "logreg": 0.247, "svm": 0.255, "cnn": 0.270}
TOLERANCE = 0.03
CHECKED = ("logreg", "svm")


class LiarFormatError(ValueError):
    pass


def liar_dir(argv: list[str] | None = None) -> Path:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        return Path(argv[0])
    return Path(os.environ.get("LIAR_DIR", DEFAULT_DIR))


def read_split(path: Path) -> list[dict]:
    """One LIAR TSV → rows {id, label, statement}; quoting off, exactly 14 fields a row."""
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for number, fields in enumerate(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if len(fields) != 14:
                raise LiarFormatError(f"{path}:{number}: {len(fields)} tab-separated fields, expected 14")
            label = fields[1]
            if label not in LABELS:
                raise LiarFormatError(f"{path}:{number}: unknown label {label!r}")
            rows.append({"id": fields[0], "label": label, "statement": fields[2]})
    return rows


def load_liar(root: Path) -> dict[str, list[dict]]:
    """The three splits, checked against the paper's counts."""
    data = {split: read_split(root / name) for split, name in SPLITS.items()}
    counts = {split: len(rows) for split, rows in data.items()}
    if counts != EXPECTED:
        raise LiarFormatError(f"{root}: read {counts}, expected {EXPECTED}")
    return data


def run(root: Path, train_limit: int | None = None) -> dict:
    """The figures, nothing printed. train_limit: fit on the first N training statements only
    (file order; a fixed, faster subset for tests/test_quality_floors.py), scored on the full
    validation and test splits."""
    from pipelines.baselines.models import (
        MODEL_DESCRIPTIONS,
        EvalSet,
        train_and_evaluate,
    )

    started = time.perf_counter()
    data = load_liar(root)
    train = data["train"][:train_limit]
    eval_sets = [EvalSet(split, [r["statement"] for r in data[split]], [r["label"] for r in data[split]]) for split in ("valid", "test")]
    results = train_and_evaluate([r["statement"] for r in train], [r["label"] for r in train], eval_sets, LABELS)
    ours = {model: {split: res[split]["accuracy"] for split in ("valid", "test")} for model, res in results.items()}
    within = {model: abs(ours[model]["test"] - PAPER_TEST[model]) <= TOLERANCE for model in CHECKED}
    return {
        "benchmark": "liar_baselines",
        "counts": {split: len(rows) for split, rows in data.items()},
        "trained_on": len(train),
        "accuracy": ours,
        "macro_f1_test": {model: res["test"]["macro_f1"] for model, res in results.items()},
        "paper_test": PAPER_TEST,
        "delta_test": {model: round(ours[model]["test"] - PAPER_TEST[model], 4) for model in ours},
        "within_tolerance": within,
        "tolerance": TOLERANCE,
        "models": {model: MODEL_DESCRIPTIONS[model] for model in ours},
        "seconds": round(time.perf_counter() - started, 1),
    }


def table(result: dict) -> str:
    names = {"majority": "majority", "logreg": "logistic regression", "svm": "SVM", "cnn": "CNN"}
    lines = [
        f"LIAR, six-way accuracy (train {result['counts']['train']}, valid {result['counts']['valid']}, "
        f"test {result['counts']['test']} statements; text only)",
        "",
        f"{'model':<22}{'ours valid':>12}{'ours test':>12}{'paper test':>12}{'Δ test':>9}  within ±{TOLERANCE}",
    ]
    for model in ("majority", "logreg", "svm", "cnn"):
        paper = result["paper_test"][model]
        if model in result["accuracy"]:
            acc = result["accuracy"][model]
            check = {True: "yes", False: "NO"}.get(result["within_tolerance"].get(model), "")
            lines.append(f"{names[model]:<22}{acc['valid']:>12.3f}{acc['test']:>12.3f}{paper:>12.3f}{acc['test'] - paper:>+9.3f}  {check}")
        else:
            lines.append(f"{names[model]:<22}{'–':>12}{'–':>12}{paper:>12.3f}{'':>9}  (not a FrameCheck baseline)")
    lines.append("")
    lines.append("paper: Wang (2017), 'Liar, Liar Pants on Fire', ACL, Table 2. Ours: pipelines.baselines.models, default settings.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    root = liar_dir(argv)
    if not all((root / name).exists() for name in SPLITS.values()):
        code = exit_code_when_absent(root, "liar_baselines: the LIAR corpus")
        if code == 0:
            print(json.dumps({"benchmark": "liar_baselines", "skipped": f"corpus not found at {root}"}))
        return code
    try:
        result = run(root)
    except LiarFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(table(result))
    print(f"({result['seconds']} s)")
    print(json.dumps(result, sort_keys=True))
    return 0 if all(result["within_tolerance"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
