"""Records are defined once: each table's Arrow schema is derived from its dataclass."""

from dataclasses import dataclass, fields
from typing import Annotated

import pyarrow as pa

from pipelines.kernel.io import read_records, write_records
from pipelines.kernel.records import (
    SCHEMAS,
    Claim,
    CueSpan,
    EvidenceCandidate,
    FetchRecord,
    schema_of,
)


def test_every_table_schema_follows_its_dataclass_field_by_field():
    for record_type, schema in SCHEMAS.items():
        assert schema.names == [f.name for f in fields(record_type)], record_type.__name__


def test_types_follow_the_annotations():
    @dataclass(frozen=True)
    class Inner:
        label: str
        weight: float

    @dataclass(frozen=True)
    class Example:
        name: str
        count: int
        offset: Annotated[int, pa.int64()]
        note: str | None
        flag: bool
        tags: tuple[str, ...]
        items: tuple[Inner, ...]

    assert schema_of(Example) == pa.schema([
        ("name", pa.string()), ("count", pa.int32()), ("offset", pa.int64()), ("note", pa.string()),
        ("flag", pa.bool_()), ("tags", pa.list_(pa.string())),
        ("items", pa.list_(pa.struct([("label", pa.string()), ("weight", pa.float32())]))),
    ])


def test_warc_offsets_are_64_bit_and_nested_records_round_trip(tmp_path):
    assert SCHEMAS[FetchRecord].field("warc_offset").type == pa.int64()
    claim = Claim("c1", "a1", 0, 5, "Text.", "", "", "en", 0.5, "o", "western", None, "http://x.example/1",
                  cues=(CueSpan(0, 4, "loaded_word", "Text"),), evidence_candidates=(EvidenceCandidate("F01", 0.25),))
    write_records(tmp_path / "claims.parquet", [claim], Claim)
    assert read_records(tmp_path / "claims.parquet", Claim) == [claim]
