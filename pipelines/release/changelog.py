"""CHANGELOG entries: what changed in the claims since the previous release of a dataset.

A release's claims are compared with the previous release's by claim id: claims added,
removed, relabeled (a label field of the schema changed: single, multi and evidence fields;
a field only one of the two releases has is no relabeling) and moved to another split. Entries are plain Markdown with no dates, so the same inputs give
the same bytes.

Where things live:
- every release folder holds `CHANGELOG.md`: this version's entry, then the history copied
  from the previous release's `CHANGELOG.md`;
- when a release is written into a `releases/<version>/` folder (the default layout
  `datasets/<name>/releases/<version>/`), the dataset-level changelog beside that
  `releases/` folder (`datasets/<name>/CHANGELOG.md`) gets the entry too (atomically).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.kernel.label_schema import LabelSchema
from pipelines.kernel.releases import (
    card_features,
    class_label_names,
    parse_version,
    release_version,
)

_HEADING = re.compile(r"^## (\d+\.\d+\.\d+)\s*$", re.MULTILINE)




# --- Reading claims --------------------------------------------------------------------


def label_names(schema: LabelSchema) -> dict[str, list[str]]:
    """Class-label names of the claims' ClassLabel columns (single and multi fields)."""
    return {f.name: f.names for f in schema.fields_of_kind("single", "multi")}


def evidence_keys(schema: LabelSchema) -> tuple[str, ...]:
    """The claims' evidence columns (fact ids as strings, not ClassLabels)."""
    return tuple(f.name for f in schema.fields_of_kind("evidence"))


def claims_from_rows(rows_by_split: dict[str, list[dict]], names: dict[str, list[str]],
                     evidence: tuple[str, ...] = ()) -> dict[str, dict]:
    """claim id → {split, label fields as names} from release rows (label fields as indices)."""
    out = {}
    for split, rows in rows_by_split.items():
        for row in rows:
            out[row["claim_id"]] = {"split": split, **_labels(row, names, evidence)}
    return out


def _labels(row: dict, names: dict[str, list[str]], evidence: tuple[str, ...]) -> dict:
    """ClassLabel columns as names (a list column as sorted names), evidence as sorted ids;
    in the row's column order, the schema's."""
    def name(key, value):
        if value is None or value < 0:
            return None
        return names[key][value]

    labels = {}
    for key, value in row.items():
        if key in evidence:
            labels[key] = sorted(value or [])
        elif key in names:
            labels[key] = sorted(name(key, v) for v in value or []) if isinstance(value, list) else name(key, value)
    return labels


def claims_from_release(folder: Path, evidence: tuple[str, ...] = ()) -> dict[str, dict]:
    import pyarrow.parquet as pq

    names = class_label_names(card_features(folder, "claims"))
    rows = {p.stem: pq.read_table(p).to_pylist() for p in sorted((folder / "data" / "claims").glob("*.parquet"))}
    return claims_from_rows(rows, names, evidence)


def find_previous(out: Path, version: str) -> Path | None:
    """The highest release below `version` among the siblings of `out` (a `releases/` folder)."""
    current = parse_version(version)
    if not out.parent.exists() or current is None:
        return None
    candidates = []
    for sibling in out.parent.iterdir():
        if sibling.resolve() == out.resolve() or not sibling.is_dir() or sibling.name.startswith("."):
            continue
        if not (sibling / "SHA256SUMS").exists() or not (sibling / "data" / "claims").exists():
            continue
        v = parse_version(release_version(sibling) or "")
        if v is not None and v < current:
            candidates.append((v, sibling.name, sibling))
    return max(candidates)[2] if candidates else None


# --- Diff and entry --------------------------------------------------------------------


@dataclass
class ClaimsDiff:
    previous_version: str | None
    before: int
    after: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    relabeled: dict[str, list[str]] = field(default_factory=dict)  # claim id → "field: old → new"
    moved: dict[str, str] = field(default_factory=dict)  # claim id → "old → new"
    added_by_split: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "previous_version": self.previous_version, "claims_before": self.before, "claims_after": self.after,
            "added": self.added, "removed": self.removed, "relabeled": self.relabeled, "moved": self.moved,
        }


def _show(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return "—" if value is None else str(value)


def diff_claims(previous: dict[str, dict] | None, current: dict[str, dict], previous_version: str | None) -> ClaimsDiff:
    previous = previous or {}
    diff = ClaimsDiff(previous_version, before=len(previous), after=len(current))
    diff.added = sorted(set(current) - set(previous))
    diff.removed = sorted(set(previous) - set(current))
    for cid in diff.added:
        split = current[cid]["split"]
        diff.added_by_split[split] = diff.added_by_split.get(split, 0) + 1
    for cid in sorted(set(current) & set(previous)):
        old, new = previous[cid], current[cid]
        keys = [k for k in new if k in old and k != "split"]  # the label fields both releases have
        changes = [f"{k}: {_show(old[k])} → {_show(new[k])}" for k in keys if old[k] != new[k]]
        if changes:
            diff.relabeled[cid] = changes
        if old["split"] != new["split"]:
            diff.moved[cid] = f"{old['split']} → {new['split']}"
    return diff


def entry_markdown(version: str, diff: ClaimsDiff) -> str:
    """One `## <version>` section; lists every claim id that changed."""
    lines = [f"## {version}", ""]
    if diff.previous_version is None:
        order = ("train", "validation", "test", "ood_test")
        splits = sorted(diff.added_by_split, key=lambda s: (order.index(s) if s in order else len(order), s))
        by_split = ", ".join(f"{s} {diff.added_by_split[s]}" for s in splits)
        lines += [f"First release: {diff.after} claims ({by_split}).", ""]
        return "\n".join(lines) + "\n"
    lines += [
        f"Compared with {diff.previous_version}: {len(diff.added)} claims added, {len(diff.removed)} removed, "
        f"{len(diff.relabeled)} relabeled, {len(diff.moved)} moved between splits ({diff.before} → {diff.after} claims).",
        "",
    ]
    if diff.added:
        lines += [f"### Added ({len(diff.added)})", ""] + [f"- `{c}`" for c in diff.added] + [""]
    if diff.removed:
        lines += [f"### Removed ({len(diff.removed)})", ""] + [f"- `{c}`" for c in diff.removed] + [""]
    if diff.relabeled:
        lines += [f"### Relabeled ({len(diff.relabeled)})", ""]
        lines += [f"- `{c}`: " + "; ".join(changes) for c, changes in diff.relabeled.items()] + [""]
    if diff.moved:
        lines += [f"### Moved between splits ({len(diff.moved)})", ""] + [f"- `{c}`: {m}" for c, m in diff.moved.items()] + [""]
    return "\n".join(lines) + "\n"


# --- Changelog files -------------------------------------------------------------------


def _title(name: str) -> str:
    return f"# Changelog: {name}\n\nClaim-level changes between releases (ids are `claim_id`s). Newest first.\n\n"


def split_entries(text: str) -> dict[str, str]:
    """version → its `## <version>` section, from a changelog file's text."""
    matches = list(_HEADING.finditer(text))
    entries = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        entries[match.group(1)] = text[match.start():end].rstrip("\n") + "\n"
    return entries


def merge(name: str, existing: str | None, version: str, entry: str) -> str:
    """The changelog text with `entry` for `version` inserted (or replaced), newest first."""
    entries = split_entries(existing or "")
    entries[version] = entry.rstrip("\n") + "\n"
    ordered = sorted(entries, key=lambda v: parse_version(v) or (0, 0, 0), reverse=True)
    return _title(name) + "\n".join(entries[v] for v in ordered)


def release_changelog(name: str, version: str, entry: str, previous: Path | None) -> str:
    """The CHANGELOG.md inside a release: this entry, then the previous release's history."""
    history = None
    if previous is not None and (previous / "CHANGELOG.md").exists():
        history = (previous / "CHANGELOG.md").read_text(encoding="utf-8")
        # a history only holds versions below this one
        history_entries = {v: e for v, e in split_entries(history).items() if (parse_version(v) or (0,)) < (parse_version(version) or (0,))}
        history = "".join(history_entries.values())
    return merge(name, history, version, entry)


def dataset_changelog_path(out: Path) -> Path | None:
    """The dataset-level changelog for a release folder in a `releases/` layout, else None."""
    return out.parent.parent / "CHANGELOG.md" if out.parent.name == "releases" else None


def update_dataset_changelog(out: Path, name: str, version: str, entry: str) -> Path | None:
    from pipelines.kernel.io import write_text_atomic

    path = dataset_changelog_path(out)
    if path is None:
        return None
    existing = path.read_text(encoding="utf-8") if path.exists() else None
    updated = merge(name, existing, version, entry)
    if updated != existing:
        write_text_atomic(path, updated)
    return path
