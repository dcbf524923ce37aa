"""Sentence segmentation with character offsets into the original text.

One splitter serves English, Chinese and mixed paragraphs:
- English ends a sentence at . ! ? followed by a space (or the end), with closing quotes and
  brackets kept, except after abbreviations, initials and list numbers, or before a
  lower-case word;
- Chinese ends a sentence at 。！？； (and at ! ? before a Chinese character), closing quotes
  「」“”‘’『』 and brackets kept with it, no space needed;
so an English quotation inside Chinese text, or a Chinese phrase inside English text,
splits where it should.

Speech without punctuation (auto-captions, `is_unpunctuated`) gets its own strategy:
`split_unpunctuated` scores every word gap as a clause boundary (discourse markers,
subject + verb openings, never after a function word) and picks the boundaries that
give claim-sized windows by dynamic programming. Chinese captions, which mark pauses with
spaces, are cut at those spaces the same way.

Offsets are always into the text given, so `text[start:end]` is the sentence."""

from __future__ import annotations

import re

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


def _paragraphs(text: str) -> list[Span]:
    spans, start = [], 0
    for match in re.finditer(r"\n+", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s]


_TOKEN_WINDOW = 64  # the last token before a stop is looked for in this many characters


def _false_stop(text: str, cursor: int, match: re.Match) -> bool:
    """A period that does not end an English sentence."""
    piece = text[cursor : match.end()].strip()
    if _LIST_MARKER.fullmatch(piece):
        return True  # "1." or "(b)" opening a list item
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
    return words >= 40 and marks < words / 40


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


def split_sentences(text: str, language: str = "en") -> list[Span]:
    """Sentence spans of a text, paragraph by paragraph (`language` is kept for callers;
    the splitter reads the script of each paragraph itself)."""
    spans: list[Span] = []
    for start, end in _paragraphs(text):
        start, end = _strip_marker(text, (start, end))
        if is_unpunctuated(text[start:end]):
            spans += split_unpunctuated(text, start, end)
        else:
            spans += split_punctuated(text, start, end)
    return spans
