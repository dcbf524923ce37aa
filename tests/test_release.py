"""Releases: validation before writing, byte-identical rebuilds, immutable versions."""

from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.kernel.facts import load_facts
from pipelines.kernel.io import FrameCheckError
from pipelines.kernel.label_schema import load_schema
from pipelines.kernel.records import Article, Claim
from pipelines.kernel.releases import load_definition
from pipelines.release.tables import (
    ReleaseValidationError,
    build_tables,
    split_of,
    write_release,
)

FACTS = load_facts()


def _article(i: int, outlet: str = "granite-herald", duplicate_of: str | None = None) -> Article:
    return Article(article_id=f"a{i:03d}", url=f"http://x.example/{i}", outlet_id=outlet, outlet_name=outlet, camp="western",
                   language="en", source_kind="web", title=f"T{i}", author=None, published="2019-01-01", text=f"text {i}",
                   text_sha256=f"h{i}", relevance=10.0, duplicate_of=duplicate_of, warc_file="w.warc.gz", warc_offset=i,
                   body_sha256="b")


def _claim(i: int, article: str) -> Claim:
    return Claim(claim_id=f"c{i:03d}", article_id=article, start=0, end=10, text=f"Claim number {i} about the court list.",
                 context_before="", context_after="", language="en", checkworthiness=0.6, outlet_id="granite-herald",
                 camp="western", published="2019-01-01", url="http://x.example")


def _gold(evidence=("F16",)) -> dict:
    return {"checkworthy": "yes", "verdict": "accurate", "distortion": "none", "frames": ("law_enforcement",),
            "evidence": evidence, "rationale": "ok", "annotator_count": 2, "agreement": 1.0, "adjudicated": False, "cues": ()}


@pytest.fixture
def inputs():
    articles = [_article(i) for i in range(30)] + [_article(99, outlet="east-wire", duplicate_of="a001")]
    claims = [_claim(i, f"a{i % 30:03d}") for i in range(60)] + [_claim(99, "a099")]
    gold = {c.claim_id: _gold() for c in claims}
    return articles, claims, gold


def _tables(inputs, **kw):
    articles, claims, gold = inputs
    definition = replace(load_definition(), ood_outlets=())
    return definition, build_tables(definition, load_schema(), articles, claims, gold, FACTS, {"granite-herald": True, "east-wire": False})


def test_split_is_stable_and_grouped(inputs):
    _definition, tables = _tables(inputs)
    where = {}
    for split, rows in tables.rows["claims"].items():
        for row in rows:
            assert where.setdefault(row["group_id"], split) == split
    # the syndicated copy (a099) shares its canonical article's group and split
    copy = next(r for rows in tables.rows["claims"].values() for r in rows if r["article_id"] == "a099")
    assert copy["group_id"] == "a001"


def test_split_is_a_fixed_function_of_seed_and_group():
    # the bucket is the first 8 hex digits of sha256("<seed>:<group>") over 0xFFFFFFFF, computed
    # with sha256sum: 1:a001 → fe088fd0 (0.992), 1:a002 → 9286762f (0.572), 1:a009 → b867f4df (0.720);
    # 3:a001 → 417f5203 (0.256)
    ratios = {"train": 0.7, "validation": 0.15, "test": 0.15}
    assert [split_of(group, 1, ratios) for group in ("a001", "a002", "a009")] == ["test", "train", "validation"]
    assert split_of("a001", 3, ratios) == "train"
    assert split_of("a002", 1, {"train": 0.5, "validation": 0.25, "test": 0.25}) == "validation"


def test_non_redistributable_text_is_withheld(inputs):
    _definition, tables = _tables(inputs)
    copy = next(r for rows in tables.rows["articles"].values() for r in rows if r["article_id"] == "a099")
    assert copy["text"] is None and copy["text_redistributed"] is False


def test_unknown_evidence_fails_naming_the_row(inputs, tmp_path):
    articles, claims, gold = inputs
    gold["c007"] = _gold(evidence=("F999",))
    with pytest.raises(ReleaseValidationError, match=r"claim c007: evidence F999 is not in the fact base"):
        _tables((articles, claims, gold))


def test_bad_label_and_empty_text_fail(inputs):
    articles, claims, gold = inputs
    gold["c003"] = {**_gold(), "verdict": "mostly-true"}
    claims[4] = replace(claims[4], text="  ")
    with pytest.raises(ReleaseValidationError) as err:
        _tables((articles, claims, gold))
    assert "claim c003: verdict='mostly-true'" in str(err.value) and "claim c004: empty text" in str(err.value)


def test_rebuild_is_byte_identical_and_versions_are_immutable(inputs, tmp_path):
    definition, tables = _tables(inputs)
    schema = load_schema()
    first, written = write_release(tables, definition, schema, tmp_path / "a" / "0.1.0", lambda s: "card\n")
    second, _ = write_release(tables, definition, schema, tmp_path / "b" / "0.1.0", lambda s: "card\n")
    assert written
    assert (first / "SHA256SUMS").read_text() == (second / "SHA256SUMS").read_text()
    again, written_again = write_release(tables, definition, schema, first, lambda s: "card\n")
    assert not written_again, "an identical rebuild of an existing version writes nothing"
    before = {p: p.read_bytes() for p in first.rglob("*") if p.is_file()}
    with pytest.raises(FrameCheckError, match="already exists with different content.*bump `version`"):
        write_release(tables, definition, schema, first, lambda s: "a changed card\n")
    assert {p: p.read_bytes() for p in first.rglob("*") if p.is_file()} == before
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")], "no temp folder left behind"


# --- croissant, CHANGELOG and atomicity ------------------------------------------------


def _claim_ids(folder: Path) -> set[str]:
    import pyarrow.parquet as pq

    return {row["claim_id"] for p in (folder / "data" / "claims").glob("*.parquet") for row in pq.read_table(p).to_pylist()}


def test_every_release_lists_croissant_and_changelog_in_sums(inputs, tmp_path):
    definition, tables = _tables(inputs)
    folder, _ = write_release(tables, definition, load_schema(), tmp_path / "0.1.0", lambda s: "card\n")
    sums = dict(line.split("  ")[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines())
    assert {"croissant.json", "CHANGELOG.md", "README.md", "data/claims/train.parquet"} <= set(sums)
    import hashlib

    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert "## 0.1.0\n\nFirst release: 61 claims" in (folder / "CHANGELOG.md").read_text()


def test_changelog_diffs_two_versions_by_claim_id(inputs, tmp_path):
    articles, claims, gold = inputs
    schema = load_schema()
    releases = tmp_path / "scs" / "releases"
    definition, tables = _tables(inputs)
    v1, _ = write_release(tables, definition, schema, releases / "0.1.0", lambda s: "card\n")

    # 0.2.0: two claims removed (their annotations gone), one added, one relabeled
    gold2 = {k: v for k, v in gold.items() if k not in ("c005", "c006")}
    gold2["c007"] = {**gold2["c007"], "verdict": "false", "distortion": "overstates"}
    extra = _claim(100, "a010")
    extra = replace(extra, claim_id="c100", start=20, end=40, text="A new claim about the court list in 2020.")
    gold2["c100"] = _gold()
    definition2 = replace(definition, version="0.2.0")
    tables2 = build_tables(definition2, schema, articles, claims + [extra], gold2, FACTS, {"granite-herald": True, "east-wire": False})
    v2, written = write_release(tables2, definition2, schema, releases / "0.2.0", lambda s: "card\n")
    assert written
    assert _claim_ids(v1) - _claim_ids(v2) == {"c005", "c006"} and _claim_ids(v2) - _claim_ids(v1) == {"c100"}

    log = (v2 / "CHANGELOG.md").read_text()
    entry = log.split("## 0.2.0")[1].split("## 0.1.0")[0]
    assert "Compared with 0.1.0: 1 claims added, 2 removed, 1 relabeled, 0 moved between splits (61 → 60 claims)" in entry
    assert "### Added (1)\n\n- `c100`" in entry
    assert "### Removed (2)\n\n- `c005`\n- `c006`" in entry
    assert "- `c007`: verdict: accurate → false; distortion: none → overstates" in entry
    assert log.index("## 0.2.0") < log.index("## 0.1.0"), "the release's copy keeps the history, newest first"

    # the dataset-level changelog beside releases/ holds both entries, once each
    dataset_log = (tmp_path / "scs" / "CHANGELOG.md").read_text()
    assert dataset_log == log
    again, written_again = write_release(tables2, definition2, schema, releases / "0.2.0", lambda s: "card\n")
    assert not written_again and (tmp_path / "scs" / "CHANGELOG.md").read_text().count("## 0.2.0") == 1

    # an explicit previous release works from anywhere (no releases/ layout: no dataset-level log)
    elsewhere, _ = write_release(tables2, definition2, schema, tmp_path / "other" / "v2", lambda s: "card\n", previous=v1)
    assert (elsewhere / "CHANGELOG.md").read_text() == log
    assert not (tmp_path / "CHANGELOG.md").exists() and not (tmp_path / "other" / "CHANGELOG.md").exists()


def test_killed_build_leaves_no_partial_release(inputs, tmp_path):
    definition, tables = _tables(inputs)
    releases = tmp_path / "scs" / "releases"

    def killed(tmp, split_info):
        assert (tmp / "data" / "claims" / "train.parquet").exists()  # midway: Parquet already written
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_release(tables, definition, load_schema(), releases / "0.1.0", lambda s: "card\n", extras=killed)
    assert list(releases.iterdir()) == [], "neither the release nor its temp folder is left"
    assert not (tmp_path / "scs" / "CHANGELOG.md").exists()


# --- the dataset card's front matter ---------------------------------------------------


def test_card_front_matter_states_configs_files_and_features(inputs, tmp_path):
    from pipelines.kernel.releases import (
        card_features,
        class_label_names,
        read_card_data,
    )
    from pipelines.release.tables import features

    definition, tables = _tables(inputs)
    schema = load_schema()
    folder, _ = write_release(tables, definition, schema, tmp_path / "0.1.0", lambda s: "## Card body\n")
    front = read_card_data(folder)
    assert front["license"] == "cc-by-4.0" and front["annotations_creators"] == ["machine-generated"]  # demo definition
    configs = {c["config_name"]: c for c in front["configs"]}
    parquet = {p.relative_to(folder).as_posix() for p in (folder / "data").rglob("*.parquet")}
    assert {f["path"] for c in configs.values() for f in c["data_files"]} == parquet
    assert [name for name, c in configs.items() if c.get("default")] == ["claims"]
    for config, feats in features(schema).items():
        assert card_features(folder, config) == feats, config
    info = {i["config_name"]: i for i in front["dataset_info"]}
    assert sum(s["num_examples"] for s in info["claims"]["splits"]) == 61
    names = class_label_names(card_features(folder, "claims"))
    assert names == {k: schema.class_names(k) for k in ("checkworthy", "verdict", "distortion", "frames")}
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n") and text.endswith("\n---\n\n## Card body\n")


@pytest.mark.parametrize("card, message", [
    (None, "no dataset card"),
    ("# A card without front matter\n", "no YAML front matter"),
    ("---\nlicense: [cc-by-4.0\n---\n\n# Broken\n", "front matter does not parse"),
    ("---\n- a list\n---\n", "front matter does not parse"),
])
def test_unreadable_cards_fail_naming_the_file(tmp_path, card, message):
    from pipelines.kernel.releases import read_card_data

    if card is not None:
        (tmp_path / "README.md").write_text(card, encoding="utf-8")
    with pytest.raises(FrameCheckError, match=message) as err:
        read_card_data(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'README.md'}: ")


def test_card_without_the_claims_features_fails_naming_the_field(tmp_path):
    from pipelines.kernel.releases import card_features

    (tmp_path / "README.md").write_text("---\nlicense: mit\ndataset_info:\n- config_name: facts\n---\n", encoding="utf-8")
    with pytest.raises(FrameCheckError, match=r"dataset_info\[config_name=claims\]\.features: missing"):
        card_features(tmp_path, "claims")


def test_push_checks_the_card_parses(inputs, tmp_path):
    import hashlib

    from pipelines.release.publish import push_release

    definition, tables = _tables(inputs)
    folder, _ = write_release(tables, definition, load_schema(), tmp_path / "0.1.0", lambda s: "card\n")
    assert push_release(folder, "org/name", dry_run=True).notes[-1].startswith("would create dataset repo org/name")
    card = folder / "README.md"
    card.write_text(card.read_text(encoding="utf-8").replace("license: cc-by-4.0", "license: [cc-by-4.0"), encoding="utf-8")
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    fixed = [f"{hashlib.sha256(card.read_bytes()).hexdigest()}  README.md" if line.endswith("  README.md") else line for line in sums]
    (folder / "SHA256SUMS").write_text("\n".join(fixed) + "\n", encoding="utf-8")
    with pytest.raises(FrameCheckError, match=r"README\.md: the card's YAML front matter does not parse"):
        push_release(folder, "org/name", dry_run=True)
