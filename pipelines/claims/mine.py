"""Claim mining: sentences that talk about the SCS and assert something checkable, with a
check-worthiness score, context, sensational cue spans and evidence candidates.

Pure core: `mine_text` (text in, candidates out). `mine_articles` adds article metadata,
cue spans and evidence candidates. `ClaimsStep` is the stage's I/O edge: it streams the
articles and transcripts tables in and the claims table out, a batch at a time.

Check-worthiness (`checkworthiness`) is a transparent additive score over surface
signals, English and Chinese, each named in `_SIGNALS`: figures, dates, named actors,
event verbs, attribution and sweeping statements raise it (a sweeping statement about
the SCS is usually a checkable, and false, claim); opinion, evaluation, speculation,
questions, appeals, first-person narration and satire markers lower it. It ranks
candidates for annotators; it does not decide their labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Literal

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

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
from pipelines.kernel.topic import TOPIC_FILE, Topic, load_topic

CUES_FILE = PIPELINES_DIR / "claims" / "cues.yaml"
CUE_LABELS = ("dystopia_reference", "sweeping_generalization", "loaded_word", "benign_frame")
MIN_CHECKWORTHINESS = 0.2

# Terms that tie a sentence to the SCS wherever it stands: besides the topic's core and
# mechanism terms (weight >= 2), the Chinese words of dishonesty lists and credit records.
_STRONG_ZH = re.compile(r"失信|守信|诚信|誠信|黑名单|黑名單|红名单|紅名單|老赖|老賴|被执行人|被執行人|限高|征信|徵信|"
                        r"信用(分|体系|體系|记录|記錄|评价|評價|修复|修復|中国|中國|积分|積分|等级|等級|档案|檔案|惩戒|懲戒|"
                        r"监管|監管|承诺|承諾|代码|代碼|信息)")
# Words that tie a sentence to the SCS only in a text about it: out of context they are
# sports scores, bond ratings and trade blacklists.
_GENERIC_EN = re.compile(r"\b(social credit|credit (score|system|record|rating)s?|scores?|scored|blacklist(ed|s)?|redlists?|"
                         r"defaulters?|untrustworthy|trustworthiness|joint punishment)\b", re.I)
_GENERIC_ZH = re.compile(r"信用")

# Inside a document that is about the SCS, sentences refer back to it ("the scheme", "their
# points", "该名单"); these words then mark a sentence as talking about it.
_IN_CONTEXT_EN = re.compile(r"\b(schemes?|system|points?|grades?|graded|grading|ratings?|rated|rates|ranking|ranked|list|listed|"
                            r"bans?|banned|barred|barring|punish\w*|penali[sz]\w*|rewards?|rewarded|sanction\w*|restrict\w*|"
                            r"credit\w*|algorithm\w*|compulsory|mandatory|voluntary|opt-in|consent|flights?|flying|trains?|"
                            r"tickets?|debtors?|debts?|owe[ds]?|repa(y|id)\w*|fines?|records?|block\w*|pilots?|"
                            r"surveillance|monitor\w*|track\w*|"
                            r"behaviou?r)\b", re.I)
_IN_CONTEXT_ZH = re.compile(r"积分|積分|评分|評分|分数|分數|等级|等級|评级|評級|名单|名單|惩戒|懲戒|限制|奖励|獎勵|处罚|處罰|制度|"
                            r"体系|體系|系统|系統|机制|機制|修复|修復|乘坐|出行|机票|機票|火车票|高铁|高鐵|信息|平台|代码|代碼|打分|扣分|监控|監控")


def mentions_scs(sentence: str, topic: Topic, in_context: bool = False) -> bool:
    """Does the sentence talk about the SCS? in_context: the document as a whole is about it."""
    if _STRONG_ZH.search(sentence) or any(p.search(sentence) for p in _strong_patterns(topic, sentence)):
        return True
    return in_context and any(p.search(sentence) for p in (_GENERIC_EN, _GENERIC_ZH, _IN_CONTEXT_EN, _IN_CONTEXT_ZH))


def _strong_patterns(topic: Topic, sentence: str) -> list[re.Pattern]:
    """The topic's core and mechanism patterns whose term occurs in the sentence at all (a
    substring test first: a regex cannot match where its term's letters do not occur)."""
    folded = sentence.lower()
    return [p for p, w, term in topic.patterns
            if w >= 2 and (term.lower() in folded if p.flags & re.IGNORECASE else term in sentence)]


# --- Check-worthiness ------------------------------------------------------------------

_BASE = 0.35


def _en(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


# name → (weight, English pattern, Chinese pattern); each signal counts once per sentence.
_SIGNALS: dict[str, tuple[float, re.Pattern | None, re.Pattern | None]] = {
    "figure": (0.15, _en(r"\d|\b(million|billion|thousand|hundred|percent|per cent|dozens?|twice|half|one in)\b"),
               re.compile(r"\d|[０-９]|万|萬|亿|億|千|百分|[一二三四五六七八九十两]+(个|個|年|月|日|人|家|项|項|类|類|次|天|级|級|条|條)")),
    "date": (0.05, _en(r"\b(january|february|march|april|may|june|july|august|september|october|november|december|"
                       r"since|until|by the end of|last year|this year|in (19|20)\d\d)\b"),
             re.compile(r"\d+年|\d+月|\d+日|今年|去年|此前|目前|日前|近日|截至")),
    "actor": (0.10, _en(r"\b(court|courts|government|state council|beijing|ministry|bank|pboc|ndrc|alibaba|ant|sesame|"
                        r"rongcheng|xiamen|suzhou|shenzhen|huantai|city|cities|authorities|officials|law|regulations?|rules?|"
                        r"polic(y|ies)|list|system|platform|company|companies|firms?|businesses|pilots?|county|province|"
                        r"judges?|agenc(y|ies)|council|party|baihang|credit china)\b"),
              re.compile(r"法院|国务院|國務院|政府|发改委|發改委|人民银行|人民銀行|央行|部门|部門|名单|名單|系统|系統|平台|企业|企業|"
                         r"公司|规定|規定|办法|辦法|意见|意見|纲要|綱要|法|城市|市|县|縣|省|荣成|榮成|芝麻|蚂蚁|螞蟻|试点|試點")),
    "event": (0.10, _en(r"\b(launch(ed|es)?|issued?|publish(ed|es)?|announced?|introduced?|ban(s|ned)?|barred|block(s|ed)?|"
                        r"list(s|ed)|licen[cs]ed?|adopted|approved|designated|detained|removed|restrict(s|ed)?|requires?|"
                        r"required|cover(s|ed)?|range[sd]?|assigns?|gives?|given|receives?|received|carr(y|ies)|"
                        r"deducts?|lowers?|punish(es|ed)|penali[sz]ed|"
                        r"denied|prevented|withdrawn|signed|took effect|came into force|set up|rolled out|collects?|"
                        r"monitors?|tracks?|uses?|used)\b"),
              re.compile(r"发布|發布|印发|印發|公布|实施|實施|施行|推出|上线|上線|纳入|納入|列入|限制|禁止|签署|簽署|发放|發放|达到|達到|"
                         r"累计|累計|共有|显示|顯示|下降|增长|增長|取消|撤回|出台|开通|開通|扣|被")),
    "attribution": (0.05, _en(r"\b(according to|said|says|told|reported|data|figures|statistics|documents?|the plan|the rules)\b"),
                    re.compile(r"据|據|表示|介绍|介紹|显示|顯示|数据|數據|统计|統計|通报|通報|记者|記者")),
    "sweeping": (0.10, _en(r"\b(every|all|anyone|everyone|nobody|no one|each|entire|whole|always|never|any)\b"),
                 re.compile(r"所有|每个|每個|每一个|每一個|每位|全体|全體|任何|一律|全部|人人|都")),
    "opinion": (-0.30, _en(r"\b(i think|i believe|i feel|i suppose|in my (view|opinion)|imo|personally|we should|i would like|"
                           r"i like|i hate|i love|i don't trust)\b"),
                re.compile(r"我认为|我認為|我觉得|我覺得|我相信|我看|我们认为|我們認為|在我看来|希望|但愿|但願")),
    "evaluative": (-0.25, _en(r"\b(should|shouldn't|must|ought|deserves?|need to|it is time|wise|unwise|fool(ish)?|pity|welcome|"
                              r"troubling|unsettling|quaint|worrying|alarming|reassur\w*|hypocri\w*|disgrace\w*|travesty|"
                              r"ridiculous|absurd|shame(ful)?|disgusting|nonsense|insult|great idea|good idea|bad idea|"
                              r"good thing|bad thing|better than|worse than|powerful answer|nothing to fear|interesting|"
                              r"surprising(ly)?|legitimate|misleading|disingenuous|embarrassing|beneficial|sinister|"
                              r"sell out|overreach|necessary step|right to be|deserve)\b"),
                   re.compile(r"应该|應該|应当|應當|必须|必須|必将|必將|可以预见|可以預見|有力|重大举措|重大舉措|蔚然成风|蔚然成風|"
                              r"温度|溫度|实实在在|實實在在|真金白银|真金白銀|标志着|標誌著|意味着|意味著|完全是|所谓|所謂|"
                              r"无稽之谈|無稽之談|显然|顯然|挺好|很好|太好|可怕|伟大|偉大|真是|令人|傻|德行|懒得|懶得|"
                              r"定心丸|一步|成风|成風|何乐而不为|何樂而不為|值得|遗憾|遺憾")),
    "speculation": (-0.15, _en(r"\b(might|perhaps|probably|possibly|it is possible|is likely|are likely|likely to|seems?|"
                               r"appears? to|suggests?|whether|will soon|one day|could become|may well|gonna)\b"),
                    re.compile(r"可能|也许|也許|或许|或許|估计|估計|一定会|一定會|将会|將會|有望|似乎|恐怕|看来|看來")),
    "reported_opinion": (-0.15, _en(r"\b(critics|supporters|defenders|sceptics|skeptics|opponents|some (people|argue|say)|"
                                    r"many believe|commentators)\b"),
                         re.compile(r"有网友|有網友|网友|網友|有人认为|有人認為|批评者|批評者|支持者")),
    "first_person": (-0.20, _en(r"\b(i|my|me|mine|myself|i'm|i've|i'd)\b"),
                     re.compile(r"我(?![们們国國市省区區县縣])")),
    "satire": (-0.35, _en(r"\b(lol|lmao|rofl|yeah right|oh great|congratulations|what could possibly go wrong|see guys|"
                          r"definitely works|booboo)\b|/s\b|[\U0001F600-\U0001F64F\U0001F910-\U0001F92F\U0001F970-\U0001F97A]"),
               re.compile(r"哈哈|呵呵|调侃|調侃|吐槽|笑死|[\U0001F600-\U0001F64F\U0001F910-\U0001F92F]")),
    "question": (-0.25, _en(r"\?[\"'”’)\]]*\s*$|^(why|what if|is there|isn't it|do you|don't you|how can|how could)\b"),
                 re.compile(r"[?？][”’」』）)]*\s*$|难道|難道|是不是|吗[?？]|嗎[?？]|呢[?？]")),
    "appeal": (-0.20, _en(r"\b(please|let me know|subscribe|don't forget|make sure to|send this|wake (the \w+ )?up|"
                          r"stop using|imagine|think again|watch out)\b|!\s*$"),
               re.compile(r"请|請|让我们|讓我們|大家|一起|吧[。！!]?\s*$|！\s*$")),
}


def score_signals(sentence: str, language: str) -> dict[str, float]:
    """The signals that fire on a sentence, with their weights (for explanations and tests)."""
    zh = is_chinese(language)
    fired = {}
    for name, (weight, en, zh_pattern) in _SIGNALS.items():
        pattern = zh_pattern if zh else en
        if pattern is not None and pattern.search(sentence):
            fired[name] = weight
    length = len(re.findall(r"[\u3400-\u9fff]", sentence)) if zh else len(sentence.split())
    if length < (10 if zh else 6):
        fired["short"] = -0.20
    return fired


def checkworthiness(sentence: str, language: str) -> float:
    """A 0–1 score: facts, figures, actors and sweeping statements up; opinion, speculation,
    questions, appeals, first-person narration and satire down."""
    score = _BASE + sum(score_signals(sentence, language).values())
    return round(min(max(score, 0.0), 1.0), 3)


# --- Cues ------------------------------------------------------------------------------

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
        for pattern, label, lang in self.patterns:
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


def _term_pattern(term: str, lang: str) -> re.Pattern:
    term = term.translate(_QUOTE_FOLD)
    if lang == "en":
        return re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)", re.I)
    return zh_term_pattern(term)


@lru_cache(maxsize=4)
def load_cues(path: Path = CUES_FILE) -> CueLexicon:
    cues = load_config(path, CueFileModel).cues
    patterns = [(_term_pattern(term, lang), label, lang)
                for label in CUE_LABELS
                for lang, terms in getattr(cues, label).items()
                for term in terms]
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
    checkworthiness: float
    context_before: str
    context_after: str
    cues: tuple[CueSpan, ...]


def _paragraph_mentions(text: str, topic: Topic, in_context: bool) -> list[tuple[int, int, bool]]:
    return [(m.start(), m.end(), mentions_scs(m.group(0), topic, in_context)) for m in re.finditer(r"[^\n]+", text)]


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


def mine_text(text: str, topic: Topic, cues: CueLexicon, language: str | None = None,
              min_score: float = MIN_CHECKWORTHINESS, in_context: bool | None = None) -> list[Candidate]:
    """Candidate claims of one text. A sentence qualifies when it names the SCS or one of its
    mechanisms, or, in a text about the SCS, when its paragraph does (sentences refer back:
    "the scheme", "these lists"); and when its check-worthiness reaches min_score.

    in_context: whether the text is about the SCS; by default the topic decides on the text
    alone (an article's headline, which its text does not repeat, counts in mine_articles)."""
    language = language or detect_language(text)
    spans = split_sentences(text, language)
    if in_context is None:
        in_context = topic.is_relevant(text)
    paragraphs = _paragraph_mentions(text, topic, in_context)
    out = []
    for i, (start, end) in enumerate(spans):
        sentence = text[start:end]
        paragraph_ok = in_context and any(ps <= start < pe and ok for ps, pe, ok in paragraphs)
        if not (paragraph_ok or mentions_scs(sentence, topic)):
            continue
        lang = sentence_language(sentence, language)
        if language_skip_reason(lang):  # the check-worthiness signals are English and Chinese only
            continue
        score = checkworthiness(sentence, lang)
        if score < min_score:
            continue
        before = context_before(text[spans[i - 1][0] : spans[i - 1][1]]) if i > 0 else ""
        after = context_after(text[spans[i + 1][0] : spans[i + 1][1]]) if i + 1 < len(spans) else ""
        out.append(Candidate(start, end, sentence, lang, score, before, after, cues.find(sentence)))
    return out


def mine_articles(articles: list[Article], topic: Topic, cues: CueLexicon, retriever: EvidenceRetriever,
                  min_score: float = MIN_CHECKWORTHINESS, k: int = 5) -> list[Claim]:
    claims = []
    for article in articles:
        candidates = mine_text(article.text, topic, cues, article.language, min_score,
                               in_context=topic.is_relevant(article.text, article.title))
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
    imported transcripts, when there are any) → tables/claims.parquet. Articles are read and
    claims written a batch at a time, so memory holds one batch and the fact index, whatever
    the corpus size. Syndicated copies (duplicate_of set) carry the canonical text's sentences
    and are dropped, not mined."""

    name = "claims"
    source_type, target_type = Article, Claim

    def __init__(self, data: DataDir, min_score: float = MIN_CHECKWORTHINESS, k: int = 5, *,
                 topic: Topic | None = None, cues: CueLexicon | None = None, retriever: EvidenceRetriever | None = None,
                 sources: list[Path] | None = None, target: Path | None = None):
        super().__init__(data)
        self.min_score, self.k = min_score, k
        self._topic, self._cues, self._retriever = topic, cues, retriever
        self._sources, self._target = sources, target
        self.mined_from = 0

    def sources(self) -> list[Path]:
        if self._sources is not None:
            return self._sources
        transcripts = self.data.table("transcripts")  # imported videos and comments are mined like articles
        return [self.data.table("articles")] + ([transcripts] if transcripts.exists() else [])

    def target(self) -> Path:
        return self._target or self.data.table("claims")

    def inputs(self) -> list[Path]:
        return self.sources() + [CUES_FILE, FACTS_FILE, TOPIC_FILE]

    def params(self) -> dict:
        return {"min": self.min_score, "k": self.k}

    def run(self, ctx) -> None:
        self._topic = self._topic or load_topic()
        self._cues = self._cues or load_cues()
        self._retriever = self._retriever or EvidenceRetriever(load_facts())
        super().run(ctx)
        ctx.note(f"{ctx.summary.records_out} candidate claims from {self.mined_from} articles")

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
            yield from mine_articles([article], self._topic, self._cues, self._retriever, self.min_score, self.k)
