"""Claim mining: sentences that talk about the SCS and assert something checkable, with a
check-worthiness score, context, sensational cue spans and evidence candidates.

Pure core: `mine_text` (text in, candidates out). `mine_articles` adds article metadata,
cue spans and evidence candidates. `ClaimsStep` is the stage's I/O edge: it streams the
articles and transcripts tables in and the claims table out, a batch at a time.

A sentence's score (`Claim.checkworthiness`) is the learned probability that it is a
checkable claim about the SCS (`pipelines.claims.ranker`, trained by `framecheck claims
train`): its relevance to the SCS, from the sentence, its neighbours and its document, times
its check-worthiness, learned from human labels. The same number ranks the candidates and,
against the cut stored with the model, decides which sentences become candidates. It ranks
candidates for annotators; it does not decide their labels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Literal

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from pipelines.claims.ranker import PACKAGED_MODEL, ClaimRanker, SentenceScore, load_ranker, model_path_for
from pipelines.claims.segment import split_sentences
from pipelines.claims.zhwords import zh_term_pattern, zh_word_match
from pipelines.kernel.config import PIPELINES_DIR, ConfigModel, Regex, Text, load_config
from pipelines.kernel.facts import FACTS_FILE, load_facts
from pipelines.kernel.io import DataDir
from pipelines.kernel.records import (
    Article,
    Claim,
    CueSpan,
    EvidenceCandidate,
    Fact,
    claim_id_for,
)
from pipelines.kernel.step import Drop, RecordStep
from pipelines.kernel.text import detect_language, is_chinese, language_skip_reason

CUES_FILE = PIPELINES_DIR / "claims" / "cues.yaml"
CUE_LABELS = ("dystopia_reference", "sweeping_generalization", "loaded_word", "benign_frame")
# A "sentence" longer than this is a run of text the splitter could not cut (a page without
# punctuation): it is no claim an annotator could judge, and it is not scored.
MAX_CANDIDATE_CHARS = 1000


def claim_scores(sentences: list[str], ranker: ClaimRanker) -> list[SentenceScore]:
    """The one learned score of each sentence of a document, in order (pipelines.claims.ranker):
    the probability that it is a checkable claim about the SCS."""
    scored = [s if len(s) <= MAX_CANDIDATE_CHARS else "" for s in sentences]
    return ranker.score_sentences(scored)


# --- Cues ------------------------------------------------------------------------------

# Chinese characters, CJK punctuation (《》「」) and full-width forms: every Chinese cue term
# holds one of them, so a text without any cannot match a Chinese term
_CJK_OR_FULLWIDTH = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_QUOTE_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "＂": '"', "＇": "'"})


@dataclass(frozen=True)
class CueLexicon:
    """(pattern, label, language) in the order they are tried; a Chinese one matches only on
    jieba word boundaries (pipelines/claims/zhwords.py: 一步 does not fire inside 进一步)."""

    patterns: tuple[tuple[re.Pattern, str, str | None], ...]

    def find(self, text: str) -> tuple[CueSpan, ...]:
        """Cue spans with offsets into text. Curly quotes are matched as straight ones (the
        lexicon is written with ASCII apostrophes); the span text is the original's."""
        folded = text.translate(_QUOTE_FOLD)  # one character for one: offsets are unchanged
        spans = []
        has_chinese = _CJK_OR_FULLWIDTH.search(text) is not None
        for pattern, label, lang in self.patterns:
            if lang == "zh" and not has_chinese:
                continue  # a Chinese term cannot occur in a text without Chinese characters
            matches = zh_word_match(pattern, folded) if lang == "zh" else pattern.finditer(folded)
            for m in matches:
                if m.end() > m.start():
                    spans.append(CueSpan(m.start(), m.end(), label, text[m.start() : m.end()]))
        # keep the longest span where spans overlap, so annotators see no stacked highlights
        spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
        kept: list[CueSpan] = []
        for span in spans:
            if kept and span.start < kept[-1].end:
                continue
            kept.append(span)
        return tuple(kept)


CueTerms = dict[Literal["en", "zh"], list[Text]]  # literal strings, matched as whole words (zh: by jieba)


class RegexCueModel(ConfigModel):
    label: Literal[CUE_LABELS]
    lang: Literal["en", "zh"] | None = None
    pattern: Regex  # matched with re.IGNORECASE


class CuesModel(ConfigModel):
    """cues.<label>.<lang>: literal terms per label (fields in CUE_LABELS order, which is the
    order patterns are tried in); cues.regex_patterns: regexes for what literals cannot cover."""

    dystopia_reference: CueTerms = {}
    sweeping_generalization: CueTerms = {}
    loaded_word: CueTerms = {}
    benign_frame: CueTerms = {}
    regex_patterns: list[RegexCueModel] = []


class CueFileModel(ConfigModel):
    cues: CuesModel


def _english_terms_pattern(terms: list[str]) -> re.Pattern:
    """A label's English terms as one alternation, longest first: at each position the
    longest term wins, as the overlap rule of `CueLexicon.find` would pick it from separate
    patterns, and a sentence is scanned once per label instead of once per term."""
    folded = sorted({t.translate(_QUOTE_FOLD) for t in terms}, key=lambda t: (-len(t), t))
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in folded) + r")(?!\w)", re.I)


def _label_patterns(label: str, terms_by_lang: CueTerms) -> list[tuple[re.Pattern, str, str | None]]:
    patterns = []
    for lang, terms in terms_by_lang.items():
        if lang == "en" and terms:
            patterns.append((_english_terms_pattern(list(terms)), label, lang))
        elif lang == "zh":
            # one pattern a term: a match must sit on jieba's word boundaries, and a longer
            # term failing that check must not hide a shorter one at the same place
            patterns += [(zh_term_pattern(term.translate(_QUOTE_FOLD)), label, lang) for term in terms]
    return patterns


@lru_cache(maxsize=4)
def load_cues(path: Path = CUES_FILE) -> CueLexicon:
    cues = load_config(path, CueFileModel).cues
    patterns = [pattern for label in CUE_LABELS for pattern in _label_patterns(label, getattr(cues, label))]
    patterns += [(re.compile(item.pattern.pattern, re.I), item.label, item.lang) for item in cues.regex_patterns]
    return CueLexicon(tuple(patterns))


# --- Evidence candidates ---------------------------------------------------------------

# Chinese terms of the SCS and their English names in the fact base (and back), so that a
# claim in one language also finds the fact's statement in the other.
_ZH_TO_EN = (
    ("失信被执行人|失信被執行人|老赖|老賴", "judgment defaulters dishonest judgment debtors court list"),
    ("限制高消费|限制高消費|限高|限制消费令|限制消費令", "consumption restriction high consumption"),
    ("联合惩戒|聯合懲戒", "joint punishment"), ("联合激励|聯合激勵|守信激励|守信激勵", "joint incentives"),
    ("黑名单|黑名單", "blacklist"), ("红名单|紅名單", "redlist"), ("信用修复|信用修復", "credit repair"),
    ("芝麻信用|芝麻分", "Sesame Credit score"), ("统一社会信用代码|統一社會信用代碼", "Unified Social Credit Code"),
    ("信用中国|信用中國", "Credit China website"), ("社会信用体系|社會信用體系", "social credit system"),
    ("最高人民法院|最高法", "Supreme People's Court"), ("法院", "court"),
    ("飞机|飛機|机票|機票|乘机|乘機|禁飞|禁飛", "flights plane tickets"),
    ("火车|火車|高铁|高鐵|动车|動車|列车|列車|软卧|軟臥", "trains rail tickets"), ("荣成|榮成", "Rongcheng"), ("桓台", "Huantai"),
    ("白鹭分|白鷺分|厦门|廈門", "Xiamen Bailu score"), ("茉莉分|福州", "Fuzhou Moli score"),
    ("文明码|文明碼|苏州|蘇州", "Suzhou civility code"), ("深圳|闯红灯|闖紅燈", "Shenzhen jaywalking"),
    ("南京|诚信卡|誠信卡", "Nanjing trustworthy card"), ("百行征信|百行徵信", "Baihang Credit"),
    ("人民银行|人民銀行|央行", "People's Bank of China PBoC"), ("征信|徵信", "credit reporting"),
    ("子女|入学|入學|上学|上學|学校|學校|大学|大學", "children school university"),
    ("社会信用法|社会信用体系建设法|社會信用體系建設法", "social credit law draft"), ("纲要|綱要", "Planning Outline"),
    ("国务院|國務院", "State Council"), ("发改委|發改委|发展改革委|發展改革委", "NDRC"),
    ("公共信用综合评价|公共信用綜合評價", "comprehensive public credit evaluation"), ("刘虎|劉虎", "Liu Hu"),
    ("市场主体|市場主體|企业|企業", "market entities companies"), ("评分|評分|信用分|打分", "score"),
    ("试点|試點", "pilot"), ("备忘录|備忘錄", "memorandum"), ("名单|名單", "list"), ("人次", "person-times"),
    ("游戏|遊戲", "video games"),
)
_EN_TO_ZH = (
    (r"defaulter|judgment debtor|dishonest debtor|court (black)?list", "失信被执行人"),
    (r"consumption restriction|high consumption|luxury", "限制高消费"), (r"joint punishment", "联合惩戒"),
    (r"blacklist", "黑名单"), (r"redlist", "红名单"), (r"credit repair", "信用修复"), (r"sesame", "芝麻信用"),
    (r"credit code", "统一社会信用代码"), (r"credit china", "信用中国"), (r"supreme people's court", "最高人民法院"),
    (r"flight|plane|\bfly", "飞机"), (r"train|rail", "火车 高铁"), (r"rongcheng", "荣成"), (r"huantai", "桓台"),
    (r"xiamen", "厦门 白鹭分"), (r"suzhou|civility code", "苏州 文明码"), (r"shenzhen|jaywalk", "深圳 闯红灯"),
    (r"nanjing", "南京"), (r"baihang", "百行征信"), (r"people's bank|pboc|central bank", "人民银行"),
    (r"children|school|university|student", "子女 入学"), (r"social credit law", "社会信用法"),
    (r"planning outline|outline", "纲要"), (r"state council", "国务院"), (r"ndrc", "发改委"), (r"liu hu", "刘虎"),
    (r"pilot", "试点"),
)
_ZH_TO_EN_RE = tuple((re.compile(p), en) for p, en in _ZH_TO_EN)
_EN_TO_ZH_RE = tuple((re.compile(p, re.I), zh) for p, zh in _EN_TO_ZH)


def bilingual_query(text: str) -> str:
    """The claim plus the other language's names of the SCS terms it contains."""
    extra = [en for p, en in _ZH_TO_EN_RE if p.search(text)] + [zh for p, zh in _EN_TO_ZH_RE if p.search(text)]
    return " ".join([text, *extra])


class EvidenceRetriever:
    """Ranks facts for a claim by TF-IDF cosine over character n-grams (no segmenter needed).

    Two indexes are averaged: one over the fact statement in the claim's own language, and
    one over title and both statements, queried with the claim plus its terms translated
    by a small SCS glossary (`bilingual_query`). On the demo label key this finds a keyed
    fact in the top 5 for about 81% of English and 82% of Chinese claims (79% and 78%
    with the bilingual index alone)."""

    def __init__(self, facts: tuple[Fact, ...] | list[Fact]):
        self.fact_ids = [f.fact_id for f in facts]
        self.both = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, lowercase=True)
        self.both_matrix = self.both.fit_transform([f"{f.title} {f.statement_en} {f.statement_zh}" for f in facts])
        self.en = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, lowercase=True)
        self.en_matrix = self.en.fit_transform([f"{f.title} {f.statement_en}" for f in facts])
        self.zh = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, lowercase=True)
        self.zh_matrix = self.zh.fit_transform([f.statement_zh for f in facts])

    def scores(self, texts: list[str], languages: list[str] | None = None) -> np.ndarray:
        languages = languages or [detect_language(t) for t in texts]
        both = (self.both.transform([bilingual_query(t) for t in texts]) @ self.both_matrix.T).toarray()
        own = np.zeros_like(both)
        zh_rows = [i for i, lang in enumerate(languages) if is_chinese(lang)]
        en_rows = [i for i, lang in enumerate(languages) if not is_chinese(lang)]
        if zh_rows:
            own[zh_rows] = (self.zh.transform([texts[i] for i in zh_rows]) @ self.zh_matrix.T).toarray()
        if en_rows:
            own[en_rows] = (self.en.transform([texts[i] for i in en_rows]) @ self.en_matrix.T).toarray()
        return 0.5 * both + 0.5 * own

    def top_k(self, texts: list[str], k: int = 5, languages: list[str] | None = None) -> list[tuple[EvidenceCandidate, ...]]:
        if not texts:
            return []
        results = []
        for row in self.scores(texts, languages):
            best = np.argsort(-row, kind="stable")[:k]
            results.append(tuple(EvidenceCandidate(self.fact_ids[i], round(float(row[i]), 4)) for i in best if row[i] > 0))
        return results


# --- Mining ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    text: str
    language: str
    checkworthiness: float  # the one score: P(a checkable claim about the SCS)
    context_before: str
    context_after: str
    cues: tuple[CueSpan, ...]
    reasons: dict = field(default_factory=dict, compare=False)


def sentence_language(sentence: str, document_language: str) -> str:
    """A Chinese comment under an English video is Chinese, a Japanese or Korean one is
    Japanese or Korean; a sentence without letters (names' initials aside: figures,
    dates) has the document's language."""
    if not re.search(r"[^\W\d_]", sentence):
        return document_language
    return detect_language(sentence)


# A claim's context is the sentence before and the one after, as an annotator reads them. A
# "sentence" can be any length (a page of one unpunctuated run of text gave a claim a
# context of a million characters), so each side keeps at most this many characters: the
# ones nearest the claim, from a word boundary where there is one.
MAX_CONTEXT_CHARS = 600


def context_before(sentence: str, limit: int = MAX_CONTEXT_CHARS) -> str:
    """The end of the sentence before a claim, at most limit characters."""
    if len(sentence) <= limit:
        return sentence
    tail = sentence[-limit:]
    cut = tail.find(" ")
    return tail[cut + 1 :] if 0 <= cut < limit // 4 else tail


def context_after(sentence: str, limit: int = MAX_CONTEXT_CHARS) -> str:
    """The start of the sentence after a claim, at most limit characters."""
    if len(sentence) <= limit:
        return sentence
    head = sentence[:limit]
    cut = head.rfind(" ")
    return head[:cut] if cut > limit - limit // 4 else head


def mine_text(text: str, cues: CueLexicon, language: str | None = None, min_score: float | None = None,
              ranker: ClaimRanker | None = None, explain: bool = False) -> list[Candidate]:
    """Candidate claims of one text: its sentences whose learned score reaches the cut
    (min_score; by default the cut of the sentence's language, chosen on that language's dev set and stored with the model). Every
    sentence is scored with its neighbours and its document as context, so a sentence that
    refers back ("the scheme", "该名单") counts in a text about the SCS; sentences in a
    language other than English and Chinese are never candidates."""
    ranker = ranker or load_ranker()
    lowest_cut = min([ranker.cut, *ranker.cuts.values()]) if min_score is None else min_score
    language = language or detect_language(text)
    spans = split_sentences(text, language)
    sentences = [text[a:b] for a, b in spans]
    scores = claim_scores(sentences, ranker)
    out = []
    for i, ((start, end), sentence, score) in enumerate(zip(spans, sentences, scores)):
        if score.score < lowest_cut or not score.score or len(sentence) > MAX_CANDIDATE_CHARS:
            continue  # below every cut: no need to find its language
        lang = sentence_language(sentence, language)
        if language_skip_reason(lang):  # trained on English and Chinese only
            continue
        if score.score < (ranker.cut_for(lang) if min_score is None else min_score):
            continue  # each language has its own cut, chosen on its dev set
        before = context_before(sentences[i - 1]) if i > 0 else ""
        after = context_after(sentences[i + 1]) if i + 1 < len(spans) else ""
        reasons = ranker.reasons(sentence, score.prefilter, score.relevance, score.checkworthy) if explain else {}
        out.append(Candidate(start, end, sentence, lang, score.score, before, after, cues.find(sentence), reasons))
    return out


def mine_articles(articles: list[Article], cues: CueLexicon, retriever: EvidenceRetriever,
                  min_score: float | None = None, k: int = 5, ranker: ClaimRanker | None = None) -> list[Claim]:
    claims = []
    for article in articles:
        candidates = mine_text(article.text, cues, article.language, min_score, ranker)
        evidence = retriever.top_k([c.text for c in candidates], k, [c.language for c in candidates])
        for cand, ev in zip(candidates, evidence):
            claims.append(
                Claim(
                    claim_id=claim_id_for(article.article_id, cand.start, cand.end),
                    article_id=article.article_id,
                    start=cand.start,
                    end=cand.end,
                    text=cand.text,
                    context_before=cand.context_before,
                    context_after=cand.context_after,
                    language=cand.language,
                    checkworthiness=cand.checkworthiness,
                    outlet_id=article.outlet_id,
                    camp=article.camp,
                    published=article.published,
                    url=article.url,
                    cues=cand.cues,
                    evidence_candidates=ev,
                )
            )
    return claims


# --- The stage's I/O edge ----------------------------------------------------------------


class ClaimsStep(RecordStep):
    """`framecheck claims run`: every canonical article of the articles table (and of the
    imported transcripts and documents, when there are any) → tables/claims.parquet. Articles are read and
    claims written a batch at a time, so memory holds one batch and the fact index, whatever
    the corpus size. Syndicated copies (duplicate_of set) carry the canonical text's sentences
    and are dropped, not mined."""

    name = "claims"
    source_type, target_type = Article, Claim

    def __init__(self, data: DataDir, min_score: float | None = None, k: int = 5, *,
                 cues: CueLexicon | None = None, retriever: EvidenceRetriever | None = None,
                 ranker: ClaimRanker | None = None, sources: list[Path] | None = None, target: Path | None = None):
        super().__init__(data)
        self.min_score, self.k = min_score, k
        self._cues, self._retriever, self._ranker = cues, retriever, ranker
        self._sources, self._target = sources, target
        self.mined_from = 0

    def sources(self) -> list[Path]:
        if self._sources is not None:
            return self._sources
        return self.data.article_tables()  # imported transcripts, comments and documents are mined like articles

    def target(self) -> Path:
        return self._target or self.data.table("claims")

    def model_path(self) -> Path:
        """The data directory's refitted ranker when there is one, else the packaged one."""
        return self._ranker.path if self._ranker is not None and self._ranker.path else model_path_for(self.data.root)

    def inputs(self) -> list[Path]:
        return self.sources() + [CUES_FILE, FACTS_FILE, self.model_path()]

    def params(self) -> dict:
        return {"min": self.min_score, "k": self.k}

    def run(self, ctx) -> None:
        self._cues = self._cues or load_cues()
        self._retriever = self._retriever or EvidenceRetriever(load_facts())
        self._ranker = self._ranker or load_ranker(self.data.root)
        super().run(ctx)
        cuts = f"cut {self.min_score:.3f}" if self.min_score is not None else f"cuts {self._ranker.describe_cuts()}"
        ctx.note(f"{ctx.summary.records_out} candidate claims from {self.mined_from} articles "
                 f"(ranker {self.model_path()}, {cuts})")

    def process(self, batch: list[Article]) -> Iterator[Claim | Drop]:
        for article in batch:
            if article.duplicate_of:
                yield Drop("syndicated_copy", {"article_id": article.article_id, "duplicate_of": article.duplicate_of})
                continue
            unsupported = language_skip_reason(article.language)  # from a table written before the check
            if unsupported:
                yield Drop(unsupported, {"article_id": article.article_id})
                continue
            self.mined_from += 1
            yield from mine_articles([article], self._cues, self._retriever, self.min_score, self.k, self._ranker)
