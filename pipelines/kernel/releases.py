"""Releases as the later stages see them: the release definition (datasets/<name>/release.yaml)
and reading a built release (its folder, its card's label names, its claims as frames)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.kernel.config import DATASETS_DIR, Checker, load_yaml
from pipelines.kernel.io import FrameCheckError


def release_folder(dataset: str, release: Path | None) -> Path:
    folder = release or load_definition(dataset).default_out
    if not (folder / "SHA256SUMS").exists():
        raise FrameCheckError(f"{folder}: no release here (run `framecheck release build` first)")
    return folder


def load_release_frames(folder: Path) -> dict:
    """The claims config of a release as pandas frames per split, labels as names."""
    import pandas as pd
    import yaml

    card = yaml.safe_load((folder / "README.md").read_text(encoding="utf-8").split("---")[1])
    info = next(c for c in card["dataset_info"] if c["config_name"] == "claims")
    names, scalar = {}, set()
    for f in info["features"]:
        spec = f.get("dtype") if isinstance(f.get("dtype"), dict) else f.get("list") if isinstance(f.get("list"), dict) else None
        if spec and "class_label" in spec:
            labels = spec["class_label"]["names"]
            names[f["name"]] = [labels[k] for k in sorted(labels, key=int)]
            if "dtype" in f:
                scalar.add(f["name"])
    frames = {}
    for split_file in sorted((folder / "data" / "claims").glob("*.parquet")):
        frame = pd.read_parquet(split_file)
        for column in scalar:
            labels = names[column]
            frame[column] = frame[column].map(lambda i, labels=labels: labels[i] if i is not None and i >= 0 else None)
        frames[split_file.stem] = frame
    return {"frames": frames, "names": names}


DEFAULT_DATASET = "scs-framing"
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


_RELEASE_KEYS = (
    "name", "pretty_name", "version", "license", "description", "citation", "contact", "demo",
    "split", "homepage", "task_categories", "tags", "date_published", "hub_repo",
)


@dataclass(frozen=True)
class ReleaseDefinition:
    path: Path
    name: str
    pretty_name: str
    version: str
    license: str
    description: str
    citation: str
    contact: str
    demo: bool
    seed: int
    ratios: dict
    ood_outlets: tuple[str, ...]
    task_categories: tuple[str, ...]
    tags: tuple[str, ...]
    homepage: str = ""
    date_published: str = ""
    hub_repo: str = ""

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def default_out(self) -> Path:
        return self.folder / "releases" / self.version


def load_definition(name: str = DEFAULT_DATASET, datasets_dir: Path = DATASETS_DIR) -> ReleaseDefinition:
    path = datasets_dir / name / "release.yaml"
    check = Checker(path)
    doc = check.mapping(load_yaml(path), "(top)", required=("name", "version", "license", "description"), allowed=_RELEASE_KEYS)
    check.string(doc["version"], "version", pattern=r"\d+\.\d+\.\d+")
    split = check.mapping(doc.get("split") or {}, "split", allowed=("seed", "ratios", "ood_outlets"))
    ratios = split.get("ratios") or {"train": 0.7, "validation": 0.15, "test": 0.15}
    check.mapping(ratios, "split.ratios", required=("train", "validation", "test"), allowed=("train", "validation", "test"))
    if doc.get("date_published") is not None:
        check.string(str(doc["date_published"]), "date_published", pattern=r"\d{4}-\d{2}-\d{2}")
    if abs(sum(ratios.values()) - 1) > 1e-6:
        check.fail("split.ratios", f"must add up to 1, got {sum(ratios.values())}")
    return ReleaseDefinition(
        path=path,
        name=doc["name"],
        pretty_name=doc.get("pretty_name", doc["name"]),
        version=doc["version"],
        license=doc["license"],
        description=doc["description"].strip(),
        citation=(doc.get("citation") or "").strip(),
        contact=doc.get("contact", ""),
        demo=bool(doc.get("demo", False)),
        seed=int(split.get("seed", 0)),
        ratios=ratios,
        ood_outlets=tuple(split.get("ood_outlets") or ()),
        task_categories=tuple(doc.get("task_categories") or ("text-classification",)),
        tags=tuple(doc.get("tags") or ()),
        homepage=str(doc.get("homepage") or ""),
        date_published=str(doc.get("date_published") or ""),
        hub_repo=str(doc.get("hub_repo") or ""),
    )


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = _VERSION.match(text or "")
    return tuple(int(g) for g in match.groups()) if match else None  # type: ignore[return-value]


def release_version(folder: Path) -> str | None:
    """A release's version: from its croissant.json, else from a version-named folder."""
    croissant = folder / "croissant.json"
    if croissant.exists():
        try:
            version = json.loads(croissant.read_text(encoding="utf-8")).get("version")
            if parse_version(version):
                return version
        except ValueError:
            pass
    return folder.name if parse_version(folder.name) else None
