"""Fitted models on disk: the one place that writes and reads skops files.

`framecheck baselines` (and `release build`) save their pipelines with `save_model`, and
`framecheck claims train` the claim ranker (a dict of scikit-learn objects: a
HashingVectorizer, a TfidfTransformer, logistic regressions, numbers and strings);
`claims run` and `annotate push` read the ranker back with `load_model`.
A skops file names the types it needs; loading one with a type the project never writes
could run code (a FunctionTransformer whose function is `exec`), so `load_model` accepts
only the exact types below and refuses anything else.

`TRUSTED_TYPES` is what `skops.io.get_untrusted_types` reports for the models the project
writes (pipelines/baselines/models.py `make_model` — majority, logreg, svm — after
`compact`, through `save_model`), for the claim ranker (pipelines/claims/train.py `fit`) and for
the claims stage's speech-boundary model (pipelines/claims/models/boundaries.skops, an
SGDClassifier): nothing, with skops 0.16 (the scikit-learn estimators,
NumPy arrays and builtin containers they hold are on skops' own trusted list). A skops
release that reported one of those types differently would make `load_model` refuse the
project's own models with a one-line error naming the type — the safe way to fail: add
the exact name here after checking that our models hold it."""

from __future__ import annotations

from pathlib import Path

from pipelines.kernel.io import FrameCheckError, atomic_path

TRUSTED_TYPES: frozenset[str] = frozenset()


def save_model(target: Path, model) -> Path:
    """Write a fitted model as a skops file (never pickle), atomically."""
    import skops.io as sio

    with atomic_path(target) as tmp:
        sio.dump(model, tmp)
    return target


def untrusted_types(path: Path) -> list[str]:
    """The types in a skops file outside skops' trusted list and ours, in skops' order."""
    import zipfile

    import skops.io as sio

    try:
        reported = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise FrameCheckError(f"{path}: not a readable skops model file ({type(exc).__name__}: {exc})") from None
    return [name for name in reported if name not in TRUSTED_TYPES]


def load_model(path: Path):
    """A model written by `save_model`; any type the project does not write is refused
    before a single object of the file is built."""
    import skops.io as sio

    if not path.exists():
        raise FrameCheckError(f"{path}: no baseline model (run `framecheck baselines` first)")
    refused = untrusted_types(path)
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise FrameCheckError(f"{path}: refusing to load a model holding type {refused[0]}{more}: "
                              f"framecheck writes no such type, and loading it could run code")
    return sio.load(path, trusted=sorted(TRUSTED_TYPES))
