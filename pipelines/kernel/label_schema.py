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

    @property
    def is_set(self) -> bool:
        """A multi or evidence field holds a set of values (frames, fact ids)."""
        return self.kind in ("multi", "evidence")


@dataclass(frozen=True)
class LabelSchema:
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def class_names(self, name: str) -> list[str]:
        return self.field(name).names

    def fields_of_kind(self, *kinds: str) -> tuple[Field, ...]:
        """The fields of these kinds, in schema order (the order of the release's columns)."""
        return tuple(f for f in self.fields if f.kind in kinds)

    @property
    def gate(self) -> tuple[str, str] | None:
        """The condition the conditional fields are asked under: the first `required_if` of the
        schema (checkworthy = "yes": verdict and distortion are asked of check-worthy claims only)."""
        return next((f.required_if for f in self.fields if f.required_if), None)

    def condition(self, name: str) -> tuple[str, str] | None:
        """When a field is asked: its own `required_if`; an evidence field without one (the facts
        that decide the conditional verdict) is asked under the gate."""
        field = self.field(name)
        if field.required_if or field.kind != "evidence":
            return field.required_if
        return self.gate

    def positive(self, name: str) -> str | None:
        """The value of a field that opens other fields ("yes" for checkworthy), or None."""
        return next((f.required_if[1] for f in self.fields if f.required_if and f.required_if[0] == name), None)

    @property
    def decision(self) -> tuple[str, ...]:
        """The fields of a claim's main judgement: the first single field and the first single field
        asked under its positive value (checkworthy, then verdict). Their shares of agreeing annotators
        make the gold `agreement`, and a gold text field (rationale) comes from an annotator who agrees
        with the gold on both."""
        single = self.fields_of_kind("single")
        if not single:
            return ()
        root = single[0].name
        follow = next((f.name for f in single if f.required_if and f.required_if[0] == root), None)
        return (root, follow) if follow else (root,)

    def spans_field_for(self, label: str) -> Field | None:
        """The spans field a span label belongs to (the first spans field when none lists it)."""
        spans = self.fields_of_kind("spans")
        return next((f for f in spans if label in f.names), spans[0] if spans else None)


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
