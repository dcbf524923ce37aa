"""Releases: labeled claims, articles, facts and cue spans as a versioned Hugging Face
dataset folder (Parquet per config and split, a dataset card, SHA256SUMS).

`build_tables` is the pure core (records in, tables out, validated); `write_release` is
the edge: it writes into a temp folder and renames it into place, so a killed build
leaves no partial release, and it never overwrites an existing version."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass, fields
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.kernel.io import (
    FrameCheckError,
    give_shared_mode,
    naming_write_errors,
    temp_beside,
)
from pipelines.kernel.label_schema import Field, LabelSchema
from pipelines.kernel.records import Article, Claim, CueSpan, Fact, GoldProvenance, schema_of, to_row
from pipelines.kernel.releases import ReleaseDefinition, sums_mismatch

SPLITS = ("train", "validation", "test", "ood_test")


class ReleaseValidationError(FrameCheckError):
    pass






# --- Features --------------------------------------------------------------------------


def label_feature(field: Field):
    """The release column of a schema field by its kind (None for spans: the spans config)."""
    from datasets import ClassLabel, List, Value

    if field.kind == "single":
        return ClassLabel(names=field.names)
    if field.kind == "multi":
        return List(ClassLabel(names=field.names))
    if field.kind == "evidence":
        return List(Value("string"))  # fact ids
    if field.kind == "text":
        return Value("string")
    return None


def span_label_names(schema: LabelSchema) -> list[str]:
    """The spans config's labels: the choices of the schema's spans fields."""
    return [name for spans in schema.fields_of_kind("spans") for name in spans.names]


def _columns(record_type: type, *names: str) -> dict:
    """Release columns that are record fields, typed from the record's Arrow schema (records are
    defined once); `outlet` is the records' `outlet_id`."""
    from datasets.features.features import generate_from_arrow_type

    schema = schema_of(record_type)
    return {name: generate_from_arrow_type(schema.field("outlet_id" if name == "outlet" else name).type) for name in names}


# How each gold label came about (annotator count, agreement, adjudicated): the fields of
# records.GoldProvenance, after the label columns.
PROVENANCE = tuple(f.name for f in fields(GoldProvenance))


def features(schema: LabelSchema) -> dict:
    """datasets.Features per config: record fields typed from the records' schemas; the claims'
    label columns (one per schema field, in schema order) and the span labels are ClassLabels
    from the one label schema."""
    from datasets import ClassLabel, Features, Value

    labels = {f.name: label_feature(f) for f in schema.fields if label_feature(f) is not None}
    return {
        "claims": Features({
            **_columns(Claim, "claim_id", "article_id"), "group_id": Value("string"),
            **_columns(Claim, "text", "context_before", "context_after", "start", "end", "language", "outlet", "camp",
                       "published", "url", "checkworthiness"),
            **labels,
            **_columns(GoldProvenance, *PROVENANCE),
        }),
        "articles": Features({
            **_columns(Article, "article_id"), "group_id": Value("string"),
            **_columns(Article, "url", "outlet", "outlet_name", "camp", "language", "title", "author", "published", "text"),
            "text_redistributed": Value("bool"),
            **_columns(Article, "text_sha256", "duplicate_of", "warc_file", "warc_offset", "body_sha256"),
        }),
        "facts": Features({
            **_columns(Fact, "fact_id", "category", "title", "statement_en", "statement_zh", "valid_from", "valid_to",
                       "status"),
            "sources_json": Value("string"),
        }),
        "spans": Features({
            **_columns(Claim, "claim_id"), **_columns(CueSpan, "start", "end"),
            "label": ClassLabel(names=span_label_names(schema)),
            **_columns(CueSpan, "text"),
            "source": Value("string"),
        }),
    }


# --- Pure core -------------------------------------------------------------------------


def split_of(group_id: str, seed: int, ratios: dict) -> str:
    """A group's split from a hash of seed and group id: stable across releases."""
    bucket = int(hashlib.sha256(f"{seed}:{group_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    edge = 0.0
    for name in ("train", "validation", "test"):
        edge += ratios[name]
        if bucket <= edge:
            return name
    return "test"


@dataclass
class ReleaseTables:
    rows: dict[str, dict[str, list[dict]]]  # config → split → rows


def _label_index(names: list[str], name: str, value, problems: list, claim_id: str) -> int:
    if value is None:
        return -1
    if value not in names:
        problems.append(f"claim {claim_id}: {name}={value!r} is not in the label schema")
        return -1
    return names.index(value)


def _spans_name(schema: LabelSchema, label: str) -> str:
    field = schema.spans_field_for(label)
    return field.name if field is not None else "span label"


def label_columns(schema: LabelSchema, labels: dict, problems: list, claim_id: str) -> dict:
    """A claim's gold labels as release columns: single and multi fields as ClassLabel indices,
    evidence as fact ids, text as text (a field the gold lacks is unlabeled)."""
    row = {}
    for label_field in schema.fields:
        name, kind, value = label_field.name, label_field.kind, labels.get(label_field.name)
        if kind == "single":
            row[name] = _label_index(label_field.names, name, value, problems, claim_id)
        elif kind == "multi":
            row[name] = [_label_index(label_field.names, name, v, problems, claim_id) for v in value or ()]
        elif kind == "evidence":
            row[name] = list(value or ())
        elif kind == "text":
            row[name] = value or ""
    return row


def build_tables(
    definition: ReleaseDefinition,
    schema: LabelSchema,
    articles: list[Article],
    claims: list[Claim],
    gold: dict[str, dict],
    facts: tuple[Fact, ...],
    redistributable: dict[str, bool],
) -> ReleaseTables:
    problems: list[str] = []
    span_names = span_label_names(schema)
    article_by_id = {a.article_id: a for a in articles}
    fact_ids = {f.fact_id for f in facts}
    group_of = {a.article_id: a.duplicate_of or a.article_id for a in articles}

    def split_for(article: Article) -> str:
        if article.outlet_id in definition.ood_outlets:
            return "ood_test"
        return split_of(group_of[article.article_id], definition.seed, definition.ratios)

    # Syndicated copies share their canonical article's group, so a group lands in one split
    # unless one of its copies comes from a held-out outlet; then the whole group is held out.
    group_split: dict[str, str] = {}
    for article in sorted(articles, key=lambda a: a.article_id):
        group = group_of[article.article_id]
        split = split_for(article)
        if group_split.get(group) != "ood_test":
            group_split[group] = split if group not in group_split or split == "ood_test" else group_split[group]

    claim_rows = {s: [] for s in SPLITS}
    span_rows = {s: [] for s in SPLITS}
    used_articles: set[str] = set()
    seen_ids: set[str] = set()
    text_group: dict[str, str] = {}
    for claim in sorted(claims, key=lambda c: c.claim_id):
        labels = gold.get(claim.claim_id)
        if labels is None:
            continue
        article = article_by_id.get(claim.article_id)
        if article is None:
            problems.append(f"claim {claim.claim_id}: article {claim.article_id} is not in the articles table")
            continue
        if claim.claim_id in seen_ids:
            problems.append(f"claim {claim.claim_id}: duplicate claim id")
        seen_ids.add(claim.claim_id)
        if not claim.text.strip():
            problems.append(f"claim {claim.claim_id}: empty text")
        group = group_of[claim.article_id]
        normalized = " ".join(claim.text.lower().split())
        if text_group.setdefault(normalized, group) != group:
            problems.append(f"claim {claim.claim_id}: same text as a claim of group {text_group[normalized]} (leak across groups)")
        for evidence in schema.fields_of_kind("evidence"):
            for fid in labels.get(evidence.name) or ():
                if fid not in fact_ids:
                    problems.append(f"claim {claim.claim_id}: {evidence.name} {fid} is not in the fact base")
        split = group_split[group]
        used_articles.add(claim.article_id)
        claim_rows[split].append(
            {
                "claim_id": claim.claim_id,
                "article_id": claim.article_id,
                "group_id": group,
                "text": claim.text,
                "context_before": claim.context_before,
                "context_after": claim.context_after,
                "start": claim.start,
                "end": claim.end,
                "language": claim.language,
                "outlet": claim.outlet_id,
                "camp": claim.camp,
                "published": claim.published,
                "url": claim.url,
                "checkworthiness": claim.checkworthiness,
                **label_columns(schema, labels, problems, claim.claim_id),
                **{name: labels[name] for name in PROVENANCE},
            }
        )
        annotated = labels.get("cues") or ()
        for source, spans in (("annotator", annotated), ("lexicon", claim.cues)):
            for span in spans:
                span_rows[split].append(
                    {"claim_id": claim.claim_id, "start": span.start, "end": span.end,
                     "label": _label_index(span_names, _spans_name(schema, span.label), span.label, problems, claim.claim_id),
                     "text": span.text, "source": source}
                )

    article_rows = {s: [] for s in SPLITS}
    for article in sorted(articles, key=lambda a: a.article_id):
        if article.article_id not in used_articles:
            continue
        allowed = redistributable.get(article.outlet_id, False)
        article_rows[group_split[group_of[article.article_id]]].append(
            {
                "article_id": article.article_id,
                "group_id": group_of[article.article_id],
                "url": article.url,
                "outlet": article.outlet_id,
                "outlet_name": article.outlet_name,
                "camp": article.camp,
                "language": article.language,
                "title": article.title,
                "author": article.author,
                "published": article.published,
                "text": article.text if allowed else None,
                "text_redistributed": allowed,
                "text_sha256": article.text_sha256,
                "duplicate_of": article.duplicate_of,
                "warc_file": article.warc_file,
                "warc_offset": article.warc_offset,
                "body_sha256": article.body_sha256,
            }
        )
    for split, rows in article_rows.items():
        for row in rows:
            if not row["text_redistributed"] and row["text"] is not None:
                problems.append(f"article {row['article_id']}: full text of a non-redistributable outlet")

    _check_leakage(claim_rows, problems)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ReleaseValidationError(f"release validation failed ({len(problems)} problems); nothing written:\n  {shown}{more}")
    if not any(claim_rows.values()):
        raise ReleaseValidationError("release validation failed: no labeled claims to release (are the annotations for these claims?)")

    fact_rows = [
        {
            "fact_id": f.fact_id, "category": f.category, "title": f.title, "statement_en": f.statement_en,
            "statement_zh": f.statement_zh, "valid_from": f.valid_from, "valid_to": f.valid_to, "status": f.status,
            "sources_json": json.dumps([to_row(s) for s in f.sources], ensure_ascii=False, sort_keys=True),
        }
        for f in facts
    ]
    return ReleaseTables(
        rows={"claims": claim_rows, "articles": article_rows, "spans": span_rows, "facts": {"train": fact_rows}},
    )


def _check_leakage(claim_rows: dict[str, list[dict]], problems: list[str]) -> None:
    seen: dict[str, str] = {}
    for split, rows in claim_rows.items():
        for row in rows:
            for key in (row["article_id"], row["group_id"]):
                if seen.setdefault(key, split) != split:
                    problems.append(f"claim {row['claim_id']}: article group {key} is in both {seen[key]} and {split}")


# --- I/O edge --------------------------------------------------------------------------


def _write_parquet(path: Path, rows: list[dict], feats) -> int:
    schema = feats.arrow_schema.remove_metadata()
    table = pa.Table.from_pylist(rows, schema=schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    # no schema metadata and fixed options, so the same rows give the same bytes
    pq.write_table(table, path, compression="zstd", store_schema=False, write_statistics=True)
    return path.stat().st_size


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_release(tables: ReleaseTables, definition: ReleaseDefinition, schema: LabelSchema, out: Path, card_text_fn,
                  extras=None, previous: Path | None = None) -> tuple[Path, bool]:
    """`_write_release`, with a disk error naming the release folder (`error: <out>: No space left on device`)."""
    with naming_write_errors(out):
        return _write_release(tables, definition, schema, out, card_text_fn, extras, previous)


def _write_release(tables: ReleaseTables, definition: ReleaseDefinition, schema: LabelSchema, out: Path, card_text_fn,
                   extras=None, previous: Path | None = None) -> tuple[Path, bool]:
    """Write into a temp folder, compare with any existing release, then rename into place.

    Order inside the temp folder: Parquet per config and split; `extras(tmp, split_info)`
    (the baselines: files under `baselines/`, returns a dict for the card); `CHANGELOG.md`
    (a diff of the claims against `previous`, by default the highest lower version beside
    `out`); the card `README.md` from `card_text_fn(split_info, context)`; `croissant.json`;
    and last `SHA256SUMS` over everything else.

    Returns (release folder, written); written is False when an identical release exists:
    same SHA256SUMS, and the existing files still match it. Files and folders get the
    kernel's shared mode (0644 and 0755 under umask 022), as tables do."""
    import pipelines.release.changelog as changelog
    from pipelines.release.croissant import write_croissant

    feats = features(schema)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_beside(out, directory=True)
    try:
        split_info: dict[str, list[dict]] = {}
        data_files: dict[str, list[dict]] = {}
        for config, by_split in tables.rows.items():
            split_info[config], data_files[config] = [], []
            for split, rows in by_split.items():
                if not rows:
                    continue
                rel = f"data/{config}/{split}.parquet"
                size = _write_parquet(tmp / rel, rows, feats[config])
                split_info[config].append({"name": split, "num_bytes": size, "num_examples": len(rows)})
                data_files[config].append({"split": split, "path": rel})
        context: dict = {"data_files": data_files}
        if extras is not None:
            context.update(extras(tmp, split_info) or {})

        previous = previous if previous is not None else changelog.find_previous(out, definition.version)
        if previous is not None and changelog.parse_version(changelog.release_version(previous) or "") is None:
            raise FrameCheckError(f"{previous}: the previous release has no version (no croissant.json, not a version-named folder)")
        before = changelog.claims_from_release(previous, changelog.evidence_keys(schema)) if previous is not None else None
        names = changelog.label_names(schema)
        diff = changelog.diff_claims(before, changelog.claims_from_rows(tables.rows["claims"], names, changelog.evidence_keys(schema)),
                                     changelog.release_version(previous) if previous is not None else None)
        entry = changelog.entry_markdown(definition.version, diff)
        (tmp / "CHANGELOG.md").write_text(changelog.release_changelog(definition.name, definition.version, entry, previous), encoding="utf-8")
        context["changelog"] = diff

        _write_card(tmp / "README.md", _card_data(definition, feats, split_info, data_files),
                    _call_card(card_text_fn, split_info, context))
        write_croissant(tmp, definition, feats, data_files, split_info)
        sums = "".join(f"{sha256_file(p)}  {p.relative_to(tmp).as_posix()}\n" for p in sorted(tmp.rglob("*")) if p.is_file())
        (tmp / "SHA256SUMS").write_text(sums, encoding="utf-8")
        if out.exists() and any(out.iterdir()):
            existing = (out / "SHA256SUMS").read_text(encoding="utf-8") if (out / "SHA256SUMS").exists() else None
            if existing != sums:
                changed = _changed_files(existing or "", sums)
                raise FrameCheckError(
                    f"{out}: release {definition.version} already exists with different content ({changed}); releases are "
                    f"immutable — bump `version` in {definition.path} to cut a new one"
                )
            altered = sums_mismatch(out)  # the same sums say "identical" only if the files still match them
            if altered:
                raise FrameCheckError(
                    f"{out}: release {definition.version} already exists but its files no longer match its SHA256SUMS "
                    f"({altered}); restore them (or remove the folder to rebuild it)"
                )
            written = False
        else:
            give_shared_mode(tmp)  # mkdtemp makes it private; a release is for sharing
            os.replace(tmp, out)
            written = True
        changelog.update_dataset_changelog(out, definition.name, definition.version, entry)
        return out, written
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def _call_card(card_text_fn, split_info: dict, context: dict) -> str:
    import inspect

    if len(inspect.signature(card_text_fn).parameters) >= 2:
        return card_text_fn(split_info, context)
    return card_text_fn(split_info)


def _changed_files(old_sums: str, new_sums: str) -> str:
    def parse(text):
        return {line[66:]: line[:64] for line in text.splitlines() if len(line) > 66}

    old, new = parse(old_sums), parse(new_sums)
    changed = sorted(f for f in set(old) | set(new) if old.get(f) != new.get(f))
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return f"changed: {shown}" if changed else "no SHA256SUMS in the existing folder"


def _card_data(definition: ReleaseDefinition, feats: dict, split_info: dict, data_files: dict):
    """The card's front matter as huggingface_hub's DatasetCardData. `configs` and `dataset_info`
    (what `load_dataset(folder, config)` reads) are written by datasets itself, as push_to_hub
    writes them; datasets lists configs by name, and `default` marks claims as the default."""
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    from datasets import DatasetInfo, SplitDict

    total = sum(s["num_examples"] for s in split_info.get("claims", []))
    size = "n<1K" if total < 1000 else "1K<n<10K" if total < 10000 else "10K<n<100K"
    card_data = DatasetCardData(
        pretty_name=definition.pretty_name,
        license=definition.license,
        language=["en", "zh"],
        multilinguality="multilingual",
        size_categories=[size],
        task_categories=list(definition.task_categories),
        tags=list(definition.tags),
        annotations_creators=["expert-generated"] if not definition.demo else ["machine-generated"],
        source_datasets=["original"],
    )
    MetadataConfigs({
        name: {"data_files": files, **({"default": True} if name == "claims" else {})} for name, files in data_files.items()
    }).to_dataset_card_data(card_data)
    DatasetInfosDict({
        name: DatasetInfo(features=feats[name], splits=SplitDict.from_split_dict(split_info[name])) for name in data_files
    }).to_dataset_card_data(card_data)
    return card_data


def _write_card(path: Path, card_data, body: str) -> None:
    """README.md: the front matter, then the card text (through DatasetCard, which checks it parses)."""
    from huggingface_hub import DatasetCard

    DatasetCard(f"---\n{card_data.to_yaml()}\n---\n\n{body}").save(path)


def distribution(rows: list[dict], key: str, by: str, names: list[str]) -> dict[str, Counter]:
    table: dict[str, Counter] = {}
    for row in rows:
        value = row[key]
        if value is None or value == -1:
            continue
        table.setdefault(row[by], Counter())[names[value]] += 1
    return table
