"""The author's notable sentences: cheap salience features and keyword density, never page chrome or
a pointer to another post."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bot.essays.model import Quote
from bot.essays.quotes.marks import _DOUBLE_RE
from bot.essays.quotes.scan import _Found, _Unit
from bot.essays.text import STOPWORDS, sentences

# Salience features, looked up per lowercased word (phrases by substring): cheaper than a regex.
_CLAIM_WORDS = frozenset(
    """must never always cannot can't won't nothing nobody only every none wrong truth true false fail
    fails failed failure simply clear clearly fundamental fundamentally essential real matter matters
    should""".split()
)

_CLAIM_PHRASES = (
    "no one",
    "need to",
    "have to",
    "no longer",
    "the point",
    "the problem",
    "the question",
    "the lesson",
    "the answer",
    "the cost",
    "the price",
)

_CONTRAST_WORDS = frozenset("but yet however instead although though whereas while".split())

_SUPERLATIVE_WORDS = frozenset(
    """most least best worst greatest largest biggest smallest highest lowest deepest oldest newest
    strongest weakest richest poorest fastest slowest hardest simplest""".split()
)

_DIGIT_RE = re.compile(r"\d")

_TOKEN_RE = re.compile(r"[^\W\d_]{2,}(?:['\-][^\W\d_]+)*")

# Page chrome that slipped into the text: a notable is the author's words, never the page's.
_CHROME_RE = re.compile(
    r"^\s*(?:Posted\s+(?:by|on|at|in)\b|Labels?\s*:|Tags?\s*:|Filed\s+under\b|Categor(?:y|ies)\s*:|No\s+comments\b"
    r"|\d+\s+comments?\b|Post\s+a\s+comment\b|Leave\s+a\s+(?:comment|reply)\b|Share\s+(?:this|on|to|via)\b"
    r"|Email\s+(?:this|it)\b|Subscribe\s+(?:to|now)\b|(?:Newer|Older)\s+Posts?\b|Permalink\b|Continue\s+reading\b"
    r"|Read\s+(?:more|the\s+rest)\b|Like\s+this\b|Related\s+(?:posts?|articles?)\b|Powered\s+by\b|Copyright\b|©)",
    re.IGNORECASE,
)

# A sentence that points at another post rather than saying something: "See also my August 16th Rule of
# Law blog", "As I wrote last week, ...", "in a previous post", "click here".
_POST_WORDS = r"(?:post|posts|blog|essay|essays|piece|article|entry|column|series|rant)"

_REFERENCE_RE = re.compile(
    r"\b(?:see|read)\s+(?:also\s+)?(?:my|our|this|the|an?)\b[^.!?]{0,80}?\b" + _POST_WORDS + r"\b"
    r"|\b(?:as|what)\s+(?:I|we)\s+(?:have\s+)?(?:wrote|written|said|noted|argued|mentioned|discussed|explained|"
    r"pointed\s+out|blogged|posted|covered)\b"
    r"|\b(?:I|we)\s+(?:have\s+)?(?:wrote|written|blogged|posted)\s+(?:about|on|before|earlier|previously)\b"
    r"|\b(?:my|our|an?|the)\s+(?:earlier|previous|prior|recent|last|older)\s+" + _POST_WORDS + r"\b"
    r"|\b(?:my|our)\s+(?:[\w’'\-]+\s+){0,6}?" + _POST_WORDS + r"\s+(?:on|about|from|of)\b"
    r"|\b(?:previously|earlier|before)\s+on\s+this\s+(?:blog|site)\b|\bclick\s+here\b|\bsee\s+also\b"
    r"|\blink(?:ing|ed)?\s+(?:you\s+)?to\b|\b(?:write|writing)\s+(?:a|this)\s+" + _POST_WORDS + r"\b",
    re.IGNORECASE,
)

_WEB_ADDRESS_RE = re.compile(r"\b[\w\-]+\.(?:com|org|net|blogspot|wordpress|io|co\.uk)\b", re.IGNORECASE)

_DEICTIC_START_RE = re.compile(r"^(?:This|That|It|These|Those|He|She|They|Such|Here|There|His|Her)\b")

_CONJ_START_RE = re.compile(r"^(?:And|But|So|Or)\b")


@dataclass(slots=True)
class _Candidate:
    unit: int
    pos: int
    section: int
    text: str
    lowered: str  # lowercased, apostrophes straightened
    tokens: list[str]  # lowercased word tokens
    edge: bool = False  # first or last sentence of its section


def _notables(units: list[_Unit], consumed: set[int], author: str | None, limit: int) -> list[_Found]:
    """The author's most quotable sentences: cheap salience features plus keyword density."""
    if limit <= 0:
        return []
    by_section: dict[int, list[_Candidate]] = {}
    counts: Counter[str] = Counter()
    for index, unit in enumerate(units):
        if unit.kind in ("heading", "quote") or index in consumed:
            continue
        for pos, sentence in enumerate(sentences(unit.text)):
            lowered = sentence.lower().replace("’", "'")
            tokens = _TOKEN_RE.findall(lowered)
            counts.update(_content(tokens))
            candidate = _Candidate(index, pos, unit.section, sentence, lowered, tokens)
            by_section.setdefault(unit.section, []).append(candidate)
    candidates: list[_Candidate] = []
    for members in by_section.values():
        members[0].edge = True
        members[-1].edge = True
        candidates.extend(members)
    keywords = {word: count for word, count in counts.items() if count >= 2}
    top = max(keywords.values(), default=1)
    scored: list[tuple[float, _Candidate]] = []
    for candidate in candidates:
        score = _salience(candidate, keywords, top)
        if score > 0:
            scored.append((score, candidate))
    scored.sort(key=lambda pair: (-pair[0], pair[1].unit, pair[1].pos))
    # Checked best first, only as far as needed: the checks cost more than the scores.
    chosen: list[tuple[float, _Candidate]] = []
    for score, candidate in scored:
        if len(chosen) == limit:
            break
        if _quotable(candidate.text):
            chosen.append((score, candidate))
    return [
        _Found(c.unit, 10_000 + c.pos, Quote(c.text, "notable", c.section, author, round(score, 3)))
        for score, c in chosen
    ]


def _quotable(text: str) -> bool:
    """Not page chrome, and not a pointer to another post or page: those say nothing to quote."""
    return not (_CHROME_RE.match(text) or _REFERENCE_RE.search(text) or _WEB_ADDRESS_RE.search(text))


def _content(tokens: list[str]) -> list[str]:
    """Words that carry meaning, possessives folded ("county's" -> "county")."""
    return [token.removesuffix("'s") for token in tokens if token not in STOPWORDS]


def _salience(candidate: _Candidate, keywords: dict[str, int], top: int) -> float:
    text, lowered, tokens = candidate.text, candidate.lowered, candidate.tokens
    size = len(text.split())
    if size < 8 or size > 45 or text.endswith(":") or "http" in text or "www." in text:
        return 0.0
    if _DOUBLE_RE.search(text) or "‘" in text or not text[0].isupper():
        return 0.0  # quoted material, or a fragment
    score = 1.0 if 12 <= size <= 35 else 0.4
    claims = sum(1 for token in tokens if token in _CLAIM_WORDS)
    claims += sum(1 for phrase in _CLAIM_PHRASES if phrase in lowered)
    score += min(1.0, 0.5 * claims)
    score += 0.4 if any(token in _CONTRAST_WORDS for token in tokens) or "rather than" in lowered else 0.0
    score += 0.4 if any(token in _SUPERLATIVE_WORDS for token in tokens) else 0.0
    score += 0.3 if _DIGIT_RE.search(text) else 0.0
    score += 0.3 if candidate.edge else 0.0
    content = _content(tokens)
    if content:
        score += 1.5 * sum(keywords.get(word, 0) / top for word in content) / len(content)
    if _DEICTIC_START_RE.match(text):
        score -= 0.5
    elif _CONJ_START_RE.match(text):
        score -= 0.2
    if text.endswith("?"):
        score -= 0.2
    if "(" in text:
        score -= 0.2
    return max(score, 0.0)
