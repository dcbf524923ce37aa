"""Baselines: the shared scikit-learn code, its breakdowns and plots, skops models, and the
LIAR check (loader counts; accuracy beside Wang 2017)."""

import csv
import importlib.util
import io
import zlib
from collections import Counter

import pandas as pd
import pytest
from conftest import REPO, require_shared

from pipelines.baselines.models import (
    EvalSet,
    confusion_png,
    release_baselines,
    save_models,
    train_and_evaluate,
)


def _bench():
    spec = importlib.util.spec_from_file_location("liar_baselines", REPO / "bench" / "liar_baselines.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- LIAR ------------------------------------------------------------------------------


@pytest.fixture
def liar_root():
    return require_shared("corpora", "liar")


def test_liar_loader_reads_exactly_the_papers_counts(liar_root):
    bench, root = _bench(), liar_root
    data = bench.load_liar(root)
    assert {split: len(rows) for split, rows in data.items()} == {"train": 10269, "valid": 1284, "test": 1283}
    # the label counts the corpus MANIFEST gives
    assert Counter(r["label"] for r in data["train"]) == {"half-true": 2123, "false": 1998, "mostly-true": 1966, "true": 1683,
                                                          "barely-true": 1657, "pants-fire": 842}
    assert Counter(r["label"] for r in data["test"])["pants-fire"] == 92
    assert data["train"][0]["id"] == "2635.json" and data["train"][0]["statement"].startswith("Says the Annies List")
    # the trap the loader avoids: a default CSV parse merges rows at unbalanced quotes
    with (root / "train.tsv").open(encoding="utf-8", newline="") as fh:
        assert sum(1 for _ in csv.reader(fh, delimiter="\t")) < 10269


def test_liar_loader_rejects_a_malformed_row(tmp_path):
    bench = _bench()
    good = "\t".join(["1.json", "true", 'Says "quoted', "s", "sp", "j", "st", "p", "0", "0", "0", "0", "0", "ctx"])
    (tmp_path / "ok.tsv").write_text(good + "\n" + good.replace("1.json", "2.json") + "\n")
    rows = bench.read_split(tmp_path / "ok.tsv")
    assert [r["statement"] for r in rows] == ['Says "quoted', 'Says "quoted']
    (tmp_path / "bad.tsv").write_text(good + "\n" + good.rsplit("\t", 1)[0] + "\n")
    with pytest.raises(bench.LiarFormatError, match=r"bad.tsv:2: 13 tab-separated fields"):
        bench.read_split(tmp_path / "bad.tsv")


def test_liar_baselines_land_near_the_papers_table(liar_root):
    bench = _bench()
    result = bench.run(liar_root)
    assert abs(result["accuracy"]["majority"]["test"] - 0.208) <= 0.01
    for model, paper in (("logreg", 0.247), ("svm", 0.255)):
        assert abs(result["accuracy"][model]["test"] - paper) <= 0.03, (model, result["accuracy"][model])
    assert "logistic regression" in bench.table(result)


def test_liar_bench_skips_cleanly_without_the_corpus(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert _bench().main([str(tmp_path / "nowhere")]) == 0
    assert "skipped" in capsys.readouterr().out


def test_liar_bench_fails_without_the_corpus_under_ci(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert _bench().main([str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: liar_baselines") and str(tmp_path / "nowhere") in err and "CI=true" in err


# --- Release baselines -----------------------------------------------------------------


def _frames():
    def rows(n, camp, language, offset):
        out = []
        for i in range(n):
            verdict = ("accurate", "false", "exaggerated")[i % 3]
            text = {"accurate": "The court list records judgment defaulters who can pay but refuse.",
                    "false": "Every citizen has one national score that controls everything they do.",
                    "exaggerated": "Millions are banned from all travel by an algorithm."}[verdict]
            if language == "zh-Hans":
                text = {"accurate": "法院公布失信被执行人名单。", "false": "每个公民都有一个全国统一的社会信用分。",
                        "exaggerated": "数百万人被算法禁止一切出行。"}[verdict]
            out.append({"claim_id": f"c{offset + i}", "text": f"{text} ({i})", "camp": camp, "language": language,
                        "checkworthy": "yes" if i % 5 else "no-opinion", "verdict": verdict if i % 5 else None,
                        "distortion": ("none", "overstates", "overstates")[i % 3] if i % 5 else None})
        return out

    train = rows(60, "western", "en", 0) + rows(30, "chinese_state", "zh-Hans", 100)
    test = rows(15, "western", "en", 200) + rows(15, "chinese_state", "zh-Hans", 300)
    ood = rows(12, "chinese_commercial", "zh-Hans", 400)
    return {"train": pd.DataFrame(train), "test": pd.DataFrame(test), "ood_test": pd.DataFrame(ood)}


NAMES = {"checkworthy": ["yes", "no-opinion", "no-satire", "no-off-topic"],
         "verdict": ["accurate", "exaggerated", "misleading", "false", "unverifiable"],
         "distortion": ["overstates", "understates", "none"]}


def test_release_baselines_score_test_and_ood_by_language_and_camp():
    models = {}
    results = release_baselines(_frames(), NAMES, keep_models=models)
    assert set(results["tasks"]) == {"checkworthy", "verdict", "distortion"}
    verdict = results["tasks"]["verdict"]
    assert verdict["train_size"] == 72 and verdict["eval_sizes"] == {"test": 24, "ood_test": 9}
    logreg = verdict["results"]["logreg"]
    for split in ("test", "ood_test"):
        assert set(logreg[split]["per_class_f1"]) == set(NAMES["verdict"])
        assert logreg[split]["macro_f1"] > verdict["results"]["majority"][split]["macro_f1"]
    assert set(logreg["test"]["by_language"]) == {"en", "zh-Hans"} and set(logreg["test"]["by_camp"]) == {"western", "chinese_state"}
    assert set(logreg["test"]["by_camp"]["western"]["per_class_f1"]) == set(NAMES["verdict"])
    assert sum(map(sum, logreg["test"]["confusion"])) == 24
    assert len(models) == 9 and release_baselines(_frames(), NAMES) == results, "deterministic"


def test_confusion_plot_is_byte_reproducible_png_without_metadata():
    results = release_baselines(_frames(), NAMES)
    first = confusion_png("verdict", results["tasks"]["verdict"])
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == confusion_png("verdict", results["tasks"]["verdict"])
    # walk the PNG chunks: no text chunks (Software, dates) and no tIME chunk
    chunks, i = [], 8
    while i < len(first):
        length = int.from_bytes(first[i:i + 4], "big")
        kind = first[i + 4:i + 8]
        chunks.append(kind)
        assert zlib.crc32(first[i + 4:i + 8 + length]) == int.from_bytes(first[i + 8 + length:i + 12 + length], "big")
        i += 12 + length
    assert b"IHDR" in chunks and b"IEND" in chunks
    assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(chunks), chunks


def test_models_are_saved_with_skops_and_predict_the_same(tmp_path):
    import skops.io as sio

    frames = _frames()
    models = {}
    train = frames["train"]
    train_and_evaluate(list(train["text"]), list(train["camp"]), [EvalSet("test", list(frames["test"]["text"]), list(frames["test"]["camp"]))],
                       ["western", "chinese_state"], task="camp", keep_models=models)
    before = {name: list(m.predict(frames["test"]["text"])) for name, m in models.items()}
    paths = save_models(tmp_path, models)
    assert sorted(p.name for p in paths) == ["camp-logreg.skops", "camp-majority.skops", "camp-svm.skops"]
    assert not list(tmp_path.glob("*.pkl")) and not list(tmp_path.glob(".*"))
    for path in paths:
        assert sio.get_untrusted_types(file=path) == []
        loaded = sio.load(path)
        assert list(loaded.predict(frames["test"]["text"])) == before[path.stem]


def test_confusion_plot_panels_are_large_enough_to_read():
    from PIL import Image

    from pipelines.baselines.models import CONFUSION_FONT_PT

    results = release_baselines(_frames(), NAMES)
    image = Image.open(io.BytesIO(confusion_png("verdict", results["tasks"]["verdict"])))
    # two models × two eval splits: each panel about 4.6 × 4.4 in at 100 dpi, labels at 11 pt
    # (the first plots had 3.4-inch panels with 6 pt labels: 680 px for the grid)
    assert image.width >= 2 * 400 and image.height >= 2 * 380, image.size
    assert CONFUSION_FONT_PT >= 10
