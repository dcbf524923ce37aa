"""Active-learning order: unlabeled claims sorted by the baseline's uncertainty, so the
next hour of annotation buys the most. The model is a skops file written by
`framecheck baselines`; only scikit-learn, NumPy and SciPy types are accepted on load."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.kernel.io import FrameCheckError
from pipelines.kernel.records import Claim

_SAFE_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")


def load_model(path: Path):
    import skops.io as sio

    if not path.exists():
        raise FrameCheckError(f"{path}: no baseline model (run `framecheck baselines` first)")
    untrusted = sio.get_untrusted_types(file=path)
    unsafe = [t for t in untrusted if not t.startswith(_SAFE_PREFIXES)]
    if unsafe:
        raise FrameCheckError(f"{path}: refusing to load types outside scikit-learn/NumPy/SciPy: {', '.join(unsafe)}")
    return sio.load(path, trusted=untrusted)


def uncertainty(model, texts: list[str]) -> np.ndarray:
    """Entropy of the predicted class distribution (decision margins for models without probabilities)."""
    if not texts:
        return np.zeros(0)
    if hasattr(model, "predict_proba"):
        proba = np.clip(model.predict_proba(texts), 1e-12, 1.0)
        return -(proba * np.log(proba)).sum(axis=1)
    margins = np.atleast_2d(model.decision_function(texts))
    if margins.shape[0] == 1:
        margins = margins.T
    top = np.sort(margins, axis=1)
    gap = top[:, -1] - (top[:, -2] if top.shape[1] > 1 else -top[:, -1])
    return -gap


def order_by_uncertainty(claims: list[Claim], model) -> list[Claim]:
    """Most uncertain first; ties keep the claims' given order (stable sort)."""
    scores = uncertainty(model, [c.text for c in claims])
    order = np.argsort(-scores, kind="stable")
    return [claims[i] for i in order]
