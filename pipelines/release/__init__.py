"""Release stage: labelled claims, articles, facts and spans as a versioned Hugging Face
dataset folder; publishing to the Hub and rehydrating withheld text."""

from pipelines.release.build import build_release
from pipelines.release.publish import push_release, rehydrate_release

__all__ = ["build_release", "push_release", "rehydrate_release"]
