"""The project layout: installable packages, and a datasets/ folder that never shadows HF datasets."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_datasets_folder_is_not_a_package():
    assert not (REPO / "datasets" / "__init__.py").exists()


def test_import_datasets_is_hugging_face_even_from_the_repo_root():
    # run from the repo root, where a datasets/ folder sits on sys.path[0]
    code = "import datasets, sys; print(datasets.__file__); print(hasattr(datasets, 'load_dataset'))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    assert "site-packages" in out[0], out[0]
    assert out[1] == "True"


def test_stage_packages_import():
    import annotation
    import crawlers
    import pipelines

    for module in (annotation, crawlers, pipelines):
        assert Path(module.__file__).parent.parent == REPO


def test_version_and_help():
    from conftest import run_cli

    assert run_cli("--version").stdout.strip() == "framecheck 0.1.0"
    for stage in ("crawl", "extract", "claims", "annotate", "release", "baselines", "report"):
        result = run_cli(stage, "--help")
        assert "Usage" in result.stdout, stage
