"""Every source of annotations is kept, keyed by where it came from.

Sources are Label Studio snapshots, one per `annotate pull`
(annotations/snapshots/<stamp>[-n]-<server>-project<id>.json), and imported export files,
one copy per distinct file (annotations/imports/<sha256[:12]>-<name>). An annotation's id is
its source's key plus its Label Studio id, so two servers, a reset server and an export file
never collide; a later snapshot of the same server and project replaces that project's
earlier copy of an annotation. The annotations table is always rebuilt from all sources, so
an import never drops what a pull brought, nor a pull what an import brought."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

from annotation.labels import parse_export
from pipelines.kernel.io import DataDir, utc_now
from pipelines.kernel.label_schema import LabelSchema
from pipelines.kernel.records import Annotation

SNAPSHOT_NAME = re.compile(
    r"(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?(?:-(?P<server>[0-9a-f]{8}))?-project(?P<project>\d+)\.json")


def imports_dir(data: DataDir) -> Path:
    return data.root / "annotations" / "imports"


def server_key(url: str) -> str:
    """A short stable name for a Label Studio server (its URL is not stored in clear: it may
    name a private host)."""
    return hashlib.sha256(url.rstrip("/").encode("utf-8")).hexdigest()[:8]


def new_snapshot_path(data: DataDir, url: str, project_id: int) -> Path:
    """A fresh snapshot name; two pulls in one second still never overwrite each other."""
    data.snapshots_dir.mkdir(parents=True, exist_ok=True)
    stamp = utc_now().replace(":", "").replace("-", "")
    tail = f"{server_key(url)}-project{project_id}.json"
    path, n = data.snapshots_dir / f"{stamp}-{tail}", 0
    while path.exists():
        n += 1
        path = data.snapshots_dir / f"{stamp}-{n}-{tail}"
    return path


def content_key(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def keep_export(data: DataDir, export: Path) -> Path:
    """Keep a copy of an export file among the sources (once per distinct content)."""
    target = imports_dir(data) / f"{content_key(export)}-{export.name}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(export, tmp)
        tmp.replace(target)
    return target


def _snapshot_order(path: Path) -> tuple:
    """Pull order: by time stamp, then by the same-second counter (a plain name sort puts
    '…Z-1-…' before '…Z-…')."""
    m = SNAPSHOT_NAME.fullmatch(path.name)
    return (m["stamp"], int(m["n"] or 0), path.name) if m else (path.name, 0, path.name)


def sources(data: DataDir) -> list[tuple[str, Path]]:
    """(source key, file) of every source: imported exports, then snapshots in pull order."""
    found = [(f"export-{path.name.split('-', 1)[0]}", path) for path in sorted(imports_dir(data).glob("*.json"))]
    for path in sorted(data.snapshots_dir.glob("*.json"), key=_snapshot_order):
        m = SNAPSHOT_NAME.fullmatch(path.name)
        server = (m["server"] if m and m["server"] else "unknown") if m else "unknown"
        found.append((f"ls-{server}-project{m['project'] if m else path.stem}", path))
    return found


def all_annotations(data: DataDir, schema: LabelSchema | None = None) -> list[Annotation]:
    """Every annotation of every source, keyed by source; the newest copy of one wins."""
    latest: dict[str, Annotation] = {}
    for key, path in sources(data):
        for annotation in parse_export(path, schema):  # snapshots already hold pseudonyms
            keyed = replace(annotation, annotation_id=f"{key}/{annotation.annotation_id}")
            latest[keyed.annotation_id] = keyed
    return sorted(latest.values(), key=lambda a: a.annotation_id)


def describe_sources(data: DataDir, annotations: list[Annotation]) -> str:
    """Which sources the annotations table holds and how many annotations each gave, so that a
    pull says that it kept the imported (demo) export, and an import that it kept the pulls."""
    counts = Counter(a.annotation_id.split("/", 1)[0] for a in annotations)
    names = {key: path.name for key, path in sources(data) if key.startswith("export-")}
    parts = [f"{names[key].split('-', 1)[1]} (imported) {n}" if key in names else f"{key} (pulled) {n}"
             for key, n in sorted(counts.items())]
    return "annotations by source: " + (", ".join(parts) if parts else "none")
