import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # bench/ is not an installed package: import it from the checkout
    sys.path.insert(0, str(REPO))

from bench.shared_data import SHARED, absent, ci_absent, in_ci  # noqa: E402

FRAMECHECK = [sys.executable, "-m", "pipelines.cli"]


def run_cli(*args, data_dir: Path | None = None, check: bool = True, env: dict | None = None, timeout: int = 600):
    """Run `framecheck` in a subprocess (Scrapy's reactor can run once per process)."""
    cmd = FRAMECHECK + (["--data-dir", str(data_dir)] if data_dir else []) + [str(a) for a in args]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "COLUMNS": "200", **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def require_shared(*parts: str) -> Path:
    """A path under the shared corpora folder; absent, the test skips, or fails under CI=true
    (a CI run must not pass by skipping every check on real data)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if in_ci():
            pytest.fail(ci_absent(path), pytrace=False)
        pytest.skip(absent(path))
    return path


@pytest.fixture
def shared_dir():
    return require_shared()


def reference_score(topic, text: str, title: str = "") -> float:
    """The topic score by its plain definition (every pattern searched): the reference the
    fast path in pipelines.relevance.Topic must equal."""
    total = 0.0
    for pattern, weight, _term in topic.patterns:
        if pattern.search(text):
            total += weight
        if title and pattern.search(title):
            total += weight * topic.title_weight
    return total
