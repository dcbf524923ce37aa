"""FrameCheck pipeline stages: extract, de-duplicate, mine claims, release, baselines."""

__version__ = "0.1.0"
