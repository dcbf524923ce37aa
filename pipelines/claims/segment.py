"""Sentence segmentation with character offsets into the original text.

`segment` cuts a text into sentences and says, for each one that is not a candidate for
claim mining, why (`Segment.drop`); `split_sentences` gives the spans of the others.

- English paragraphs are split by pysbd (a maintained rule-based splitter); paragraphs with
  Chinese characters by the splitter below: 。！？； (and ! ? before a Chinese character),
  closing quotes 「」“”‘’『』 and brackets kept with the sentence, no space needed, and for
  the English inside them . ! ? before a space, except after abbreviations and initials.
- Footnote markers and citation numbers ("…mainland China.20 As …", "[12]", "¹") are masked
  before splitting, so they end the sentence they follow and are never part of one.
- What is not prose is kept out by its shape, each with a reason a miner can log: reference
  lists and footnote lines, photo captions, bylines and credits, funding and
  acknowledgement lines, author bios at the start or end of a text, sentences repeated
  from earlier in the text (scraped captions repeat the body), and pieces without words.
  Datelines ("BEIJING (Reuters) -", "新华社北京3月5日电") are cut off the sentence they open.
- Lines hard-wrapped inside a paragraph (a line without a stop followed by one in lower
  case) are joined; other line breaks end a paragraph, and paragraphs are never joined.

Speech without punctuation (auto-captions, `is_unpunctuated`) gets its own strategy:
English boundaries come from a model learned on real debate transcripts with their
punctuation removed (pipelines/claims/boundaries.py), decoded into claim-sized windows by
dynamic programming (`decode_boundaries`). Without the model, and for Chinese captions
(which mark pauses with spaces; no Chinese speech corpus was at hand to learn from), the
clause-opener heuristic `split_unpunctuated` scores the gaps instead.

Offsets are always into the text given, so `text[start:end]` is the sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.claims.boundaries import (  # noqa: F401  (MIN_, MAX_SPEECH_WORDS: for callers)
    MAX_SPEECH_WORDS,
    MIN_SPEECH_WORDS,
    decode_boundaries,
    load_boundary_model,
    speech_word,
)

Span = tuple[int, int]

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "etc", "inc", "ltd", "co", "corp",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gen", "gov", "sen",
    "rep", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m", "approx", "dept", "al", "ed", "eds", "est", "govt", "lt",
    "col", "capt", "sgt", "rev", "hon", "messrs", "ave", "blvd", "cf",
}
_NUMBER_ABBREVIATIONS = {"no", "nos", "art", "para", "vol", "fig", "pp"}  # abbreviations only before a number
_CLOSERS = "\"'”’」』）)]】》"
_BOUNDARY = re.compile(
    r"(?P<zh>[。！？；]+|[!?]+(?=[\u3400-\u9fff]))[" + re.escape(_CLOSERS) + r"]*"
    r"|(?P<en>[.!?]+)[" + re.escape(_CLOSERS) + r"]*(?=\s|$|[\u3400-\u9fff])"
)
_SHORT_WORDS = {"it", "is", "me", "us", "up", "on", "in", "to", "do", "go", "so", "he", "we", "be", "by", "at", "as",
                "an", "am", "my", "or", "of", "oh", "ok", "hi", "ai", "tv"}
_LIST_MARKER = re.compile(r"\(?(\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})[.)]")
_LEADING_MARKER = re.compile(r"(\d{1,3}[.)]|[-•*·▪])\s+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


_TOKEN_WINDOW = 64  # the last token before a stop is looked for in this many characters


def _false_stop(text: str, cursor: int, match: re.Match) -> bool:
    """A period that does not end an English sentence."""
    if match.end() - cursor <= 8 and _LIST_MARKER.fullmatch(text[cursor : match.end()].strip()):
        return True  # "1." or "(b)" opening a list item (a marker is short: a long piece is never copied)
    # The token searches below look at the sentence's last characters only: over the whole
    # sentence they were quadratic in a long run of letters ("x" × 20,000 took 2.5 s).
    tail = text[max(cursor, match.end() - _TOKEN_WINDOW) : match.end()]
    if match.group("en") == ".":
        word = re.search(r"([\w.]+)\.[" + re.escape(_CLOSERS) + r"]*$", tail)
        token = word.group(1).lower() if word else ""
        if token in _NUMBER_ABBREVIATIONS:
            if re.match(r"\s*\d", text[match.end() :]):
                return True  # "No. 21"
        elif token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token) or re.fullmatch(r"([a-z]\.)+[a-z]", token):
            return True  # "Mr.", "J.", "U.S."
    following = text[match.end() : match.end() + 3].lstrip()
    if not following or not following[0].islower():
        return False
    # before a lower-case word, a period after a short or dotted token ("ca.", "Ph.D.") or an
    # ellipsis is not a stop; comments often start sentences in lower case, so others are
    if re.search(r"[" + re.escape(_CLOSERS) + r"]$", match.group(0)):
        return True  # '"Is it a score?" he asked.'
    before = re.search(r"(\S+?)[.!?]+[" + re.escape(_CLOSERS) + r"]*$", tail)
    token = before.group(1) if before else ""
    return match.group("en").startswith("..") or "." in token or (len(token) <= 2 and token.lower() not in _SHORT_WORDS)


def split_punctuated(text: str, start: int, end: int) -> list[Span]:
    spans, cursor = [], start
    for match in _BOUNDARY.finditer(text, start, end):
        if match.group("en") and _false_stop(text, cursor, match):
            continue
        span = _trim(text, cursor, match.end())
        if span:
            spans.append(span)
        cursor = match.end()
    tail = _trim(text, cursor, end)
    if tail:
        spans.append(tail)
    return spans


# --- Speech without punctuation ---------------------------------------------------------

_WORD = re.compile(r"\S+")
# Words that open a clause in speech, with how strongly they mark a boundary before them.
_OPENERS_EN = {
    "but": 3, "so": 3, "because": 3, "although": 3, "though": 2, "however": 3, "ultimately": 3, "meanwhile": 3,
    "therefore": 3, "anyway": 3, "whereas": 3, "unless": 2, "basically": 2, "actually": 1, "now": 2, "well": 2,
    "if": 2, "when": 2, "while": 2, "once": 1, "then": 1, "meaning": 2, "and": 1, "or": 0.5, "which": 1,
    "what": 1.5, "why": 1.5, "how": 1, "who": 0.5, "thanks": 3, "please": 2, "take": 1.5, "let's": 2,
    "it's": 2, "that's": 2, "there's": 2, "they're": 2, "you're": 2, "we're": 2, "i'm": 2, "he's": 2,
    "she's": 2, "here's": 2, "what's": 2, "i've": 2, "we've": 2, "they've": 2, "you've": 2, "don't": 1,
    "honestly": 3, "frankly": 3, "personally": 3, "under": 1, "on": 0.5, "in": 0.5, "even": 1, "also": 0.5,
    "plus": 2, "instead": 2, "otherwise": 2,
}
_SUBJECTS_EN = {"i", "you", "we", "they", "he", "she", "it", "there", "this", "these", "those", "people",
                "someone", "everyone", "nobody", "companies", "china", "beijing"}
_PREPOSITIONS_EN = {"in", "on", "under", "for", "at", "since", "after", "before", "during", "across", "throughout"}
_VERBISH_EN = {
    "is", "are", "was", "were", "has", "have", "had", "can", "could", "would", "will", "should", "might", "may",
    "must", "do", "does", "did", "don't", "doesn't", "didn't", "can't", "won't", "isn't", "aren't", "wasn't",
    "get", "gets", "got", "know", "think", "want", "wants", "need", "needs", "say", "says", "said", "see", "try",
    "use", "uses", "used", "just", "also", "really", "actually", "probably", "still", "all", "took", "take",
    "go", "goes", "went", "compared", "called", "calling", "call", "makes", "made", "seems", "means", "mean",
}
# after these a sentence cannot end: articles, prepositions, auxiliaries, possessives
_NO_END_EN = {
    "the", "a", "an", "of", "to", "in", "on", "at", "for", "with", "by", "from", "into", "about", "and", "or",
    "but", "my", "your", "their", "his", "her", "its", "our", "that", "which", "who", "very", "more", "most",
    "not", "no", "is", "are", "was", "were", "be", "been", "being", "can", "could", "would", "will", "should",
    "has", "have", "had", "do", "does", "did", "if", "so", "as", "than", "like", "such", "this", "these",
    "those", "some", "any", "every", "each", "all", "much", "many", "how", "what", "when", "where", "why",
    "because", "although", "i", "you", "we", "they", "he", "she", "it", "there", "just", "even", "also", "get",
}
_OPENERS_ZH = ("但是", "但", "所以", "因为", "因此", "如果", "而且", "其实", "不过", "然后", "另外", "比如", "例如",
               "我们", "他们", "你们", "这个", "那么", "首先", "其次", "最后", "总之", "同时", "可是", "虽然", "就是说")


def is_unpunctuated(text: str) -> bool:
    """Speech transcribed without sentence punctuation, too long to be one sentence."""
    if _CJK.search(text) and len(_CJK.findall(text)) * 2 > len(text.split()):
        cjk = len(_CJK.findall(text))
        return cjk >= 80 and not re.search(r"[。！？；，,]", text) and len(text.split()) >= 4
    words = len(text.split())
    marks = len(re.findall(r"[.!?;,。！？；，]", text))
    # at most one mark in 80 words: prose of long sentences has one in 20 to 40
    return words >= 40 and marks <= words / 80


def _gap_scores_en(words: list[str]) -> list[float]:
    """score[i]: how much a sentence boundary before words[i] looks like one."""
    lower = [w.lower().strip("\"'“”‘’()[],:") for w in words]
    scores = [0.0] * len(words)
    for i in range(1, len(words)):
        word, prev = lower[i], lower[i - 1]
        nxt = lower[i + 1] if i + 1 < len(words) else ""
        score = _OPENERS_EN.get(word, 0.0)
        if word in ("and", "or") and (nxt in _SUBJECTS_EN or nxt in _OPENERS_EN):
            score += 2
        if word in _SUBJECTS_EN and nxt in _VERBISH_EN:
            score += 2
        if word in _PREPOSITIONS_EN and i + 1 < len(words) and words[i + 1][:1].isupper() and words[i + 1] != "I":
            score += 1  # "On June 14 …", "in China …": captions capitalize names and dates
        if prev in _NO_END_EN:
            score -= 3
        scores[i] = score
    return scores


def _gap_scores_zh(pieces: list[str]) -> list[float]:
    scores = [0.0] * len(pieces)
    for i in range(1, len(pieces)):
        scores[i] = 1.0 + (2.0 if pieces[i].startswith(_OPENERS_ZH) else 0.0)
        if pieces[i - 1].endswith(("的", "和", "与", "在", "是", "把", "被", "对", "给", "从")):
            scores[i] -= 2
    return scores


_CUT_COST = 1.5  # a boundary must score above this (plus what it costs in length) to be taken


def _best_cuts(sizes: list[int], scores: list[float], low: int, high: int, target: int) -> list[int]:
    """Indices of units that start a new window: windows of low..high size units (a
    shorter one only at the end); each cut costs _CUT_COST minus its boundary score, each
    window the squared relative distance of its length from target."""
    n = len(sizes)
    prefix = [0]
    for size in sizes:
        prefix.append(prefix[-1] + size)
    inf = float("inf")
    best = [inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            length = prefix[j] - prefix[i]
            if length > high and j - i > 1:
                break
            if best[i] == inf or (length < low and j < n):
                continue
            cost = best[i] + ((length - target) / target) ** 2 + (_CUT_COST - scores[i] if i > 0 else 0.0)
            if cost < best[j]:
                best[j], back[j] = cost, i
    cuts, j = [], n
    while j > 0:
        cuts.append(back[j])
        j = back[j]
    return sorted(c for c in cuts if c > 0)


def split_unpunctuated(text: str, start: int = 0, end: int | None = None, min_words: int = 8, max_words: int = 40,
                       target_words: int = 18) -> list[Span]:
    """Claim-sized windows of speech without punctuation (see the module docstring)."""
    end = len(text) if end is None else end
    units = list(_WORD.finditer(text, start, end))
    if not units:
        return []
    chinese = bool(_CJK.search(text[start:end]))
    if chinese:
        # a caption piece longer than a window is cut into window-sized pieces
        pieces: list[tuple[int, int]] = []
        for m in units:
            for a in range(m.start(), m.end(), 50):
                pieces.append((a, min(a + 50, m.end())))
        words = [text[a:b] for a, b in pieces]
        sizes = [len(w) for w in words]
        cuts = _best_cuts(sizes, _gap_scores_zh(words), 10, 60, 30)
    else:
        pieces = [(m.start(), m.end()) for m in units]
        words = [m.group(0) for m in units]
        sizes = [1] * len(words)
        cuts = _best_cuts(sizes, _gap_scores_en(words), min_words, max_words, target_words)
    bounds = [0, *cuts, len(pieces)]
    return [(pieces[a][0], pieces[b - 1][1]) for a, b in zip(bounds, bounds[1:]) if b > a]


def _strip_marker(text: str, span: Span) -> Span:
    """'1. China persecutes …' → 'China persecutes …' (a list number is not part of a claim)."""
    match = _LEADING_MARKER.match(text, span[0], span[1])
    return (match.end(), span[1]) if match and match.end() < span[1] else span


# --- Speech: learned boundaries -------------------------------------------------------------

def split_speech(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence-sized windows of English speech without punctuation, from the learned model;
    the clause-opener heuristic when no model is installed."""
    model = load_boundary_model()
    end = len(text) if end is None else end
    if model is None:
        return split_unpunctuated(text, start, end)
    units = list(_WORD.finditer(text, start, end))
    if not units:
        return []
    words = [speech_word(m.group(0)) or m.group(0) for m in units]
    cuts = [i + 1 for i in decode_boundaries(model.probabilities(words))]
    bounds = [0, *cuts, len(units)]
    return [(units[a].start(), units[b - 1].end()) for a, b in zip(bounds, bounds[1:]) if b > a]


# --- What is not prose -----------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """A sentence span; drop names why it is not a claim candidate (None: it is one)."""

    start: int
    end: int
    drop: str | None = None


def _any(*patterns: str, flags: int = re.I) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


# Footnote markers and citations, masked (replaced by spaces) before splitting: a number glued
# to the stop it follows ("China.20 As"), bracketed or caret references, superscript digits.
_FOOTNOTE_AFTER_STOP = re.compile(r"(?<=[^\W\d_][.!?])([\"'”’)\]]*)(\d{1,3}(?:[,–-]\d{1,3})*)(?=\s+[\"“‘(]?[A-Z]|\s*$)")
_CITATION = re.compile(r"\[\^?\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\]|\[citation needed\]|[¹²³⁴⁵⁶⁷⁸⁹⁰]+")

_REFERENCE_HEADING = re.compile(r"#*\s*(references|bibliography|works cited|sources|notes|endnotes|footnotes|"
                                r"further reading|citations|参考文献|注释)\s*:?\s*", re.I)
_NUMBERED = re.compile(r"\s*(\[\d{1,3}\]|\^?\d{1,3}[.)]|\d{1,3}\s)\s*|\s*[-•*·▪]\s+")
# what a bibliographic entry holds; a list item of prose holds none or one of these
_CITATION_EVIDENCE = (
    re.compile(r"[\"“][^\"“”]{3,}[,.]?[\"”],?\s+[A-Z(]"),  # a quoted title followed by its source
    re.compile(r"\bet al\b|\bibid\b|\bop\. cit\b|\b(retrieved|accessed|available) (from|at|on)\b", re.I),
    re.compile(r"https?://|www\.|\bdoi\b", re.I),
    re.compile(r"\b(pp?|vol|no)\.\s*\d", re.I),
    re.compile(r"\((19|20)\d\d[a-z]?\)|,\s*(19|20)\d\d\.?\s*$"),
    re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December) "
               r"\d{1,2}, (19|20)\d\d\b"),
    re.compile(r"\b(Press|Journal|Review|Quarterly|Times|Post|Express|News|Magazine|Inquiry|Institute|Daily|Herald|"
               r"Tribune|Guardian|Economist|Reuters|Bloomberg)\b([,.;]|\s*$)"),
)
_IBID = re.compile(r"\b(ibid|op\. cit|loc\. cit)\b", re.I)
_APA_ENTRY = re.compile(r"[A-Z][\w'’-]+, ([A-Z]\.\s?){1,3}.{0,200}\((19|20)\d\d[a-z]?(, \w+ \d+)?\)\.")

_CAPTION = _any(r"^(photo|photograph|image|picture|pictured|caption|illustration|video|above|below|top|inset|left|right)"
                r"\s*(\(\w+\))?\s*:",
                r"\b(getty images|shutterstock|afp via getty|ap photo|reuters/[a-z]|/reuters\b|epa-efe|xinhua/|"
                r"photo by|photo credit|photo courtesy|image copyright|image caption|file (photo|picture))\b",
                r"\[(photo|photos|video)\b[^\]]{0,60}\]\s*$",  # China Daily: "[Photo/Xinhua]", "[Photo by X / China Daily]"
                r"^the (file )?(picture|photo|photograph|image)s? (taken|shown|above|below|shows?)\b",
                r"\b(is|are|was|were) pictured (\w+ing|in|at|on|with|outside|inside|during|after|before)\b")
_PHOTO_CREDIT = re.compile(r"(?<![A-Za-z])[A-Z][a-z]+( [A-Z][a-z]+){0,2}\s*/\s*(China Daily|Xinhua|For China Daily|Agencies)\s*$")
_CAPTION_ZH = re.compile(r"^(图为|圖為|图片来源|圖片來源|资料图|資料圖|图[：:]|圖[：:])|[（(][^（()）]{0,30}摄[）)]\s*$")
_BYLINE = _any(r"^(?i:by|written by|posted by|reporting by|report by|editing by|additional reporting by)\s+"
               r"[A-Z][\w.'’-]*(\s+(and\s+|&\s+)?[A-Z][\w.'’-]*){0,6}([,;|]\s*.{0,60})?$",
               r"^(?i:published|updated|last updated|posted|first published)\s*:?\s.{0,60}\d.{0,40}$",
               r"^\(?(?i:reporting by|editing by|writing by)\b.{0,120}\)?$", flags=0)  # names: capitalised
_BYLINE_ZH = re.compile(r"^[（(]?(视频编辑|視頻編輯|文字编辑|文字編輯|责任编辑|責任編輯|编辑|編輯|记者|記者|通讯员|通訊員|来源|來源)[：:]")
_FUNDING = _any(r"\b(research|work|study|article|paper|project|report|essay|publication)\b.{0,40}"
                r"\b(was|is|has been|were)\s+(partly |partially |generously )?(funded|supported|financed|sponsored) by\b",
                r"\b(grant|fellowship|award) (no\.|number|nos\.)", r"\bfunding (was )?(provided|received) (by|from)\b",
                r"^(acknowledge?ments?|funding|disclosure statement|conflicts? of interest)\b",
                r"\b(the authors?|we|i) (would like to |wish to )?(thank|are grateful to|is grateful to|am grateful to)\b",
                r"\bdeclares? no (competing|conflicts?)\b", r"\bthe views expressed (here|in this)\b")
_AUTHOR_BIO = re.compile(
    r"^[A-Z][\w.'’-]+(\s+[A-Z][\w.'’-]+){0,4},?\s+(is|was|has been|is currently)\s+(a|an|the)\s+([\w-]+\s+){0,4}"
    r"(professor|lecturer|fellow|researcher|scholar|student|candidate|journalist|correspondent|reporter|editor|"
    r"writer|author|director|analyst|columnist|contributor|founder)\b.{0,80}\b(at|of|with|for|in)\s+(the\s+)?[A-Z]")
_BIO_PARAGRAPHS = 2  # a bio opens or closes a text: only the first and last paragraphs are checked

_DATELINE = re.compile(r"[A-Z][A-Z.'’ -]{1,40}[A-Z.](,\s+[A-Z][a-z]{2,9}\.?\s+\d{1,2})?\s*"
                       r"(\((Reuters|AP|AFP|Xinhua|Bloomberg|CNN|UPI|dpa|AFP-JIJI|Kyodo|Yonhap)\))?\s*(-{1,2}|–|—)\s+"
                       r"|\((Reuters|AP|AFP|CNN|Xinhua)\)\s*(-{1,2}|–|—)\s+")
_DATELINE_ZH = re.compile(r"(新华社|新華社|中新社|人民网|人民網)[^，。：]{0,20}电([（(][^）)]{0,30}[）)])?\s*|"
                          r"[^，。：\n]{0,20}(消息|報道|报道)\s*([（(][^）)]{0,20}[）)])?[：:]\s*")


def _mask_citations(text: str) -> str:
    """The text with footnote markers and citation numbers replaced by spaces, one for one, so
    a splitter sees them as gaps and offsets into it are offsets into the text."""
    def blank(match: re.Match, group: int = 0) -> str:
        return match.group(0)[: match.start(group) - match.start()] + " " * (match.end(group) - match.start(group))

    def footnote(match: re.Match) -> str:
        word = re.search(r"(\w+)[.!?][\"'”’)\]]*$", text[max(0, match.start() - 12) : match.start()])
        if word and word.group(1).lower() in _NUMBER_ABBREVIATIONS:
            return match.group(0)  # "No.21" is a number, not a footnote
        return blank(match, 2)

    masked = _FOOTNOTE_AFTER_STOP.sub(footnote, text)
    return _CITATION.sub(lambda m: " " * len(m.group(0)), masked)


def _reference_entry(line: str) -> bool:
    """A footnote or bibliography line: numbered or bulleted, holding at least two marks of a
    citation (a quoted title and its source, a year in brackets, pages, an URL, "et al."), or
    an author-year entry."""
    if _APA_ENTRY.match(line):
        return True
    if not _NUMBERED.match(line):
        return False
    if _IBID.search(line):
        return True  # "35. Ibid., p. 4": only notes say that
    return sum(bool(p.search(line)) for p in _CITATION_EVIDENCE) >= 2


def _line_reason(line: str, index: int, count: int) -> str | None:
    """Why a whole paragraph is not prose, or None."""
    if _reference_entry(line):
        return "reference"
    if _BYLINE.match(line) or _BYLINE_ZH.match(line):
        return "byline"
    if (index < _BIO_PARAGRAPHS or index >= count - _BIO_PARAGRAPHS) and _AUTHOR_BIO.match(line):
        return "author_bio"
    return None


_MAX_FURNITURE_CHARS = 1000  # captions, credits and funding lines are short: a page-long "sentence" is not one


def _sentence_reason(sentence: str, seen: set[str]) -> str | None:
    """Why a sentence is not a claim candidate, or None (seen: the sentences before it)."""
    if not re.search(r"[^\W\d_]", sentence):
        return "no_words"
    if len(sentence) <= _MAX_FURNITURE_CHARS:
        if _CAPTION.search(sentence) or _PHOTO_CREDIT.search(sentence) or _CAPTION_ZH.search(sentence):
            return "caption"
        if _FUNDING.search(sentence):
            return "funding"
        if _BYLINE_ZH.match(sentence):
            return "byline"
    key = re.sub(r"\W+", " ", sentence).strip().lower()
    if len(key) >= (8 if _CJK.search(key) else 20) and key in seen:  # short ones ("Thank you.") recur by chance
        return "repeated"
    seen.add(key)
    return None


def _skip_dateline(text: str, span: Span) -> Span:
    match = _DATELINE.match(text, span[0], span[1]) or _DATELINE_ZH.match(text, span[0], span[1])
    return (match.end(), span[1]) if match and match.end() < span[1] else span


# --- Splitting prose --------------------------------------------------------------------------

_PYSBD_MAX_CHARS = 20_000  # pysbd's regexes grow slow on a giant paragraph: those take the splitter above


# pysbd builds its abbreviation regexes from strings as it goes, about 300 distinct patterns
# for an ordinary article and 1,100 over the 13 en-scs-texts documents, and leaves them to the
# re module's cache of compiled patterns. numpy before 2.4.5 shrinks that cache to 50 when
# numpy.f2py is imported (numpy gh-31104, fixed by PR #31105), and scipy's array-API shim
# imports it whenever scikit-learn loads; with 50 (or the default 512) every pattern is
# dropped before it is asked for again and recompiled, which was 60% of English mining time.
# numpy cannot move past 2.2 here (label-studio-sdk 2.1 pins opencv 4.12, which pins
# numpy < 2.3), so the cache is set back to a size that holds pysbd's patterns.
PYSBD_RE_CACHE = 4096


def _hold_pysbd_patterns() -> None:
    """Called before each pysbd call: numpy.f2py may be imported at any time after the first."""
    if getattr(re, "_MAXCACHE", PYSBD_RE_CACHE) < PYSBD_RE_CACHE:
        re._MAXCACHE = PYSBD_RE_CACHE


@lru_cache(maxsize=1)
def _pysbd():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


_SEPARATOR = "\n\n"


def _split_english(text: str, paragraphs: list[Span]) -> list[list[Span]]:
    """pysbd's sentences of each paragraph. pysbd is called once for all of them, joined by
    blank lines (it compiles regexes on every call: a call a paragraph was ten times slower),
    and its pieces are located in text, cut at the paragraph breaks."""
    joined = _SEPARATOR.join(text[a:b] for a, b in paragraphs)
    origins, offset = [], 0  # where each paragraph starts in joined
    for a, b in paragraphs:
        origins.append(offset)
        offset += b - a + len(_SEPARATOR)
    pieces, cursor = [], 0
    _hold_pysbd_patterns()
    for piece in _pysbd().segment(joined) if joined else []:
        stripped = piece.strip()
        found = joined.find(stripped, cursor) if stripped else -1
        if found < 0:
            continue  # pysbd changed the text (it does not with clean=False): the gap stays in the next piece
        pieces.append((found, found + len(stripped)))
        cursor = found + len(stripped)
    out: list[list[Span]] = []
    first = 0  # pieces are in order: each paragraph's start from where the previous one's ended
    for (a, b), origin in zip(paragraphs, origins):
        while first < len(pieces) and pieces[first][1] <= origin:
            first += 1
        inside = []
        for x, y in pieces[first:]:
            if x >= origin + b - a:
                break
            inside.append((max(x, origin), min(y, origin + b - a)))
        spans = [s for s in (_trim(text, a + x - origin, a + y - origin) for x, y in inside) if s]
        covered = spans[-1][1] if spans else a
        rest = _trim(text, covered, b)  # what pysbd left out of its pieces
        out.append([piece for span in _rejoin_abbreviations(text, spans + ([rest] if rest else []))
                    for piece in _split_long(text, span)])
    return out


_LONG_SENTENCE_WORDS = 60


def _split_long(text: str, span: Span) -> list[Span]:
    """pysbd keeps a quotation of several sentences whole ("… satisfaction. Particularly …"");
    a claim is one sentence, so a piece past 60 words is split at its own stops."""
    if len(text[span[0] : span[1]].split()) <= _LONG_SENTENCE_WORDS:
        return [span]
    return split_punctuated(text, *span)


def _rejoin_abbreviations(text: str, spans: list[Span]) -> list[Span]:
    """pysbd ends a sentence at "approx." before a lower-case word; an abbreviation there is not a stop."""
    joined: list[Span] = []
    for span in spans:
        if joined:
            before = text[joined[-1][0] : joined[-1][1]]
            last = re.search(r"([\w.]+)\.$", before)
            if last and last.group(1).lower() in _ABBREVIATIONS and text[span[0]].islower():
                joined[-1] = (joined[-1][0], span[1])
                continue
        joined.append(span)
    return joined


def _soft_wrapped(text: str, newline: re.Match) -> bool:
    """A single line break inside a sentence (text hard-wrapped at a column): the line before
    has no stop at its end and the next starts in lower case."""
    if newline.group(0).count("\n") > 1:
        return False
    line_start = text.rfind("\n", 0, newline.start()) + 1
    before = text[line_start : newline.start()].rstrip()
    after = text[newline.end() : newline.end() + 1]
    return len(before) >= 30 and not re.search(r"[.!?:;。！？；]$", before) and after.islower()


def _paragraphs(text: str) -> list[Span]:
    spans, start = [], 0
    for match in re.finditer(r"[ \t]*\n\s*", text):
        if _soft_wrapped(text, match):
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s]


def _pieces(length: int, spans: list[Span]) -> list[Span]:
    """The spans and the gaps between them, in order, covering 0..length."""
    out, cursor = [], 0
    for a, b in spans:
        out += [(cursor, a), (a, b)] if a > cursor else [(a, b)]
        cursor = b
    return out + ([(cursor, length)] if length > cursor else [])


def _chunks(indices: list[int], spans: list[Span], limit: int = _PYSBD_MAX_CHARS) -> list[list[int]]:
    """Paragraphs in groups of up to `limit` characters, for one pysbd call each: pysbd compiles
    regexes on every call, and locates its sentences by searching the whole text it was given
    (quadratic in a long text of repeated lines)."""
    chunks: list[list[int]] = []
    size = limit
    for index in indices:
        length = spans[index][1] - spans[index][0]
        if size + length > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(index)
        size += length
    return chunks


def _is_pysbd_prose(text: str, start: int, end: int) -> bool:
    return not _CJK.search(text, start, end) and end - start <= _PYSBD_MAX_CHARS and not is_unpunctuated(text[start:end])


def _split_other(text: str, masked: str, start: int, end: int) -> list[Span]:
    """Paragraphs pysbd does not take: speech without punctuation, Chinese or mixed text, giants."""
    if is_unpunctuated(text[start:end]):
        if _CJK.search(text, start, end):
            return split_unpunctuated(text, start, end)
        return split_speech(text, start, end)
    return split_punctuated(masked, start, end)


def segment(text: str, language: str = "en") -> list[Segment]:
    """Every sentence of a text, paragraph by paragraph, with the reason it is not a claim
    candidate where it is not (see the module docstring). `language` is kept for callers:
    the splitter reads the script of each paragraph itself."""
    paragraphs = _paragraphs(text)
    masked = _mask_citations(text)
    if "\n" in text:  # a line break left inside a paragraph is a hard wrap: the splitters see a space
        inside = set(paragraphs)
        masked = "".join(masked[a:b].replace("\n", " ") if (a, b) in inside else masked[a:b]
                         for a, b in _pieces(len(text), paragraphs))
    reasons: list[str | None] = []
    in_references = False
    for index, (start, end) in enumerate(paragraphs):
        if _REFERENCE_HEADING.fullmatch(text, start, end):
            in_references = True  # everything after a "References" heading is the list
        reasons.append("reference" if in_references else _line_reason(text[start:end], index, len(paragraphs)))
    bodies = [_strip_marker(text, span) for span in paragraphs]
    english = [i for i, (a, b) in enumerate(bodies) if reasons[i] is None and _is_pysbd_prose(text, a, b)]
    english_spans: dict[int, list[Span]] = {}
    for chunk in _chunks(english, bodies):
        english_spans.update(zip(chunk, _split_english(masked, [bodies[i] for i in chunk])))
    out: list[Segment] = []
    seen: set[str] = set()
    for index, (start, end) in enumerate(paragraphs):
        if reasons[index]:
            out.append(Segment(start, end, reasons[index]))
            continue
        spans = english_spans.get(index) or _split_other(text, masked, *bodies[index])
        for span in spans:
            span = _skip_dateline(text, _trim(masked, *span) or span)
            out.append(Segment(*span, _sentence_reason(text[span[0] : span[1]], seen)))
    return out


def split_sentences(text: str, language: str = "en") -> list[Span]:
    """The spans of the sentences that are claim candidates (`segment` says why the others are not)."""
    return [(s.start, s.end) for s in segment(text, language) if s.drop is None]
