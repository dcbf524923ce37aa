"""Active-learning order: unlabeled claims sorted by uncertainty, so the next hour of
annotation buys the most.

The model is the claim ranker that mined the claims (`framecheck claims train` refits it
with the annotators' labels; the data directory's copy overrides the packaged one): the
claims whose score lies nearest its cut are the ones a label would move most. A baseline
classifier written by `framecheck baselines` (a skops file read by the kernel's
`load_model`, which accepts only the exact types the project writes) can order them too,
by the entropy of its predicted classes."""

from __future__ import annotations

import numpy as np

from pipelines.claims import ClaimRanker
from pipelines.kernel.models import (
    load_model,  # the one skops loader, with its allow-list
)
from pipelines.kernel.records import Claim

__all__ = ["load_model", "order_by_uncertainty", "ranker_uncertainty", "uncertainty"]


def ranker_uncertainty(ranker: ClaimRanker, claims: list[Claim]) -> np.ndarray:
    """Minus the distance of each claim's score (with its context as neighbours) from the cut
    of its language."""
    if not claims:
        return np.zeros(0)
    sentences, groups = [], []
    for number, claim in enumerate(claims):
        window = [s for s in (claim.context_before, claim.text, claim.context_after) if s]
        sentences += window
        groups += [number] * len(window)
    scores = ranker.score_sentences(sentences, np.asarray(groups))
    by_text = {}
    position = 0
    for number, claim in enumerate(claims):
        window = [s for s in (claim.context_before, claim.text, claim.context_after) if s]
        by_text[number] = scores[position + window.index(claim.text)].score
        position += len(window)
    cuts = np.array([ranker.cut_for(claim.language) for claim in claims])  # each claim's language's cut
    return -np.abs(np.array([by_text[i] for i in range(len(claims))]) - cuts)


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
    """Most uncertain first; ties keep the claims' given order (stable sort). model: the claim
    ranker, or a baseline text classifier."""
    if isinstance(model, ClaimRanker):
        scores = ranker_uncertainty(model, claims)
    else:
        scores = uncertainty(model, [c.text for c in claims])
    order = np.argsort(-scores, kind="stable")
    return [claims[i] for i in order]
