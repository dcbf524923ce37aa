"""The one label schema (annotation/label_schema.yaml): the fields annotators fill in, their
kinds and choices. The Label Studio config, the release features, agreement and the
baselines all read their fields from here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BeforeValidator, field_validator, model_validator

from pipelines.kernel.config import (
    ANNOTATION_DIR,
    ConfigModel,
    Text,
    invalid,
    load_config,
    require_unique,
)

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


# --- The schema file's models -----------------------------------------------------------


def _hotkey_text(value: Any) -> Any:
    """A hotkey may be written as a bare digit (`hotkey: 1`); true/false stay errors."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class ChoiceModel(ConfigModel):
    value: Text
    hint: str = ""
    hotkey: Annotated[Text, BeforeValidator(_hotkey_text)] | None = None


class FieldModel(ConfigModel):
    name: Text
    kind: Literal[KINDS]
    title: Text | None = None
    choices: list[ChoiceModel] = []
    required: bool = False
    # {field: value}: required when that other field has that value
    required_if: Annotated[dict[Text, Text], pydantic.Field(min_length=1, max_length=1)] | None = None

    @field_validator("name")
    @classmethod
    def _name_shape(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z_]+", value):
            raise invalid((), f"{value!r} is not a field name (lowercase letters and '_')")
        return value

    @property
    def names(self) -> list[str]:
        return [c.value for c in self.choices]

    @model_validator(mode="after")
    def _choices(self):
        if self.kind in ("single", "multi", "spans") and not self.choices:
            raise invalid(("choices",), f"a {self.kind} field needs choices")
        require_unique(self.names, lambda j: ("choices", j, "value"), "choice")
        return self


class LabelSchemaModel(ConfigModel):
    version: int = 1
    fields: Annotated[list[FieldModel], pydantic.Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_names(self):
        require_unique([f.name for f in self.fields], lambda i: ("fields", i, "name"), "field")
        return self

    @model_validator(mode="after")
    def _required_if_names_a_choice(self):
        by_name = {field.name: field for field in self.fields}
        for i, field in enumerate(self.fields):
            for other, value in (field.required_if or {}).items():
                where = ("fields", i, "required_if", other)
                if other not in by_name:
                    raise invalid(where, f"unknown field {other!r} (fields: {', '.join(by_name)})")
                if value not in by_name[other].names:
                    raise invalid(where, f"{value!r} is not a choice of {other} ({', '.join(by_name[other].names)})")
        return self

    @model_validator(mode="after")
    def _unique_hotkeys(self):
        owner: dict[str, str] = {}  # hotkey → the choice it belongs to
        for i, field in enumerate(self.fields):
            for j, choice in enumerate(field.choices):
                if choice.hotkey is not None and choice.hotkey in owner:
                    raise invalid(("fields", i, "choices", j, "hotkey"),
                                  f"hotkey {choice.hotkey!r} used twice (also {owner[choice.hotkey]})")
                if choice.hotkey is not None:
                    owner[choice.hotkey] = f"{field.name}: {choice.value}"
        return self


def _field(model: FieldModel) -> Field:
    choices = tuple(Choice(c.value, c.hint, c.hotkey) for c in model.choices)
    required_if = next(iter(model.required_if.items())) if model.required_if else None
    return Field(model.name, model.kind, model.title or model.name, choices, model.required, required_if)


@lru_cache(maxsize=4)
def load_schema(path: Path = SCHEMA_FILE) -> LabelSchema:
    return LabelSchema(tuple(_field(f) for f in load_config(path, LabelSchemaModel).fields))
