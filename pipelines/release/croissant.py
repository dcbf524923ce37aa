"""`croissant.json`: MLCommons Croissant 1.0 metadata (JSON-LD) for a release folder, built
with mlcroissant's node classes and serialised by its `Metadata.to_json()` (which writes the
standard inline `@context`, and validates the graph as it is built).

- `distribution`: one `cr:FileObject` per Parquet file (relative `contentUrl`, `sha256`)
  and one local `cr:FileSet` per config (`includes: data/<config>/*.parquet`), which is what
  a config's RecordSet reads, so `records("claims")` yields every split's rows, each with a
  `split` field taken from its file name.
- Class-label columns hold integer indices; their names are inline `sc:Enumeration`
  RecordSets (`<config>_<field>_names`), generated from the same label schema as the
  card's ClassLabel features.

Every node has an explicit `@id` (mlcroissant drops the random ids of anonymous nodes), there
are no dates but the definition's `date_published`, no absolute paths, and mlcroissant sorts
the keys: the same release gives the same bytes.
Validate offline with `mlcroissant validate --jsonld croissant.json`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import mlcroissant as mlc

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
ENUMERATION = "https://schema.org/Enumeration"  # a RecordSet data type mlc.DataType does not list
PARQUET = mlc.EncodingFormat.PARQUET

_DESCRIPTIONS = {
    "claims": "One row per labeled claim: text and context, provenance (article, outlet, camp, language, date, URL), "
              "labels (check-worthiness, verdict, distortion direction, frames), evidence fact ids, rationale, agreement.",
    "articles": "The articles the claims come from: metadata, provenance in the WARC archive, and full text where the "
                "outlet allows redistribution (else null; see the card's rehydration command).",
    "facts": "The fact base of the documented reality (bilingual statements, validity dates, sources as JSON).",
    "spans": "Sensational-language spans of the claims (character offsets into the claim text), from annotators and the cue lexicon.",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _data_type(feature) -> tuple[str, bool, list[str] | None]:
    """(Croissant dataType, repeated, class-label names) of a datasets feature."""
    from datasets import ClassLabel, Sequence, Value  # datasets' List is a Sequence

    repeated = False
    if isinstance(feature, Sequence):
        feature, repeated = feature.feature, True
    if isinstance(feature, ClassLabel):
        return mlc.DataType.INTEGER, repeated, list(feature.names)
    if isinstance(feature, Value):
        dtype = feature.dtype
        if dtype == "string":
            return mlc.DataType.TEXT, repeated, None
        if dtype == "bool":
            return mlc.DataType.BOOL, repeated, None
        if dtype.startswith(("int", "uint")):
            return mlc.DataType.INTEGER, repeated, None
        if dtype.startswith("float"):
            return mlc.DataType.FLOAT, repeated, None
    raise ValueError(f"no Croissant data type for feature {feature!r}")


def croissant_metadata(definition, features: dict, folder: Path, data_files: dict[str, list[dict]],
                       split_info: dict[str, list[dict]]) -> mlc.Metadata:
    """The Croissant metadata of the Parquet files under `folder` (paths relative to it).

    Raises mlc.ValidationError when the graph is not valid Croissant (mlcroissant checks it)."""
    ctx = mlc.Context(conforms_to=CONFORMS_TO)  # one context: the nodes share its graph and issues
    distribution: list = []
    record_sets: list = []
    label_sets: dict[str, mlc.RecordSet] = {}
    for config, files in data_files.items():
        distribution += [_file_object(ctx, folder, config, entry) for entry in files]
        distribution.append(_file_set(ctx, config))
        record_sets.append(_record_set(ctx, config, features[config], split_info.get(config, []), label_sets))
    description = definition.description
    if getattr(definition, "demo", False):
        description += " DEMO BUILD: fictional outlets and articles, synthetic annotations; not real coverage."
    repo = getattr(definition, "hub_repo", "") or definition.name
    return mlc.Metadata(
        ctx=ctx,
        name=definition.name,
        description=description,
        cite_as=definition.citation or definition.pretty_name,
        license=_license_url(definition.license),
        url=getattr(definition, "homepage", "") or f"https://huggingface.co/datasets/{repo}",
        version=definition.version,
        in_language=["en", "zh"],
        keywords=list(definition.tags),
        creators=[mlc.Organization(ctx=ctx, name=definition.contact or "FrameCheck developers")],
        date_published=getattr(definition, "date_published", "") or None,
        distribution=distribution,
        record_sets=record_sets + list(label_sets.values()),
    )


def _file_object(ctx: mlc.Context, folder: Path, config: str, entry: dict) -> mlc.FileObject:
    path = folder / entry["path"]
    return mlc.FileObject(
        ctx=ctx,
        id=f"{config}/{entry['split']}.parquet",
        name=f"{config}/{entry['split']}.parquet",
        description=f"The {entry['split']} split of the {config} config.",
        content_url=entry["path"],
        content_size=f"{path.stat().st_size} B",
        encoding_formats=[PARQUET],
        sha256=_sha256(path),
    )


def _file_set(ctx: mlc.Context, config: str) -> mlc.FileSet:
    return mlc.FileSet(
        ctx=ctx,
        id=f"{config}-parquet",
        name=f"{config}-parquet",
        description=f"Every split of the {config} config (one Parquet file per split; see the FileObjects for hashes).",
        encoding_formats=[PARQUET],
        includes=[f"data/{config}/*.parquet"],
    )


def _record_set(ctx: mlc.Context, config: str, features, splits: list[dict],
                label_sets: dict[str, mlc.RecordSet]) -> mlc.RecordSet:
    """A config's RecordSet: one Field per column, and the row's split from its file name.
    Adds the names RecordSet of each class-label column to `label_sets`."""
    file_set = f"{config}-parquet"
    fields = []
    for name, feature in features.items():
        data_type, repeated, names = _data_type(feature)
        names_set = f"{config}_{name}_names"
        fields.append(mlc.Field(
            ctx=ctx,
            id=f"{config}/{name}",
            name=name,
            description=_field_description(name, names, names_set),
            data_types=[data_type],
            repeated=True if repeated else None,
            source=mlc.Source(ctx=ctx, file_set=file_set, extract=mlc.Extract(ctx=ctx, column=name)),
        ))
        if names is not None:
            label_sets.setdefault(names_set, _names_record_set(ctx, names_set, names))
    fields.append(mlc.Field(
        ctx=ctx,
        id=f"{config}/split",
        name="split",
        description="The split of the row (" + ", ".join(s["name"] for s in splits) + "), from its file name.",
        data_types=[mlc.DataType.TEXT],
        source=mlc.Source(ctx=ctx, file_set=file_set, extract=mlc.Extract(ctx=ctx, file_property="filename"),
                          transforms=[mlc.Transform(ctx=ctx, regex="^(.+)\\.parquet$")]),
    ))
    rows = sum(s["num_examples"] for s in splits)
    return mlc.RecordSet(ctx=ctx, id=config, name=config, description=f"{_DESCRIPTIONS.get(config, config)} {rows} rows.",
                         fields=fields)


def _field_description(name: str, names: list[str] | None, names_set: str) -> str:
    if names is None:
        return name
    listed = ", ".join(f"{i}={n}" for i, n in enumerate(names))
    return f"{name}: class index ({listed}; -1 = not labeled); names in record set {names_set}."


def _names_record_set(ctx: mlc.Context, set_id: str, names: list[str]) -> mlc.RecordSet:
    index, name = f"{set_id}/index", f"{set_id}/name"
    return mlc.RecordSet(
        ctx=ctx,
        id=set_id,
        name=set_id,
        description="Class-label names by index.",
        data_types=[ENUMERATION],
        key=[index],
        fields=[
            mlc.Field(ctx=ctx, id=index, name="index", data_types=[mlc.DataType.INTEGER]),
            mlc.Field(ctx=ctx, id=name, name="name", data_types=[mlc.DataType.TEXT]),
        ],
        data=[{index: i, name: n} for i, n in enumerate(names)],
    )


def _license_url(license_id: str) -> str:
    known = {
        "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
        "cc-by-sa-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
        "cc-by-nc-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
        "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
        "mit": "https://opensource.org/licenses/MIT",
        "apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0",
    }
    return known.get(license_id.lower(), license_id)


def dumps(metadata: mlc.Metadata) -> str:
    """Deterministic bytes: mlcroissant's JSON-LD (keys in its fixed order), two-space indent, UTF-8, final newline."""
    return json.dumps(metadata.to_json(), indent=2, ensure_ascii=False) + "\n"


def write_croissant(folder: Path, definition, features: dict, data_files: dict, split_info: dict) -> Path:
    path = folder / "croissant.json"
    path.write_text(dumps(croissant_metadata(definition, features, folder, data_files, split_info)), encoding="utf-8")
    return path
