"""`croissant.json`: MLCommons Croissant 1.0 metadata (JSON-LD) for a release folder.

- `@context` is the inline dict (validators reject, and never fetch, a URL context).
- `distribution`: one `cr:FileObject` per Parquet file (relative `contentUrl`, `sha256`)
  and one local `cr:FileSet` per config (`includes: data/<config>/*.parquet`), which is what
  a config's RecordSet reads, so `records("claims")` yields every split's rows, each with a
  `split` field taken from its file name.
- Class-label columns hold integer indices; their names are inline `sc:Enumeration`
  RecordSets (`<config>_<field>_names`), generated from the same label schema as the
  card's ClassLabel features.

No dates, no absolute paths and a fixed key order: the same release gives the same bytes.
Validate offline with `mlcroissant validate --jsonld croissant.json`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"

# The Croissant 1.0 context, inline (as mlcroissant itself writes it).
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

PARQUET = "application/x-parquet"

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
    from datasets import ClassLabel, List, Sequence, Value

    repeated = False
    if isinstance(feature, (List, Sequence)):
        feature, repeated = feature.feature, True
    if isinstance(feature, ClassLabel):
        return "sc:Integer", repeated, list(feature.names)
    if isinstance(feature, Value):
        dtype = feature.dtype
        if dtype == "string":
            return "sc:Text", repeated, None
        if dtype == "bool":
            return "sc:Boolean", repeated, None
        if dtype.startswith(("int", "uint")):
            return "sc:Integer", repeated, None
        if dtype.startswith("float"):
            return "sc:Float", repeated, None
    raise ValueError(f"no Croissant data type for feature {feature!r}")


def croissant_jsonld(definition, features: dict, folder: Path, data_files: dict[str, list[dict]],
                     split_info: dict[str, list[dict]]) -> dict:
    """The Croissant document for the Parquet files under `folder` (paths relative to it)."""
    repo = getattr(definition, "hub_repo", "") or definition.name
    url = getattr(definition, "homepage", "") or f"https://huggingface.co/datasets/{repo}"
    distribution: list[dict] = []
    record_sets: list[dict] = []
    label_sets: list[dict] = []
    for config, files in data_files.items():
        for entry in files:
            path = folder / entry["path"]
            distribution.append({
                "@type": "cr:FileObject",
                "@id": f"{config}/{entry['split']}.parquet",
                "name": f"{config}/{entry['split']}.parquet",
                "description": f"The {entry['split']} split of the {config} config.",
                "contentUrl": entry["path"],
                "contentSize": f"{path.stat().st_size} B",
                "encodingFormat": PARQUET,
                "sha256": _sha256(path),
            })
        file_set = f"{config}-parquet"
        distribution.append({
            "@type": "cr:FileSet",
            "@id": file_set,
            "name": file_set,
            "description": f"Every split of the {config} config (one Parquet file per split; see the FileObjects for hashes).",
            "encodingFormat": PARQUET,
            "includes": f"data/{config}/*.parquet",
        })
        fields = []
        for name, feature in features[config].items():
            data_type, repeated, names = _data_type(feature)
            field = {
                "@type": "cr:Field",
                "@id": f"{config}/{name}",
                "name": name,
                "description": _field_description(name, names, f"{config}_{name}_names"),
                "dataType": data_type,
                "source": {"fileSet": {"@id": file_set}, "extract": {"column": name}},
            }
            if repeated:
                field["repeated"] = True
            fields.append(field)
            if names is not None:
                label_sets.append(_names_record_set(f"{config}_{name}_names", names))
        fields.append({
            "@type": "cr:Field",
            "@id": f"{config}/split",
            "name": "split",
            "description": "The split of the row (" + ", ".join(s["name"] for s in split_info.get(config, [])) + "), from its file name.",
            "dataType": "sc:Text",
            "source": {"fileSet": {"@id": file_set}, "extract": {"fileProperty": "filename"}, "transform": {"regex": "^(.+)\\.parquet$"}},
        })
        rows = sum(s["num_examples"] for s in split_info.get(config, []))
        record_sets.append({
            "@type": "cr:RecordSet",
            "@id": config,
            "name": config,
            "description": f"{_DESCRIPTIONS.get(config, config)} {rows} rows.",
            "field": fields,
        })
    doc = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": definition.name,
        "description": definition.description,
        "conformsTo": CONFORMS_TO,
        "citeAs": definition.citation or definition.pretty_name,
        "license": _license_url(definition.license),
        "url": url,
        "version": definition.version,
        "inLanguage": ["en", "zh"],
        "keywords": list(definition.tags),
        "creator": {"@type": "sc:Organization", "name": definition.contact or "FrameCheck developers"},
        "isLiveDataset": False,
        **({"datePublished": definition.date_published} if getattr(definition, "date_published", "") else {}),
        "distribution": distribution,
        "recordSet": record_sets + _dedupe(label_sets),
    }
    if getattr(definition, "demo", False):
        doc["description"] += " DEMO BUILD: fictional outlets and articles, synthetic annotations; not real coverage."
    return doc


def _field_description(name: str, names: list[str] | None, names_set: str) -> str:
    if names is None:
        return name
    listed = ", ".join(f"{i}={n}" for i, n in enumerate(names))
    return f"{name}: class index ({listed}; -1 = not labeled); names in record set {names_set}."


def _names_record_set(set_id: str, names: list[str]) -> dict:
    return {
        "@type": "cr:RecordSet",
        "@id": set_id,
        "name": set_id,
        "description": "Class-label names by index.",
        "dataType": "sc:Enumeration",
        "key": {"@id": f"{set_id}/index"},
        "field": [
            {"@type": "cr:Field", "@id": f"{set_id}/index", "name": "index", "dataType": "sc:Integer"},
            {"@type": "cr:Field", "@id": f"{set_id}/name", "name": "name", "dataType": "sc:Text"},
        ],
        "data": [{f"{set_id}/index": i, f"{set_id}/name": n} for i, n in enumerate(names)],
    }


def _dedupe(record_sets: list[dict]) -> list[dict]:
    seen, out = set(), []
    for rs in record_sets:
        if rs["@id"] not in seen:
            seen.add(rs["@id"])
            out.append(rs)
    return out


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


def dumps(doc: dict) -> str:
    """Deterministic bytes: fixed key order (as built), two-space indent, UTF-8, final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_croissant(folder: Path, definition, features: dict, data_files: dict, split_info: dict) -> Path:
    path = folder / "croissant.json"
    path.write_text(dumps(croissant_jsonld(definition, features, folder, data_files, split_info)), encoding="utf-8")
    return path
