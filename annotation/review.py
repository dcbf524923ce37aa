"""Push the review queue to Label Studio as adjudication: a review project holding the claims
whose annotators (or adjudication methods) disagree. The reviewer sees each annotator's labels
and rationale side by side (read-only, escaped, in the task data) and starts from no pre-filled
choice; the decision comes back on the next pull as the claim's gold labels (an adjudication,
annotation.labels), and the claim leaves the review queue."""

from __future__ import annotations

import json
from html import escape

from annotation.labels import REVIEW_ROLE, ROLE_KEY
from annotation.layout import layout
from pipelines.kernel.io import DataDir, read_records
from pipelines.kernel.label_schema import LabelSchema
from pipelines.kernel.records import Annotation, Claim


def _cell(ann: Annotation, field) -> str:
    if field.kind == "spans":
        return "; ".join(f"{s.label}: “{s.text}”" for s in ann.cues if s.label in field.names)
    return ", ".join(ann.values(field.name))


def review_html(annotations: list[Annotation], schema: LabelSchema) -> str:
    """Each annotator's labels, one column each, one row per schema field: our template, every
    value escaped (a rationale is typed by an annotator, a cue span is crawled text)."""
    anns = sorted(annotations, key=lambda a: (a.created_at, a.annotation_id))
    head = "".join(f"<th>annotator {n} <small>({escape(a.annotator.rsplit('-', 1)[-1])})</small></th>"
                   for n, a in enumerate(anns, 1))
    rows = [f"<tr><th>{escape(field.name)}</th>" + "".join(f"<td>{escape(_cell(a, field))}</td>" for a in anns) + "</tr>"
            for field in schema.fields]
    return f'<div class="fc-review"><table><tr><th></th>{head}</tr>{"".join(rows)}</table></div>'


def _reasons(data: DataDir) -> dict[str, str]:
    queue_file = data.root / "annotations" / "review_queue.jsonl"
    reasons = {}
    if queue_file.exists():
        for line in queue_file.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            reasons[item["claim_id"]] = ", ".join(item["reasons"])
    return reasons


def push_review_queue(data: DataDir, claim_ids: list[str], title: str = "FrameCheck SCS claims") -> str:
    from annotation.label_config import label_config
    from annotation.sync import (
        _connect,
        article_heads,
        claim_task,
        existing_claim_ids,
        find_or_create_project,
    )
    from pipelines.kernel.facts import load_facts
    from pipelines.kernel.label_schema import load_schema

    client, url = _connect()
    schema = load_schema()
    claims = {c.claim_id: c for c in read_records(data.table("claims"), Claim)}
    votes = [a for a in read_records(data.table("annotations"), Annotation) if not a.adjudication]
    heads, reasons = article_heads(data), _reasons(data)
    review_title = layout(title).review_project
    project_id, _ = find_or_create_project(client, review_title, label_config(schema, load_facts(), review=True))
    present = existing_claim_ids(client, project_id)
    tasks = []
    for claim_id in claim_ids:
        if claim_id in present or claim_id not in claims:
            continue
        payload = claim_task(claims[claim_id], heads)
        payload["meta"] += f" · review: {reasons.get(claim_id, 'disagreement')}"
        payload["review_html"] = review_html([a for a in votes if a.claim_id == claim_id], schema)
        payload["review_reasons"] = reasons.get(claim_id, "disagreement")
        payload[ROLE_KEY] = REVIEW_ROLE
        tasks.append({"data": payload})  # no predictions: the reviewer starts from a blank form
    if tasks:
        client.projects.import_tasks(project_id, request=tasks, return_task_ids=True)
    return f"review project {project_id} ({review_title!r}): {len(tasks)} new review tasks ({url}/projects/{project_id})"
