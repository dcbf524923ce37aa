"""The typed records every stage passes on, defined once, with their Parquet schemas.

Ids are deterministic so that a rebuild from the same archive yields the same rows:
an article id hashes the canonical URL, a claim id hashes the article id and the
claim's character offsets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pyarrow as pa

# Query parameters that only track campaigns; they never change the page.
_TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "spm", "from", "share")


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop fragment, default port and tracking params."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith(_TRACKING_PARAMS)
    )
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))


def _digest(text: str, length: int = 16) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def article_id_for(url: str) -> str:
    return "a" + _digest(canonical_url(url), 15)


def claim_id_for(article_id: str, start: int, end: int) -> str:
    return "c" + _digest(f"{article_id}:{start}:{end}", 15)


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """One row of the crawl manifest: what was fetched, when, and where it sits in the WARC."""

    url: str
    final_url: str
    status: int
    fetched_at: str
    sha256: str
    outlet_id: str
    camp: str
    kind: str  # article | listing | sitemap | feed | robots | transcript | comments
    content_type: str
    warc_file: str
    warc_offset: int
    skip_reason: str | None
    run_id: str


@dataclass(frozen=True, slots=True)
class Article:
    article_id: str
    url: str
    outlet_id: str
    outlet_name: str
    camp: str
    language: str  # en | zh-Hans | zh-Hant
    source_kind: str  # web | transcript | comments
    title: str
    author: str | None
    published: str | None  # ISO date
    text: str
    text_sha256: str
    relevance: float
    duplicate_of: str | None  # canonical article id when this is a syndicated copy
    warc_file: str
    warc_offset: int
    body_sha256: str


@dataclass(frozen=True, slots=True)
class CueSpan:
    """A sensational-language span; offsets are relative to the claim text."""

    start: int
    end: int
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class EvidenceCandidate:
    fact_id: str
    score: float


@dataclass(frozen=True, slots=True)
class Claim:
    claim_id: str
    article_id: str
    start: int  # offsets into Article.text
    end: int
    text: str
    context_before: str
    context_after: str
    language: str
    checkworthiness: float
    outlet_id: str
    camp: str
    published: str | None
    url: str
    cues: tuple[CueSpan, ...] = ()
    evidence_candidates: tuple[EvidenceCandidate, ...] = ()


@dataclass(frozen=True, slots=True)
class Source:
    kind: str  # primary | secondary
    title: str
    title_zh: str | None = None
    issuer: str | None = None
    date: str | None = None
    doc_number: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    fact_id: str
    category: str
    title: str
    statement_en: str
    statement_zh: str
    valid_from: str | None
    valid_to: str | None
    status: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class LabelValue:
    """An annotator's value(s) for one field of the label schema: one choice for a single
    field, the chosen set for a multi or evidence field (fact ids), the text for a text field."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Annotation:
    """One annotator's labels for one claim, as normalized from a Label Studio export. The
    fields are the label schema's (annotation/label_schema.yaml): `labels` holds every field
    the annotator gave a value, in schema order; `cues` the spans of its spans fields."""

    annotation_id: str
    claim_id: str
    annotator: str  # pseudonym, never an email or a user name
    labels: tuple[LabelValue, ...]
    cues: tuple[CueSpan, ...]
    created_at: str
    source_file: str

    def values(self, field: str) -> tuple[str, ...]:
        """The values given for a field; () when the annotator gave none."""
        return next((label.values for label in self.labels if label.field == field), ())

    def value(self, field: str) -> str | None:
        """The one value of a single or text field; None when the annotator gave none."""
        values = self.values(field)
        return values[0] if values else None


# --- Parquet schemas -------------------------------------------------------------------

_LABEL = pa.struct([("field", pa.string()), ("values", pa.list_(pa.string()))])
_CUE = pa.struct([("start", pa.int32()), ("end", pa.int32()), ("label", pa.string()), ("text", pa.string())])
_EVIDENCE = pa.struct([("fact_id", pa.string()), ("score", pa.float32())])
_SOURCE = pa.struct(
    [
        ("kind", pa.string()),
        ("title", pa.string()),
        ("title_zh", pa.string()),
        ("issuer", pa.string()),
        ("date", pa.string()),
        ("doc_number", pa.string()),
        ("url", pa.string()),
    ]
)

SCHEMAS: dict[type, pa.Schema] = {
    FetchRecord: pa.schema(
        [
            ("url", pa.string()),
            ("final_url", pa.string()),
            ("status", pa.int32()),
            ("fetched_at", pa.string()),
            ("sha256", pa.string()),
            ("outlet_id", pa.string()),
            ("camp", pa.string()),
            ("kind", pa.string()),
            ("content_type", pa.string()),
            ("warc_file", pa.string()),
            ("warc_offset", pa.int64()),
            ("skip_reason", pa.string()),
            ("run_id", pa.string()),
        ]
    ),
    Article: pa.schema(
        [
            ("article_id", pa.string()),
            ("url", pa.string()),
            ("outlet_id", pa.string()),
            ("outlet_name", pa.string()),
            ("camp", pa.string()),
            ("language", pa.string()),
            ("source_kind", pa.string()),
            ("title", pa.string()),
            ("author", pa.string()),
            ("published", pa.string()),
            ("text", pa.string()),
            ("text_sha256", pa.string()),
            ("relevance", pa.float32()),
            ("duplicate_of", pa.string()),
            ("warc_file", pa.string()),
            ("warc_offset", pa.int64()),
            ("body_sha256", pa.string()),
        ]
    ),
    Claim: pa.schema(
        [
            ("claim_id", pa.string()),
            ("article_id", pa.string()),
            ("start", pa.int32()),
            ("end", pa.int32()),
            ("text", pa.string()),
            ("context_before", pa.string()),
            ("context_after", pa.string()),
            ("language", pa.string()),
            ("checkworthiness", pa.float32()),
            ("outlet_id", pa.string()),
            ("camp", pa.string()),
            ("published", pa.string()),
            ("url", pa.string()),
            ("cues", pa.list_(_CUE)),
            ("evidence_candidates", pa.list_(_EVIDENCE)),
        ]
    ),
    Fact: pa.schema(
        [
            ("fact_id", pa.string()),
            ("category", pa.string()),
            ("title", pa.string()),
            ("statement_en", pa.string()),
            ("statement_zh", pa.string()),
            ("valid_from", pa.string()),
            ("valid_to", pa.string()),
            ("status", pa.string()),
            ("sources", pa.list_(_SOURCE)),
        ]
    ),
    Annotation: pa.schema(
        [
            ("annotation_id", pa.string()),
            ("claim_id", pa.string()),
            ("annotator", pa.string()),
            ("labels", pa.list_(_LABEL)),
            ("cues", pa.list_(_CUE)),
            ("created_at", pa.string()),
            ("source_file", pa.string()),
        ]
    ),
}

# Nested record types, so rows read back from Parquet become dataclasses again.
_NESTED = {
    (Claim, "cues"): CueSpan,
    (Claim, "evidence_candidates"): EvidenceCandidate,
    (Fact, "sources"): Source,
    (Annotation, "labels"): LabelValue,
    (Annotation, "cues"): CueSpan,
}


def to_row(record) -> dict:
    """A record as a plain dict (nested records become dicts, tuples become lists)."""
    row = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, tuple):
            value = [to_row(v) if hasattr(v, "__dataclass_fields__") else v for v in value]
        row[f.name] = value
    return row


def from_row(cls, row: dict):
    """Rebuild a record from a Parquet row (the inverse of to_row)."""
    kwargs = {}
    for f in fields(cls):
        value = row.get(f.name)
        nested = _NESTED.get((cls, f.name))
        if isinstance(value, (list, tuple)) or (value is not None and hasattr(value, "tolist")):
            items = list(value)
            value = tuple(from_row(nested, item) if nested else item for item in items)
        kwargs[f.name] = value
    return cls(**kwargs)
