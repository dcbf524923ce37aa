"""Where the shared third-party corpora are, and what a run does when they are absent.

The corpora sit beside the repository (../shared, never copied into it); FRAMECHECK_SHARED
names another place (a git worktree's parent is not the checkout's). Absent, a local run
skips with a message; under CI (CI=true, as CI services set it) the same absence is a
failure, so a CI job cannot go green by skipping every check on real data.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("FRAMECHECK_SHARED") or REPO.parent / "shared")
CORPORA = SHARED / "corpora"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def absent(path: Path) -> str:
    """The one sentence both the tests and the benchmarks give for a missing path."""
    return f"{path} is absent: shared corpora not available here (FRAMECHECK_SHARED=DIR reads them from DIR)"


def ci_absent(path: Path) -> str:
    return f"{absent(path)}; under CI=true that is a failure, not a skip"


def exit_code_when_absent(path: Path, what: str) -> int:
    """For a benchmark: say what is skipped (stdout locally, stderr under CI) and return its
    exit status: 0 locally, 1 under CI."""
    if in_ci():
        print(f"error: {what}: {ci_absent(path)}", file=sys.stderr)
        return 1
    print(f"{what}: skipped — {absent(path)}")
    return 0
