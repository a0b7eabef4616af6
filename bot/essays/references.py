"""Find an essay's references to the author's earlier posts, and resolve them to archived essays.

Three sources: dated mentions ("see also my March 9th Transit Follies post"), relative
phrases ("as I wrote last week", "in a previous post"), and links to the blog's own URLs.
Resolution matches a normalised URL first, then a date window plus title similarity, and
leaves a reference unresolved rather than guessing.
"""

from __future__ import annotations

import calendar
import difflib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from bot.essays.model import Reference, Section
from bot.essays.text import content_words, normalise_apostrophes, sentences, stem

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReferenceCandidate:
    """An archived essay a reference may point to."""

    key: str
    url: str | None
    title: str
    published: date | None


# --- dates ----------------------------------------------------------------------------------

_MONTH_NUMBERS = {
    name: number
    for number in range(1, 13)
    for name in {calendar.month_name[number].lower(), calendar.month_abbr[number].lower()}
} | {"sept": 9}
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_EXPLICIT_DATE_RES = (
    re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}}){_ORDINAL}\b(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?"),
    re.compile(rf"\b(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<month>{_MONTH})(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?"),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<monthnum>\d\d)-(?P<day>\d\d)\b"),
)
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "a couple of": 2, "a few": 3, "few": 3, "several": 4,
}  # fmt: skip
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_AGO_RE = re.compile(
    r"\b(?P<count>\d{1,2}|a couple of|a few|an?|one|two|three|four|five|six|several)\s+"
    r"(?P<unit>day|week|month|year)s?\s+ago\b",
    re.IGNORECASE,
)
_LAST_RE = re.compile(r"\blast\s+(?P<unit>week|month|year)\b", re.IGNORECASE)
_EARLIER_THIS_RE = re.compile(r"\bearlier\s+this\s+(?P<unit>week|month|year)\b", re.IGNORECASE)
_YESTERDAY_RE = re.compile(r"\b(?:yesterday|the other day)\b", re.IGNORECASE)
_WEEKDAY_RE = re.compile(r"\b(?:on|last)\s+(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_MONTH_ONLY_RE = re.compile(rf"\b(?:in|back in|during|from)\s+(?P<month>{_MONTH})(?:\s+(?P<year>(?:19|20)\d\d))?\b")
_YEAR_ONLY_RE = re.compile(r"\b(?:in|back in|during|from)\s+(?P<year>(?:19|20)\d\d)\b")


@dataclass(frozen=True, slots=True)
class _When:
    """A date as written: its best-guess day, how far off it may be, and the span it came from."""

    day: date | None
    tolerance: int
    start: int
    end: int
    year: int | None = None  # set for "in 2019", where only the year is known


def _month_number(name: str) -> int:
    return _MONTH_NUMBERS[name.lower().rstrip(".")]


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _recent_date(month: int, day: int, published: date | None) -> date | None:
    """The most recent ``month``/``day`` not after ``published`` (a date written without a year)."""
    if published is None:
        return None
    for year in (published.year, published.year - 1, published.year - 2):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate <= published:
            return candidate
    return None


def _explicit_dates(text: str, published: date | None) -> list[_When]:
    found: list[_When] = []
    for pattern in _EXPLICIT_DATE_RES:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            month = int(groups["monthnum"]) if groups.get("monthnum") else _month_number(groups["month"])
            day = int(groups["day"])
            if not 1 <= month <= 12 or not 1 <= day <= 31:
                continue
            if groups.get("year"):
                value = _safe_date(int(groups["year"]), month, day)
            else:
                value = _recent_date(month, day, published)
            found.append(_When(value, 1, match.start(), match.end()))
    return found


def _relative_dates(text: str, published: date | None) -> list[_When]:
    """Relative phrases, as a best-effort day and a tolerance in days."""
    found: list[_When] = []

    def back(days: int, tolerance: int, match: re.Match[str]) -> None:
        day = published - timedelta(days=days) if published else None
        found.append(_When(day, tolerance, match.start(), match.end()))

    for match in _AGO_RE.finditer(text):
        count_text = match.group("count").lower()
        count = int(count_text) if count_text.isdigit() else _NUMBER_WORDS[count_text]
        days = count * _UNIT_DAYS[match.group("unit").lower()]
        back(days, max(2, days // 3), match)
    for match in _LAST_RE.finditer(text):
        days = _UNIT_DAYS[match.group("unit").lower()]
        back(days, max(4, days // 2), match)
    for match in _EARLIER_THIS_RE.finditer(text):
        unit = match.group("unit").lower()
        if unit == "week":
            back(3, 4, match)
        elif published is not None:
            first = published.replace(day=1) if unit == "month" else published.replace(month=1, day=1)
            half = (published - first).days // 2
            back(half, half + 1, match)
        else:
            found.append(_When(None, 183 if unit == "year" else 15, match.start(), match.end()))
    for match in _YESTERDAY_RE.finditer(text):
        days = 1 if match.group().lower() == "yesterday" else 3
        back(days, days, match)
    for match in _WEEKDAY_RE.finditer(text):
        weekday = list(calendar.day_name).index(match.group("weekday"))
        if published is None:
            found.append(_When(None, 1, match.start(), match.end()))
            continue
        days = (published.weekday() - weekday) % 7 or 7
        back(days, 1, match)
    for match in _MONTH_ONLY_RE.finditer(text):
        month = _month_number(match.group("month"))
        if match.group("year"):
            middle = _safe_date(int(match.group("year")), month, 15)
        else:
            middle = _recent_date(month, 15, published) if published else None
            if published is not None and middle is None:
                middle = _recent_date(month, 1, published)
        if published is not None and middle is not None and middle > published:
            middle = published
        found.append(_When(middle, 16, match.start(), match.end()))
    for match in _YEAR_ONLY_RE.finditer(text):
        found.append(_When(None, 183, match.start(), match.end(), year=int(match.group("year"))))
    return found


def _dates_in(text: str, published: date | None) -> list[_When]:
    """Every date phrase in ``text``; explicit dates first, overlapping weaker readings dropped."""
    explicit = _explicit_dates(text, published)
    relative = [
        when
        for when in _relative_dates(text, published)
        if not any(when.start < other.end and other.start < when.end for other in explicit)
    ]
    return explicit + relative


# --- references in the text -----------------------------------------------------------------

_POST_NOUN = r"(?:blog\s+posts?|blog|posts?|pieces?|essays?|columns?|articles?|entry|entries|newsletters?|write-?ups?)"
# Up to 14 words between "my" and "post": a date plus a long title ("my September 2nd Your Library
# Card Is an Economic Policy blog").
_POSSESSIVE_RE = re.compile(rf"\b(?:my|our)\b(?P<mid>(?:\s+[^\s.!?;]+){{0,14}}?)\s+(?P<noun>{_POST_NOUN})\b", re.I)
_PREVIOUS_RE = re.compile(
    rf"\b(?:in|see|from|read)\s+(?:a|an|one|the)\s+(?:previous|earlier|recent|prior|past|older)\s+{_POST_NOUN}\b",
    re.IGNORECASE,
)
_WROTE_RE = re.compile(
    r"\b(?P<as>as\s+)?I(?:'ve|\s+have|'d|\s+had)?\s+(?:already\s+|previously\s+|recently\s+|often\s+)?"
    r"(?P<verb>wrote|written|argued|noted|said|explained|mentioned|discussed|pointed\s+out|suggested|"
    r"predicted|warned|observed|described|covered|posted)\b(?P<tail>[^.!?;]{0,80})",
)
_SPECIFIERS_RE = re.compile(r"\b(?:earlier|previous|prior|recent|last|older|first|second|other)\b", re.I)
_BEFORE_RE = re.compile(r"^\s*(?:about\s+\S+\s+)?(?:before|previously|here|elsewhere|on this blog|in this space)\b")
_QUOTED_RE = re.compile(r"[“\"‘](?P<title>[^“”\"‘’]{3,150}?)[,.]?[”\"’]")
_SMALL = frozenset("a an and as at but by for from in into of on or the to vs with".split())
_TITLE_WORD_RE = re.compile(r"[A-Z0-9][\w'’\-]*|[a-z]+")


@dataclass(frozen=True, slots=True)
class _Mention:
    """A self-reference found in one sentence, before it becomes a ``Reference``."""

    strength: int
    day: date | None
    title: str | None


def _capitalised_title(text: str) -> str | None:
    """A run of Capitalised Words (small words allowed inside), as authors write titles."""
    words = text.split()
    best: list[str] = []
    current: list[str] = []
    for word in [*words, ""]:
        cleaned = word.strip(",:()[]")
        if (cleaned and cleaned[0].isupper()) or (current and cleaned.lower() in _SMALL):
            current.append(cleaned)
            continue
        while current and current[-1].lower() in _SMALL:
            current.pop()
        if len(current) > len(best):
            best = current
        current = []
    if not best or (len(best) == 1 and len(best[0]) < 4):
        return None
    return " ".join(best)


def _quoted_title(text: str, start: int, end: int) -> str | None:
    """A quoted title right after ``end`` or right before ``start`` (within a few characters)."""
    for match in _QUOTED_RE.finditer(text):
        near_after = end <= match.start() <= end + 12
        near_before = 0 <= start - match.end() <= 6
        inside = start <= match.start() and match.end() <= end
        if (near_after or near_before or inside) and len(match.group("title").split()) <= 16:
            return match.group("title").strip()
    return None


def _without_dates(text: str, dates: Sequence[_When], offset: int) -> str:
    """``text`` (which starts at ``offset`` in its sentence) with the date phrases blanked out."""
    chars = list(text)
    for when in dates:
        for position in range(max(when.start - offset, 0), min(when.end - offset, len(chars))):
            chars[position] = " "
    return "".join(chars)


def _date_near(dates: Sequence[_When], start: int, end: int, slack: int = 60) -> _When | None:
    near = [when for when in dates if start - slack <= when.start and when.end <= end + slack]
    if not near:
        return None
    return min(near, key=lambda when: (when.tolerance, abs(when.start - start)))


def _possessive_mentions(sentence: str, dates: Sequence[_When]) -> list[_Mention]:
    mentions: list[_Mention] = []
    for match in _POSSESSIVE_RE.finditer(sentence):
        mid_start, mid_end = match.span("mid")
        inside = [w for w in dates if mid_start <= w.start and w.end <= mid_end]
        when = inside[0] if inside else _date_near(dates, match.start(), match.end(), slack=30)
        after = sentence[match.end() : match.end() + 120]
        title = _quoted_title(sentence, match.start(), match.end())
        if title is None:
            title = _capitalised_title(_without_dates(match.group("mid"), inside, mid_start))
        if title is None:
            topic = re.match(r"\s*(?:on|about|titled|called|headlined|entitled)\s+(?P<rest>[^.;!?()]+)", after)
            if topic and topic.group("rest")[:1].isupper():
                title = _capitalised_title(topic.group("rest"))
        specific = when is not None or title is not None or _SPECIFIERS_RE.search(match.group("mid"))
        seen = re.search(r"\b(?:see|read|in|from|wrote|written)\b", sentence[: match.start()], re.I)
        if not specific and not seen:
            continue  # "on my blog" in passing is no pointer to a particular post
        day = when.day if when else None
        mentions.append(_Mention(3 if day or title else 2, day, title))
    return mentions


def _other_mentions(sentence: str, dates: Sequence[_When]) -> list[_Mention]:
    mentions: list[_Mention] = []
    for match in _PREVIOUS_RE.finditer(sentence):
        when = _date_near(dates, match.start(), match.end(), slack=40)
        mentions.append(_Mention(1, when.day if when else None, _quoted_title(sentence, match.start(), match.end())))
    for match in _WROTE_RE.finditer(sentence):
        tail = match.group("tail")
        if tail.lstrip().lower().startswith(("to ", "that to ")):
            continue  # "I wrote to the mayor": a letter, not a post
        when = _date_near(dates, match.start("verb"), match.end("verb") + len(tail), slack=0)
        if when is None and not match.group("as") and not _BEFORE_RE.match(tail):
            continue
        day = when.day if when else None
        mentions.append(_Mention(2 if when else 1, day, _quoted_title(sentence, match.start(), match.end())))
    return mentions


# Every mention pattern needs one of these words; most sentences have none, so skip them cheaply.
_MENTION_GATE_RE = re.compile(r"\b(?:my|our|I|previous|earlier|recent|prior|past|older)\b", re.IGNORECASE)


def _references_in(sentence: str, section: int, published: date | None) -> list[Reference]:
    if _MENTION_GATE_RE.search(sentence) is None:
        return []
    dates = _dates_in(sentence, published)
    mentions = _possessive_mentions(sentence, dates)
    if not mentions:
        mentions = _other_mentions(sentence, dates)
    elif len(mentions) == 1 and mentions[0].day is not None:
        # "see my May 2nd post, and, as I argued last month, ...": a differently dated phrase is another post.
        others = [m for m in _other_mentions(sentence, dates) if m.day is not None and m.day != mentions[0].day]
        if others:
            first = mentions[0]
            return [
                Reference(sentence, section, first.day, first.title),
                Reference(sentence, section, others[0].day, None),
            ]
    if not mentions:
        return []
    strong = {(m.day, m.title) for m in mentions if m.strength == 3}
    if len(strong) > 1:
        # "my March 9 post and my April 2 post": one reference each.
        return [Reference(sentence, section, day, title) for day, title in sorted(strong, key=str)]
    best = max(mentions, key=lambda m: m.strength)
    day = best.day or next((m.day for m in mentions if m.day), None)
    title = best.title or next((m.title for m in mentions if m.title), None)
    return [Reference(sentence, section, day, title)]


# --- links ----------------------------------------------------------------------------------

_TRACKING_PARAMS = frozenset({"m", "fbclid", "gclid", "ref", "amp", "s", "share"})
_NOT_POSTS_RE = re.compile(
    r"^/(?:search|tag|tags|category|categories|label|labels|feeds?|author|page|comments|about|archive|"
    r"subscribe|wp-content|wp-admin|wp-login|cdn-cgi)(?:/|$|\.)|\.(?:jpe?g|png|gif|webp|svg|mp3|mp4|css|js|xml)$",
    re.IGNORECASE,
)
_PATH_DATE_RE = re.compile(r"/((?:19|20)\d\d)/(\d{1,2})(?:/(\d{1,2}))?(?=/|$)")


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def normalise_url(url: str) -> str:
    """A comparison key for a URL: no scheme, no www., no fragment, no tracking query, no trailing slash."""
    parts = urlsplit(url.strip())
    path = re.sub(r"/(?:index\.html?)?$", "", parts.path) or ""
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name.lower() not in _TRACKING_PARAMS and not name.lower().startswith("utm_")
    ]
    result = _host(url) + path
    if query:
        result += "?" + urlencode(sorted(query))
    return result


def _path_date(url: str) -> date | None:
    match = _PATH_DATE_RE.search(urlsplit(url).path)
    if not match:
        return None
    return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))


def _slug_words(url: str) -> set[str]:
    path = urlsplit(url).path.rstrip("/")
    slug = path.rsplit("/", 1)[-1]
    slug = re.sub(r"\.html?$", "", slug)
    return {stem(word) for word in content_words(slug.replace("-", " ").replace("_", " "))}


def _link_section(url: str, sections: Sequence[Section]) -> int:
    """The section whose words best match the link's slug; the first when none does."""
    slug = _slug_words(url)
    best, best_overlap = sections[0].index if sections else 1, 0
    for section in sections:
        overlap = len(slug & {stem(word) for word in content_words(section.text)})
        if overlap > best_overlap and overlap >= max(2, len(slug) // 2):
            best, best_overlap = section.index, overlap
    return best


def _undated_twin(found: Sequence[Reference], day: date | None, published: date | None) -> Reference | None:
    """The first text reference with neither date nor link ("in my piece on the library card"): the
    link to an earlier post is most likely its anchor, the blocks having lost where links sat."""
    if day is not None and published is not None and day > published:
        return None
    return next((ref for ref in found if ref.url is None and ref.date is None), None)


def _link_references(
    links: Sequence[str],
    sections: Sequence[Section],
    blog_url: str | None,
    found: list[Reference],
    published: date | None = None,
) -> list[Reference]:
    if not blog_url:
        return []
    blog_host = _host(blog_url)
    own = normalise_url(blog_url)
    seen: set[str] = set()
    result: list[Reference] = []
    for link in links:
        key = normalise_url(link)
        path = urlsplit(link).path
        if _host(link) != blog_host or key == own or key in seen or path in ("", "/"):
            continue
        if _NOT_POSTS_RE.search(path):
            continue
        seen.add(key)
        day = _path_date(link)
        path_date = _PATH_DATE_RE.search(path)
        day_precise = path_date is not None and path_date.group(3) is not None
        # A dated mention in the text and a link to the same day are one reference.
        twin = next(
            (
                ref
                for ref in found
                if ref.url is None
                and ref.date is not None
                and day is not None
                and (ref.date == day if day_precise else (ref.date.year, ref.date.month) == (day.year, day.month))
            ),
            None,
        )
        if twin is None:
            twin = _undated_twin(found, day, published)
        if twin is not None:
            twin.url = link
            continue
        result.append(Reference(link, _link_section(link, sections), day, None, link))
    return result


# --- public API -----------------------------------------------------------------------------


def find_references(
    sections: Sequence[Section],
    *,
    published: date | None = None,
    blog_url: str | None = None,
    links: Sequence[str] = (),
) -> list[Reference]:
    """References to earlier posts, in reading order, then links not mentioned in the text.

    ``published`` anchors dates written without a year and relative phrases. ``blog_url``
    (the essay's own URL, or the blog's home page) gives the blog's host; ``links`` are the
    absolute hrefs of the essay's HTML. A reference's ``text`` is the sentence it came from,
    or the URL for a bare link.
    """
    found: list[Reference] = []
    for section in sections:
        for block in section.blocks:
            for sentence in sentences(normalise_apostrophes(block.text)):
                found.extend(_references_in(sentence, section.index, published))
    found.extend(_link_references(links, sections, blog_url, found, published))
    return found


def _title_similarity(left: str, right: str) -> float:
    """Similarity of two titles in 0..1: the better of character ratio and word overlap."""
    a, b = " ".join(content_words(left)), " ".join(content_words(right))
    if not a or not b:
        return 0.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    words_a, words_b = {stem(w) for w in a.split()}, {stem(w) for w in b.split()}
    overlap = len(words_a & words_b) / min(len(words_a), len(words_b))
    return max(ratio, overlap)


def _topic_similarity(text: str, title: str) -> float:
    """Share of a candidate title's words that the referring sentence uses (needs two at least)."""
    title_words = {stem(w) for w in content_words(title)}
    shared = title_words & {stem(w) for w in content_words(text)}
    if len(shared) < 2 or not title_words:
        return 0.0
    return len(shared) / len(title_words)


def _date_window(ref: Reference) -> tuple[date, date] | None:
    """Where the referred post's date may lie, from the reference's date and how it was written."""
    if ref.url is not None and ref.date is not None:
        # From a URL path: /YYYY/MM/ alone gives the month.
        precise = bool(re.search(r"/(?:19|20)\d\d/\d{1,2}/\d{1,2}(?:/|$)", urlsplit(ref.url).path))
        if precise:
            return ref.date - timedelta(days=1), ref.date + timedelta(days=1)
        last = calendar.monthrange(ref.date.year, ref.date.month)[1]
        return ref.date.replace(day=1), ref.date.replace(day=last)
    whens = _dates_in(ref.text, None)
    if ref.date is not None:
        tolerance = min((when.tolerance for when in whens), default=1)
        return ref.date - timedelta(days=tolerance), ref.date + timedelta(days=tolerance)
    years = [when.year for when in whens if when.year is not None]
    if years:
        return date(years[0], 1, 1), date(years[0], 12, 31)
    return None


def _resolve_one(ref: Reference, candidates: Sequence[ReferenceCandidate], by_url: dict[str, str]) -> str | None:
    if ref.url is not None:
        key = by_url.get(normalise_url(ref.url))
        if key is not None:
            return key
    window = _date_window(ref)
    pool = list(candidates)
    if window is not None:
        low, high = window
        pool = [c for c in candidates if c.published is not None and low <= c.published <= high]
    if ref.title:
        scored = sorted(((_title_similarity(ref.title, c.title), c.key) for c in pool), reverse=True)
        needed = 0.5 if window is not None else 0.85
    else:
        # A bare link has only its slug; a sentence that carries a link has its own words too.
        probe = ref.text if ref.url is None or ref.text != ref.url else " ".join(_slug_words(ref.url))
        scored = sorted(((_topic_similarity(probe, c.title), c.key) for c in pool), reverse=True)
        needed = 0.5
    if scored and scored[0][0] >= needed and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 0.15):
        return scored[0][1]
    narrow = window is not None and (window[1] - window[0]).days <= 32
    if narrow and len(pool) == 1 and not ref.title:
        # Only one post in a window of a month or less ("my March 9th post", "last week"): that one.
        return pool[0].key
    return None


def resolve_references(refs: list[Reference], candidates: Sequence[ReferenceCandidate]) -> list[Reference]:
    """Copies of ``refs`` with ``resolved_key`` set where one candidate matches confidently.

    URL first; otherwise the candidates inside the reference's date window, by title
    similarity (or, without a title, by the words the sentence shares with their titles).
    """
    by_url = {normalise_url(c.url): c.key for c in candidates if c.url}
    resolved: list[Reference] = []
    for ref in refs:
        key = ref.resolved_key or _resolve_one(ref, candidates, by_url)
        resolved.append(replace(ref, resolved_key=key))
    return resolved
