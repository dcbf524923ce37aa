"""The learned claim ranker: training from corpora laid out like ../shared (here a tiny
synthetic set written for the test, in tmp), saving through the kernel's allow-list, the
annotators' labels changing the ranking, and the active-learning order using the same model."""

import csv
import json

import numpy as np
import pytest
from conftest import run_cli

from pipelines.claims import ClaimRanker, data_model_path, load_ranker, train_ranker
from pipelines.claims.ranker import neighbour_blocks
from pipelines.kernel.io import DataDir, FrameCheckError, write_records
from pipelines.kernel.models import load_model, untrusted_types
from pipelines.kernel.records import Annotation, Claim, LabelValue

CHECKABLE = ["In {y} the court listed {n} thousand debtors.", "The rule took effect in {y} and covers {n} firms.",
             "Officials said {n} million tickets were blocked in {y}.", "The plan was issued in {y} with {n} measures."]
OPINION = ["I think this is wonderful, honestly.", "What a silly idea, right?", "We should all be worried about it!",
           "Honestly I love it so much."]
SCS_ZH = ["失信被执行人名单共有{n}万人。", "{y}年社会信用体系建设规划纲要印发。", "法院限制失信被执行人乘坐飞机{n}次。"]
OTHER_ZH = ["今天天气晴朗，气温{n}度。", "{y}年春季旅游市场持续升温。", "足球比赛在{n}号体育场举行。"]


def _write_corpora(root):
    corpora = root / "corpora"
    (corpora / "checkworthiness").mkdir(parents=True)
    with (corpora / "checkworthiness" / "claimbuster_groundtruth.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["sentence_id", "screening", "label", "text"])
        for i in range(40):
            writer.writerow([i, -3, 1, CHECKABLE[i % 4].format(y=1990 + i, n=i + 2)])
            writer.writerow([100 + i, -3, 0, OPINION[i % 4]])
    (corpora / "cctv-xwlb").mkdir()
    for name, templates in (("scs_stories.jsonl", SCS_ZH), ("other_stories.jsonl", OTHER_ZH)):
        with (corpora / "cctv-xwlb" / name).open("w", encoding="utf-8") as f:
            for i in range(12):
                text = "".join(t.format(y=2000 + i, n=i + 3) for t in templates)
                f.write(json.dumps({"story_id": f"{name[:3]}{i}", "text": text}, ensure_ascii=False) + "\n")
    return corpora


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    return _write_corpora(tmp_path_factory.mktemp("shared"))


def _claim(claim_id, text):
    return Claim(claim_id=claim_id, article_id="a1", start=0, end=len(text), text=text, context_before="",
                 context_after="", language="en", checkworthiness=0.5, outlet_id="o", camp="western",
                 published=None, url="http://x", cues=(), evidence_candidates=())


def test_neighbour_features_stay_inside_a_document():
    rows = np.eye(4, dtype=np.float32)
    neighbours, document = neighbour_blocks(rows, np.array([0, 0, 1, 1]))
    assert neighbours[0].tolist() == [0, 1, 0, 0] and neighbours[2].tolist() == [0, 0, 0, 1]  # never across documents
    assert np.allclose(document[0], [2 ** -0.5, 2 ** -0.5, 0, 0])


def test_trained_model_loads_through_the_allow_list_and_ranks(tmp_path, corpora):
    data = DataDir(tmp_path / "data")
    result = train_ranker(data, corpora, data_model_path(data.root), dev=[], train=[])
    assert untrusted_types(result.model) == []  # nothing outside skops' trusted types and the kernel's list
    ranker = load_ranker(data.root)
    assert ranker.path == result.model  # the data directory's model overrides the packaged one
    card = json.loads(result.card.read_text(encoding="utf-8"))
    assert {"claimbuster", "cctv-xwlb", "facts"} <= set(card["licences"]) and card["cut"] == ranker.cut
    assert card["training_data"]["checkworthy"]["claimbuster"] == {"positive": 40, "negative": 40}
    scores = [ranker.score_sentences([text])[0] for text in ("2015年失信被执行人名单共有90万人。", "今天天气晴朗，气温9度。")]
    assert scores[0].score > scores[1].score and scores[0].relevance > scores[1].relevance
    assert all(0 <= s.score <= 1 for s in scores)


def test_annotators_labels_change_the_ranking(tmp_path, corpora):
    """An annotator answers that the top-ranked sentence is opinion: after `claims train`, the
    ranker puts it below the sentence annotated as a check-worthy claim."""
    data = DataDir(tmp_path / "data")
    first = train_ranker(data, corpora, data_model_path(data.root), dev=[], train=[])
    ranker = ClaimRanker(load_model(first.model))
    texts = ["Courts listed many debtors in 2019, officials said.", "The fine was paid by the firm, I think."]
    before = [s.score for s in ranker.score_sentences(texts)]
    loved, flagged = (0, 1) if before[0] > before[1] else (1, 0)  # flip whatever order the corpora gave
    claims = [_claim("c0", texts[0]), _claim("c1", texts[1])]
    write_records(data.table("claims"), claims, Claim)
    annotations = [Annotation(f"n{i}-{who}", claims[idx].claim_id, who, (LabelValue("checkworthy", (answer,)),), (),
                              "2026-01-01T00:00:00Z", "export.json")
                   for i, (idx, answer) in enumerate([(loved, "no-opinion"), (flagged, "yes")]) for who in ("p1", "p2", "p3")]
    write_records(data.table("annotations"), annotations, Annotation)
    second = train_ranker(data, corpora, data_model_path(data.root), dev=[], train=[])
    assert second.card_data["annotations"] == 6
    after = [s.score for s in load_ranker(data.root).score_sentences(texts)]
    assert after[flagged] > after[loved], (before, after)


def test_active_learning_orders_by_the_ranker(tmp_path, corpora):
    from annotation.active import order_by_uncertainty, ranker_uncertainty

    data = DataDir(tmp_path / "data")
    train_ranker(data, corpora, data_model_path(data.root), dev=[], train=[])
    ranker = load_ranker(data.root)
    claims = [_claim(f"c{i}", t) for i, t in enumerate(["今天天气晴朗，气温9度。", "Courts listed 3 thousand debtors in 2019.",
                                                       "What a silly idea, right?"])]
    scores = np.array([ranker.score_sentences([c.text])[0].score for c in claims])  # each claim its own document
    uncertainty = ranker_uncertainty(ranker, claims)
    cuts = np.array([ranker.cut_for(c.language) for c in claims])
    assert np.allclose(uncertainty, -np.abs(scores - cuts))  # nearest its language's cut first
    ordered = order_by_uncertainty(claims, ranker)
    assert [c.claim_id for c in ordered] == [claims[i].claim_id for i in np.argsort(-uncertainty, kind="stable")]


def test_train_without_shared_corpora_is_one_line(tmp_path):
    result = run_cli("claims", "train", "--shared", tmp_path / "nowhere", data_dir=tmp_path / "data", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error:") and "nowhere/corpora" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_training_data_needs_both_classes(tmp_path):
    from pipelines.claims.train import TrainingData, fit

    with pytest.raises(FrameCheckError, match="relevance needs both"):
        fit(TrainingData())


def test_the_packaged_model_loads_offline_and_its_card_names_data_licences_and_cut():
    from pipelines.claims import PACKAGED_MODEL, ranker_card

    assert untrusted_types(PACKAGED_MODEL) == []
    card = ranker_card(None)
    ranker = load_ranker(None)
    assert ranker.path == PACKAGED_MODEL and card["cut"] == ranker.cut
    assert set(card["cuts"]) == {"en", "zh"} and card["cuts"] == ranker.cuts  # one cut per dev language
    assert all(ranker.cut_for(lang) == cut for lang, cut in card["cuts"].items()) and ranker.cut_for("ko") == ranker.cut
    assert {"claimbuster", "clef2019", "clef2020"} <= set(card["licences"]) <= set(card["training_data"]["relevance"]) | \
        set(card["training_data"]["checkworthy"])
    assert card["metrics"]["dev"], "the cut is chosen on a dev set"
    assert card["cut_chosen_on"].startswith("dev set")


def test_the_cut_keeps_the_candidates_the_ranking_is_judged_on_within_the_budget():
    from pipelines.claims.evaluate import choose_cut_in_budget, ranking_metrics

    # 20 sentences, 4 targets; scores rank 3 targets first, then a non-target, then the 4th target
    scores = [0.9, 0.8, 0.7, 0.6, 0.5] + [0.4 - 0.01 * i for i in range(15)]
    labels = [True, True, True, False, True] + [False] * 15
    cut = choose_cut_in_budget(labels, scores)  # budget 40 per 100 = 8 sentences: 2x|gold| fits
    assert cut == 0.5  # every target is in by then; a lower cut adds candidates that rank no better
    assert ranking_metrics(labels, scores, cut)["recall_at_2x_gold"] == 1.0
    tight = choose_cut_in_budget(labels, scores, budget=15.0)  # 3 candidates at most
    assert tight == 0.7 and ranking_metrics(labels, scores, tight)["candidates"] == 3
    # the budget counts on-topic documents only: 10 off-topic sentences do not widen it
    on_topic = [True] * 10 + [False] * 10
    # 0.5 would keep 5 of the 10 on-topic sentences; 0.6 adds a non-target only, so 0.7 ranks as well
    assert choose_cut_in_budget(labels, scores, on_topic, budget=40.0) == 0.7
