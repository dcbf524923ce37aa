"""Releases as the later stages see them: the release definition (datasets/<name>/release.yaml)
and reading a built release (its folder, its card's front matter and label names, its claims as
frames). The card is read with huggingface_hub and its features with datasets, never by hand."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.kernel.config import DATASETS_DIR, Checker, load_yaml
from pipelines.kernel.io import FrameCheckError

if TYPE_CHECKING:
    from datasets import Features


def release_folder(dataset: str, release: Path | None) -> Path:
    folder = release or load_definition(dataset).default_out
    if not (folder / "SHA256SUMS").exists():
        raise FrameCheckError(f"{folder}: no release here (run `framecheck release build` first)")
    return folder


def read_card_data(folder: Path) -> dict:
    """The YAML front matter of a release's dataset card, parsed by huggingface_hub (the Hub's own rules)."""
    import yaml
    from huggingface_hub import DatasetCard

    path = folder / "README.md"
    if not path.is_file():  # our own error: DatasetCard.load takes a missing path for a Hub repo id
        raise FrameCheckError(f"{path}: no dataset card")
    try:
        data = DatasetCard.load(path).data.to_dict()
    except (yaml.YAMLError, ValueError) as exc:
        raise FrameCheckError(f"{path}: the card's YAML front matter does not parse ({exc})") from None
    if not data:
        raise FrameCheckError(f"{path}: no YAML front matter (a block between --- lines) at the top of the card")
    return data


def card_features(folder: Path, config: str) -> Features:
    """The features of one config as the card's `dataset_info` states them, read by datasets itself."""
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData

    where = f"{folder / 'README.md'}: dataset_info[config_name={config}].features"
    try:
        info = DatasetInfosDict.from_dataset_card_data(DatasetCardData(**read_card_data(folder))).get(config)
    except (KeyError, TypeError, ValueError) as exc:  # a feature spec datasets cannot read
        raise FrameCheckError(f"{where}: not a datasets feature list ({exc!r})") from None
    if info is None or info.features is None:
        raise FrameCheckError(f"{where}: missing")
    return info.features


def class_label_names(features) -> dict[str, list[str]]:
    """Class-label names per column, for ClassLabel columns and lists of ClassLabels."""
    from datasets import ClassLabel, Sequence  # datasets' List is a Sequence

    names = {}
    for column, feature in features.items():
        inner = feature.feature if isinstance(feature, Sequence) else feature
        if isinstance(inner, ClassLabel):
            names[column] = list(inner.names)
    return names


def load_release_frames(folder: Path) -> dict:
    """The claims config of a release as pandas frames per split, scalar labels as names."""
    import pandas as pd
    from datasets import ClassLabel

    features = card_features(folder, "claims")
    names = class_label_names(features)
    scalar = [column for column in names if isinstance(features[column], ClassLabel)]
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
