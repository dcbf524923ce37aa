"""Release stage: labelled claims, articles, facts and spans as a versioned Hugging Face
dataset folder; publishing to the Hub and rehydrating withheld text."""

from pipelines.release.build import BuildReleaseStep
from pipelines.release.card import demo_notice
from pipelines.release.publish import PushReleaseStep, RehydrateStep

__all__ = ["BuildReleaseStep", "PushReleaseStep", "RehydrateStep", "demo_notice"]
