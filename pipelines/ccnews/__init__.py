"""CC-NEWS stage: WARC collections → Article Parquet shards on datatrove executors (local,
Slurm, Ray), with the extract stage's extraction; the claims stage reads the shards."""

from pipelines.ccnews.pipeline import (
    EXECUTORS,
    CCNewsRun,
    build_pipeline,
    prefilter_reason,
    run_ccnews,
)

__all__ = ["EXECUTORS", "CCNewsRun", "build_pipeline", "prefilter_reason", "run_ccnews"]
