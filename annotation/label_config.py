"""The Label Studio labeling config, generated from the label schema and the fact base
(`python -m annotation.label_config` rewrites annotation/label_config.xml)."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from pipelines.kernel.config import ANNOTATION_DIR
from pipelines.kernel.facts import load_facts
from pipelines.kernel.io import write_text_atomic
from pipelines.kernel.label_schema import LabelSchema, load_schema
from pipelines.kernel.records import Fact

LABEL_CONFIG_FILE = ANNOTATION_DIR / "label_config.xml"
_SPAN_COLOURS = ("#f4a261", "#e76f51", "#e9c46a", "#8ab17d", "#9d8ec4")


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
    for field in schema.fields:
        header = f"<Header value={quoteattr(field.title)} size=\"5\" />"
        # A field with required_if (verdict, distortion: only for check-worthy claims) is shown
        # only when its condition holds, and so is an evidence field (the facts deciding the
        # verdict; schema.condition). A hidden control is neither shown nor required; its header
        # sits inside it so that it hides too (Label Studio's pattern).
        condition = schema.condition(field.name)
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
    return label_config(load_schema(), load_facts())


def write_label_config(path: Path = LABEL_CONFIG_FILE) -> Path:
    """Regenerate annotation/label_config.xml (a test checks the committed copy is current):
    python -m annotation.label_config"""
    write_text_atomic(path, generated_label_config())
    path.chmod(0o644)  # mkstemp's 0600 is wrong for a committed file
    return path


if __name__ == "__main__":
    print(f"wrote {write_label_config()}")
