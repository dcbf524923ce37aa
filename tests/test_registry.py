"""The registry of real outlets, the topic and `framecheck outlets --json`."""

import json

from conftest import run_cli

from pipelines.kernel.registry import CAMPS, DEMO_REGISTRY, LIVE_REGISTRY, load_registry
from pipelines.kernel.topic import load_topic


def test_live_registry_covers_both_sides_and_languages():
    registry = load_registry(LIVE_REGISTRY)
    assert len(registry) >= 20
    camps = {o.camp for o in registry}
    assert camps == set(CAMPS)
    by_camp_lang = {(o.camp, lang) for o in registry for lang in o.languages}
    assert {("western", "en"), ("chinese_state", "en"), ("chinese_state", "zh-Hans"), ("hong_kong", "zh-Hant")} <= by_camp_lang
    ids = {o.id for o in registry}
    assert {"bbc", "guardian", "nyt", "xinhua-en", "china-daily", "global-times", "cgtn", "scmp", "creditchina"} <= ids
    assert all(o.discovery for o in registry)


def test_outlet_ownership_by_domain():
    registry = load_registry(LIVE_REGISTRY)
    assert registry.for_url("https://www.bbc.com/news/world-asia-china-12345").id == "bbc"
    assert registry.for_url("https://www.creditchina.gov.cn/xinyongxiushi/") .id == "creditchina"
    assert registry.for_url("https://example.org/") is None


def test_outlets_json_lists_the_required_fields():
    rows = json.loads(run_cli("outlets", "--json").stdout)
    assert len(rows) >= 20
    for row in rows:
        assert {"id", "name", "camp", "languages", "domains"} <= set(row)
    demo = json.loads(run_cli("outlets", "--json", "--demo").stdout)
    assert len(demo) == 8 and all(".example" in d for row in demo for d in row["domains"])


def test_topic_scores_bilingual_text():
    topic = load_topic()
    assert topic.is_relevant("China's social credit system puts judgment defaulters on a court blacklist.")
    assert topic.is_relevant("最高人民法院公布失信被执行人名单，社会信用体系建设持续推进。")
    assert not topic.is_relevant("The football club signed a new striker for a record fee.")


def test_demo_registry_is_fictional():
    assert all(o.domains[0].endswith(".example") for o in load_registry(DEMO_REGISTRY))
