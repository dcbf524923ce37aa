"""The one label schema (annotation/label_schema.yaml): the fields annotators fill in, their
kinds and choices. The Label Studio config, the release features, agreement and the
baselines all read their fields from here."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipelines.kernel.config import ANNOTATION_DIR, Checker, load_yaml

SCHEMA_FILE = ANNOTATION_DIR / "label_schema.yaml"
KINDS = ("single", "multi", "spans", "evidence", "text")


@dataclass(frozen=True)
class Choice:
    value: str
    hint: str
    hotkey: str | None


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    title: str
    choices: tuple[Choice, ...]
    required: bool
    required_if: tuple[str, str] | None

    @property
    def names(self) -> list[str]:
        return [c.value for c in self.choices]


@dataclass(frozen=True)
class LabelSchema:
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def class_names(self, name: str) -> list[str]:
        return self.field(name).names


@lru_cache(maxsize=4)
def load_schema(path: Path = SCHEMA_FILE) -> LabelSchema:
    check = Checker(path)
    doc = check.mapping(load_yaml(path), "(top)", required=("fields",), allowed=("version", "fields"))
    fields, hotkeys = [], set()
    for i, raw in enumerate(check.sequence(doc["fields"], "fields", 1)):
        where = f"fields[{i}]"
        check.mapping(raw, where, required=("name", "kind"), allowed=("name", "kind", "title", "choices", "required", "required_if"))
        name = check.string(raw["name"], f"{where}.name", pattern=r"[a-z_]+")
        kind = check.string(raw["kind"], f"{where}.kind", choices=KINDS)
        choices = []
        for j, c in enumerate(raw.get("choices") or []):
            check.mapping(c, f"fields[{name}].choices[{j}]", required=("value",), allowed=("value", "hint", "hotkey"))
            hotkey = str(c["hotkey"]) if c.get("hotkey") is not None else None
            if hotkey and hotkey in hotkeys:
                check.fail(f"fields[{name}].choices[{j}].hotkey", f"hotkey {hotkey!r} used twice")
            hotkeys.add(hotkey)
            choices.append(Choice(str(c["value"]), str(c.get("hint", "")), hotkey))
        if kind in ("single", "multi", "spans") and not choices:
            check.fail(f"fields[{name}].choices", "a choice field needs choices")
        req_if = raw.get("required_if")
        fields.append(
            Field(name, kind, str(raw.get("title", name)), tuple(choices), bool(raw.get("required", False)),
                  tuple(next(iter(req_if.items()))) if req_if else None)
        )
    return LabelSchema(tuple(fields))
