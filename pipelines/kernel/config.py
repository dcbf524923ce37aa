"""Configuration as data: every YAML file the project reads is validated by a pydantic model
on load, and a bad file ends in one line naming the file and the field:
`<file>: <dotted.path[index]>: <message>`.

The models are strict where coercion would mislead (`demo: "no"` is not True, `allow: "x"`
is not a list of one-character regexes, `seed: "7"` is not 7) and reject unknown keys (a
misspelt key is an error, not silently ignored). Loaders validate with `load_config`, then
build the project's own frozen dataclasses, so no caller sees pydantic."""

from __future__ import annotations

import datetime
import difflib
import re
import types
from pathlib import Path
from typing import Annotated, Any, Callable, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError
from pydantic_core import PydanticCustomError

from pipelines.kernel.io import FrameCheckError

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
CRAWLERS_DIR = REPO_ROOT / "crawlers"
ANNOTATION_DIR = REPO_ROOT / "annotation"
PIPELINES_DIR = REPO_ROOT / "pipelines"
DATASETS_DIR = REPO_ROOT / "datasets"
DEMO_DIR = REPO_ROOT / "demo"


class ConfigError(FrameCheckError):
    pass


def config_error(path: Path, where: str, message: str) -> ConfigError:
    return ConfigError(f"{path}: {where}: {message}")


# --- Reading YAML ----------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML with dates left as text: the models check them and name the field (PyYAML
    turns `2026-13-45` into a bare ValueError from datetime.date)."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)


def load_yaml(path: Path) -> dict:
    """A YAML file's top-level mapping; anything else is a ConfigError."""
    if not path.exists():
        raise ConfigError(f"{path}: configuration file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{path}{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    except ValueError as exc:  # a tagged scalar PyYAML cannot build (`!!int abc`)
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(doc, dict):
        got = "an empty document" if doc is None else _described(doc)
        raise config_error(path, "(top)", f"expected a mapping of keys, got {got}")
    return doc


# --- Models ----------------------------------------------------------------------------


class ConfigModel(BaseModel):
    """Base of the config models: unknown keys are errors, values are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)


def invalid(where: tuple, message: str) -> PydanticCustomError:
    """An error a model validator raises about one of its own fields or items: `where` (e.g.
    ("outlets", 3, "id")) is appended to the model's location in the error line."""
    return PydanticCustomError("config", "{message}", {"message": message, "where": where})


def require_unique(values: list, where: Callable[[int], tuple], what: str) -> None:
    """For a model validator: the first value seen twice is an error at where(its index)."""
    first: dict[Any, int] = {}
    for i, value in enumerate(values):
        if value in first:
            raise invalid(where(i), f"duplicate {what} {value!r} (also {dotted(where(first[value])[:-1])})")
        first[value] = i


def require_text(value: Any) -> str:
    if not isinstance(value, str):
        raise invalid((), f"expected text, got {_described(value)}")
    if not value.strip():
        raise invalid((), "expected non-empty text")
    return value


def _regex(value: Any) -> re.Pattern:
    try:
        return re.compile(require_text(value))
    except re.error as exc:
        raise invalid((), f"invalid regular expression {value!r}: {exc}") from None


_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _date_text(value: Any, partial: bool) -> str:
    """'YYYY-MM-DD' (or with `partial` also 'YYYY', 'YYYY-MM'), checked to be a real date."""
    shape = "YYYY, YYYY-MM or YYYY-MM-DD" if partial else "YYYY-MM-DD"
    text = str(value) if partial and isinstance(value, int) and not isinstance(value, bool) else value
    match = _DATE.fullmatch(text) if isinstance(text, str) else None
    if match is None or (not partial and match.group(3) is None):
        raise invalid((), f"{value!r} is not a date ({shape})")
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        datetime.date(year, month, day)
    except ValueError as exc:
        raise invalid((), f"{value!r} is not a date: {exc}") from None
    return text


# Field types shared by the models (PlainValidator: these check the type themselves).
Text = Annotated[str, PlainValidator(require_text)]
"""Non-empty text."""
Regex = Annotated[re.Pattern, PlainValidator(_regex)]
"""A Python regular expression, compiled."""
IsoDate = Annotated[str, PlainValidator(lambda value: _date_text(value, partial=False))]
"""A real date as 'YYYY-MM-DD' text."""
PartialDate = Annotated[str, PlainValidator(lambda value: _date_text(value, partial=True))]
"""A real date as precise as known: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' text (a bare year number too)."""


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], doc: Any, path: Path) -> M:
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise ConfigError(describe_errors(path, exc, model)) from None


def load_config(path: Path, model: type[M]) -> M:
    """A YAML file validated by `model`; a bad file is one ConfigError line."""
    return validate(model, load_yaml(path), path)


# --- Error lines -----------------------------------------------------------------------


def describe_errors(path: Path, exc: ValidationError, model: type[BaseModel]) -> str:
    """`<file>: <dotted.path[index]>: <message>` for the first error, and how many more."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(first["loc"]) + tuple((first.get("ctx") or {}).get("where", ()))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path}: {dotted(loc)}: {_message(first, loc, model)}{more}"


def dotted(loc: tuple) -> str:
    """('outlets', 3, 'allow', 0) → 'outlets[3].allow[0]'."""
    out = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for an error in a dict key, not its value
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _message(error: dict, loc: tuple, model: type[BaseModel]) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return _unknown_key(str(loc[-1]), _fields_at(model, loc[:-1]))
    if kind == "missing":
        return "required field is missing"
    if kind == "config":  # raised by our own validators: already our wording
        return error["msg"]
    if kind in ("value_error", "assertion_error"):
        return str(error["ctx"]["error"])
    if kind in ("too_short", "too_long"):
        ctx = error["ctx"]
        bound = ctx["min_length"] if kind == "too_short" else ctx["max_length"]
        limit = f"{'at least' if kind == 'too_short' else 'at most'} {bound} {'entry' if bound == 1 else 'entries'}"
        actual = len(value) if isinstance(value, (list, dict)) else ctx.get("actual_length")  # None for a dict
        return f"expected {limit}, got {actual}"
    if kind == "literal_error":
        return f"{value!r} is not one of {error['ctx']['expected']}"
    message = error["msg"]
    message = message[0].lower() + message[1:] if message.startswith("Input") else message
    return f"{message}, got {_described(value)}"


def _unknown_key(key: str, allowed: list[str]) -> str:
    if not allowed:
        return "unknown key"
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)  # titel_weight, not colour → country
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key ({hint}allowed: {', '.join(allowed)})"


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names of the model that `loc` points into (for 'allowed:' hints)."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    current = _model_in(current)
    return list(current.model_fields) if current else []


def _arms(annotation: Any) -> tuple:
    """The types an annotation stands for: Annotated and Optional/Union unwrapped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _arms(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return tuple(arm for a in get_args(annotation) for arm in _arms(a) if arm is not type(None))
    return (annotation,)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    return next((a for a in _arms(annotation) if isinstance(a, type) and issubclass(a, BaseModel)), None)


def _step(annotation: Any, part: Any) -> Any:
    """The annotation one location part further in (a model's field, a list item, a dict value)."""
    for arm in _arms(annotation):
        if isinstance(arm, type) and issubclass(arm, BaseModel) and part in arm.model_fields:
            return arm.model_fields[part].annotation
        origin, args = get_origin(arm), get_args(arm)
        if origin in (list, tuple) and isinstance(part, int) and args:
            return args[0]
        if origin is dict and args:
            return args[1]
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _described(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"{type(value).__name__} {_short(value)}"
