"""Sentence segmentation with offsets: English, Chinese (simplified and traditional), mixed
text and unpunctuated speech. All texts are written for these tests."""

from pathlib import Path

import pytest

from pipelines.claims.segment import (
    is_unpunctuated,
    split_punctuated,
    split_sentences,
    split_unpunctuated,
)

FIXTURES = Path(__file__).parent / "fixtures" / "claims"


def sentences(text: str, language: str = "en") -> list[str]:
    spans = split_sentences(text, language)
    for start, end in spans:  # offsets index the original text, trimmed
        assert 0 <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
    return [text[s:e] for s, e in spans]


def test_english_abbreviations_initials_and_numbers_do_not_end_sentences():
    text = ("Dr. Li Wei of the U.S. office met Mr. J. K. Smith at 9 a.m. on Jan. 5. "
            "The fine was $1.5 million, i.e. more than expected. Guofa [2014] No. 21 set the plan. It ended in 2020.")
    assert sentences(text) == [
        "Dr. Li Wei of the U.S. office met Mr. J. K. Smith at 9 a.m. on Jan. 5.",
        "The fine was $1.5 million, i.e. more than expected.",
        "Guofa [2014] No. 21 set the plan.",
        "It ended in 2020.",
    ]


def test_english_quotes_stay_with_their_sentence():
    text = 'She said: "The list is about debts." Then she left. "Is it a score?" he asked. \u201cNo.\u201d It is not.'
    assert sentences(text) == [
        'She said: "The list is about debts."',
        "Then she left.",
        '"Is it a score?" he asked.',
        "\u201cNo.\u201d",
        "It is not.",
    ]


def test_lower_case_after_a_period_splits_informal_text_but_not_abbreviations():
    assert sentences("I like it. it's a good way to change things. go up. than again, fine.") == [
        "I like it.", "it's a good way to change things.", "go up.", "than again, fine."]
    assert sentences("He works at the Dept. of Justice and cites approx. five cases vs. three.") == [
        "He works at the Dept. of Justice and cites approx. five cases vs. three."]


def test_list_numbers_are_not_sentences_nor_part_of_them():
    text = "  1. China publishes the court list.\n\n  2. The list began in 2013."
    assert sentences(text) == ["China publishes the court list.", "The list began in 2013."]


def test_chinese_terminators_and_closing_quotes():
    text = "最高法表示：“失信被执行人不得乘坐飞机。”该名单自2013年起公布！有人问：这是评分吗？答案是否定的；名单不是分数。最后一句没有句号"
    assert sentences(text, "zh-Hans") == [
        "最高法表示：“失信被执行人不得乘坐飞机。”",
        "该名单自2013年起公布！",
        "有人问：这是评分吗？",
        "答案是否定的；",
        "名单不是分数。",
        "最后一句没有句号",
    ]


def test_traditional_chinese_with_corner_quotes():
    text = "報導指出「名單不是評分。」法院表示，還清債務後會被移出名單。"
    assert sentences(text, "zh-Hant") == ["報導指出「名單不是評分。」", "法院表示，還清債務後會被移出名單。"]


def test_mixed_language_paragraphs_split_by_their_own_script():
    text = ("The slogan reads 守信者处处受益。It appeared in 2016. "
            "报道称，该政策名为Social Credit System. It is not one score.这是事实。")
    assert sentences(text) == [
        "The slogan reads 守信者处处受益。",
        "It appeared in 2016.",
        "报道称，该政策名为Social Credit System.",
        "It is not one score.",
        "这是事实。",
    ]


def test_paragraphs_are_never_joined():
    assert sentences("A heading without a stop\nThe body starts here. It goes on.") == [
        "A heading without a stop", "The body starts here.", "It goes on."]


TRANSCRIPT = (
    "so today we are going to look at the social credit system in china "
    "a lot of people think every citizen gets one national score but that is not really how it works "
    "the supreme court keeps a list of judgment defaulters who can pay a debt and refuse to "
    "and since 2013 those people can be blocked from buying plane tickets and train tickets "
    "now some cities like rongcheng ran their own points schemes for residents "
    "honestly i think the whole thing is kind of creepy "
    "thanks for watching and please subscribe"
)


def test_unpunctuated_speech_is_detected():
    assert is_unpunctuated(TRANSCRIPT)
    assert not is_unpunctuated("A normal paragraph. It has sentences, commas and stops. " * 8)
    assert not is_unpunctuated("short caption without stops")


def test_unpunctuated_speech_is_cut_into_claim_sized_windows_at_clause_openers():
    spans = split_unpunctuated(TRANSCRIPT)
    windows = [TRANSCRIPT[s:e] for s, e in spans]
    assert " ".join(windows) == TRANSCRIPT  # nothing lost, nothing added
    for window in windows:
        assert 3 <= len(window.split()) <= 40
    # cuts fall before discourse markers, never inside "the supreme court" or "plane tickets"
    assert any(w.startswith("but that is not really") for w in windows)
    assert any(w.startswith("honestly i think") for w in windows)
    assert any(w.startswith("thanks for watching") for w in windows)
    assert not any(w.endswith((" the", " a", " of", " to")) for w in windows)
    assert any("blocked from buying plane tickets" in w for w in windows)


def test_unpunctuated_chinese_captions_are_cut_at_pauses():
    text = ("今天我们来聊一聊 社会信用体系 很多人以为 每个中国人都有一个全国统一的分数 但是事实并非如此 "
            "法院公布的失信被执行人名单 针对的是有能力履行却拒不履行的人 所以这是两回事 "
            "另外一些城市 比如荣成 有自己的积分试点 居民自愿参加")
    assert is_unpunctuated(text)
    windows = [text[s:e] for s, e in split_sentences(text, "zh-Hans")]
    assert len(windows) >= 3
    assert all(len(w.replace(" ", "")) <= 60 for w in windows)
    assert any(w.startswith(("但是", "所以", "另外")) for w in windows)


def test_split_sentences_on_a_real_caption_file():
    from crawlers.transcripts import transcript_text

    text = transcript_text(FIXTURES / "captions.vtt")
    windows = sentences(text)
    assert 4 <= len(windows) <= 12
    assert any(w.startswith("honestly i think") for w in windows)


def test_split_punctuated_respects_the_range():
    text = "Ignore this. Keep this one. And this one."
    assert [text[s:e] for s, e in split_punctuated(text, 13, len(text))] == ["Keep this one.", "And this one."]


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_empty_text_has_no_sentences(text):
    assert split_sentences(text, "en") == []


# --- What is kept out of the candidates, with its reason -----------------------------------

from pipelines.claims.segment import Segment, decode_boundaries, segment, split_speech  # noqa: E402


def segments(text: str) -> list[tuple[str, str | None]]:
    out = segment(text)
    for s in out:
        assert 0 <= s.start < s.end <= len(text) and text[s.start : s.end] == text[s.start : s.end].strip()
    return [(text[s.start : s.end], s.drop) for s in out]


def test_footnote_numbers_after_a_stop_end_the_sentence_and_are_left_out():
    text = ("The restrictions apply only in mainland China.20 As one anthropologist notes, the lists differ by city.21\n"
            "The list began in 2013.[4] It grew every year.[5, 6] Guofa No.21 set the plan.")
    assert sentences(text) == ["The restrictions apply only in mainland China.",
                               "As one anthropologist notes, the lists differ by city.",
                               "The list began in 2013.", "It grew every year.", "Guofa No.21 set the plan."]


def test_footnote_lines_and_reference_lists_are_not_candidates():
    text = ("1. China publishes the court list.\n"
            "34. \u201cCourt Names 42 Firms in Credit Case,\u201d Daily Ledger, March 3, 2019.\n"
            "35. \u201cCity Lists 12 Debtors,\u201d Evening Express\n"
            "36. Ibid., p. 4.\n"
            "Smith, J. (2019). Scoring citizens. Example Press.\n"
            "The body goes on here.\n"
            "References\n"
            "- Some Book About Lists\n"
            "- Another Title, Somewhere")
    assert segments(text) == [
        ("China publishes the court list.", None),
        ("34. \u201cCourt Names 42 Firms in Credit Case,\u201d Daily Ledger, March 3, 2019.", "reference"),
        ("35. \u201cCity Lists 12 Debtors,\u201d Evening Express", "reference"), ("36. Ibid., p. 4.", "reference"),
        ("Smith, J. (2019). Scoring citizens. Example Press.", "reference"),
        ("The body goes on here.", None),
        ("References", "reference"), ("- Some Book About Lists", "reference"), ("- Another Title, Somewhere", "reference"),
    ]


def test_captions_bylines_datelines_funding_and_bios():
    text = ("By Jane Doe and Li Ming\n"
            "BEIJING (Reuters) - The court said on Monday that 13 million people were on its list.\n"
            "Photo: A man checks his phone at a railway station.\n"
            "A worker is pictured adjusting a camera outside a bank in Shenzhen\n"
            "The pilot was funded by the city government. This research was funded by the Example Foundation.\n"
            "The file picture taken on May 2 shows a queue at a ticket office\n"
            "Jane Doe is an associate professor of law at Example University.")
    assert segments(text) == [
        ("By Jane Doe and Li Ming", "byline"),
        ("The court said on Monday that 13 million people were on its list.", None),
        ("Photo: A man checks his phone at a railway station.", "caption"),
        ("A worker is pictured adjusting a camera outside a bank in Shenzhen", "caption"),
        ("The pilot was funded by the city government.", None),
        ("This research was funded by the Example Foundation.", "funding"),
        ("The file picture taken on May 2 shows a queue at a ticket office", "caption"),
        ("Jane Doe is an associate professor of law at Example University.", "author_bio"),
    ]


def test_a_bio_shaped_sentence_inside_the_text_is_kept():
    text = ("First paragraph.\nSecond one.\nLi Hua is a journalist at the Daily Example who was put on the list.\n"
            "Fourth.\nFifth.")
    assert ("Li Hua is a journalist at the Daily Example who was put on the list.", None) in segments(text)
    quote = '"We acknowledge that the list was too long," the court said.'
    assert segments(quote) == [(quote, None)]  # an acknowledgement in a quotation is no acknowledgements line


def test_chinese_datelines_credits_and_repeats():
    text = ("新华社北京3月5日电 国务院近日印发意见，要求完善失信约束制度。\n"
            "中国网络电视台消息(新闻联播)：多地推进信用修复工作。\n"
            "多地推进信用修复工作。\n"
            "（视频编辑：张三 文字编辑：李四）")
    assert segments(text) == [
        ("国务院近日印发意见，要求完善失信约束制度。", None),
        ("多地推进信用修复工作。", None),
        ("多地推进信用修复工作。", "repeated"),
        ("（视频编辑：张三 文字编辑：李四）", "byline"),
    ]


def test_hard_wrapped_lines_are_joined_but_paragraphs_are_not():
    text = ("The court list names people who can repay a debt but\nrefuse to. It began in 2013.\n"
            "A heading without a stop\nThe body starts here.")
    assert sentences(text) == ["The court list names people who can repay a debt but\nrefuse to.", "It began in 2013.",
                               "A heading without a stop", "The body starts here."]


def test_a_long_paragraph_with_few_stops_is_prose_not_speech():
    text = ("A city in the east has planned to score the behaviour of its residents through a phone app that "
            "watches their daily lives and their travel. The picture shows a man using his phone outside a "
            "railway station in the capital on a grey morning")
    assert not is_unpunctuated(text)
    assert [drop for _s, drop in segments(text)] == [None, "caption"]


def test_split_sentences_is_segment_without_the_dropped():
    text = "By Jane Doe\nThe list began in 2013.\nPhoto: A queue."
    assert [Segment(12, 35, None)] == [s for s in segment(text) if s.drop is None]
    assert split_sentences(text) == [(12, 35)]


# --- Learned boundaries in speech ----------------------------------------------------------

def test_decoding_keeps_windows_within_their_limits():
    import numpy as np

    sure = np.full(19, 0.99)  # every gap of 20 words a boundary
    cuts = decode_boundaries(sure, min_words=3, max_words=40)
    windows = np.diff([-1, *cuts, 19])
    assert all(w >= 3 for w in windows[:-1]) and len(cuts) == 6
    never = np.full(99, 0.01)  # no gap a boundary: cut anyway, every 40 words at most
    assert all(w <= 40 for w in np.diff([-1, *decode_boundaries(never, 3, 40), 99]))
    assert decode_boundaries(np.zeros(0)) == []


def test_the_committed_boundary_model_loads_through_the_allow_list_and_cuts_speech():
    from pipelines.claims.boundaries import BOUNDARY_MODEL_FILE, load_boundary_model
    from pipelines.kernel.models import untrusted_types

    assert BOUNDARY_MODEL_FILE.exists() and untrusted_types(BOUNDARY_MODEL_FILE) == []
    assert load_boundary_model() is not None
    windows = [TRANSCRIPT[s:e] for s, e in split_speech(TRANSCRIPT)]
    assert " ".join(windows) == TRANSCRIPT
    assert all(3 <= len(w.split()) <= 40 for w in windows[:-1]) and len(windows) >= 4
    assert any(w.startswith("thanks for watching") for w in windows)


def test_training_on_a_small_corpus_writes_a_loadable_model_and_reports_f1(tmp_path):
    import csv

    from pipelines.claims import boundaries
    from pipelines.kernel.models import load_model

    lines = ["Thank you very much.", "We will cut taxes for every family.", "That is not true.",
             "The plan costs two trillion dollars.", "I was there in 2008.", "Let me finish.",
             "They lost their jobs.", "We need a new approach."]
    folder = tmp_path / "checkworthiness"
    folder.mkdir()
    held = ["Good evening.", "The deficit doubled in four years.", "No, it did not.", "Ask him why he voted no.",
            "Next question."]
    files = {"a.tsv": lines, "b.tsv": held, **{name: held[::-1] for name in boundaries.DEV_FILES}}

    def write_clef(path, names):
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["line_number", "speaker", "text", "label", "file_name"])
            for name in names:
                for number, line in enumerate(files[name], 1):
                    writer.writerow([number, "A", line, 0, name])

    write_clef(folder / "clef2019_t1_train.csv", ["a.tsv", *boundaries.DEV_FILES])
    write_clef(folder / "clef2019_t1_test.csv", ["b.tsv"])
    for name in ("clef2020_t5_train.tsv", "clef2020_t5_test_gold.tsv"):
        (folder / name).write_text("text\tlabel\n" + "".join(f"{line}\t0\n" for line in lines * 3), encoding="utf-8")
    (folder / "claimbuster_groundtruth.csv").write_text(
        "sentence_id,screening,label,text\n" + "".join(f"{i},-3,0,{line}\n" for i, line in enumerate(lines, 1)),
        encoding="utf-8")
    out = tmp_path / "boundaries.skops"
    metrics = boundaries.train_boundary_model(tmp_path, out)
    assert metrics["train_gaps"] > 0 and 0 <= metrics["test_decoded_f1"]["f1"] <= 1
    assert metrics["test_model_f1"]["gold"] == len(held) - 1  # the held-out debate's boundaries, its end aside
    assert load_model(out).predict_proba is not None


def test_a_long_quotation_of_several_sentences_is_split_at_its_stops():
    first = "Platforms could give the system data on how reliable all the companies are in their payments, deliveries and the " \
            "quality of what they sell to their many customers online."
    second = "Firms in transport and logistics would be rated on the punctuality of their deliveries and on the " \
             "complaints that their customers file against them with the regulator of the market."
    text = f'The report says: "{first} {second}" (Example)'
    assert sentences(text) == [f'The report says: "{first}', f'{second}"', "(Example)"]
    short = 'He said: "The list is public. Anyone can search it." Then he left.'
    assert sentences(short) == ['He said: "The list is public. Anyone can search it."', "Then he left."]


def test_pysbd_patterns_stay_compiled_after_numpy_f2py_shrinks_the_re_cache():
    """numpy < 2.4.5 sets re's pattern cache to 50 when numpy.f2py is imported (scikit-learn's
    scipy import does it); pysbd's few hundred patterns an article would then be recompiled
    on every line. English segmentation sets the cache back to hold them."""
    import re

    import numpy.f2py  # noqa: F401  (the import that shrinks the cache on this numpy)

    from pipelines.claims import segment as segment_module

    re._MAXCACHE = 50  # as numpy.f2py.crackfortran leaves it, whichever numpy is installed
    spans = segment_module.split_sentences("Dr. Li was listed in 2016. He could not fly.", "en")
    assert len(spans) == 2
    assert re._MAXCACHE >= segment_module.PYSBD_RE_CACHE
