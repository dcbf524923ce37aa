"""The one label schema (annotation/label_schema.yaml) and what it generates: the Label
Studio labeling config and the dataset's ClassLabel names."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import quoteattr

from pipelines.config import ANNOTATION_DIR, Checker, load_yaml
from pipelines.records import Fact

SCHEMA_FILE = ANNOTATION_DIR / "label_schema.yaml"
LABEL_CONFIG_FILE = ANNOTATION_DIR / "label_config.xml"
KINDS = ("single", "multi", "spans", "evidence", "text")
_SPAN_COLOURS = ("#f4a261", "#e76f51", "#e9c46a", "#8ab17d", "#9d8ec4")


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


# --- Label Studio config ---------------------------------------------------------------


def label_config(schema: LabelSchema, facts: tuple[Fact, ...] | list[Fact]) -> str:
    """The labeling interface. Every task text goes through <Text>, which shows plain text:
    crawled pages are untrusted and never rendered as HTML."""
    lines = [
        "<View>",
        '  <Style>.fc-meta { color: #555; font-size: 13px } .fc-context { color: #666 }</Style>',
        '  <View className="fc-meta">',
        '    <Text name="meta" value="$meta" />',
        "  </View>",
        '  <Header value="Context before" size="6" />',
        '  <Text name="context_before" value="$context_before" className="fc-context" />',
        '  <Header value="Claim" size="4" />',
        '  <Text name="claim" value="$text" />',
        '  <Header value="Context after" size="6" />',
        '  <Text name="context_after" value="$context_after" className="fc-context" />',
    ]
    shown_if = {f.name: f.required_if for f in schema.fields}
    for field in schema.fields:
        header = f"<Header value={quoteattr(field.title)} size=\"5\" />"
        # Verdict and distortion are asked only of check-worthy claims (required_if), and so
        # is the evidence that decides the verdict. A hidden control is neither shown nor
        # required; its header sits inside it so that it hides too (Label Studio's pattern).
        condition = field.required_if or (shown_if.get("verdict") if field.kind == "evidence" else None)
        visible = ""
        if condition:
            tag, value = condition
            visible = f' visibleWhen="choice-selected" whenTagName={quoteattr(tag)} whenChoiceValue={quoteattr(value)}'
            inner_header = f'    <View style="width: 100%">{header}</View>'
        else:
            lines.append(f"  {header}")
        if field.kind in ("single", "multi"):
            mode = "single" if field.kind == "single" else "multiple"
            req = ' required="true"' if field.required or field.required_if else ""
            lines.append(f'  <Choices name="{field.name}" toName="claim" choice="{mode}" showInline="true"{req}{visible}>')
            if condition:
                lines.append(inner_header)
            for c in field.choices:
                hot = f' hotkey="{c.hotkey}"' if c.hotkey else ""
                lines.append(f"    <Choice value={quoteattr(c.value)} hint={quoteattr(c.hint)}{hot} />")
            lines.append("  </Choices>")
        elif field.kind == "spans":
            lines.append(f'  <Labels name="{field.name}" toName="claim">')
            for c, colour in zip(field.choices, _SPAN_COLOURS):
                lines.append(f'    <Label value={quoteattr(c.value)} hint={quoteattr(c.hint)} background="{colour}" />')
            lines.append("  </Labels>")
        elif field.kind == "evidence":
            # the fact statement is what the annotator reads; the alias (fact id) is what is stored
            lines.append(f'  <Choices name="{field.name}" toName="claim" choice="multiple"{visible}>')
            if condition:
                lines.append(inner_header)
            for fact in facts:
                shown = f"{fact.fact_id} — {fact.statement_en} / {fact.statement_zh}"
                lines.append(f"    <Choice value={quoteattr(shown)} alias={quoteattr(fact.fact_id)} />")
            lines.append("  </Choices>")
        elif field.kind == "text":
            lines.append(f'  <TextArea name="{field.name}" toName="claim" rows="2" maxSubmissions="1" editable="true" />')
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def generated_label_config() -> str:
    """The config of the committed schema and fact base (what `annotate push` sends)."""
    from annotation.facts import load_facts

    return label_config(load_schema(), load_facts())


def write_label_config(path: Path = LABEL_CONFIG_FILE) -> Path:
    """Regenerate annotation/label_config.xml (a test checks the committed copy is current):
    python -m annotation.schema"""
    from pipelines.io import write_text_atomic

    write_text_atomic(path, generated_label_config())
    path.chmod(0o644)  # mkstemp's 0600 is wrong for a committed file
    return path


if __name__ == "__main__":
    print(f"wrote {write_label_config()}")
