"""`framecheck release build` on the demo corpus, end to end, into temp directories: two
builds are byte-identical (Parquet, card, croissant.json, baselines, CHANGELOG), the release
loads in a fresh process exactly as the card states, croissant.json reads the same rows,
and a changed build of an existing version fails cleanly."""

import json
import shutil
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO, run_cli

from pipelines.kernel.releases import card_features, read_card_data

DEMO_EXPORT = REPO / "demo" / "annotations" / "demo_export.json"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("build")
    data = root / "data"
    for stage in (["crawl"], ["extract"], ["claims", "run"], ["annotate", "import", DEMO_EXPORT]):
        run_cli(*stage, data_dir=data)
    first = root / "a" / "releases" / "0.1.0"
    second = root / "b" / "releases" / "0.1.0"
    logs = [run_cli("release", "build", "--out", out, data_dir=data) for out in (first, second)]
    return root, data, first, second, logs


def _card(folder):
    """(front matter, Markdown body) of the card, split by huggingface_hub as the Hub splits it."""
    from huggingface_hub import DatasetCard

    return read_card_data(folder), DatasetCard.load(folder / "README.md").text


def test_two_builds_are_byte_identical(built):
    _root, _data, first, second, logs = built
    assert (first / "SHA256SUMS").read_bytes() == (second / "SHA256SUMS").read_bytes()
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    listed = [line.split("  ", 1)[1] for line in (first / "SHA256SUMS").read_text().splitlines()]
    assert sorted(listed) == [f for f in files if f != "SHA256SUMS"]
    assert {"croissant.json", "README.md", "CHANGELOG.md", "baselines/baselines.json", "baselines/confusion-verdict.png",
            "baselines/confusion-checkworthy.png", "baselines/confusion-distortion.png", "data/claims/train.parquet"} <= set(listed)
    assert not [f for f in files if f.endswith((".skops", ".pkl"))], "models stay outside the release"
    # the closing summary names where everything went
    for path in (first, first / "croissant.json", first / "CHANGELOG.md", first.parent.parent / "CHANGELOG.md"):
        assert str(path) in logs[0].stderr, path


def test_loads_in_a_fresh_process_as_the_card_states(built):
    _root, _data, release, _second, _logs = built
    front, _body = _card(release)
    code = textwrap.dedent(f"""
        import json, tempfile
        from datasets import load_dataset
        out = {{}}
        for config in {[c["config_name"] for c in front["configs"]]!r}:
            ds = load_dataset({str(release)!r}, config, cache_dir=tempfile.mkdtemp())
            out[config] = {{
                "splits": {{split: ds[split].num_rows for split in ds}},
                "features": ds[next(iter(ds))].features.to_dict(),
                "ids": {{split: sorted(set(ds[split]["article_id"])) for split in ds}} if config in ("claims", "articles") else None,
            }}
        print(json.dumps(out))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])

    from datasets import Features

    assert set(loaded) == {"claims", "articles", "facts", "spans"}
    for info in front["dataset_info"]:
        config = info["config_name"]
        assert loaded[config]["splits"] == {s["name"]: s["num_examples"] for s in info["splits"]}, config
        assert Features.from_dict(loaded[config]["features"]) == card_features(release, config), config
    assert set(loaded["claims"]["splits"]) == {"train", "validation", "test", "ood_test"}
    claims_features = Features.from_dict(loaded["claims"]["features"])
    assert claims_features["verdict"].names == ["accurate", "exaggerated", "misleading", "false", "unverifiable"]
    # no article in two splits, in the claims and in the articles config
    for config in ("claims", "articles"):
        seen = {}
        for split, ids in loaded[config]["ids"].items():
            for article_id in ids:
                assert seen.setdefault(article_id, split) == split, f"{config}: {article_id} in {seen[article_id]} and {split}"


def test_croissant_reads_the_releases_rows(built):
    mlc = pytest.importorskip("mlcroissant")
    _root, _data, release, _second, _logs = built
    front, _body = _card(release)
    counts = {info["config_name"]: sum(s["num_examples"] for s in info["splits"]) for info in front["dataset_info"]}
    dataset = mlc.Dataset(jsonld=release / "croissant.json")
    assert sum(1 for _ in dataset.records("claims")) == counts["claims"] > 0
    assert sum(1 for _ in dataset.records("articles")) == counts["articles"]


def test_card_is_complete_and_matches_the_baselines(built):
    _root, _data, release, _second, _logs = built
    front, body = _card(release)
    assert front["license"] == "cc-by-4.0" and front["language"] == ["en", "zh"]
    assert front["pretty_name"] and front["size_categories"] and "text-classification" in front["task_categories"]
    for heading in ("## Motivation", "## Sources", "## Collection", "## Annotation", "### Agreement", "## Splits",
                    "## Label distributions", "### Verdict by camp", "### Verdict by language", "### Distortion by camp",
                    "## Baselines", "## Known biases and limitations", "## Licensing", "## Changes in this version"):
        assert f"\n{heading}\n" in body, heading
    assert "annotation/GUIDELINES.md" in body and "Krippendorff's alpha, verdict (nominal)" in body
    assert "Krippendorff's alpha by language" in body and "Krippendorff's alpha by camp" in body
    assert "release rehydrate" in body
    # the claim ranker that chose the claims: its training data, their licences and its dev figures
    assert "\n### The claim ranker\n" in body and "ClaimBuster" in body and "CC BY 4.0" in body and "R-precision" in body
    # split counts in the body are the front matter's
    claims_info = next(i for i in front["dataset_info"] if i["config_name"] == "claims")
    for split in claims_info["splits"]:
        assert f"| claims | {split['name']} | {split['num_examples']} |" in body
    # baseline rows in the card are baselines.json's, and the plots it links exist
    results = json.loads((release / "baselines" / "baselines.json").read_text())
    for task, task_result in results["tasks"].items():
        for model in ("majority", "logreg", "svm"):
            for split in ("test", "ood_test"):
                r = task_result["results"][model][split]
                assert f"| {model} | {split} | {r['n']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} |" in body, (task, model, split)
                assert set(r["by_language"]) and set(r["by_camp"])
        assert f"](baselines/confusion-{task}.png)" in body
        assert (release / "baselines" / f"confusion-{task}.png").exists()


def test_baselines_and_report_stages_after_the_build(built):
    _root, data, release, _second, _logs = built
    models = sorted(p.name for p in (data / "baselines" / "0.1.0" / "models").glob("*.skops"))
    assert len(models) == 9 and "verdict-logreg.skops" in models
    assert json.loads((data / "baselines" / "0.1.0" / "baselines.json").read_text()) == \
        json.loads((release / "baselines" / "baselines.json").read_text())
    assert "unchanged" in run_cli("baselines", "--release", release, data_dir=data).stderr
    run_cli("report", "--release", release, data_dir=data)
    html = (data / "reports" / "report-0.1.0.html").read_text(encoding="utf-8")
    assert "<h2>Baselines</h2>" in html and "confusion matrices for verdict" in html


def test_changed_content_of_an_existing_version_fails_cleanly(built, tmp_path):
    root, data, release, _second, _logs = built
    changed = tmp_path / "data"
    shutil.copytree(data / "tables", changed / "tables")
    tasks = json.loads(DEMO_EXPORT.read_text(encoding="utf-8"))
    export = tmp_path / "fewer.json"
    export.write_text(json.dumps(tasks[25:]), encoding="utf-8")  # 25 tasks fewer: fewer labeled claims
    run_cli("annotate", "import", export, data_dir=changed)
    before = {p: p.read_bytes() for p in release.rglob("*") if p.is_file()}
    result = run_cli("release", "build", "--out", release, data_dir=changed, check=False)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("error: ") and "already exists with different content" in result.stderr
    assert "bump `version`" in result.stderr and "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in release.rglob("*") if p.is_file()} == before
    assert [p.name for p in release.parent.iterdir()] == ["0.1.0"], "no temp folder left"
    assert not (changed / "baselines").exists(), "a failed build saves no models"


def test_push_dry_run_needs_no_token_and_push_needs_one(built):
    _root, data, release, _second, _logs = built
    offline = {"HF_TOKEN": "", "HF_HUB_OFFLINE": "1"}
    dry = run_cli("release", "push", release, "--repo-id", "framecheck/scs-framing", "--dry-run", data_dir=data, env=offline)
    for name in ("README.md", "croissant.json", "SHA256SUMS", "CHANGELOG.md", "data/claims/train.parquet", "baselines/baselines.json"):
        assert f"would upload {name}" in dry.stderr, name
    assert "tag v0.1.0" in dry.stderr and "framecheck/scs-framing" in dry.stderr
    real = run_cli("release", "push", release, "--repo-id", "framecheck/scs-framing", data_dir=data, env=offline, check=False)
    assert real.returncode == 1
    lines = [line for line in real.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: HF_TOKEN is not set"), real.stderr


def test_rehydrate_restores_withheld_text_from_the_archive(built, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from annotation.labels import gold_labels
    from pipelines.kernel.facts import load_facts
    from pipelines.kernel.io import read_records
    from pipelines.kernel.label_schema import load_schema
    from pipelines.kernel.records import Annotation, Article, Claim
    from pipelines.kernel.releases import load_definition
    from pipelines.release.tables import build_tables, write_release

    _root, data, _release, _second, _logs = built
    articles = read_records(data / "tables" / "articles.parquet", Article)
    claims = read_records(data / "tables" / "claims.parquet", Claim)
    gold = gold_labels(read_records(data / "tables" / "annotations.parquet", Annotation))
    definition, schema = load_definition(), load_schema()
    shipped = build_tables(definition, schema, articles, claims, gold, load_facts(), {a.outlet_id: True for a in articles})
    released = [r for rows in shipped.rows["articles"].values() for r in rows]
    # withhold one English and one Chinese outlet of the release
    withheld = {min(r["outlet"] for r in released if r["language"] == "en"),
                min(r["outlet"] for r in released if r["language"].startswith("zh"))}
    flags = {a.outlet_id: a.outlet_id not in withheld for a in articles}
    tables = build_tables(definition, schema, articles, claims, gold, load_facts(), flags)
    folder, _ = write_release(tables, definition, schema, tmp_path / "withheld" / "0.1.0", lambda s: "card\n")
    rows = [r for p in sorted((folder / "data" / "articles").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    missing = {r["article_id"] for r in rows if r["text"] is None}
    assert missing and {r["outlet"] for r in rows if r["text"] is None} == withheld

    # tamper with one withheld row's text hash in a copy: that one must not be restored
    tampered = tmp_path / "tampered"
    shutil.copytree(folder, tampered)
    victim = sorted(missing)[0]
    for path in (tampered / "data" / "articles").glob("*.parquet"):
        table = pq.read_table(path)
        changed = [{**r, "text_sha256": "0" * 64} if r["article_id"] == victim else r for r in table.to_pylist()]
        pq.write_table(pa.Table.from_pylist(changed, schema=table.schema), path)

    out = tmp_path / "rehydrated"
    result = run_cli("release", "rehydrate", tampered, "--out", out, data_dir=data)
    restored = {r["article_id"]: r["text"] for p in sorted((out / "articles").glob("*.parquet")) for r in pq.read_table(p).to_pylist()}
    original = {a.article_id: a.text for a in articles}
    assert set(restored) == {r["article_id"] for r in rows}
    for article_id in missing - {victim}:
        assert restored[article_id] == original[article_id], article_id
    assert restored[victim] is None
    assert "skipped: text_sha256_mismatch" in result.stderr and f"restored the text of {len(missing) - 1} articles" in result.stderr
    assert (folder / "SHA256SUMS").exists() and not list((folder / "data").rglob("*rehydrat*")), "the release is untouched"


def test_labelled_transcript_and_comment_claims_are_released(built, tmp_path):
    """A claim mined from an imported video transcript (or its comments) and labelled goes
    into the release like an article's; it used to block every build ("article … is not in
    the articles table")."""
    import pyarrow.parquet as pq

    _root, data, _first, _second, _logs = built
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    inputs = REPO / "demo" / "inputs"
    run_cli("import-transcript", inputs / "explainer-desk-scs.vtt", "--comments", inputs / "explainer-desk-scs.comments.jsonl",
            "--info", inputs / "explainer-desk-scs.info.json", "--camp", "western", data_dir=copy)
    run_cli("claims", "run", data_dir=copy)
    transcript_ids = set(pq.read_table(copy / "tables" / "transcripts.parquet").column("article_id").to_pylist())
    claims = [c for c in pq.read_table(copy / "tables" / "claims.parquet").to_pylist() if c["article_id"] in transcript_ids]
    assert claims, "the demo transcript yields candidate claims"
    export = json.loads(DEMO_EXPORT.read_text(encoding="utf-8"))
    task = json.loads(json.dumps(export[0]))
    task["id"] = 999_999
    task["data"].update(claim_id=claims[0]["claim_id"], article_id=claims[0]["article_id"], text=claims[0]["text"])
    for n, annotation in enumerate(task["annotations"]):
        annotation["id"] = 999_999 + n
    extra = tmp_path / "transcript_export.json"
    extra.write_text(json.dumps([task]), encoding="utf-8")
    run_cli("annotate", "import", DEMO_EXPORT, extra, data_dir=copy)
    out = tmp_path / "rel" / "0.1.0"
    run_cli("release", "build", "--out", out, data_dir=copy)
    released = [row for split in (out / "data" / "claims").glob("*.parquet") for row in pq.read_table(split).to_pylist()]
    assert claims[0]["claim_id"] in {row["claim_id"] for row in released}
    articles = [row for split in (out / "data" / "articles").glob("*.parquet") for row in pq.read_table(split).to_pylist()]
    assert claims[0]["article_id"] in {row["article_id"] for row in articles}
