"""The guard on the shared corpora (tests/conftest.py require_shared / shared_dir,
bench/shared_data.py): absent, a local run skips and a CI run (CI=true) fails, in the tests
and in the benchmarks alike. Each case runs in its own process, as CI would."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO

from bench.shared_data import in_ci

INNER_TEST = '''
def test_needs_the_shared_corpora(shared_dir):
    assert shared_dir.is_dir()
'''


def _env(shared, ci: bool) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env["FRAMECHECK_SHARED"] = str(shared)
    if ci:
        env["CI"] = "true"
    return env


def _inner_session(tmp_path, shared, ci: bool) -> subprocess.CompletedProcess:
    """A pytest session of one test using the real shared_dir fixture (conftest loaded as a plugin)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # keep the inner session from finding other configuration
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    env = _env(shared, ci)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tests"), str(REPO)])
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q", "-rs", "test_inner.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_shared_dir_fails_under_ci_when_the_corpora_are_absent(tmp_path):
    result = _inner_session(tmp_path, tmp_path / "nowhere", ci=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 error" in result.stdout and "skipped" not in result.stdout
    assert f"{tmp_path / 'nowhere'} is absent" in result.stdout and "under CI=true that is a failure" in result.stdout


def test_shared_dir_skips_locally_when_the_corpora_are_absent(tmp_path):
    result = _inner_session(tmp_path, tmp_path / "nowhere", ci=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout and f"{tmp_path / 'nowhere'} is absent" in result.stdout


def test_shared_dir_passes_under_ci_when_the_corpora_are_there(tmp_path):
    (tmp_path / "shared").mkdir()
    result = _inner_session(tmp_path, tmp_path / "shared", ci=True)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("script", ["extraction_quality.py", "extraction_speed.py", "liar_baselines.py"])
def test_benchmarks_exit_non_zero_under_ci_without_the_corpora(tmp_path, script):
    result = subprocess.run([sys.executable, str(REPO / "bench" / script)], cwd=REPO, env=_env(tmp_path / "nowhere", ci=True),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("error: ") and "under CI=true that is a failure" in result.stderr


@pytest.mark.parametrize("value, expected", [("true", True), ("TRUE", True), ("1", True), ("false", False), ("", False)])
def test_what_counts_as_ci(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)
    assert in_ci() is expected
