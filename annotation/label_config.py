"""The Label Studio labeling config, generated from the label schema and the fact base
(`python -m annotation.label_config` rewrites annotation/label_config.xml).

Layout (one 1440×900 screen): two columns. Left, sticky: the task header (outlet, camp,
headline, date, link, language), the claim with its context and the cue spans. Right: the
questions. The evidence field is a Taxonomy (Label Studio's searchable tree): the predicted
facts arrive pre-ticked and show first, as chips with their short titles; the rest of the
fact base sits collapsed by category, found by typing an id, a word of a short title or a
category; hovering a fact shows its full statement in English and Chinese."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from pipelines.kernel.config import ANNOTATION_DIR
from pipelines.kernel.facts import CATEGORIES, load_facts
from pipelines.kernel.io import write_text_atomic
from pipelines.kernel.label_schema import Field, LabelSchema, load_schema
from pipelines.kernel.records import Fact

LABEL_CONFIG_FILE = ANNOTATION_DIR / "label_config.xml"
_SPAN_COLOURS = ("#f4a261", "#e76f51", "#e9c46a", "#8ab17d", "#9d8ec4")
# Our task header and review panel: HTML built by annotation.sync from escaped fields only.
HEADER_VALUE, REVIEW_VALUE = "$header_html", "$review_html"
_STYLE = (
    ".fc-task { display: flex; gap: 20px; align-items: flex-start }"
    " .fc-left { flex: 1 1 46%; min-width: 0; position: sticky; top: 0; max-height: 100vh; overflow-y: auto }"
    " .fc-right { flex: 1 1 54%; min-width: 0 }"
    " .fc-header { color: #444; font-size: 13px; line-height: 1.45 }"
    " .fc-header .fc-headline { font-weight: 600; font-size: 14px; color: #222 }"
    " .fc-context, .fc-context * { color: #6b6b6b; font-size: 13px }"
    " .fc-claim, .fc-claim * { font-size: 16px; font-weight: 500 }"
    " .fc-claim { border-left: 3px solid #4a6fa5; margin: 2px 0 6px }"
    " .fc-review table { border-collapse: collapse; width: 100%; font-size: 13px }"
    " .fc-review td, .fc-review th { border: 1px solid #ddd; padding: 3px 6px; vertical-align: top; text-align: left }"
    " .fc-right .ant-select { width: 100% }"
)


def category_title(category: str) -> str:
    """court_defaulter_list → "Court defaulter list" (what the annotator searches and sees)."""
    return category.replace("_", " ").capitalize()


def fact_label(fact: Fact) -> str:
    """A fact as the picker lists it: id and short title (the id is what is stored)."""
    return f"{fact.fact_id} · {fact.title}"


def _evidence_picker(field: Field, facts: tuple[Fact, ...] | list[Fact], visible: str = "") -> list[str]:
    """A Taxonomy of the fact base: categories (collapsed) → facts; only facts can be chosen.
    The stored path is (category, fact id); annotation.labels keeps the fact id."""
    lines = [f'    <Taxonomy name="{field.name}" toName="claim" leafsOnly="true"{visible} '
             'placeholder="Add a fact: type an id (F21), a word of its title, or a category" dropdownWidth="640">']
    for category in [c for c in CATEGORIES if any(f.category == c for f in facts)]:
        lines.append(f"      <Choice value={quoteattr(category_title(category))} alias={quoteattr(category)}>")
        for fact in (f for f in facts if f.category == category):
            full = f"{fact.statement_en}\n\n{fact.statement_zh}"
            lines.append(f"        <Choice value={quoteattr(fact_label(fact))} alias={quoteattr(fact.fact_id)} hint={quoteattr(full)} />")
        lines.append("      </Choice>")
    lines.append("    </Taxonomy>")
    return lines


def _control(schema: LabelSchema, field: Field, facts) -> list[str]:
    """One question: its header and control. A field with required_if (verdict, distortion) or
    an evidence field (schema.condition) is shown only when its condition holds; a hidden
    control is neither shown nor required, and its header hides with it (inside a Choices, as
    Label Studio does it; before a Taxonomy, whose children are choices, in a View of its own)."""
    condition = schema.condition(field.name)
    visible = ""
    if condition:
        tag, value = condition
        visible = f' visibleWhen="choice-selected" whenTagName={quoteattr(tag)} whenChoiceValue={quoteattr(value)}'
    header = f'<Header value={quoteattr(field.title)} size="5" />'
    if field.kind in ("single", "multi"):
        mode = "single" if field.kind == "single" else "multiple"
        req = ' required="true"' if field.required or field.required_if else ""
        lines = [] if condition else [f"    {header}"]
        lines.append(f'    <Choices name="{field.name}" toName="claim" choice="{mode}" showInline="true"{req}{visible}>')
        if condition:
            lines.append(f'      <View style="width: 100%">{header}</View>')
        for c in field.choices:
            hot = f' hotkey="{c.hotkey}"' if c.hotkey else ""
            lines.append(f"      <Choice value={quoteattr(c.value)} hint={quoteattr(c.hint)}{hot} />")
        return lines + ["    </Choices>"]
    lines = [f"    <View{visible}>{header}</View>" if condition else f"    {header}"]
    if field.kind == "spans":
        lines.append(f'    <Labels name="{field.name}" toName="claim"{visible}>')
        for c, colour in zip(field.choices, _SPAN_COLOURS):
            lines.append(f'      <Label value={quoteattr(c.value)} hint={quoteattr(c.hint)} background="{colour}" />')
        return lines + ["    </Labels>"]
    if field.kind == "evidence":
        return lines + _evidence_picker(field, facts, visible)
    return lines + [f'    <TextArea name="{field.name}" toName="claim" rows="2" maxSubmissions="1" editable="true"{visible} />']


def label_config(schema: LabelSchema, facts: tuple[Fact, ...] | list[Fact], review: bool = False) -> str:
    """The labeling interface. Crawled texts go through <Text>, which shows plain text; the one
    HyperText shows our header template (every field in it escaped, annotation.sync), and in the
    review project the annotators' labels side by side (escaped too)."""
    left = [
        '  <View className="fc-left">',
        f'    <HyperText name="header" value="{HEADER_VALUE}" inline="true" />',
        '    <View className="fc-context"><Text name="context_before" value="$context_before" /></View>',
        '    <Header value="Claim" size="4" />',
        '    <View className="fc-claim"><Text name="claim" value="$text" /></View>',
        '    <View className="fc-context"><Text name="context_after" value="$context_after" /></View>',
    ]
    for field in schema.fields_of_kind("spans"):  # marked on the claim, so beside it
        left += _control(schema, field, facts)
    if review:
        left += ['    <Header value="What the annotators chose (read only)" size="5" />',
                 f'    <HyperText name="annotations_so_far" value="{REVIEW_VALUE}" inline="true" />']
    left.append("  </View>")
    right = ['  <View className="fc-right">']
    for field in (f for f in schema.fields if f.kind != "spans"):
        right += _control(schema, field, facts)
    right.append("  </View>")
    lines = ["<View>", f"  <Style>{_STYLE}</Style>", '<View className="fc-task">', *left, *right, "</View>", "</View>"]
    return "\n".join(lines) + "\n"


def generated_label_config(review: bool = False) -> str:
    """The config of the committed schema and fact base (what `annotate push` sends)."""
    return label_config(load_schema(), load_facts(), review)


def write_label_config(path: Path = LABEL_CONFIG_FILE) -> Path:
    """Regenerate annotation/label_config.xml (a test checks the committed copy is current):
    python -m annotation.label_config"""
    write_text_atomic(path, generated_label_config())
    path.chmod(0o644)  # mkstemp's 0600 is wrong for a committed file
    return path


if __name__ == "__main__":
    print(f"wrote {write_label_config()}")
