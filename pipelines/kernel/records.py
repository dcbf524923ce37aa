"""The typed records every stage passes on, defined once, with their Parquet schemas.

Ids are deterministic so that a rebuild from the same archive yields the same rows:
an article id hashes the canonical URL, a claim id hashes the article id and the
claim's character offsets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields, is_dataclass
from types import UnionType
from typing import Annotated, Union, get_args, get_origin, get_type_hints
from urllib.parse import unquote, urlsplit, urlunsplit

import pyarrow as pa
from w3lib.url import canonicalize_url, url_query_cleaner

# Query parameters that only identify a click or a campaign; they never change the page.
# Exact keys (compared case-insensitively), not prefixes: `from_date`, `share_id` or `page`
# select content and stay.
_TRACKING_KEYS = frozenset({
    "fbclid",  # Facebook
    "gclid", "dclid", "gbraid", "wbraid", "_ga", "_gl",  # Google Ads / Analytics
    "msclkid",  # Microsoft Ads
    "yclid",  # Yandex
    "twclid",  # X / Twitter
    "igshid",  # Instagram
    "mc_cid", "mc_eid",  # Mailchimp
    "_hsenc", "_hsmi",  # HubSpot
    "mkt_tok",  # Marketo
    "spm", "scm",  # Alibaba / Taobao (and the Chinese portals that copy them)
    "spm_id_from", "vd_source",  # Bilibili
})
_TRACKING_PREFIXES = ("utm_",)  # Google's campaign family: utm_source, utm_medium, utm_campaign, ...
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(key: str) -> bool:
    key = unquote(key).lower()
    return key in _TRACKING_KEYS or key.startswith(_TRACKING_PREFIXES)


def _tracking_keys(url: str) -> list[str]:
    """The query keys of url, as written in it, that only track."""
    query = url.partition("#")[0].partition("?")[2]
    return sorted({key for key, _, _ in (pair.partition("=") for pair in query.split("&")) if _is_tracking(key)})


def canonical_url(url: str) -> str:
    """The URL an article id hashes: w3lib's canonical form (lower-case scheme and host,
    sorted query, normalized percent-escapes, no fragment), without tracking parameters,
    credentials or the scheme's default port."""
    url = url.strip()
    # unique=False: a repeated key (?tag=a&tag=b) is content, keep every value
    cleaned = url_query_cleaner(url, _tracking_keys(url), remove=True, unique=False)
    parts = urlsplit(canonicalize_url(cleaned))
    netloc = parts.netloc.rpartition("@")[2]  # credentials do not make another article
    if parts.port is not None and parts.port == _DEFAULT_PORTS.get(parts.scheme):
        netloc = netloc.removesuffix(f":{parts.port}")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def _digest(text: str, length: int = 16) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def article_id_for(url: str) -> str:
    return "a" + _digest(canonical_url(url), 15)


def claim_id_for(article_id: str, start: int, end: int) -> str:
    return "c" + _digest(f"{article_id}:{start}:{end}", 15)


# a byte offset into a WARC file: archives grow past 2 GiB, so 64 bits
ByteOffset = Annotated[int, pa.int64()]


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
    kind: str  # article | listing | sitemap | feed | robots | transcript | comments | info | document | document-metadata
    content_type: str
    warc_file: str
    warc_offset: ByteOffset
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
    source_kind: str  # web | transcript | comments | document
    title: str
    author: str | None
    published: str | None  # ISO date
    text: str
    text_sha256: str
    relevance: float
    duplicate_of: str | None  # canonical article id when this is a syndicated copy
    warc_file: str
    warc_offset: ByteOffset
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
    # a reviewer's decision in the review project: the claim's gold labels, not one more vote
    # (agreement and the majority leave it out)
    adjudication: bool = False

    def values(self, field: str) -> tuple[str, ...]:
        """The values given for a field; () when the annotator gave none."""
        return next((label.values for label in self.labels if label.field == field), ())

    def value(self, field: str) -> str | None:
        """The one value of a single or text field; None when the annotator gave none."""
        values = self.values(field)
        return values[0] if values else None


@dataclass(frozen=True, slots=True)
class GoldProvenance:
    """How a claim's gold labels came about: the release's columns after the label fields."""

    annotator_count: int  # annotators who labeled the claim (a reviewer is not counted)
    agreement: float  # share of annotators behind the gold decision fields (label_schema.decision)
    adjudicated: bool  # the gold labels are a reviewer's decision (review project), not the majority


# --- Parquet schemas, derived from the dataclasses ---------------------------------------
# A field's Arrow type follows its annotation: str → string, int → int32, float → float32,
# bool → bool, X | None → X (nullable), tuple[T, ...] → list<T>, a record → struct;
# Annotated[T, pa_type] overrides (ByteOffset). Nested records in lists become dataclasses
# again when rows are read back (from_row).


def _arrow_type(hint) -> pa.DataType:
    origin = get_origin(hint)
    if origin is Annotated:
        return get_args(hint)[1]
    if origin in (Union, UnionType):
        (inner,) = [arg for arg in get_args(hint) if arg is not type(None)]
        return _arrow_type(inner)
    if origin is tuple:
        return pa.list_(_arrow_type(get_args(hint)[0]))
    if is_dataclass(hint):
        return pa.struct([(name, _arrow_type(t)) for name, t in _hints(hint).items()])
    return _SCALARS[hint]


_SCALARS = {str: pa.string(), int: pa.int32(), float: pa.float32(), bool: pa.bool_()}


def _hints(cls) -> dict:
    hints = get_type_hints(cls, include_extras=True)
    return {f.name: hints[f.name] for f in fields(cls)}


def schema_of(cls) -> pa.Schema:
    """The Arrow schema of a record type, field by field from its annotations."""
    return pa.schema([(name, _arrow_type(hint)) for name, hint in _hints(cls).items()])


def _nested_records(cls) -> dict[str, type]:
    """Fields holding a tuple of records: name → the record type."""
    nested = {}
    for name, hint in _hints(cls).items():
        if get_origin(hint) is tuple and is_dataclass(get_args(hint)[0]):
            nested[name] = get_args(hint)[0]
    return nested


TABLE_RECORDS = (FetchRecord, Article, Claim, Fact, Annotation)
SCHEMAS: dict[type, pa.Schema] = {cls: schema_of(cls) for cls in TABLE_RECORDS}
_NESTED = {(cls, name): inner for cls in TABLE_RECORDS + (LabelValue, CueSpan, EvidenceCandidate, Source)
           for name, inner in _nested_records(cls).items()}


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
