"""Quotation marks: pairing straight and curly, double and single marks into spans, the sentence
bounds around them, and the text inside them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_Family = Literal["double", "single"]

_DOUBLE_RE = re.compile(r"[\"“”„«»]")

_SINGLE_RE = re.compile(r"['‘’]")

_DOUBLE_MARKS = '"“”„«»'

_OPEN_GLYPHS = "“„«‘"

_OPENING_MARKS = "\"'“„«‘"

_CLOSE_GLYPHS = "”»’"

# A mark preceded by one of these (or by a space) is in opening position.
_OPEN_PUNCT = "([{—–-/\u00a0"

# A mark followed by one of these (or by a space) is in closing position.
_CLOSE_PUNCT = ".,;:!?)]}—–…-"

# ’90s, 'tis, 'em, 'til: a leading apostrophe that elides letters, not an opening quote.
_ELISION_RE = re.compile(r"(?:\d\ds?|\d0s|tis|twas|em|til|cause|bout|n|net|round|fraid|nother)\b", re.IGNORECASE)

_SMALL_TITLE_WORDS = frozenset("a an and as at but by for from in into of on or the to vs with".split())

_SENT_END_RE = re.compile(r"[.!?…]+(?=\s|$)")

_ABBREVIATIONS = frozenset(
    """
    mr mrs ms mx dr prof sen rep gov gen lt col capt sgt st jr sr inc corp co ltd no vs etc e.g i.e
    u.s u.k jan feb mar apr jun jul aug sep sept oct nov dec mt ft rev hon pres atty dept univ approx
    fig vol pp ed al cf
    """.split()
)

# A closing single mark that may be a plural possessive ("voters' ") ends at most this many words.
_SUSPECT_CLOSE_WORDS = 12

_UNCLOSED_START_WORDS = 120  # a paragraph that opens with a mark and lost its closing one

_UNCLOSED_MID_WORDS = 40  # a stray mark inside a paragraph

# A block quote whose words are at least this share quoted speech is read as its quotations, not as one.
_MOSTLY_QUOTED = 0.6


@dataclass(slots=True)
class _Span:
    """A quotation in a text: ``start`` is its opening mark, ``stop`` the index after it ends."""

    start: int
    inner_start: int
    inner_end: int
    stop: int
    closed: bool


# HTML tags that leaked into the text (an editor's raw <a title="..." href="...">): their attribute
# values are in quotation marks, and nobody's words.
_LEAKED_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")


def _without_markup(text: str) -> str:
    """The text as prose: leaked tags out, doubled apostrophes read as the double marks they stand for."""
    text = _doubled_apostrophes_as_marks(text)
    if "<" not in text:
        return text
    return " ".join(_LEAKED_TAG_RE.sub(" ", text).split())


# Two straight apostrophes standing for one double mark (''like this''), as some newspapers' plain-text
# archives write them; three or more are something else (docstrings, wiki bold).
_DOUBLED_APOSTROPHES_RE = re.compile(r"(?<!')''(?!')")


def _doubled_apostrophes_as_marks(text: str) -> str:
    """Read ``''`` as a double mark where it stands at a word's edge, as quotation marks do.

    Only when the text holds at least two of them (an opening and a closing one), and never
    between spaces or after a digit: an empty string in code (``x = ''``) or a double prime (5'2'').
    """
    if "''" not in text:
        return text
    size = len(text)
    edges: list[int] = []
    for match in _DOUBLED_APOSTROPHES_RE.finditer(text):
        i, j = match.start(), match.end()
        prev = text[i - 1] if i else " "
        nxt = text[j] if j < size else " "
        before_space = prev.isspace() or prev in _OPEN_PUNCT
        after_space = nxt.isspace() or nxt in _CLOSE_PUNCT
        if before_space != after_space and not prev.isdigit():
            edges.append(i)
    if len(edges) < 2:
        return text
    for i in reversed(edges):
        text = text[:i] + '"' + text[i + 2 :]
    return text


def _pair(text: str, family: _Family, *, straight_singles: bool = True) -> tuple[list[_Span], int | None]:
    """Closed quotation spans of one mark family, and the position of a trailing unclosed mark."""
    if family == "double":
        return _pair_double(text)
    return _pair_single(text, straight_singles)


def _pair_double(text: str) -> tuple[list[_Span], int | None]:
    spans: list[_Span] = []
    pending: int | None = None
    size = len(text)
    for match in _DOUBLE_RE.finditer(text):
        i = match.start()
        char = text[i]
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < size else " "
        if char == '"' and prev.isdigit() and pending is None:
            continue  # an inch mark: 12" pipe
        opening = prev.isspace() or prev in _OPEN_PUNCT
        closing = nxt.isspace() or nxt in _CLOSE_PUNCT
        if opening and not closing:
            is_open = True
        elif closing and not opening:
            is_open = False
        elif char in _OPEN_GLYPHS or char in _CLOSE_GLYPHS:
            is_open = char in _OPEN_GLYPHS
        else:
            is_open = pending is None
        if is_open:
            pending = i  # an earlier unclosed mark was stray
        elif pending is not None:
            spans.append(_Span(pending, pending + 1, i, i + 1, True))
            pending = None
    return spans, pending


def _single_marks(text: str, straight: bool) -> list[tuple[int, bool, bool]]:
    """(position, is_open, suspect) for single marks that can be quotation marks."""
    marks: list[tuple[int, bool, bool]] = []
    size = len(text)
    for match in _SINGLE_RE.finditer(text):
        i = match.start()
        char = text[i]
        if char == "'" and not straight:
            continue
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < size else " "
        if prev.isalnum() and nxt.isalnum():
            continue  # don't, O’Brien
        opening = prev.isspace() or prev in _OPEN_PUNCT or prev in '"“'
        closing = nxt.isspace() or nxt in _CLOSE_PUNCT or nxt in '"”'
        if opening and not closing:
            if _ELISION_RE.match(text, i + 1):
                continue  # ’90s, 'tis
            marks.append((i, True, False))
        elif closing and not opening and char != "‘":
            # students’ union: a plural possessive looks like a closing mark.
            suspect = prev in "sSzx" and nxt.isspace()
            marks.append((i, False, suspect))
    return marks


def _pair_single(text: str, straight: bool) -> tuple[list[_Span], int | None]:
    marks = _single_marks(text, straight)
    spans: list[_Span] = []
    pending: int | None = None
    for index, (pos, is_open, suspect) in enumerate(marks):
        if is_open:
            pending = pos
            continue
        if pending is None:
            continue
        if suspect and (_later_plain_close(marks, index) or len(text[pending:pos].split()) > _SUSPECT_CLOSE_WORDS):
            continue  # "the voters' choice": a plural possessive, not the end of a long quotation
        spans.append(_Span(pending, pending + 1, pos, pos + 1, True))
        pending = None
    return spans, pending


def _later_plain_close(marks: list[tuple[int, bool, bool]], index: int) -> bool:
    for _, is_open, suspect in marks[index + 1 :]:
        if is_open:
            return False
        if not suspect:
            return True
    return False


_STRAIGHT_OPENING_RE = re.compile(r"(?:^|[\s(\[{—–/\"“])'(?=\w)")


def _pair_all(text: str, *, straight_singles: bool = True) -> tuple[list[_Span], int | None, _Family]:
    """The outermost closed quotations of either family, a trailing unclosed mark, and the text's family.

    British and American conventions mix on real blogs (‘…’ around “…”, or the reverse, and
    straight marks of both kinds), so both families are paired and the outermost spans win;
    a single-mark span that crosses a double one is an apostrophe misread, and is dropped.
    """
    doubles, double_trailing = _pair_double(text)
    if "‘" in text or (straight_singles and "'" in text and _STRAIGHT_OPENING_RE.search(text)):
        singles, single_trailing = _pair_single(text, straight_singles)
    else:
        singles, single_trailing = [], None  # no mark that could open a single-quoted span
    if not singles and single_trailing is None:
        family: _Family = "double" if doubles or "‘" not in text else "single"
        return doubles, double_trailing, family
    singles = [
        s
        for s in singles
        if not any(d.start < s.start < d.stop < s.stop or s.start < d.start < s.stop < d.stop for d in doubles)
    ]
    spans = sorted(doubles + singles, key=lambda span: (span.start, -span.stop))
    top: list[_Span] = []
    for span in spans:
        if top and span.start < top[-1].stop:
            continue  # nested inside the previous outer quotation
        top.append(span)
    inside = [(span.start, span.stop) for span in top]
    doubled = any(text[span.start] in _DOUBLE_MARKS for span in top) or "‘" not in text
    family = "double" if doubled else "single"
    candidates: tuple[tuple[int | None, _Family], ...] = ((double_trailing, "double"), (single_trailing, "single"))
    for trailing, trailing_family in candidates:
        if trailing is None or any(start < trailing < stop for start, stop in inside):
            continue
        if trailing_family == "single" and text[trailing] != "‘":
            continue  # a straight apostrophe left over is no unclosed quotation
        return top, trailing, trailing_family
    return top, None, family


def _opens_with_mark(text: str, family: _Family = "double") -> bool:
    if not text:
        return False
    if family == "double":
        return text[0] in '"“„«'
    return text[0] in "‘'"


def _family_for(text: str) -> _Family:
    """Double marks unless the text uses only curly single ones (British style)."""
    if _DOUBLE_RE.search(text) or "‘" not in text:
        return "double"
    return "single"


def _other(family: _Family) -> _Family:
    return "single" if family == "double" else "double"


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    start = dot
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    token = text[start:dot].lower()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _sentence_start(text: str, lo: int, hi: int) -> int:
    """Start of the sentence that contains position ``hi``, not before ``lo``."""
    start = lo
    for match in _SENT_END_RE.finditer(text, lo, hi):
        if not _is_abbreviation(text, match.start()):
            start = match.end()
    while start < hi and text[start].isspace():
        start += 1
    return start


def _sentence_end(text: str, lo: int, hi: int) -> int:
    """Index after the first sentence end in [lo, hi), or ``hi``."""
    for match in _SENT_END_RE.finditer(text, lo, hi):
        if not _is_abbreviation(text, match.start()):
            return match.end()
    return hi


def _last_sentence(text: str) -> str:
    stripped = text.rstrip()
    return stripped[_sentence_start(stripped, 0, max(0, len(stripped) - 1)) :]


_MASK_RE = re.compile(r"[\"“„«][^\"”»]*[\"”»]")


def _norm(text: str) -> str:
    return " ".join(text.split())


def _quote_text(inner: str) -> str:
    return _norm(inner).rstrip(",;: —–").strip()


def _title_case(text: str) -> bool:
    """ "The Penny Societies": every word capitalised (small words aside), as titles of works are."""
    text = text.removesuffix(".")  # the American stop inside the marks: "make it “Vietnam Veterans Day.”"
    words = text.split()
    if len(words) < 2 or text[-1:] in ".!?,;:":
        return False
    # Numbers belong in titles too: "the Effective Death Penalty Act of 1996".
    return all(w[0].isupper() or w[0].isdigit() or w in _SMALL_TITLE_WORDS for w in words) and words[0][0].isupper()


def _sentence_like(text: str) -> bool:
    stripped = text.rstrip("\"'”’»)")
    # One word is no sentence, whatever its stop: "COPS." is a name.
    return bool(stripped) and stripped[0].isupper() and stripped[-1] in ".!?…" and " " in stripped


def _cap_unclosed(text: str, opening: int) -> _Span | None:
    """A quotation that never closes: bounded so a stray mark cannot swallow the essay."""
    if not text[:opening].strip() and len(text[opening + 1 :].split()) <= _UNCLOSED_START_WORDS:
        return _Span(opening, opening + 1, len(text), len(text), False)
    end = _sentence_end(text, opening + 1, len(text))
    if len(text[opening + 1 : end].split()) <= _UNCLOSED_MID_WORDS:
        return _Span(opening, opening + 1, end, end, False)
    return None


def _strip_wrapping(text: str) -> str:
    text = text.strip()
    if text and text[0] in '"“„«‘':
        text = text[1:]
    if text and text[-1] in '"”»’':
        text = text[:-1]
    return _norm(text)
