"""Claim mining: sentences that talk about the SCS and assert something checkable, with a
check-worthiness score, context, sensational cue spans and evidence candidates.

Pure core: `mine_text` (text in, candidates out). `mine_articles` adds article metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from pipelines.config import PIPELINES_DIR, Checker, load_yaml
from pipelines.language import detect_language, is_chinese
from pipelines.records import Article, Claim, CueSpan, EvidenceCandidate, Fact, claim_id_for
from pipelines.relevance import Topic
from pipelines.segment import split_sentences

CUES_FILE = PIPELINES_DIR / "cues.yaml"
CUE_LABELS = ("dystopia_reference", "sweeping_generalization", "loaded_word", "benign_frame")
MIN_CHECKWORTHINESS = 0.2

# Words that tie a sentence to the SCS even when the topic lexicon's strong terms are absent.
_GENERIC_EN = re.compile(r"\b(social credit|credit (score|system|record|rating)s?|scores?|scored|blacklist(ed|s)?|redlists?|"
                         r"defaulters?|untrustworthy|trustworthiness|joint punishment)\b", re.I)
_GENERIC_ZH = re.compile(r"信用|失信|守信|诚信|黑名单|红名单|老赖|被执行人|限高|征信")

# Check-worthiness signals. Positive: numbers, dates, named actors, quantities, factual verbs.
_NUMBER = re.compile(r"\d|million|billion|thousand|percent|万|亿|千|百分|[一二三四五六七八九十]+[年月日人]")
_ACTOR_EN = re.compile(r"\b(court|government|state council|beijing|ministry|bank|ndrc|alibaba|ant|sesame|rongcheng|city|cities|"
                       r"authorities|officials|law|regulation|rule|policy|list|system|platform|company|companies)\b", re.I)
_ACTOR_ZH = re.compile(r"法院|国务院|政府|发改委|人民银行|部门|名单|系统|平台|企业|公司|规定|办法|意见|法|城市|荣成|芝麻")
_FACT_VERB_EN = re.compile(r"\b(is|are|was|were|has|have|had|bans?|banned|barred|blocks?|blocked|restricts?|restricted|launched|"
                           r"issued|requires?|assigns?|gives?|lowers?|deducts?|lists?|listed|records?|cannot|can't|will be|uses?)\b", re.I)
_FACT_VERB_ZH = re.compile(r"是|有|被|已|将|禁止|限制|发布|纳入|实施|推出|上线|要求|扣|显示|达到|累计|共有")
# Negative: opinion, hedging, rhetorical questions, satire.
_OPINION_EN = re.compile(r"\b(i think|i believe|in my view|we should|should|must|ought|terrible|awesome|great|scary|"
                         r"i hope|i fear|let me know|what do you think|imagine|honestly|frankly|love|hate|disgusting)\b", re.I)
_OPINION_ZH = re.compile(r"我认为|我觉得|应该|应当|必须|难道|希望|令人|可怕|伟大|真是|怎么|吗[？?]|呢")
_SATIRE = re.compile(r"\b(lol|lmao|/s|yeah right|sure,|oh great|congratulations|what could possibly go wrong)\b|😂|🙃|哈哈", re.I)


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    text: str
    language: str
    checkworthiness: float
    context_before: str
    context_after: str
    cues: tuple[CueSpan, ...]


# Inside a document that is about the SCS, sentences refer back to it ("the scheme", "their
# points", "该名单"); these words then mark a sentence as talking about it.
_IN_CONTEXT_EN = re.compile(r"\b(schemes?|system|points?|grades?|graded|grading|ratings?|rated|rates|list|listed|bans?|banned|"
                            r"barred|barring|punish\w*|penalt\w*|rewards?|rewarded|sanction\w*|restrict\w*|credit\w*|algorithm\w*|"
                            r"compulsory|mandatory|voluntary|opt-in|consent|flights?|trains?|tickets?|debtors?|repay\w*)\b", re.I)
_IN_CONTEXT_ZH = re.compile(r"积分|评分|分数|等级|评级|名单|惩戒|限制|奖励|处罚|制度|体系|系统|机制|修复|乘坐|出行|机票|火车票|高铁|信息|平台|代码")


def mentions_scs(sentence: str, topic: Topic, in_context: bool = False) -> bool:
    """Does the sentence talk about the SCS? in_context: the document as a whole is about it."""
    if _GENERIC_EN.search(sentence) or _GENERIC_ZH.search(sentence):
        return True
    if any(w >= 2 and p.search(sentence) for p, w, _t in topic.patterns):
        return True
    return in_context and bool(_IN_CONTEXT_EN.search(sentence) or _IN_CONTEXT_ZH.search(sentence))


def checkworthiness(sentence: str, language: str) -> float:
    """A 0–1 score from surface signals: facts, figures and actors up; opinion, satire down."""
    zh = is_chinese(language)
    score = 0.3
    score += 0.2 if _NUMBER.search(sentence) else 0.0
    score += 0.15 if (_ACTOR_ZH if zh else _ACTOR_EN).search(sentence) else 0.0
    score += 0.15 if (_FACT_VERB_ZH if zh else _FACT_VERB_EN).search(sentence) else 0.0
    score -= 0.3 if (_OPINION_ZH if zh else _OPINION_EN).search(sentence) else 0.0
    score -= 0.35 if _SATIRE.search(sentence) else 0.0
    score -= 0.2 if sentence.rstrip().endswith(("?", "？")) else 0.0
    length = len(sentence) if zh else len(sentence.split())
    if length < (10 if zh else 6):
        score -= 0.2
    return round(min(max(score, 0.0), 1.0), 3)


# --- Cues ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CueLexicon:
    patterns: tuple[tuple[re.Pattern, str], ...]

    def find(self, text: str) -> tuple[CueSpan, ...]:
        spans = []
        for pattern, label in self.patterns:
            for m in pattern.finditer(text):
                spans.append(CueSpan(m.start(), m.end(), label, m.group(0)))
        # keep the longest span where spans overlap, so annotators see no stacked highlights
        spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
        kept: list[CueSpan] = []
        for span in spans:
            if kept and span.start < kept[-1].end:
                continue
            kept.append(span)
        return tuple(kept)


@lru_cache(maxsize=4)
def load_cues(path: Path = CUES_FILE) -> CueLexicon:
    check = Checker(path)
    doc = check.mapping(load_yaml(path), "(top)", required=("cues",))
    patterns = []
    for label, by_lang in check.mapping(doc["cues"], "cues").items():
        if label == "regex_patterns":
            for i, item in enumerate(check.sequence(by_lang, "cues.regex_patterns")):
                check.mapping(item, f"cues.regex_patterns[{i}]", required=("label", "pattern"))
                check.string(item["label"], f"cues.regex_patterns[{i}].label", choices=CUE_LABELS)
                patterns.append((re.compile(check.regex(item["pattern"], f"cues.regex_patterns[{i}].pattern").pattern, re.I), item["label"]))
            continue
        check.string(label, f"cues.{label}", choices=CUE_LABELS)
        for lang, terms in check.mapping(by_lang, f"cues.{label}").items():
            for term in check.sequence(terms, f"cues.{label}.{lang}"):
                term = check.string(str(term), f"cues.{label}.{lang}")
                if lang == "en":
                    patterns.append((re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)", re.I), label))
                else:
                    patterns.append((re.compile(re.escape(term)), label))
    return CueLexicon(tuple(patterns))


# --- Evidence candidates ---------------------------------------------------------------


class EvidenceRetriever:
    """Ranks facts for a claim by TF-IDF cosine over character n-grams of both statements.

    Character n-grams need no segmenter, so one index serves English and Chinese claims."""

    def __init__(self, facts: tuple[Fact, ...] | list[Fact]):
        self.fact_ids = [f.fact_id for f in facts]
        documents = [f"{f.title} {f.statement_en} {f.statement_zh}" for f in facts]
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, lowercase=True)
        self.matrix = self.vectorizer.fit_transform(documents)

    def top_k(self, texts: list[str], k: int = 5) -> list[tuple[EvidenceCandidate, ...]]:
        if not texts:
            return []
        scores = (self.vectorizer.transform(texts) @ self.matrix.T).toarray()
        results = []
        for row in scores:
            best = np.argsort(-row, kind="stable")[:k]
            results.append(tuple(EvidenceCandidate(self.fact_ids[i], round(float(row[i]), 4)) for i in best if row[i] > 0))
        return results


# --- Mining ----------------------------------------------------------------------------


def _paragraph_mentions(text: str, topic: Topic, in_context: bool) -> list[tuple[int, int, bool]]:
    return [(m.start(), m.end(), mentions_scs(m.group(0), topic, in_context)) for m in re.finditer(r"[^\n]+", text)]


def mine_text(text: str, topic: Topic, cues: CueLexicon, language: str | None = None,
              min_score: float = MIN_CHECKWORTHINESS) -> list[Candidate]:
    """Candidate claims of one text. A sentence qualifies when it names the SCS or one of its
    mechanisms, or, in a text about the SCS, when its paragraph does (sentences refer back:
    "the scheme", "these lists")."""
    language = language or detect_language(text)
    spans = split_sentences(text, language)
    in_context = topic.is_relevant(text)
    paragraphs = _paragraph_mentions(text, topic, in_context)
    out = []
    for i, (start, end) in enumerate(spans):
        sentence = text[start:end]
        paragraph_ok = in_context and any(ps <= start < pe and ok for ps, pe, ok in paragraphs)
        if not (paragraph_ok or mentions_scs(sentence, topic)):
            continue
        score = checkworthiness(sentence, language)
        if score < min_score:
            continue
        before = text[spans[i - 1][0] : spans[i - 1][1]] if i > 0 else ""
        after = text[spans[i + 1][0] : spans[i + 1][1]] if i + 1 < len(spans) else ""
        out.append(Candidate(start, end, sentence, language, score, before, after, cues.find(sentence)))
    return out


def mine_articles(articles: list[Article], topic: Topic, cues: CueLexicon, retriever: EvidenceRetriever,
                  min_score: float = MIN_CHECKWORTHINESS, k: int = 5) -> list[Claim]:
    claims = []
    for article in articles:
        candidates = mine_text(article.text, topic, cues, article.language, min_score)
        evidence = retriever.top_k([c.text for c in candidates], k)
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
