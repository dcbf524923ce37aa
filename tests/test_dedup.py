"""De-duplication across outlets: exact and near copies, English and Chinese (a traditional
re-run of simplified copy included); distinct stories on the same topic stay apart."""

from dataclasses import replace

from pipelines.extract.dedup import (
    assign_duplicates,
    dedup_key,
    deduplicate,
    duplicate_groups,
    normalize_for_shingles,
)
from pipelines.kernel.records import Article
from pipelines.kernel.text import normalized_text_hash

WIRE_EN = (
    "China's Supreme People's Court said on Monday that people on its list of dishonest judgment debtors had been "
    "blocked from buying plane tickets 17.46 million times by the end of 2018.\n"
    "The list, which began in 2013, names people who can repay a court-ordered debt but refuse to. Most of them leave "
    "the list within days of paying, a court official said.\n"
    "Rail tickets were blocked 5.47 million times over the same period, according to the court's annual report. "
    "The figures count purchases, not people, so one debtor who tries ten times is counted ten times."
)
OTHER_EN = (
    "Rongcheng, a city in Shandong province, gives every resident 1,000 credit points under a local scheme.\n"
    "Residents gain points for volunteering and lose them for unpaid fines; the city says the scheme now needs "
    "consent, and officials insist the points bring perks rather than punishments.\n"
    "Other cities, including Xiamen and Fuzhou, run voluntary apps with their own scores and small rewards."
)
WIRE_ZH = (
    "最高人民法院日前发布数据显示，截至2018年底，全国法院累计限制失信被执行人购买机票1746万人次，限制购买动车高铁票547万人次。"
    "失信被执行人名单制度自2013年起实施，针对的是有履行能力而拒不履行生效裁判的人。"
    "被执行人履行义务后，法院将在三个工作日内将其从名单中删除，相关限制随之解除。"
)
WIRE_ZH_HANT = (
    "最高人民法院日前發布數據顯示，截至2018年底，全國法院累計限制失信被執行人購買機票1746萬人次，限制購買動車高鐵票547萬人次。"
    "失信被執行人名單制度自2013年起實施，針對的是有履行能力而拒不履行生效裁判的人。"
    "被執行人履行義務後，法院將在三個工作日內將其從名單中刪除，相關限制隨之解除。"
)


def article(aid: str, outlet: str, text: str, published: str | None = "2019-03-04", language: str = "en") -> Article:
    return Article(article_id=aid, url=f"http://{outlet}.example/{aid}", outlet_id=outlet, outlet_name=outlet,
                   camp="western", language=language, source_kind="web", title="t", author=None, published=published,
                   text=text, text_sha256=normalized_text_hash(text), relevance=10.0, duplicate_of=None,
                   warc_file="x.warc.gz", warc_offset=0, body_sha256="0")


def test_exact_copy_with_different_punctuation_and_case_is_a_duplicate():
    original = article("a1", "east-wire", WIRE_EN, "2019-03-04")
    copy = article("a2", "harmony-herald", WIRE_EN.upper().replace(",", ""), "2019-03-05")
    marked = {a.article_id: a.duplicate_of for a in deduplicate([copy, original])}
    assert marked == {"a1": None, "a2": "a1"}


def test_near_copy_with_a_new_intro_and_trailer_is_a_duplicate_of_the_earliest():
    original = article("a1", "east-wire", WIRE_EN, "2019-03-04")
    rewrite = article("a2", "harmony-herald", "BEIJING, March 4 (Harmony Herald) -- " + WIRE_EN.replace("Monday", "Sunday")
                      + "\nEditor: Wang Qian", "2019-03-04")
    later = article("a3", "granite-herald", WIRE_EN + "\nThis story was first published by East Wire.", "2019-03-06")
    distinct = article("a4", "east-wire", OTHER_EN, "2019-03-01")
    marked = {a.article_id: a.duplicate_of for a in deduplicate([later, rewrite, distinct, original])}
    assert marked["a1"] is None and marked["a4"] is None
    assert marked["a2"] == "a1"  # same day: the smaller id is the canonical one
    assert marked["a3"] == "a1"
    groups = duplicate_groups([dedup_key(a) for a in (original, rewrite, later)], {"a2": "a1", "a3": "a1"})
    assert sorted(groups["a1"]) == [("a2", "harmony-herald"), ("a3", "granite-herald")]


def test_same_topic_different_story_is_not_a_duplicate():
    a = article("a1", "east-wire", WIRE_EN)
    b = article("a2", "granite-herald", WIRE_EN.split("\n")[0] + "\n" + OTHER_EN)  # shares one paragraph of three
    assert all(x.duplicate_of is None for x in deduplicate([a, b]))


def test_chinese_copy_in_traditional_characters_is_a_duplicate():
    mainland = article("z1", "huaxia-ribao", WIRE_ZH, "2019-03-05", "zh-Hans")
    hong_kong = article("z2", "hk-daily", WIRE_ZH_HANT + "（轉載自華夏日報）", "2019-03-05", "zh-Hant")
    assert normalize_for_shingles(WIRE_ZH_HANT) == normalize_for_shingles(WIRE_ZH)
    marked = {a.article_id: a.duplicate_of for a in deduplicate([hong_kong, mainland])}
    assert marked == {"z1": None, "z2": "z1"}


def test_keys_carry_no_text_and_decide_alone():
    articles = [article(f"a{i}", f"outlet-{i % 3}", WIRE_EN if i % 2 else OTHER_EN, f"2019-03-{10 + i:02d}")
                for i in range(6)]
    keys = [dedup_key(a) for a in articles]
    assert all(k.signature.nbytes == 128 * 4 for k in keys)
    assert assign_duplicates(keys) == {"a3": "a1", "a5": "a1", "a2": "a0", "a4": "a0"}
    unpublished = replace(articles[0], article_id="a9", published=None)
    assert assign_duplicates(keys + [dedup_key(unpublished)])["a9"] == "a0"  # no date: never the canonical one
