"""`framecheck import-docs`: document collections (JSON Lines, CSV, a folder of .txt/.md)
archived as WARC resource records with a manifest, as Article records the claims stage mines.

The fixtures in tests/fixtures/documents were written for these tests. The last tests import
two real corpora from ../shared (cctv-xwlb, en-scs-texts) end to end through the claims stage."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO, require_shared, run_cli

from crawlers.documents import FieldMap, read_rows
from pipelines.kernel.io import FrameCheckError
from pipelines.kernel.warc import read_response

FIXTURES = REPO / "tests" / "fixtures" / "documents"
JSONL = FIXTURES / "collection.jsonl"


def table(data: Path, name: str) -> list[dict]:
    return pq.read_table(data / "tables" / f"{name}.parquet").to_pylist()


def manifest_rows(data: Path) -> list[dict]:
    return [row for path in sorted((data / "raw" / "manifest").glob("*.parquet")) for row in pq.read_table(path).to_pylist()]


def skip_log(data: Path) -> list[dict]:
    return [json.loads(line) for line in (data / "logs" / "import-docs.skips.jsonl").read_text().splitlines()]


def source_rows(path: Path) -> dict[str, dict]:
    return {row["doc"]: row for row in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def test_jsonl_collection_imports_with_every_left_out_row_logged(tmp_path):
    result = run_cli("import-docs", JSONL, "--id-field", "doc", data_dir=tmp_path)
    rows = {r["title"]: r for r in table(tmp_path, "documents")}
    source = source_rows(JSONL)
    assert sorted(rows) == sorted(source[d]["title"] for d in ("zh-1", "en-1", "en-2", "mixed-1", "zh-1-copy"))
    # the text exactly as given (full-width spaces, \r\n): offsets into it are the source's offsets
    zh = rows[source["zh-1"]["title"]]
    assert zh["text"] == source["zh-1"]["text"] and zh["language"] == "zh-Hans" and zh["source_kind"] == "document"
    # outlets: a registry id, a registry name, the registry outlet owning the URL; camps from the registry
    assert (zh["outlet_id"], zh["camp"], zh["published"]) == ("xinhua-zh", "chinese_state", "2021-06-01")
    assert (rows["A court list"]["outlet_id"], rows["A court list"]["published"]) == ("reuters", "2019-03")
    assert (rows["By domain"]["outlet_id"], rows["By domain"]["camp"]) == ("bbc", "western")
    # a second copy of a text is marked as the first's copy (the claims stage mines one)
    copy = rows[source["zh-1-copy"]["title"]]
    assert copy["duplicate_of"] == zh["article_id"] and zh["duplicate_of"] is None
    assert copy["url"] == "urn:framecheck:doc:xinhua-zh:zh-1-copy"  # no URL: named by outlet and id
    reasons = {entry["where"].rsplit(":", 1)[1]: entry["reason"] for entry in skip_log(tmp_path)}
    assert reasons == {"4": "empty_text", "5": "missing_field:text", "6": "language_unsupported:ja", "8": "duplicate_url",
                       "10": "invalid_field:date"}
    for reason in ("empty_text", "missing_field:text", "language_unsupported:ja", "duplicate_url", "invalid_field:date"):
        assert f"skipped: {reason}" in result.stderr
    assert "records in" in result.stderr and "10" in result.stderr


def test_documents_are_archived_as_warc_resources_with_a_manifest(tmp_path):
    run_cli("import-docs", JSONL, "--id-field", "doc", data_dir=tmp_path)
    manifest = manifest_rows(tmp_path)
    documents = [m for m in manifest if m["kind"] == "document"]
    # the Japanese document is archived (it is a source) but marked as not mined
    assert len(documents) == 6 and [m["kind"] for m in manifest].count("document-metadata") == 1
    japanese = next(m for m in documents if m["url"].endswith(":ja-1"))
    assert japanese["skip_reason"] == "language_unsupported:ja"
    for article in table(tmp_path, "documents"):
        record = next(m for m in documents if m["url"] == article["url"])
        response = read_response(tmp_path / "raw" / "warc" / record["warc_file"], record["warc_offset"])
        assert response.body.decode("utf-8") == article["text"] and record["skip_reason"] is None
    metadata = next(m for m in manifest if m["kind"] == "document-metadata")
    body = read_response(tmp_path / "raw" / "warc" / metadata["warc_file"], metadata["warc_offset"]).body.decode()
    provenance = [json.loads(line) for line in body.splitlines()]
    assert len(provenance) == 6 and all(p["where"].startswith(str(JSONL)) for p in provenance)


def test_unchanged_collection_is_skipped_and_a_reimport_replaces_its_rows(tmp_path):
    run_cli("import-docs", JSONL, "--id-field", "doc", data_dir=tmp_path)
    first = table(tmp_path, "documents")
    again = run_cli("import-docs", JSONL, "--id-field", "doc", data_dir=tmp_path)
    assert "unchanged inputs" in again.stderr
    run_cli("import-docs", JSONL, "--id-field", "doc", "--force", data_dir=tmp_path)
    assert sorted(r["article_id"] for r in table(tmp_path, "documents")) == sorted(r["article_id"] for r in first)
    run_cli("import-docs", FIXTURES / "collection.csv", data_dir=tmp_path)  # another collection adds its rows
    assert len(table(tmp_path, "documents")) == len(first) + 2


def test_csv_collection_and_an_outlet_of_its_own(tmp_path):
    run_cli("import-docs", FIXTURES / "collection.csv", data_dir=tmp_path)
    rows = {r["title"]: r for r in table(tmp_path, "documents")}
    assert sorted(rows) == ["A local paper", "Commas, quotes"]
    own = rows["A local paper"]
    assert (own["outlet_id"], own["outlet_name"], own["camp"]) == ("the-example-gazette", "The Example Gazette", "western")
    assert rows["Commas, quotes"]["text"].startswith('A "quoted" word and a comma,')
    assert rows["Commas, quotes"]["outlet_id"] == "scmp"  # by the URL's domain
    assert [e["reason"] for e in skip_log(tmp_path)] == ["empty_text"]


def test_folder_of_text_and_markdown_files(tmp_path):
    run_cli("import-docs", FIXTURES / "folder", "--outlet", "Invented Town Notes", "--camp", "reference", data_dir=tmp_path)
    rows = {r["url"]: r for r in table(tmp_path, "documents")}
    assert sorted(rows) == ["urn:framecheck:doc:invented-town-notes:first.md", "urn:framecheck:doc:invented-town-notes:second.txt"]
    first = rows["urn:framecheck:doc:invented-town-notes:first.md"]
    assert first["title"] == "Pilot scores in an invented town" and first["language"] == "en"
    assert rows["urn:framecheck:doc:invented-town-notes:second.txt"]["language"] == "zh-Hans"
    assert [(e["reason"], e["where"].endswith("nested/latin1.txt")) for e in skip_log(tmp_path)] == [("undecodable_text", True)]


@pytest.mark.parametrize("args, message", [
    (["--id-field", "story_id"], "story_id: no such field in any row"),
    (["--text-field", "body"], "body: no such field in any row"),
    (["--outlet", "no-such-outlet"], "--outlet: 'no-such-outlet' is not in the outlet registry; give --camp"),
    (["--outlet", "x", "--camp", "nowhere"], "--camp: 'nowhere' is not one of"),
])
def test_mapping_mistakes_are_one_error_line_and_nothing_is_written(tmp_path, args, message):
    result = run_cli("import-docs", JSONL, *args, data_dir=tmp_path, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("error:") and message in result.stderr.replace("\n", " ")
    assert not (tmp_path / "tables" / "documents.parquet").exists()
    assert not list((tmp_path / "raw" / "warc").glob("*")) if (tmp_path / "raw" / "warc").exists() else True


def test_row_errors_name_the_file_line_and_field(tmp_path):
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text(json.dumps({"text": "A text.", "outlet": "Nobody Knows Me"}) + "\n", encoding="utf-8")
    result = run_cli("import-docs", unknown, data_dir=tmp_path / "d", check=False)
    assert result.returncode == 1 and f"error: {unknown}:1: outlet: 'Nobody Knows Me' is not in the outlet registry" in " ".join(result.stderr.split())
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "fine", "outlet": "bbc"}\n{"text": "cut off\n', encoding="utf-8")
    result = run_cli("import-docs", broken, data_dir=tmp_path / "d", check=False)
    assert result.returncode == 1 and f"{broken}:2: not JSON" in " ".join(result.stderr.split()) and "Traceback" not in result.stderr
    wrong_type = tmp_path / "notes.xml"
    wrong_type.write_text("<doc/>", encoding="utf-8")
    result = run_cli("import-docs", wrong_type, data_dir=tmp_path / "d", check=False)
    assert result.returncode == 1 and "not a collection" in result.stderr and not (tmp_path / "d" / "tables").exists()


def test_five_megabyte_one_line_texts_are_archived_not_mined(tmp_path):
    big = "credit " * 750_000  # 5.25 MB, one line
    jsonl = tmp_path / "big.jsonl"
    jsonl.write_text(json.dumps({"id": "big", "text": big}) + "\n" + json.dumps({"id": "small", "text": "A short text."}) + "\n")
    csv_file = tmp_path / "big.csv"
    csv_file.write_text(f"id,text\nbig-cell,{big}\nsmall-csv,Another short text.\n")
    for path in (jsonl, csv_file):
        result = run_cli("import-docs", path, "--outlet", "Big Files", "--camp", "reference", data_dir=tmp_path / "d")
        assert "skipped: text_too_long" in result.stderr
    assert sorted(r["url"].rsplit(":", 1)[1] for r in table(tmp_path / "d", "documents")) == ["small", "small-csv"]
    too_long = [m for m in manifest_rows(tmp_path / "d") if m["skip_reason"] == "text_too_long"]
    assert len(too_long) == 2  # archived all the same
    entry = next(e for e in skip_log(tmp_path / "d") if e["reason"] == "text_too_long")
    assert entry["detail"] == f"{len(big)} characters > --max-chars 1000000"
    # with a higher limit the long text is imported and the claims stage gets through it
    run_cli("import-docs", jsonl, "--outlet", "Big Files", "--camp", "reference", "--max-chars", "6000000", data_dir=tmp_path / "e")
    assert any(len(r["text"]) == len(big) for r in table(tmp_path / "e", "documents"))
    result = run_cli("claims", "run", data_dir=tmp_path / "e")
    assert "claims: done" in result.stderr


def test_imported_documents_are_mined_by_the_claims_stage(tmp_path):
    run_cli("import-docs", JSONL, "--id-field", "doc", data_dir=tmp_path)
    result = run_cli("claims", "run", data_dir=tmp_path)  # no crawl: the documents table alone
    articles = {a["article_id"]: a for a in table(tmp_path, "documents")}
    claims = table(tmp_path, "claims")
    assert claims and {c["article_id"] for c in claims} <= set(articles)
    for claim in claims:
        assert articles[claim["article_id"]]["text"][claim["start"]:claim["end"]] == claim["text"]
    assert "skipped: syndicated_copy" in result.stderr  # the copy of zh-1
    mixed = next(a for a in articles.values() if a["url"].endswith(":mixed-1"))
    assert mixed["language"] == "zh-Hans" and any(c["article_id"] == mixed["article_id"] for c in claims)


def test_field_map_and_rows_from_python():
    fields = FieldMap.from_options(text="body", id=None)
    assert fields.text == "body" and fields.id == "id" and fields.explicit == frozenset({"text"})
    rows = read_rows(FIXTURES / "folder")
    assert [Path(r.where).name for r in rows] == ["first.md", "latin1.txt", "second.txt"]
    with pytest.raises(FrameCheckError, match="no such file or folder"):
        read_rows(FIXTURES / "absent.jsonl")


# --- real corpora from ../shared ---------------------------------------------------------------


def test_real_collections_import_and_are_mined_end_to_end(tmp_path):
    cctv = require_shared("corpora", "cctv-xwlb", "scs_stories.jsonl")
    english = require_shared("corpora", "en-scs-texts", "docs.jsonl")
    run_cli("import-docs", cctv, "--text-field", "text", "--id-field", "story_id", "--outlet", "CCTV 新闻联播",
            "--camp", "chinese_state", data_dir=tmp_path)
    run_cli("import-docs", english, "--id-field", "doc_id", "--date-field", "year", "--outlet", "en-scs-texts",
            "--camp", "western", data_dir=tmp_path)
    articles = table(tmp_path, "documents")
    stories = [json.loads(line) for line in cctv.read_text(encoding="utf-8").splitlines()]
    docs = [json.loads(line) for line in english.read_text(encoding="utf-8").splitlines()]
    assert len(articles) == len(stories) + len(docs)
    by_url = {a["url"]: a for a in articles}
    for story in stories:  # the text as the corpus has it, so label offsets into it hold
        article = by_url[story["url"]]
        assert article["text"] == story["text"] and article["published"] == story["date"]
        assert article["language"] in ("zh-Hans", "zh-Hant") and article["camp"] == "chinese_state"
    for doc in docs:
        article = by_url[f"urn:framecheck:doc:en-scs-texts:{doc['doc_id']}"]
        year = None if doc.get("year") is None else str(doc["year"])  # a document without a year has no date
        assert article["text"] == doc["text"] and article["language"] == "en" and article["published"] == year
    run_cli("claims", "run", data_dir=tmp_path)
    claims = table(tmp_path, "claims")
    text_of = {a["article_id"]: a["text"] for a in articles}
    assert {c["language"][:2] for c in claims} == {"en", "zh"}
    assert all(text_of[c["article_id"]][c["start"]:c["end"]] == c["text"] for c in claims)
