"""Configuration as validated data: a broken copy of each YAML file the project reads ends in
exactly one line `<file>: <dotted.path[index]>: <message>` (a ConfigError), never a traceback,
a silently ignored key or a misleading coercion."""

import dataclasses
from pathlib import Path

import pytest
import yaml
from conftest import run_cli

from pipelines.claims.mine import CUES_FILE, load_cues
from pipelines.kernel.config import ConfigError, load_yaml
from pipelines.kernel.facts import FACTS_FILE, load_facts
from pipelines.kernel.label_schema import SCHEMA_FILE, load_schema
from pipelines.kernel.registry import DEMO_REGISTRY, LIVE_REGISTRY, load_registry
from pipelines.kernel.releases import DATASETS_DIR, check_ood_outlets, load_definition
from pipelines.kernel.topic import TOPIC_FILE, load_topic

RELEASE_FILE = DATASETS_DIR / "scs-framing" / "release.yaml"
DELETE = object()


def change(path: tuple, value):
    """An edit of a YAML text: set (or DELETE) the value at `path`, as parsed and dumped again."""
    def edit(text: str) -> str:
        doc = yaml.safe_load(text)
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if value is DELETE:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    return edit


def replace(old: str, new: str):
    """An edit of a YAML text as written (for what a parse and dump would not keep)."""
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)
    return edit


def error_line(source: Path, edit, target: Path, load) -> str:
    """Write an edited copy of `source` to `target`, load it, return the one error line."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(edit(source.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ConfigError) as err:  # any other exception fails the test
        load(target)
    line = str(err.value)
    assert "\n" not in line and "Traceback" not in line, line
    return line


# --- outlet registry --------------------------------------------------------------------

REGISTRY_CASES = [
    pytest.param(DEMO_REGISTRY, change(("outlets", 0, "allow"), r"^http://granite-herald\.example/"), "outlets[0].allow",
                 r"input should be a valid list, got str '^http://granite-herald\\.example/'", id="allow-string"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 0, "allow"), 42), "outlets[0].allow",
                 "input should be a valid list, got int 42", id="allow-number"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 0, "country"), ["GB"]), "outlets[0].country",
                 "input should be a valid string, got a list", id="country-list"),
    pytest.param(DEMO_REGISTRY, change(("country",), "GB"), "country",
                 "unknown key (allowed: outlets)", id="unknown-top-level-key"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 0, "colour"), "blue"), "outlets[0].colour",
                 "unknown key (allowed: id, name, country, camp, languages, domains, redistribute, discovery, allow, deny, "
                 "follow, notes, verified, extraction)", id="unknown-outlet-key"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 1, "deny"), ["/ok/", "([a-z]+"]), "outlets[1].deny[1]",
                 "invalid regular expression '([a-z]+': missing ), unterminated subpattern at position 0", id="bad-regex"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 0, "camp"), "martian"), "outlets[0].camp",
                 "'martian' is not one of 'western', 'chinese_state', 'chinese_commercial', 'hong_kong' or 'reference'",
                 id="unknown-camp"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 6, "languages"), ["zh-Hans", "zh"]), "outlets[6].languages[1]",
                 "'zh' is not one of 'en', 'zh-Hans' or 'zh-Hant'", id="unknown-language"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 0, "discovery", 1, "type"), "ftp"), "outlets[0].discovery[1].type",
                 "'ftp' is not one of 'news_sitemap', 'sitemap', 'rss', 'atom', 'search' or 'listing'", id="unknown-discovery-type"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 0, "discovery", 0), {"type": "search", "url": "http://x.example/?q="}),
                 "outlets[0].discovery[0].url", "a search URL template needs a {query} placeholder", id="search-without-query"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 0, "redistribute"), "no"), "outlets[0].redistribute",
                 "input should be a valid boolean, got str 'no'", id="redistribute-string"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 0, "languages"), []), "outlets[0].languages",
                 "expected at least 1 entry, got 0", id="no-languages"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 0, "camp"), DELETE), "outlets[0].camp",
                 "required field is missing", id="missing-camp"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 2, "id"), "granite-herald"), "outlets[2].id",
                 "duplicate outlet id 'granite-herald' (also outlets[0])", id="duplicate-id"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 0, "id"), "Granite"), "outlets[0].id",
                 "'Granite' is not an outlet id (lowercase letters, digits and '-')", id="id-shape"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 5, "extraction", "prune_xpath", 1), "//p[@class="),
                 "outlets[5].extraction.prune_xpath[1]", "invalid XPath '//p[@class=': Invalid expression", id="extraction-bad-xpath"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 5, "extraction", "drop_lines"), ["(East"]), "outlets[5].extraction.drop_lines[0]",
                 "invalid regular expression '(East': missing ), unterminated subpattern at position 0", id="extraction-bad-regex"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 4, "extraction", "author_pattern"), r"\bBy\s+\S+"),
                 "outlets[4].extraction.author_pattern", "needs a group: its first group is the author's name",
                 id="extraction-pattern-without-group"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 4, "extraction", "author_xpath"), DELETE),
                 "outlets[4].extraction.author_pattern", "needs an author_xpath to search", id="extraction-pattern-without-xpath"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 4, "extraction", "author_path"), "//p"), "outlets[4].extraction.author_path",
                 "unknown key (did you mean 'author_xpath'? allowed: why, prune_xpath, drop_lines, author_xpath, author_pattern)",
                 id="extraction-unknown-key"),
    pytest.param(DEMO_REGISTRY, change(("outlets", 0, "extraction"), {"why": "the demo template is fine, but someone wrote this"}),
                 "outlets[0].extraction", "changes nothing: give prune_xpath, drop_lines or author_xpath", id="extraction-empty"),
    pytest.param(LIVE_REGISTRY, change(("outlets", 2, "allow"), "https://"), "outlets[2].allow",
                 "input should be a valid list, got str 'https://'", id="live-allow-string"),
]


@pytest.mark.parametrize("source, edit, where, message", REGISTRY_CASES)
def test_registry_errors(tmp_path, source, edit, where, message):
    target = tmp_path / "outlets.yaml"
    assert error_line(source, edit, target, load_registry) == f"{target}: {where}: {message}"


def test_registry_extraction_becomes_the_outlets_override():
    registry = load_registry(DEMO_REGISTRY)
    east_wire = registry.get("east-wire").extraction
    assert len(east_wire.prune_xpath) == 2 and east_wire.drop_lines[0].search("East Wire (demo) copy may be republished freely")
    assert registry.get("shiji-shangbao").extraction.author_pattern.search("作者：记者 韩松").group(1) == "韩松"
    assert registry.get("granite-herald").extraction is None


# --- topic -------------------------------------------------------------------------------

TOPIC_CASES = [
    pytest.param(replace("title_weight: 2", "titel_weight: 2"), "titel_weight",
                 "unknown key (did you mean 'title_weight'? allowed: topic, min_score, title_weight, terms, search_queries)",
                 id="misspelt-title-weight"),
    pytest.param(replace("min_score: 8", "min_score: eight"), "min_score", "input should be a valid number, got str 'eight'",
                 id="min-score-word"),
    pytest.param(change(("terms", "fr"), {"core": {"weight": 6, "terms": ["crédit social"]}}), "terms.fr",
                 "'fr' is not one of 'en' or 'zh'", id="unknown-language"),
    pytest.param(change(("terms", "en", "core", "weight"), "high"), "terms.en.core.weight",
                 "input should be a valid number, got str 'high'", id="weight-word"),
    pytest.param(change(("terms", "zh", "context", "terms"), []), "terms.zh.context.terms",
                 "expected at least 1 entry, got 0", id="no-terms"),
    pytest.param(change(("search_queries", "en"), "social credit"), "search_queries.en",
                 "input should be a valid list, got str 'social credit'", id="queries-string"),
]


@pytest.mark.parametrize("edit, where, message", TOPIC_CASES)
def test_topic_errors(tmp_path, edit, where, message):
    target = tmp_path / "topic.yaml"
    assert error_line(TOPIC_FILE, edit, target, load_topic) == f"{target}: {where}: {message}"


# --- cue lexicon -------------------------------------------------------------------------

CUE_CASES = [
    pytest.param(change(("cues", "scary_word"), {"en": ["spooky"]}), "cues.scary_word",
                 "unknown key (allowed: dystopia_reference, sweeping_generalization, loaded_word, benign_frame, regex_patterns)",
                 id="unknown-label"),
    pytest.param(change(("cues", "loaded_word", "en", 0), True), "cues.loaded_word.en[0]", "expected text, got bool True",
                 id="term-not-text"),
    pytest.param(change(("cues", "loaded_word", "de"), ["drakonisch"]), "cues.loaded_word.de",
                 "'de' is not one of 'en' or 'zh'", id="unknown-language"),
    pytest.param(change(("cues", "regex_patterns", 3, "pattern"), "(every"), "cues.regex_patterns[3].pattern",
                 "invalid regular expression '(every': missing ), unterminated subpattern at position 0", id="bad-regex"),
    pytest.param(change(("cues", "regex_patterns", 0, "label"), "scary"), "cues.regex_patterns[0].label",
                 "'scary' is not one of 'dystopia_reference', 'sweeping_generalization', 'loaded_word' or 'benign_frame'",
                 id="regex-unknown-label"),
    pytest.param(change(("cues", "regex_patterns"), "every citizen"), "cues.regex_patterns",
                 "input should be a valid list, got str 'every citizen'", id="regex-patterns-string"),
]


@pytest.mark.parametrize("edit, where, message", CUE_CASES)
def test_cue_lexicon_errors(tmp_path, edit, where, message):
    target = tmp_path / "cues.yaml"
    assert error_line(CUES_FILE, edit, target, load_cues) == f"{target}: {where}: {message}"


# --- fact base ---------------------------------------------------------------------------

FACT_CASES = [
    pytest.param(replace('valid_from: "2014-06-14"', "valid_from: 2026-13-45"), "facts[0].valid_from",
                 "'2026-13-45' is not a date: month must be in 1..12", id="impossible-date-unquoted"),
    pytest.param(change(("facts", 2, "valid_to"), "2019-02-30"), "facts[2].valid_to",
                 "'2019-02-30' is not a date: day is out of range for month", id="impossible-day"),
    pytest.param(change(("facts", 0, "valid_to"), "2020-1"), "facts[0].valid_to",
                 "'2020-1' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", id="date-shape"),
    pytest.param(change(("facts", 0, "sources", 1, "date"), "last year"), "facts[0].sources[1].date",
                 "'last year' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", id="source-date"),
    pytest.param(change(("facts", 1, "id"), "F01"), "facts[1].id", "duplicate fact id 'F01' (also facts[0])", id="duplicate-id"),
    pytest.param(change(("facts", 0, "statement_zh"), "English only"), "facts[0].statement_zh", "has no Chinese characters",
                 id="statement-zh-without-chinese"),
    pytest.param(change(("facts", 0, "sources"), [{"kind": "secondary", "title": "A blog"}]), "facts[0].sources",
                 "needs at least one primary source", id="no-primary-source"),
    pytest.param(change(("facts", 0, "sources", 0, "colour"), "red"), "facts[0].sources[0].colour",
                 "unknown key (allowed: kind, title, title_en, title_zh, issuer, publisher, author, date, doc_number, url)",
                 id="unknown-source-key"),
    pytest.param(change(("facts", 3, "title"), "x" * 73), "facts[3].title",
                 "is 73 characters; a short title has at most 72 (the evidence picker lists it)", id="title-too-long"),
    pytest.param(change(("facts", 0, "status"), True), "facts[0].status",
                 "True is not one of 'verified', 'partly_verified', 'unverified' or 'disputed'", id="status-bool"),
]


@pytest.mark.parametrize("edit, where, message", FACT_CASES)
def test_fact_base_errors(tmp_path, edit, where, message):
    target = tmp_path / "facts.yaml"
    assert error_line(FACTS_FILE, edit, target, load_facts) == f"{target}: {where}: {message}"


# --- label schema ------------------------------------------------------------------------

SCHEMA_CASES = [
    pytest.param(change(("fields", 1, "required_if"), {"check_worthy": "yes"}), "fields[1].required_if.check_worthy",
                 "unknown field 'check_worthy' (fields: checkworthy, verdict, distortion, frames, cues, evidence, rationale)",
                 id="required-if-unknown-field"),
    pytest.param(change(("fields", 1, "required_if"), "checkworthy"), "fields[1].required_if",
                 "input should be a valid dictionary, got str 'checkworthy'", id="required-if-string"),
    pytest.param(change(("fields", 1, "required_if"), {"checkworthy": "yes", "distortion": "none"}), "fields[1].required_if",
                 "expected at most 1 entry, got 2", id="required-if-two-conditions"),
    pytest.param(change(("fields", 1, "required_if"), {"checkworthy": "maybe"}), "fields[1].required_if.checkworthy",
                 "'maybe' is not a choice of checkworthy (yes, no-opinion, no-satire, no-off-topic)", id="required-if-unknown-choice"),
    pytest.param(replace('required_if: {checkworthy: "yes"}', "required_if: {checkworthy: yes}"), "fields[1].required_if.checkworthy",
                 "expected text, got bool True", id="required-if-unquoted-yes"),
    pytest.param(change(("fields", 2, "name"), "verdict"), "fields[2].name", "duplicate field 'verdict' (also fields[1])",
                 id="duplicate-field"),
    pytest.param(change(("fields", 0, "choices", 2, "value"), "no-opinion"), "fields[0].choices[2].value",
                 "duplicate choice 'no-opinion' (also choices[1])", id="duplicate-choice"),
    pytest.param(replace("required: true", 'required: "no"'), "fields[0].required",
                 "input should be a valid boolean, got str 'no'", id="required-string"),
    pytest.param(change(("fields", 2, "choices", 0, "hotkey"), "q"), "fields[2].choices[0].hotkey",
                 "hotkey 'q' used twice (also verdict: accurate)", id="duplicate-hotkey"),
    pytest.param(change(("fields", 3, "choices"), []), "fields[3].choices", "a multi field needs choices", id="no-choices"),
    pytest.param(change(("fields", 0, "kind"), "free"), "fields[0].kind",
                 "'free' is not one of 'single', 'multi', 'spans', 'evidence' or 'text'", id="unknown-kind"),
]


@pytest.mark.parametrize("edit, where, message", SCHEMA_CASES)
def test_label_schema_errors(tmp_path, edit, where, message):
    target = tmp_path / "label_schema.yaml"
    assert error_line(SCHEMA_FILE, edit, target, load_schema) == f"{target}: {where}: {message}"


def test_label_schema_hotkey_may_be_a_bare_digit(tmp_path):
    target = tmp_path / "label_schema.yaml"
    target.write_text(SCHEMA_FILE.read_text(encoding="utf-8").replace('hotkey: "1"', "hotkey: 1"), encoding="utf-8")
    assert load_schema(target).field("checkworthy").choices[0].hotkey == "1"


# --- release definition ------------------------------------------------------------------

RELEASE_CASES = [
    pytest.param(change(("split", "ood_outlets"), "circuit-ledger"), "split.ood_outlets",
                 "input should be a valid list, got str 'circuit-ledger'", id="ood-outlets-string"),
    pytest.param(change(("split", "ratios"), {"train": 1.0, "validation": 0.2, "test": -0.2}), "split.ratios.test",
                 "input should be greater than or equal to 0, got float -0.2", id="negative-ratio"),
    pytest.param(change(("split", "ratios", "train"), "0.7"), "split.ratios.train",
                 "input should be a valid number, got str '0.7'", id="string-ratio"),
    pytest.param(change(("split", "ratios", "train"), 0.6), "split.ratios", "must add up to 1, got 0.9", id="ratios-sum"),
    pytest.param(change(("split", "ratios"), {"train": 1.0}), "split.ratios.validation", "required field is missing (and 1 more)",
                 id="ratios-missing"),
    pytest.param(replace("demo: true", 'demo: "no"'), "demo", "input should be a valid boolean, got str 'no'", id="demo-string"),
    pytest.param(change(("tags",), "fact-checking"), "tags", "input should be a valid list, got str 'fact-checking'",
                 id="tags-string"),
    pytest.param(replace("seed: 20260101", "seed: abc"), "split.seed", "input should be a valid integer, got str 'abc'",
                 id="seed-word"),
    pytest.param(replace("version: 0.1.0", "version: 0.1.0\ndate_published: 2026-13-45"), "date_published",
                 "'2026-13-45' is not a date: month must be in 1..12", id="impossible-date"),
    pytest.param(replace("version: 0.1.0", "version: 0.1.0\ndate_published: 2026-02"), "date_published",
                 "'2026-02' is not a date (YYYY-MM-DD)", id="partial-date"),
    pytest.param(replace("version: 0.1.0", "version: '0.1'"), "version",
                 "'0.1' is not a version (MAJOR.MINOR.PATCH, e.g. 0.1.0)", id="version-pattern"),
    pytest.param(replace("version: 0.1.0", "version: 0.1"), "version", "expected text, got float 0.1", id="version-number"),
    pytest.param(replace("license:", "licence: x\nlicense:"), "licence",
                 "unknown key (did you mean 'license'? allowed: name, pretty_name, version, license, description, citation, "
                 "contact, demo, split, homepage, task_categories, tags, date_published, hub_repo)", id="unknown-key"),
]


@pytest.mark.parametrize("edit, where, message", RELEASE_CASES)
def test_release_definition_errors(tmp_path, edit, where, message):
    target = tmp_path / "broken" / "release.yaml"
    line = error_line(RELEASE_FILE, edit, target, lambda path: load_definition("broken", tmp_path))
    assert line == f"{target}: {where}: {message}"


def test_ood_outlets_must_be_registry_outlets():
    definition = dataclasses.replace(load_definition(), ood_outlets=("circuit-ledger", "x"))
    demo_ids = [o.id for o in load_registry(DEMO_REGISTRY)]
    with pytest.raises(ConfigError) as err:
        check_ood_outlets(definition, demo_ids)
    assert str(err.value) == f"{definition.path}: split.ood_outlets[1]: unknown outlet 'x'"
    check_ood_outlets(load_definition(), demo_ids)  # the real definition holds out demo outlets


# --- YAML itself -------------------------------------------------------------------------

YAML_CASES = [
    pytest.param(b"- id: bbc\n- id: cnn\n", "(top): expected a mapping of keys, got a list", id="list-document"),
    pytest.param(b"just text\n", "(top): expected a mapping of keys, got str 'just text'", id="scalar-document"),
    pytest.param(b"# only a comment\n", "(top): expected a mapping of keys, got an empty document", id="empty-document"),
    pytest.param(b"outlets: [unclosed\n", "(line 2): invalid YAML: expected ',' or ']', but got '<stream end>'", id="bad-yaml"),
    pytest.param(b"seed: !!int abc\n", "invalid YAML: invalid literal for int() with base 10: 'abc'", id="unbuildable-scalar"),
    pytest.param("topic: 社会信用\n".encode("gb18030"), "not UTF-8 text (byte 7)", id="not-utf8"),
]


@pytest.mark.parametrize("body, message", YAML_CASES)
def test_load_yaml_errors(tmp_path, body, message):
    target = tmp_path / "config.yaml"
    target.write_bytes(body)
    with pytest.raises(ConfigError) as err:
        load_yaml(target)
    separator = " " if message.startswith("(line") else ": "
    assert str(err.value) == f"{target}{separator}{message}"


def test_load_yaml_keeps_dates_as_text(tmp_path):
    target = tmp_path / "config.yaml"
    target.write_text("date_published: 2026-01-31\n")
    assert load_yaml(target) == {"date_published": "2026-01-31"}


# --- the CLI -----------------------------------------------------------------------------


def _one_error_line(result) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_cli_reports_a_bad_registry_in_one_line(tmp_path):
    bad = tmp_path / "outlets.yaml"
    bad.write_text(change(("outlets", 0, "deny"), ["([a-z]+"])(DEMO_REGISTRY.read_text(encoding="utf-8")), encoding="utf-8")
    line = _one_error_line(run_cli("crawl", "--registry", bad, data_dir=tmp_path / "data", check=False))
    # the regex in the message survives the console (it is not markup)
    assert line == (f"error: {bad}: outlets[0].deny[0]: invalid regular expression '([a-z]+': "
                    "missing ), unterminated subpattern at position 0")


def test_release_build_reports_a_bad_registry_in_one_line(tmp_path):
    """`release build` checks the held-out outlets against the data directory's registries,
    a registry a crawl remembered (data/state/registries/) included."""
    remembered = tmp_path / "state" / "registries" / "custom-0123456789.yaml"
    remembered.parent.mkdir(parents=True)
    remembered.write_text(change(("outlets", 0, "allow"), "^http://")(DEMO_REGISTRY.read_text(encoding="utf-8")),
                          encoding="utf-8")
    line = _one_error_line(run_cli("release", "build", "--out", tmp_path / "release", data_dir=tmp_path, check=False))
    assert line == f"error: {remembered}: outlets[0].allow: input should be a valid list, got str '^http://'"
    assert not (tmp_path / "release").exists()
