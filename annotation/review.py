"""Push the review queue back to Label Studio: a review project holding the claims whose
annotators (or adjudication methods) disagree, with every annotation so far as a prediction,
so the reviewer sees what each annotator chose."""

from __future__ import annotations

import json

from annotation.labels import to_result
from pipelines.kernel.io import DataDir, read_records
from pipelines.kernel.label_schema import LabelSchema
from pipelines.kernel.records import Annotation, Claim

REVIEW_SUFFIX = " — review"


def _as_prediction(ann: Annotation, schema: LabelSchema) -> dict:
    """An annotation as a prediction: every field of the schema the annotator filled in."""
    return {"model_version": f"annotation-by-{ann.annotator}", "score": 1.0, "result": to_result(ann, schema)}


def push_review_queue(data: DataDir, claim_ids: list[str], title: str = "FrameCheck SCS claims") -> str:
    from annotation.label_config import label_config
    from annotation.sync import (
        _connect,
        existing_claim_ids,
        find_or_create_project,
        task_payload,
    )
    from pipelines.kernel.facts import load_facts
    from pipelines.kernel.label_schema import load_schema

    client, url = _connect()
    schema = load_schema()
    claims = {c.claim_id: c for c in read_records(data.table("claims"), Claim)}
    annotations = read_records(data.table("annotations"), Annotation)
    project_id, _ = find_or_create_project(client, title + REVIEW_SUFFIX, label_config(schema, load_facts()))
    present = existing_claim_ids(client, project_id)
    queue_file = data.root / "annotations" / "review_queue.jsonl"
    reasons = {}
    if queue_file.exists():
        for line in queue_file.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            reasons[item["claim_id"]] = ", ".join(item["reasons"])
    tasks = []
    for claim_id in claim_ids:
        if claim_id in present or claim_id not in claims:
            continue
        payload = task_payload(claims[claim_id])
        payload["meta"] += f" · review: {reasons.get(claim_id, 'disagreement')}"
        tasks.append({"data": payload, "predictions": [_as_prediction(a, schema) for a in annotations if a.claim_id == claim_id]})
    if tasks:
        client.projects.import_tasks(project_id, request=tasks, return_task_ids=True)
    return f"review project {project_id}: {len(tasks)} new review tasks ({url}/projects/{project_id})"
