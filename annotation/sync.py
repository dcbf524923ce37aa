"""Sync with a Label Studio server through label-studio-sdk 2.x.

push: create or update the projects of the layout (annotation/layout.py: one project per
annotator, the overlap claims in each; config + guidelines) and import claims not yet
present as tasks with predictions, so a claim is one task per project however often it is pushed.
The config and every prediction are validated with the SDK's LabelInterface first, so
an invalid one stops the push before anything reaches the server.
pull: read every task of every project of the layout (and of the review project) a page at a
time (annotation/paging.py: resumable, with progress) into a new timestamped snapshot each
(append-only, annotators pseudonymized), then rebuild the annotations table from all sources,
merged by claim id.
URL and token come from LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY only."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from annotation.label_config import label_config
from annotation.labels import evidence_result
from annotation.layout import layout
from annotation.store import all_annotations, new_snapshot_path, sources
from annotation.paging import DEFAULT_PAGE_SIZE, PartialPull, check_page_size, pull_pages, task_pages
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
    """annotation/GUIDELINES.md as HTML, shown by Label Studio as the project's instructions
    (it renders expert_instruction as HTML and strips style attributes, so plain HTML that
    wraps by itself). Our own file; raw HTML inside it is escaped all the same (html=False)."""
    from markdown_it import MarkdownIt

    path = ANNOTATION_DIR / "GUIDELINES.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "See annotation/GUIDELINES.md in the FrameCheck repository."
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


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


_LANGUAGES = {"en": "English", "zh": "Chinese"}


def language_name(code: str) -> str:
    """en → English, zh-Hans → Chinese (zh-Hans); other codes as they are."""
    base = code.split("-")[0].lower()
    name = _LANGUAGES.get(base)
    if name is None:
        return code
    return name if code == base else f"{name} ({code})"


def header_html(claim: Claim, outlet_name: str | None = None, headline: str | None = None) -> str:
    """The task header, our template: outlet and camp, headline, date, language and a link to the
    source that opens in a new tab. Every field is crawled or derived from crawled data, so every
    one is escaped; the link is made only for an http(s) URL."""
    url = claim.url or ""
    link = (f'<a href="{escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{escape(url)}</a>'
            if urlsplit(url).scheme in ("http", "https") else escape(url))
    parts = [f"<b>{escape(outlet_name or claim.outlet_id)}</b>", f"{escape(claim.camp)} camp",
             escape(claim.published or "undated"), escape(language_name(claim.language))]
    title = f'<div class="fc-headline">{escape(headline)}</div>' if headline else ""
    return f'<div class="fc-header"><div>{" · ".join(parts)}</div>{title}<div>{link}</div></div>'


def task_payload(claim: Claim, outlet_name: str | None = None, headline: str | None = None) -> dict:
    """Task data: plain strings, shown through <Text> tags (never rendered as HTML), and the
    header, our own escaped template (header_html)."""
    meta = " · ".join(x for x in (outlet_name or claim.outlet_id, claim.camp, claim.language, claim.published or "undated", claim.url) if x)
    return {
        "claim_id": claim.claim_id,
        "article_id": claim.article_id,
        "text": claim.text,
        "context_before": claim.context_before,
        "context_after": claim.context_after,
        "meta": meta,
        "header_html": header_html(claim, outlet_name, headline),
        "headline": headline or "",
        "outlet": claim.outlet_id,
        "outlet_name": outlet_name or claim.outlet_id,
        "camp": claim.camp,
        "language": claim.language,
        "published": claim.published or "",
        "url": claim.url,
        "checkworthiness": _score(claim.checkworthiness),
    }


def article_heads(data: DataDir) -> dict[str, tuple[str, str]]:
    """article id → (outlet name, headline), from the tables of Article records there are
    (articles, imported transcripts); only these two columns are read, not the texts."""
    import pyarrow.parquet as pq

    heads = {}
    for path in (data.table("articles"), data.table("transcripts")):
        if path.exists():
            for row in pq.read_table(path, columns=["article_id", "outlet_name", "title"]).to_pylist():
                heads[row["article_id"]] = (row["outlet_name"] or "", row["title"] or "")
    return heads


def claim_task(claim: Claim, heads: dict[str, tuple[str, str]]) -> dict:
    outlet_name, headline = heads.get(claim.article_id, ("", ""))
    return task_payload(claim, outlet_name or None, headline or None)


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
        result.append(evidence_result(field.name, top))
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


def existing_claim_ids(client, project_id: int, page_size: int = DEFAULT_PAGE_SIZE) -> set[str]:
    """The claims a project already holds, a page at a time through the same pager as pulls
    (bounded by the server's task count)."""
    return {(task.get("data") or {}).get("claim_id") for page in task_pages(client, project_id, page_size, fields="task_only")
            for task in page.tasks}


def push(data: DataDir, title: str, limit: int | None = None, annotators: int | None = None,
         overlap: float | None = None) -> StageSummary:
    """Claims → tasks in every project of the layout (annotation/layout.py): each annotator's
    project gets the overlap claims and its share of the rest, all with the same predictions."""
    claims = read_records(data.table("claims"), Claim)
    schema = load_schema()
    config = label_config(schema, load_facts())
    check_predictions(label_interface(config), claims, schema)  # before anything reaches the server
    plan = layout(title, annotators, overlap)
    heads = article_heads(data)
    client, url = _connect()
    summary = StageSummary("annotate push", records_in=len(claims))
    ordered = annotation_order(data, claims, summary)
    with _api(url, f"push to project {title!r}"):
        for project_title in plan.projects:
            push_project(client, url, project_title, config, [c for c in ordered if project_title in plan.projects_of(c.claim_id)],
                         heads, schema, limit, summary)
    if plan.annotators > 1:
        shared = sum(1 for c in claims if plan.is_overlap(c.claim_id))
        summary.notes.append(f"{shared} of {len(claims)} claims in all {plan.annotators} annotator projects (overlap {plan.overlap:g})")
    return summary


def push_project(client, url: str, title: str, config: str, claims: list[Claim], heads: dict, schema: LabelSchema,
                 limit: int | None, summary: StageSummary) -> None:
    """One project: created or updated, and the claims not yet in it imported as tasks."""
    project_id, created = find_or_create_project(client, title, config)
    present = existing_claim_ids(client, project_id)
    new = [c for c in claims if c.claim_id not in present]
    summary.skip("already_a_task", len(claims) - len(new))
    if limit is not None:
        summary.skip("over_limit", max(len(new) - limit, 0))
        new = new[:limit]
    for start in range(0, len(new), BATCH):
        batch = new[start : start + BATCH]
        client.projects.import_tasks(project_id, request=[{"data": claim_task(c, heads), "predictions": [prediction(c, schema)]}
                                                          for c in batch], return_task_ids=True)
        summary.records_out += len(batch)
    summary.outputs.append(f"{url}/projects/{project_id}")
    summary.notes.append(("created" if created else "updated") + f" project {project_id} ({title!r}): {len(new)} new tasks")


def annotation_order(data: DataDir, claims: list[Claim], summary: StageSummary) -> list[Claim]:
    """New tasks in active-learning order: the claims whose score lies nearest the claim
    ranker's cut first (Label Studio serves tasks in import order), so the next hour of
    annotation buys the most. The ranker is the one that mined the claims: the data
    directory's (refitted with the annotators' labels by `framecheck claims train`) or the
    packaged one."""
    from annotation.active import order_by_uncertainty
    from pipelines.claims import load_ranker

    if not claims:
        return claims
    ranker = load_ranker(data.root)
    summary.notes.append(f"new tasks ordered by their distance from the cut of {ranker.path}")
    return order_by_uncertainty(claims, ranker)


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


def pull(data: DataDir, title: str, annotators: int | None = None, overlap: float | None = None,
         page_size: int = DEFAULT_PAGE_SIZE, progress=None) -> StageSummary:
    """Every annotator project of the layout, and the review project once there is one, each into
    a snapshot of its own; the annotations table is rebuilt from all of them (merged by claim id)."""
    check_page_size(page_size)
    plan = layout(title, annotators, overlap)
    client, url = _connect()
    with _api(url, f"export of project {title!r}"):
        by_title = {p.title: p for p in client.projects.list()}
        missing = [t for t in plan.projects if t not in by_title]
        if missing:
            raise FrameCheckError(f"Label Studio at {url}: no project titled {missing[0]!r} "
                                  "(push first; for one shared project, --annotators 1)")
        emails, identities = _users(client)
        titles = plan.projects + ([plan.review_project] if plan.review_project in by_title else [])
        notes: list[str] = []
        snapshots = [pull_project(client, url, data, by_title[t], emails, identities, page_size, progress, notes)
                     for t in titles]
    summary = rebuild_annotations(data)
    summary.stage = "annotate pull"
    summary.outputs[:0] = [str(s) for s in snapshots]
    summary.notes[:0] = notes
    return summary


def pull_project(client, url: str, data: DataDir, project, emails: dict[int, str], identities: set[str],
                 page_size: int = DEFAULT_PAGE_SIZE, progress=None, notes: list[str] | None = None) -> Path:
    """One project's tasks, a page at a time into a partial pull (resumed if a killed one left it),
    each page pseudonymized before it is saved; then a new snapshot, written atomically."""
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
    if notes is not None:
        notes.append(f"{project.title}: {written} tasks in {partial.pages_done} page(s) of up to {page_size}"
                     + (f"; resumed at page {resumed_at} after an interrupted pull" if resumed_at else ""))
        if partial.discarded:
            notes.append(f"{project.title}: an earlier interrupted pull was started again from page 1 ({partial.discarded})")
        if written < server_total:
            notes.append(f"{project.title}: the server counts {server_total} tasks but {written} were read "
                         "(tasks deleted during the pull?); pull again for a complete snapshot")
    return snapshot


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
