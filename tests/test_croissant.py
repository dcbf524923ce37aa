"""croissant.json: valid MLCommons Croissant that mlcroissant reads offline, with the
release's files, hashes, rows and label names."""

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from test_release import FACTS, _article, _claim, _gold

from pipelines.kernel.label_schema import load_schema
from pipelines.kernel.releases import load_definition
from pipelines.release.tables import build_tables, write_release

mlc = pytest.importorskip("mlcroissant")


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    articles = [_article(i) for i in range(30)] + [_article(99, outlet="east-wire", duplicate_of="a001")]
    articles += [replace(_article(40 + i, outlet="circuit-ledger"), camp="western") for i in range(3)]
    claims = [_claim(i, f"a{i % 30:03d}") for i in range(60)] + [_claim(99, "a099")]
    claims += [replace(_claim(140 + i, f"a{40 + i:03d}"), outlet_id="circuit-ledger") for i in range(3)]
    gold = {c.claim_id: _gold() for c in claims}
    gold["c003"] = {**_gold(), "checkworthy": "no-opinion", "verdict": None, "distortion": None, "frames": ()}
    definition = load_definition()
    schema = load_schema()
    tables = build_tables(definition, schema, articles, claims, gold, FACTS,
                          {"granite-herald": True, "east-wire": False, "circuit-ledger": True})
    folder, _ = write_release(tables, definition, schema, tmp_path_factory.mktemp("rel") / "0.1.0", lambda s: "card\n")
    return folder, tables


def _rows(tables, config):
    return sum(len(rows) for rows in tables.rows[config].values())


def test_croissant_validates_and_reads_every_config(release):
    folder, tables = release
    dataset = mlc.Dataset(jsonld=folder / "croissant.json")  # raises on validation errors
    for config in ("claims", "articles", "facts", "spans"):
        records = list(dataset.records(config))
        assert len(records) == _rows(tables, config), config
    claims = list(dataset.records("claims"))
    by_split = {}
    for record in claims:
        by_split.setdefault(record["claims/split"].decode(), set()).add(record["claims/claim_id"].decode())
    assert by_split == {split: {r["claim_id"] for r in rows} for split, rows in tables.rows["claims"].items() if rows}
    assert "ood_test" in by_split  # circuit-ledger is held out
    one = next(r for r in claims if r["claims/claim_id"] == b"c003")
    assert one["claims/verdict"] == -1 and one["claims/checkworthy"] == 1


def test_label_names_come_from_the_schema(release):
    folder, _ = release
    dataset = mlc.Dataset(jsonld=folder / "croissant.json")
    schema = load_schema()
    for field in ("checkworthy", "verdict", "distortion", "frames"):
        records = sorted(dataset.records(f"claims_{field}_names"), key=lambda r: r[f"claims_{field}_names/index"])
        names = [r[f"claims_{field}_names/name"] for r in records]
        names = [n.decode() if isinstance(n, bytes) else n for n in names]
        assert names == schema.class_names(field), field


def test_file_objects_carry_relative_urls_and_the_files_sha256(release):
    folder, _ = release
    doc = json.loads((folder / "croissant.json").read_text(encoding="utf-8"))
    assert isinstance(doc["@context"], dict) and doc["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert doc["version"] == "0.1.0"
    sums = dict(line.split("  ")[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines())
    objects = [d for d in doc["distribution"] if d["@type"] == "cr:FileObject"]
    parquet = sorted(p.relative_to(folder).as_posix() for p in (folder / "data").rglob("*.parquet"))
    assert sorted(o["contentUrl"] for o in objects) == parquet
    for obj in objects:
        assert not obj["contentUrl"].startswith(("/", "http")), obj["contentUrl"]
        assert obj["sha256"] == hashlib.sha256((folder / obj["contentUrl"]).read_bytes()).hexdigest() == sums[obj["contentUrl"]]
    assert "croissant.json" in sums


def test_metadata_lists_every_parquet_file_with_its_sha256(release):
    folder, _ = release
    metadata = mlc.Dataset(jsonld=folder / "croissant.json").metadata
    parquet = {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in (folder / "data").rglob("*.parquet")}
    assert {f.content_url: f.sha256 for f in metadata.file_objects} == parquet
    assert {f.content_url: f.content_size for f in metadata.file_objects} == {
        name: f"{(folder / name).stat().st_size} B" for name in parquet}
    assert sorted(s.includes[0] for s in metadata.file_sets) == sorted(f"data/{c}/*.parquet" for c in ("articles", "claims", "facts", "spans"))


def test_record_set_fields_are_the_parquet_columns(release):
    import pyarrow.parquet as pq

    folder, _ = release
    metadata = mlc.Dataset(jsonld=folder / "croissant.json").metadata
    record_sets = {r.id: r for r in metadata.record_sets}
    checked = []
    for config_dir in sorted((folder / "data").iterdir()):  # configs with rows (this fixture has no spans)
        config = config_dir.name
        columns = pq.read_schema(next(config_dir.glob("*.parquet"))).names
        checked.append(config)
        fields = record_sets[config].fields
        assert [f.name for f in fields] == columns + ["split"], config
        assert [f.source.extract.column for f in fields[:-1]] == columns, config
    assert checked == ["articles", "claims", "facts"]
    claims = {f.name: f for f in record_sets["claims"].fields}
    types = {name: [t.split("/")[-1] for t in f.data_types] for name, f in claims.items()}
    assert types["claim_id"] == ["Text"] and types["checkworthiness"] == ["Float"] and types["start"] == ["Integer"]
    assert types["verdict"] == ["Integer"] and types["frames"] == ["Integer"] and claims["frames"].repeated
    assert claims["evidence"].repeated and not claims["verdict"].repeated
    assert "names in record set claims_verdict_names" in claims["verdict"].description


def test_metadata_carries_license_citation_version_and_the_demo_note(release, tmp_path):
    folder, tables = release
    definition = load_definition()
    metadata = mlc.Dataset(jsonld=folder / "croissant.json").metadata
    assert metadata.license == ["https://creativecommons.org/licenses/by/4.0/"]
    assert metadata.cite_as == definition.citation and metadata.version == definition.version
    assert metadata.name == definition.name and metadata.description.startswith(definition.description)
    assert metadata.description.endswith("DEMO BUILD: fictional outlets and articles, synthetic annotations; not real coverage.")
    assert metadata.in_language == ["en", "zh"] and metadata.keywords == list(definition.tags)
    assert [c.name for c in metadata.creators] == [definition.contact]
    assert metadata.date_published is None  # the definition has none, and the build adds no date of its own
    dated, _ = write_release(tables, replace(definition, date_published="2026-03-01", demo=False), load_schema(),
                             tmp_path / "0.1.0", lambda s: "card\n")
    doc = json.loads((dated / "croissant.json").read_text(encoding="utf-8"))
    assert doc["datePublished"] == "2026-03-01" and "DEMO BUILD" not in doc["description"]


def test_croissant_bytes_are_deterministic(release, tmp_path):
    folder, tables = release
    again, _ = write_release(tables, load_definition(), load_schema(), tmp_path / "0.1.0", lambda s: "card\n")
    assert (again / "croissant.json").read_bytes() == (folder / "croissant.json").read_bytes()


def test_mlcroissant_cli_validates(release, tmp_path):
    folder, _ = release
    cli = Path(sys.executable).parent / "mlcroissant"
    if not cli.exists():
        pytest.skip("no mlcroissant command in this environment")
    result = subprocess.run([str(cli), "validate", "--jsonld", str(folder / "croissant.json")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    # and a broken copy (a field with an unknown data type) is caught, by the CLI and the library
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    doc = json.loads((broken / "croissant.json").read_text())
    doc["recordSet"][0]["field"][0]["dataType"] = "sc:NoSuchType"
    (broken / "croissant.json").write_text(json.dumps(doc))
    result = subprocess.run([str(cli), "validate", "--jsonld", str(broken / "croissant.json")], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    with pytest.raises(mlc.ValidationError, match="valid .*dataType"):
        mlc.Dataset(jsonld=broken / "croissant.json")
