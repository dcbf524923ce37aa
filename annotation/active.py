"""Active-learning order: unlabeled claims sorted by the baseline's uncertainty, so the
next hour of annotation buys the most. The model is a skops file written by
`framecheck baselines`, read by the kernel's `load_model`, which accepts only the exact
types the project writes."""

from __future__ import annotations

import numpy as np

from pipelines.kernel.models import (
    load_model,  # the one skops loader, with its allow-list
)
from pipelines.kernel.records import Claim

__all__ = ["load_model", "order_by_uncertainty", "uncertainty"]


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
