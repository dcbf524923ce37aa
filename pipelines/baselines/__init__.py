"""Baselines stage: majority, TF-IDF + logistic regression and a linear SVM for each
single-choice task of the label schema, trained and scored on a built release."""

from pipelines.baselines.models import release_baselines, save_models
from pipelines.baselines.stage import BaselinesStep, claims_frames, write_baseline_files

__all__ = ["BaselinesStep", "claims_frames", "release_baselines", "save_models", "write_baseline_files"]
