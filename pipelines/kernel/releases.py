"""Releases as the later stages see them: the release definition (datasets/<name>/release.yaml)
and reading a built release (its folder, its card's front matter and label names, its claims as
frames). The card is read with huggingface_hub and its features with datasets, never by hand."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Iterable

from pydantic import Field, field_validator, model_validator

from pipelines.kernel.config import (
    DATASETS_DIR,
    ConfigModel,
    IsoDate,
    Text,
    config_error,
    invalid,
    load_config,
)
from pipelines.kernel.io import FrameCheckError

if TYPE_CHECKING:
    from datasets import Features


def release_folder(dataset: str, release: Path | None) -> Path:
    folder = release or load_definition(dataset).default_out
    if not (folder / "SHA256SUMS").exists():
        raise FrameCheckError(f"{folder}: no release here (run `framecheck release build` first)")
    return folder


def sums_mismatch(folder: Path) -> str | None:
    """How a release folder's files differ from its SHA256SUMS (changed, missing, or not
    listed), or None when every listed file is there with its hash and nothing else is.
    Both `release push` and a rebuild over an existing release check this."""
    import hashlib

    listed = {}
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    bad = sorted(n for n in listed if n not in present or hashlib.sha256((folder / n).read_bytes()).hexdigest() != listed[n])
    extra = sorted(present - set(listed))
    if not bad and not extra:
        return None
    return f"changed or missing: {', '.join(bad) or 'none'}; not listed: {', '.join(extra) or 'none'}"


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


# --- The release definition's models -----------------------------------------------------

Ratio = Annotated[float, Field(ge=0, le=1)]


class RatiosModel(ConfigModel):
    train: Ratio
    validation: Ratio
    test: Ratio

    @model_validator(mode="after")
    def _add_up_to_one(self):
        total = self.train + self.validation + self.test
        if abs(total - 1) > 1e-6:
            raise invalid((), f"must add up to 1, got {total:g}")
        return self


class SplitModel(ConfigModel):
    seed: Annotated[int, Field(ge=0)] = 0
    ratios: RatiosModel = RatiosModel(train=0.7, validation=0.15, test=0.15)
    ood_outlets: list[Text] = []  # outlet ids held out as an out-of-distribution test split


class ReleaseModel(ConfigModel):
    name: Text
    pretty_name: Text | None = None
    version: Text
    license: Text
    description: Text
    citation: str = ""
    contact: str = ""
    demo: bool = False
    split: SplitModel = SplitModel()
    homepage: str = ""
    task_categories: list[Text] = []
    tags: list[Text] = []
    date_published: IsoDate | None = None
    hub_repo: str = ""

    @field_validator("version")
    @classmethod
    def _semantic_version(cls, value: str) -> str:
        if not _VERSION.match(value):
            raise invalid((), f"{value!r} is not a version (MAJOR.MINOR.PATCH, e.g. 0.1.0)")
        return value

    @field_validator("hub_repo")
    @classmethod
    def _hub_repo(cls, value: str) -> str:
        if value and not re.fullmatch(r"[\w.-]+/[\w.-]+", value):
            raise invalid((), f"{value!r} is not a Hub repository id (ORG/NAME)")
        return value


def load_definition(name: str = DEFAULT_DATASET, datasets_dir: Path = DATASETS_DIR) -> ReleaseDefinition:
    path = datasets_dir / name / "release.yaml"
    doc = load_config(path, ReleaseModel)
    ratios = doc.split.ratios
    return ReleaseDefinition(
        path=path,
        name=doc.name,
        pretty_name=doc.pretty_name or doc.name,
        version=doc.version,
        license=doc.license,
        description=doc.description.strip(),
        citation=doc.citation.strip(),
        contact=doc.contact,
        demo=doc.demo,
        seed=doc.split.seed,
        ratios={"train": ratios.train, "validation": ratios.validation, "test": ratios.test},
        ood_outlets=tuple(doc.split.ood_outlets),
        task_categories=tuple(doc.task_categories or ("text-classification",)),
        tags=tuple(doc.tags),
        homepage=doc.homepage,
        date_published=doc.date_published or "",
        hub_repo=doc.hub_repo,
    )


def check_ood_outlets(definition: ReleaseDefinition, outlet_ids: Iterable[str]) -> None:
    """Every held-out outlet must be one the registries know: a misspelt id would hold out nothing."""
    known = set(outlet_ids)
    for i, outlet_id in enumerate(definition.ood_outlets):
        if outlet_id not in known:
            raise config_error(definition.path, f"split.ood_outlets[{i}]", f"unknown outlet {outlet_id!r}")


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
