"""Cue spans: English whole words, Chinese whole words by jieba segmentation, the lexicon's
rule that no entry exists for a seed, demo or test sentence. All texts are written for these
tests and use only entries that occur in real third-party text (bench/devsets/cue_removed.md)."""

import re
from pathlib import Path

import yaml

from pipelines.claims.mine import CUES_FILE, load_cues
from pipelines.claims.zhwords import zh_boundaries, zh_term_pattern, zh_word_match, zh_word_search

CUES = load_cues()
REMOVED = Path(__file__).parent.parent / "bench" / "devsets" / "cue_removed.md"


def found(text: str) -> set[tuple[str, str]]:
    spans = CUES.find(text)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))  # no stacked highlights
    assert all(text[s.start : s.end] == s.text for s in spans)
    return {(s.text, s.label) for s in spans}


def test_english_cues_whole_words_and_curly_quotes():
    spans = found("It is Orwell\u2019s 1984 come true: every citizen is watched, a chilling, draconian plan.")
    assert {("Orwell\u2019s 1984", "dystopia_reference"), ("every citizen", "sweeping_generalization"),
            ("chilling", "loaded_word"), ("draconian", "loaded_word")} <= spans
    assert found("The unpunished man is a punisher.") == set()  # "punish" is a word, not a prefix


def test_chinese_cues_simplified_and_traditional():
    assert {("寸步难行", "loaded_word"), ("一举一动", "sweeping_generalization"), ("抹黑", "benign_frame")} <= found(
        "西方媒体抹黑中国，让失信者寸步难行，一举一动都被监视。")
    hant = found("一處失信，處處受限，失信者寸步難行。")
    assert {label for _t, label in hant} == {"loaded_word"} and ("寸步難行", "loaded_word") in hant


def test_benign_frames():
    assert {label for _t, label in found("The rules aim to improve the business environment and the rule of law.")} == {
        "benign_frame"}


def test_chinese_terms_match_as_words_not_inside_longer_words():
    pattern = re.compile("一步|法|市")
    for text in ("国家发展改革委进一步规范信用修复工作。", "这个办法很好，他的看法不同，方法多样。", "市场监管总局表示。"):
        assert list(zh_word_match(pattern, text)) == [], text
    assert [m.group(0) for m in zh_word_match(pattern, "这是改革迈出的关键一步。")] == ["一步"]
    assert zh_word_search(zh_term_pattern("14亿"), "全国14亿人口") and not zh_word_search(zh_term_pattern("进一"), "进一步")
    text = "失信被执行人不得乘坐飞机。"
    assert {0, len(text)} <= zh_boundaries(text)


def test_the_lexicon_matches_chinese_cues_on_word_boundaries(tmp_path):
    lexicon = tmp_path / "cues.yaml"
    lexicon.write_text(yaml.safe_dump({"cues": {"loaded_word": {"zh": ["一步"]}}}, allow_unicode=True), encoding="utf-8")
    cues = load_cues(lexicon)
    assert cues.find("国家发展改革委进一步规范信用修复工作。") == ()
    assert [s.text for s in cues.find("这是改革迈出的关键一步。")] == ["一步"]


def test_no_removed_memorised_entry_is_back():
    removed = re.findall(r"^\| [^|]+ \| (en|zh) \| `(.+)` \| \d+ \| 0 \|$", REMOVED.read_text(encoding="utf-8"), re.M)
    assert len(removed) == 26
    cues = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))["cues"]
    literals = {(lang, str(term)) for label, langs in cues.items() if label != "regex_patterns"
                for lang, terms in langs.items() for term in terms}
    patterns = {item["pattern"] for item in cues["regex_patterns"]}
    for lang, entry in removed:
        entry = entry.replace("\\|", "|")
        assert (lang, entry) not in literals and entry not in patterns, entry


def test_1984_is_a_cue_as_the_novel_not_as_the_year():
    assert found("He left the club in 1984 and never came back.") == set()
    assert {label for _t, label in found('Critics call the plan "1984" come true.')} == {"dystopia_reference"}
    assert {label for _t, label in found("It reads like the novel 1984.")} == {"dystopia_reference"}


def test_administrative_full_coverage_is_no_sweeping_cue():
    assert found("审计全覆盖工作在各地展开。") == set()
