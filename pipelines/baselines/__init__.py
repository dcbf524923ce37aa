"""Baselines stage: majority, TF-IDF + logistic regression and a linear SVM for each
single-choice task of the label schema, trained and scored on a built release."""

from pipelines.baselines.models import release_baselines, save_models
from pipelines.baselines.stage import (
    baselines_fingerprint,
    claims_frames,
    run_baselines,
    write_baseline_files,
)

__all__ = ["baselines_fingerprint", "claims_frames", "release_baselines", "run_baselines", "save_models", "write_baseline_files"]
