"""The architecture rules in pyproject.toml ([tool.importlinter]) hold, lazy imports included
(grimp reads every import statement, those inside functions too)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"]


def test_import_contracts_are_kept():
    result = subprocess.run([*LINT_IMPORTS, "--no-cache", "--config", str(REPO / "pyproject.toml")],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_a_forbidden_import_is_caught(tmp_path):
    """The check can fail: a kernel module that imports a stage breaks the kernel contract."""
    import shutil

    for package in ("crawlers", "pipelines", "annotation", "demo"):
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("site", "annotations", "__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "pipelines" / "kernel" / "leak.py").write_text("def f():\n    from pipelines.extract import core  # lazy, still counted\n")
    result = subprocess.run([*LINT_IMPORTS, "--no-cache", "--config", str(tmp_path / "pyproject.toml")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(tmp_path), "PATH": ""})
    assert result.returncode != 0
    assert "pipelines.kernel.leak -> pipelines.extract.core" in result.stdout
