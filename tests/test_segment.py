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
