"""Sync with a Label Studio server through label-studio-sdk 2.x.

push: create or update the project (config + guidelines) and import claims not yet
present as tasks with predictions, so a claim is one task however often it is pushed.
The config and every prediction are validated with the SDK's LabelInterface first, so
an invalid one stops the push before anything reaches the server.
pull: read every task a page at a time (annotation/paging.py: resumable, with progress) into a
new timestamped snapshot (append-only, annotators pseudonymized), then rebuild the annotations
table from all sources.
URL and token come from LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY only."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from annotation.label_config import label_config
from annotation.paging import DEFAULT_PAGE_SIZE, PartialPull, check_page_size, pull_pages
from annotation.store import all_annotations, describe_sources, new_snapshot_path, server_key, sources
from pipelines.kernel.config import ANNOTATION_DIR
from pipelines.kernel.facts import load_facts
from pipelines.kernel.io import (
    DataDir,
    FrameCheckError,
    StageSummary,
    read_records,
    write_records,
)
from pipelines.kernel.label_schema import LabelSchema, load_schema
from pipelines.kernel.privacy import pseudonym
from pipelines.kernel.records import Annotation, Claim

MODEL_VERSION = "framecheck-cues-retriever-0.1"
BATCH = 200
EVIDENCE_PREDICTIONS = 3
# Fields of an export that name a user; each is pseudonymized (completed_by) or dropped.
_USER_FIELDS = ("created_username", "updated_by", "last_created_by", "user", "created_by", "reviewed_by",
                "completed_by_email", "annotator")
_TASK_USER_FIELDS = ("updated_by", "annotators", "comment_authors", "created_by", "reviewers", "assignees")


def _one_line(text: object, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def _api(url: str, what: str):
    """SDK and HTTP failures become a one-line FrameCheckError naming the server."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except ApiError as exc:
        detail = exc.body.get("detail") or exc.body.get("validation_errors") or exc.body if isinstance(exc.body, dict) else exc.body
        raise FrameCheckError(f"Label Studio at {url}: {what} failed (HTTP {exc.status_code}: {_one_line(detail)})") from None
    except httpx.HTTPError as exc:
        raise FrameCheckError(f"Label Studio at {url}: {what} failed ({type(exc).__name__}: {_one_line(exc)})") from None


def _connect():
    url = os.environ.get("LABEL_STUDIO_URL", "").rstrip("/")
    key = os.environ.get("LABEL_STUDIO_API_KEY", "")
    if not url or not key:
        raise FrameCheckError("LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY must be set in the environment")
    import httpx

    try:
        httpx.get(f"{url}/health", timeout=5).raise_for_status()
    except httpx.InvalidURL as exc:  # not an HTTPError: "http://[::1" fails before any request
        raise FrameCheckError(f"LABEL_STUDIO_URL: {url!r} is not a valid URL ({exc}); local data left untouched") from None
    except httpx.HTTPError as exc:
        raise FrameCheckError(f"Label Studio at {url} is not reachable ({type(exc).__name__}); local data left untouched") from None
    from label_studio_sdk import LabelStudio

    client = LabelStudio(base_url=url, api_key=key, timeout=120)
    with _api(url, "authentication with LABEL_STUDIO_API_KEY"):
        client.users.whoami()
    return client, url


def guidelines_html() -> str:
    """The guidelines as preformatted text (our own file, escaped anyway)."""
    from html import escape

    path = ANNOTATION_DIR / "GUIDELINES.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "See annotation/GUIDELINES.md in the FrameCheck repository."
    return f"<pre style='white-space: pre-wrap'>{escape(text)}</pre>"


def find_or_create_project(client, title: str, config: str) -> tuple[int, bool]:
    for project in client.projects.list():
        if project.title == title:
            client.projects.update(project.id, label_config=config, expert_instruction=guidelines_html(), show_instruction=True)
            return project.id, False
    project = client.projects.create(title=title, label_config=config, expert_instruction=guidelines_html(),
                                     show_instruction=True, show_collab_predictions=True)
    return project.id, True


def _score(value: float) -> float:
    return round(float(value), 4)  # float32 from Parquet: 0.8 → 0.800000011920929 otherwise


def task_payload(claim: Claim, outlet_name: str | None = None) -> dict:
    """Task data: all plain strings, shown through <Text> tags (never rendered as HTML)."""
    meta = " · ".join(x for x in (outlet_name or claim.outlet_id, claim.camp, claim.language, claim.published or "undated", claim.url) if x)
    return {
        "claim_id": claim.claim_id,
        "article_id": claim.article_id,
        "text": claim.text,
        "context_before": claim.context_before,
        "context_after": claim.context_after,
        "meta": meta,
        "outlet": claim.outlet_id,
        "camp": claim.camp,
        "language": claim.language,
        "published": claim.published or "",
        "url": claim.url,
        "checkworthiness": _score(claim.checkworthiness),
    }


def prediction(claim: Claim, schema: LabelSchema | None = None) -> dict:
    """Pre-annotations: cue spans from the lexicon (in the schema's spans field that lists their
    label) and the top evidence candidates (in each evidence field)."""
    schema = schema or load_schema()
    result = []
    for span in claim.cues:
        field = schema.spans_field_for(span.label)
        if field is not None:
            result.append({"from_name": field.name, "to_name": "claim", "type": "labels",
                           "value": {"start": span.start, "end": span.end, "text": span.text, "labels": [span.label]}})
    top = [c.fact_id for c in claim.evidence_candidates[:EVIDENCE_PREDICTIONS]]
    for field in schema.fields_of_kind("evidence") if top else ():
        result.append({"from_name": field.name, "to_name": "claim", "type": "choices", "value": {"choices": top}})
    return {"model_version": MODEL_VERSION, "score": _score(claim.checkworthiness), "result": result}


def label_interface(config: str):
    """The SDK's parsed config, validated (raises FrameCheckError when invalid)."""
    from label_studio_sdk.label_interface import LabelInterface

    try:
        interface = LabelInterface(config)
        interface.validate()
    except Exception as exc:  # the SDK raises several unrelated exception types
        raise FrameCheckError(f"generated Label Studio config is invalid ({type(exc).__name__}: {_one_line(exc)})") from None
    return interface


def check_predictions(interface, claims: list[Claim], schema: LabelSchema | None = None) -> None:
    """Every prediction must fit the config; the first invalid one names its claim."""
    schema = schema or load_schema()
    for claim in claims:
        errors = interface.validate_prediction(prediction(claim, schema), return_errors=True)
        if errors:
            raise FrameCheckError(f"claim {claim.claim_id}: invalid prediction for Label Studio ({_one_line('; '.join(errors))})")


def existing_claim_ids(client, project_id: int) -> set[str]:
    return {(task.data or {}).get("claim_id") for task in client.tasks.list(project=project_id, fields="task_only", page_size=500)}


def push(data: DataDir, title: str, limit: int | None = None) -> StageSummary:
    claims = read_records(data.table("claims"), Claim)
    schema = load_schema()
    config = label_config(schema, load_facts())
    check_predictions(label_interface(config), claims, schema)  # before anything reaches the server
    client, url = _connect()
    with _api(url, f"push to project {title!r}"):
        project_id, created = find_or_create_project(client, title, config)
        present = existing_claim_ids(client, project_id)
        summary = StageSummary("annotate push", records_in=len(claims))
        new = [c for c in claims if c.claim_id not in present]
        summary.skip("already_a_task", len(claims) - len(new))
        new = annotation_order(data, new, summary)
        if limit is not None:
            summary.skip("over_limit", max(len(new) - limit, 0))
            new = new[:limit]
        for start in range(0, len(new), BATCH):
            batch = new[start : start + BATCH]
            client.projects.import_tasks(project_id, request=[{"data": task_payload(c), "predictions": [prediction(c, schema)]} for c in batch],
                                         return_task_ids=True)
            summary.records_out += len(batch)
    summary.outputs.append(f"{url}/projects/{project_id}")
    summary.notes.append(("created" if created else "updated") + f" project {project_id} ({title!r})")
    return summary


def latest_baseline_model(data: DataDir, task: str | None = None) -> Path | None:
    """The newest baseline model of a task; by default the first single field's (the first
    question annotators answer, checkworthy), whose uncertainty orders new tasks."""
    if task is None:
        single = load_schema().fields_of_kind("single")
        if not single:
            return None
        task = single[0].name
    models = sorted(data.baselines_dir.glob(f"*/models/{task}-logreg.skops"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def annotation_order(data: DataDir, claims: list[Claim], summary: StageSummary) -> list[Claim]:
    """New tasks in active-learning order: the baseline's most uncertain claims first
    (Label Studio serves tasks in import order), so the next hour of annotation buys the most."""
    from annotation.active import load_model, order_by_uncertainty

    model_path = latest_baseline_model(data)
    if model_path is None or not claims:
        summary.notes.append("no baseline model yet: new tasks in mining order")
        return claims
    summary.notes.append(f"new tasks ordered by the uncertainty of {model_path}")
    return order_by_uncertainty(claims, load_model(model_path))


def _identity(who, emails: dict[int, str]) -> object:
    """A user as the export gives it (an id, or a dict) → the most stable identity, the email."""
    if isinstance(who, dict):
        return who.get("email") or emails.get(who.get("id"), who.get("id"))
    if isinstance(who, int):
        return emails.get(who, who)
    return who


def _pseudonymize_export(tasks: list[dict], emails: dict[int, str] | None = None) -> list[dict]:
    """Replace annotator identities before the export touches the disk. Label Studio
    exports users as ids; `emails` (id → email, from the server) turns them into the same
    identity an exported file with emails has, so pseudonyms agree across servers."""
    emails = emails or {}
    for task in tasks:
        for key in ("annotations", "drafts"):
            for ann in task.get(key) or []:
                who = ann.get("completed_by", ann.get("user"))
                ann["completed_by"] = pseudonym(_identity(who, emails))
                for field in _USER_FIELDS:
                    ann.pop(field, None)
        for field in _TASK_USER_FIELDS:
            task.pop(field, None)
    return tasks


def _check_no_identities(tasks: list[dict], identities: set[str], url: str) -> None:
    """Refuse to write a snapshot in which a known user's email or name is left."""
    labels = json.dumps([{k: v for k, v in t.items() if k != "data"} for t in tasks], ensure_ascii=False).lower()
    left = sorted(i for i in identities if len(i) >= 3 and i.lower() in labels)
    if left:
        raise FrameCheckError(f"Label Studio at {url}: the export still names {len(left)} user(s) after pseudonymization; nothing written")


def _users(client) -> tuple[dict[int, str], set[str]]:
    emails, identities = {}, set()
    for user in client.users.list():
        if user.email:
            emails[user.id] = user.email
            identities.add(user.email)
        if user.username and "@" in user.username:
            identities.add(user.username)
    return emails, identities


def find_project(client, url: str, title: str):
    project = next((p for p in client.projects.list() if p.title == title), None)
    if project is None:
        raise FrameCheckError(f"Label Studio at {url}: no project titled {title!r} (push first)")
    return project


def pull(data: DataDir, title: str, page_size: int = DEFAULT_PAGE_SIZE, progress=None) -> StageSummary:
    """A page of tasks at a time into a partial pull (resumed if a killed one left it), each
    page pseudonymized before it is saved; then one new snapshot, written atomically, and the
    annotations table rebuilt from every source (imports such as the demo export included)."""
    check_page_size(page_size)
    client, url = _connect()
    with _api(url, f"export of project {title!r}"):
        project = find_project(client, url, title)
        emails, identities = _users(client)
        partial = PartialPull(data, server_key(url), project.id, page_size)
        resumed_at = partial.pages_done + 1 if partial.resumed else None

        def clean(tasks: list[dict]) -> list[dict]:
            tasks = _pseudonymize_export(tasks, emails)
            _check_no_identities(tasks, identities, url)
            return tasks

        server_total = pull_pages(client, project.id, partial, clean, progress)
    snapshot = new_snapshot_path(data, url, project.id)
    written = partial.write_snapshot(snapshot)
    partial.finish()
    summary = rebuild_annotations(data)
    summary.stage = "annotate pull"
    summary.outputs.insert(0, str(snapshot))
    summary.notes.insert(0, f"{written} tasks in {partial.pages_done} page(s) of up to {page_size}"
                            + (f"; resumed at page {resumed_at} after an interrupted pull" if resumed_at else ""))
    if partial.discarded:
        summary.notes.insert(1, f"an earlier interrupted pull was started again from page 1 ({partial.discarded})")
    if written < server_total:
        summary.notes.append(f"the server counts {server_total} tasks but {written} were read (tasks deleted during the pull?); "
                             "pull again for a complete snapshot")
    return summary


def rebuild_annotations(data: DataDir) -> StageSummary:
    """The annotations table from every source (pulled snapshots and imported exports), each
    annotation keyed by its source; the newest copy of an annotation wins."""
    annotations = all_annotations(data)
    target = data.table("annotations")
    summary = StageSummary("annotations", records_in=len(annotations))
    summary.records_out = write_records(target, annotations, Annotation)
    summary.outputs.append(str(target))
    summary.notes.append(f"{len(sources(data))} source(s) kept under {data.root / 'annotations'}")
    summary.notes.append(describe_sources(data, annotations))
    return summary
