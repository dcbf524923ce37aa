"""Configuration as data: YAML files validated on load, with errors naming file and field."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from pipelines.kernel.io import FrameCheckError

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
CRAWLERS_DIR = REPO_ROOT / "crawlers"
ANNOTATION_DIR = REPO_ROOT / "annotation"
PIPELINES_DIR = REPO_ROOT / "pipelines"
DATASETS_DIR = REPO_ROOT / "datasets"
DEMO_DIR = REPO_ROOT / "demo"


class ConfigError(FrameCheckError):
    pass


def load_yaml(path: Path) -> Any:
    if not path.exists():
        raise ConfigError(f"{path}: configuration file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{path}{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None


class Checker:
    """Validates one YAML document; every error names the file and the field path."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, message: str):
        raise ConfigError(f"{self.path}: {where}: {message}")

    def mapping(self, value: Any, where: str, required: tuple[str, ...] = (), allowed: tuple[str, ...] | None = None) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"expected a mapping, got {type(value).__name__}")
        for key in required:
            if key not in value or value[key] in (None, "", []):
                self.fail(f"{where}.{key}", "required field is missing or empty")
        if allowed is not None:
            unknown = sorted(set(value) - set(allowed))
            if unknown:
                self.fail(f"{where}.{unknown[0]}", f"unknown key (allowed: {', '.join(allowed)})")
        return value

    def sequence(self, value: Any, where: str, min_len: int = 0) -> list:
        if not isinstance(value, list):
            self.fail(where, f"expected a list, got {type(value).__name__}")
        if len(value) < min_len:
            self.fail(where, f"expected at least {min_len} entries, got {len(value)}")
        return value

    def string(self, value: Any, where: str, pattern: str | None = None, choices: tuple[str, ...] | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"expected a non-empty string, got {value!r}")
        if pattern and not re.fullmatch(pattern, value):
            self.fail(where, f"{value!r} does not match {pattern}")
        if choices and value not in choices:
            self.fail(where, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def regex(self, value: Any, where: str) -> re.Pattern:
        self.string(value, where)
        try:
            return re.compile(value)
        except re.error as exc:
            self.fail(where, f"invalid regular expression: {exc}")
