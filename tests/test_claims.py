"""Claim candidates on hand-written English and Chinese text: the learned score (relevance to
the SCS from the sentence, its neighbours and its document, times check-worthiness), cue
spans, evidence candidates and the mined records. The ranker is the packaged one; its
quality is measured on real held-apart text by bench/claim_ranker.py, not here."""

import pytest

from pipelines.claims.mine import (
    EvidenceRetriever,
    bilingual_query,
    load_cues,
    mine_articles,
    mine_text,
)
from pipelines.claims.ranker import load_ranker
from pipelines.kernel.facts import load_facts
from pipelines.kernel.records import Article, claim_id_for
from pipelines.kernel.text import detect_language, normalized_text_hash

CUES = load_cues()
RANKER = load_ranker()

FACTUAL = [
    "By the end of 2018 courts had blocked 17.46 million flight-ticket purchases by judgment defaulters.",
    "Since May 2018, people on the court list can be barred from trains and flights for up to one year.",
    "截至2018年底，全国法院累计限制失信被执行人购买机票1746万人次。",
    "失信被執行人名單自2013年起由最高人民法院公布，名單上的人不得乘坐飛機。",
]
NOT_CHECKWORTHY = [
    "I think the social credit system is an insult to human dignity and we should never copy it.",  # opinion
    "Is your next loan going to depend on what you post online?",  # question
    "Please like and subscribe, and let me know what you think about social credit!",  # appeal
    "我觉得社会信用体系建成后，中国社会一定会更加和谐。",  # prediction and value judgement
]
OFF_TOPIC = [
    "The football club signed a new striker on Monday for a record 40 million pounds.",
    "央行宣布下调存款准备金率0.5个百分点。",
]


def _alone(sentence: str):
    return RANKER.score_sentences([sentence])[0]


def test_factual_claims_about_the_scs_pass_the_cut_and_off_topic_text_does_not():
    # hand-written sentences, each against its language's cut: a learned score may put one of
    # them just under it, but never under an off-topic sentence
    passed = [s for s in FACTUAL if _alone(s).score >= RANKER.cut_for(detect_language(s))]
    assert len(passed) >= len(FACTUAL) - 1, [(s, _alone(s)) for s in FACTUAL]
    assert min(_alone(s).score for s in FACTUAL) > max(_alone(s).score for s in OFF_TOPIC)
    for sentence in OFF_TOPIC:
        assert _alone(sentence).score < RANKER.cut_for(detect_language(sentence)), (sentence, _alone(sentence))


def test_checkworthiness_is_higher_for_facts_than_for_opinion_questions_and_appeals():
    facts = sorted(_alone(s).checkworthy for s in FACTUAL)
    others = sorted(_alone(s).checkworthy for s in NOT_CHECKWORTHY)
    assert sum(facts) / len(facts) > sum(others) / len(others)
    assert facts[len(facts) // 2] > others[len(others) // 2]  # the median fact above the median opinion


def test_relevance_reads_the_neighbours_and_the_document():
    """A sentence that refers back ("the scheme") is about the SCS in a text about it, not in
    a text about football; an ordinary sentence stays off-topic in both."""
    scs = ["China's social credit system puts judgment defaulters on a court blacklist.",
           "The scheme was launched in 2014.", "Blacklisted debtors cannot buy plane tickets."]
    football = ["The club signed a new striker on Monday.", "The scheme was launched in 2014.",
                "The striker scored twice in his first match."]
    in_scs, in_football = RANKER.score_sentences(scs)[1], RANKER.score_sentences(football)[1]
    assert in_scs.relevance > in_football.relevance
    weather = RANKER.score_sentences([scs[0], "The weather in Hangzhou was lovely.", scs[2]])[1]
    assert weather.relevance < in_scs.relevance


def test_no_chinese_substring_trap():
    """进一步 ("further") is no opinion marker: it hardly moves an ordinary statement's score
    (the old lexicon's 一步 matched inside it and dropped the sentence)."""
    plain, further = (_alone(s) for s in ("国家发展改革委规范信用修复工作。", "国家发展改革委进一步规范信用修复工作。"))
    assert abs(plain.checkworthy - further.checkworthy) < 0.1 and abs(plain.relevance - further.relevance) < 0.2
    assert further.relevance > 0.5 and min(plain.score, further.score) >= RANKER.cut_for("zh")


def test_off_topic_text_yields_no_candidates():
    text = ("The football club signed a new striker on Monday for a record 40 million pounds. "
            "The club said the player would join the squad for the summer tour of China.")
    assert mine_text(text, CUES) == []
    assert mine_text("央行宣布下调存款准备金率0.5个百分点。春季旅游市场持续升温。", CUES) == []


def test_bad_input_empty_huge_mixed_and_japanese(tmp_path):
    """Each handled with a logged reason or a plain result, never a crash: an empty file, a
    5 MB text on one line, mixed scripts, and a Japanese document (not mined as Chinese)."""
    from pipelines.claims import mine_files

    files = {"empty.txt": "",
             "huge.txt": "失信被执行人名单" * (5_000_000 // 24),  # one line of 5 MB (UTF-8), no sentence end
             "mixed.txt": "Since 2013 the Supreme People's Court has published a list of judgment defaulters. "
                          "失信被执行人名单自2013年起由最高人民法院公布。",
             "ja.txt": "社会信用システムでは、裁判所が2013年から判決を履行しない人のリストを公表している。"}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    skipped: list[tuple[str, str]] = []
    mined = list(mine_files([tmp_path / n for n in files], None, lambda f, why: skipped.append((f.name, why)),
                            evidence_k=0))
    reasons = dict(skipped)
    assert "empty text" in reasons["empty.txt"]
    assert "one line of" in reasons["huge.txt"] and not any(c["source_file"].endswith("huge.txt") for c in mined)
    assert "language_unsupported:ja" in reasons["ja.txt"]
    assert {c["language"] for c in mined if c["source_file"].endswith("mixed.txt")} == {"en", "zh-Hans"}


MIXED = (
    "Research notes on the social credit system.\n"
    "Since May 2018, people with serious dishonest records can be barred from trains and flights for up to one year. "
    "I think the whole thing is creepy. It is like an episode of Black Mirror, critics say.\n"
    "失信被执行人名单自2013年起由最高人民法院公布，名单上的人不得乘坐飞机。我觉得这挺好的吧。\n"
    "The weather in Hangzhou was lovely and the tea harvest started early."
)


def test_mine_text_candidates_offsets_context_languages_and_cues():
    candidates = mine_text(MIXED, CUES)
    texts = [c.text for c in candidates]
    for c in candidates:
        assert MIXED[c.start : c.end] == c.text
        for cue in c.cues:  # cue offsets are relative to the claim
            assert c.text[cue.start : cue.end] == cue.text
    ban = next(c for c in candidates if c.text.startswith("Since May 2018"))
    assert ban.language == "en" and ban.checkworthiness >= 0.5
    assert ban.context_before == "Research notes on the social credit system."
    assert ban.context_after == "I think the whole thing is creepy."
    zh = next(c for c in candidates if c.text.startswith("失信被执行人名单"))
    assert zh.language == "zh-Hans" and zh.checkworthiness >= 0.5
    assert "I think the whole thing is creepy." not in texts and "我觉得这挺好的吧。" not in texts
    assert not any("Hangzhou" in t for t in texts)
    black_mirror = [c for c in candidates if "Black Mirror" in c.text]
    assert all(c.checkworthiness < ban.checkworthiness for c in black_mirror)
    assert all(any(cue.label == "dystopia_reference" for cue in c.cues) for c in black_mirror)


# the court-list category, plus the facts filed elsewhere that are about the court list: the 2016
# opinions restricting defaulters (F05), the memorandum on their joint punishment (F06), and
# the figures of blocked tickets and listings (F19-F22, F24)
COURT_LIST_FACTS = ({f.fact_id for f in load_facts() if f.category == "court_defaulter_list"}
                    | {"F05", "F06", "F19", "F20", "F21", "F22", "F24"})


@pytest.mark.parametrize("claim", [
    "People on the Supreme People's Court's list of judgment defaulters cannot buy plane tickets.",
    "Debtors who refuse to pay a court judgment are put on a blacklist and barred from flights and high-speed trains.",
    "失信被执行人名单上的人不得乘坐飞机和高铁，直到履行法院判决。",
    "最高法公布的老赖名单限制他们高消费。",
    "失信被執行人名單上的人不得乘坐飛機。",
])
def test_evidence_candidates_rank_court_list_facts_first(claim):
    retriever = EvidenceRetriever(load_facts())
    top = retriever.top_k([claim], 5)[0]
    assert len(top) == 5 and all(a.score >= b.score > 0 for a, b in zip(top, top[1:]))
    assert top[0].fact_id in COURT_LIST_FACTS, top
    assert sum(e.fact_id in COURT_LIST_FACTS for e in top[:3]) >= 2, top


def test_evidence_for_other_mechanisms():
    retriever = EvidenceRetriever(load_facts())
    sesame, code = retriever.top_k(["Sesame Credit scores range from 350 to 950 and users opt in.",
                                    "统一社会信用代码是企业的身份证号，不是信用评分。"], 3)
    assert "F38" in {e.fact_id for e in sesame}
    assert "F27" in {e.fact_id for e in code}
    assert "judgment defaulters" in bilingual_query("失信被执行人") and "失信被执行人" in bilingual_query("court blacklist")


def test_mine_articles_adds_metadata_stable_ids_and_evidence():
    text = f"{FACTUAL[0]} {FACTUAL[1]}\nI think it is scary."
    article = Article(article_id="a1", url="http://granite-herald.example/x", outlet_id="granite-herald",
                      outlet_name="G", camp="western", language="en", source_kind="web",
                      title="Social credit: the court list explained", author=None, published="2019-03-04", text=text,
                      text_sha256=normalized_text_hash(text), relevance=20.0, duplicate_of=None, warc_file="w",
                      warc_offset=0, body_sha256="0")
    retriever = EvidenceRetriever(load_facts())
    claims = mine_articles([article], CUES, retriever)
    again = mine_articles([article], CUES, retriever)
    assert [c.claim_id for c in claims] == [c.claim_id for c in again]
    assert [c.text for c in claims] == FACTUAL[:2]  # the opinion stays out
    first = claims[0]
    assert first.claim_id == claim_id_for("a1", first.start, first.end)
    assert (first.outlet_id, first.camp, first.published, first.url) == ("granite-herald", "western", "2019-03-04", article.url)
    assert first.context_after == claims[1].text
    assert first.evidence_candidates and first.evidence_candidates[0].fact_id in COURT_LIST_FACTS


def _article(article_id: str, text: str, language: str = "en", duplicate_of: str | None = None) -> Article:
    return Article(article_id=article_id, url=f"http://granite-herald.example/{article_id}", outlet_id="granite-herald",
                   outlet_name="G", camp="western", language=language, source_kind="web",
                   title="Social credit explained", author=None, published="2019-03-04", text=text,
                   text_sha256=normalized_text_hash(text), relevance=20.0, duplicate_of=duplicate_of, warc_file="w",
                   warc_offset=0, body_sha256="0")


def test_claims_stage_streams_articles_and_transcripts_in_batches(tmp_path, monkeypatch):
    """The claims step reads its tables a batch at a time and writes the claims mine_articles
    gives for the canonical articles; a syndicated copy is dropped, not mined."""
    import pyarrow.parquet as pq

    from pipelines.claims import ClaimsStep
    from pipelines.kernel import io, step
    from pipelines.kernel.io import DataDir, read_records, write_records
    from pipelines.kernel.records import Claim
    from pipelines.kernel.step import run_step

    en = ("The court list began in 2013. It names people who can repay a court-ordered debt but refuse to.\n"
          "By the end of 2018 courts had blocked 17.46 million flight-ticket purchases by judgment defaulters.")
    zh = "截至2018年底，全国法院累计限制失信被执行人购买机票1746万人次。失信被执行人名单自2013年起由最高人民法院公布。"
    articles = [_article("a1", en), _article("a2", zh, "zh-Hans"), _article("a3", en, duplicate_of="a1")]
    transcripts = [_article("t1", "Rongcheng gives every resident 1,000 points under its social credit scheme.")]
    write_records(tmp_path / "articles.parquet", articles, Article)
    write_records(tmp_path / "transcripts.parquet", transcripts, Article)
    batches = []
    real_iter = io.iter_records
    monkeypatch.setattr(step, "iter_records", lambda path, kind, batch_rows=1: (
        batches.append(path.name) or real_iter(path, kind, batch_rows=1)))
    monkeypatch.setattr(io, "BATCH_ROWS", 1)
    retriever = EvidenceRetriever(load_facts())
    target = tmp_path / "claims.parquet"
    seen_total = []
    claims_step = ClaimsStep(DataDir(tmp_path / "data"), cues=CUES, retriever=retriever, target=target,
                             sources=[tmp_path / "articles.parquet", tmp_path / "transcripts.parquet"])
    claims_step.batch_rows = 1
    summary = run_step(claims_step, progress=lambda items, total, name: seen_total.append(total) or items)
    count = summary.records_out
    expected = mine_articles([articles[0], articles[1], transcripts[0]], CUES, retriever)
    def key(claims):  # scores are stored as float32
        return [(c.claim_id, c.article_id, c.text, c.cues, [e.fact_id for e in c.evidence_candidates]) for c in claims]

    assert key(read_records(target, Claim)) == key(expected) and count == len(expected) >= 4
    assert batches == ["articles.parquet", "transcripts.parquet"] and seen_total == [4]
    assert summary.records_in == 4 and summary.skipped["syndicated_copy"] == 1 and summary.records_out == count
    assert pq.ParquetFile(target).num_row_groups == count  # written a claim at a time, not gathered


def test_claims_stage_on_a_damaged_table_writes_nothing(tmp_path):
    from pipelines.claims import ClaimsStep
    from pipelines.kernel.io import DataDir, FrameCheckError
    from pipelines.kernel.step import run_step

    bad = tmp_path / "articles.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    target = tmp_path / "claims.parquet"
    with pytest.raises(FrameCheckError, match="articles.parquet"):
        run_step(ClaimsStep(DataDir(tmp_path / "data"), cues=CUES, retriever=EvidenceRetriever(load_facts()),
                            sources=[bad], target=target))
    assert not target.exists() and not list(tmp_path.glob(".claims*"))


def test_sentences_and_articles_in_other_languages_are_not_mined(tmp_path):
    """A Japanese sentence is not scored as Chinese, nor a Korean one as English; an article
    table written before the language check keeps its Japanese row out of the claims."""
    from pipelines.claims import ClaimsStep
    from pipelines.kernel.io import DataDir, write_records
    from pipelines.kernel.step import run_step

    ja = "社会信用システムでは、裁判所が2013年から判決を履行しない人のリストを公表している。"
    ko = "중국 법원은 2013년부터 판결을 이행하지 않는 사람들의 명단을 공개하고 있다."
    en = "By the end of 2018 courts had blocked 17.46 million flight-ticket purchases by judgment defaulters."
    candidates = mine_text("\n".join([en, ja, ko]), CUES, "en")
    assert [(c.text, c.language) for c in candidates] == [(en, "en")]
    write_records(tmp_path / "articles.parquet", [_article("a1", en), _article("a2", ja, "ja")], Article)
    summary = run_step(ClaimsStep(DataDir(tmp_path / "data"), cues=CUES, retriever=EvidenceRetriever(load_facts()),
                                  sources=[tmp_path / "articles.parquet"], target=tmp_path / "claims.parquet"))
    assert summary.skipped["language_unsupported"] == 1 and summary.records_out == 1
    logged = (tmp_path / "data" / "logs" / "claims.skips.jsonl").read_text(encoding="utf-8")
    assert '"reason": "language_unsupported:ja"' in logged and '"article_id": "a2"' in logged
