"""Text for Discord: sanitising, shortening, excerpts and splitting within Discord's limits.

Everything here is pure. Lengths are measured in UTF-16 code units (``discord_length``), which is
never less than the number of code points, so a text within a limit by this measure is within it
whichever way Discord counts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.essays.model import Block, Section
from bot.essays.text import sentences

logger = logging.getLogger(__name__)

# Discord's limits for a bot (the fake Discord enforces the same numbers).
MESSAGE_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_NAME_LIMIT = 256
FIELDS_PER_EMBED = 25
EMBEDS_PER_MESSAGE = 10
EMBEDS_TOTAL_LIMIT = 6000
THREAD_NAME_LIMIT = 100
URL_LIMIT = 2048
# Section text is cut below the message limit, leaving room for the one-character guard that may
# be added at a chunk's start and for any later wording change.
CHUNK_LIMIT = 1900

ELLIPSIS = "…"
ZWSP = "\u200b"

# C0/C1 control characters except tab and newline: Discord rejects or mangles them.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_WHITESPACE_RE = re.compile(r"\s+")
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n\s*")
# "@" starts @everyone, @here and every user/role mention; a zero-width space after it breaks them all.
_AT_RE = re.compile("@")
# "<" opens channel mentions <#id>, slash-command mentions </name:id>, emoji and timestamps.
_ANGLE_RE = re.compile(r"<(?=[@#/:]|a:|t:)")
# Markdown that works anywhere in a line: emphasis, strike, code, spoilers, and the brackets of masked
# links (a masked link could show one address and lead to another). The backslash comes first.
_INLINE_MARKDOWN_RE = re.compile(r"([\\*_~`|\[\]])")
# Markdown that works at a line's start: block quotes, headers, subtext and bulleted lists; a numbered
# list ("1. ") escapes its dot. Anchored at every line's start, or (for a cut) at the text's start only.
_LINE_MARKER = r"([ \t]*)(>|#{1,3}(?=[ \t])|-#(?=[ \t])|[-+](?=[ \t]))"
_LIST_NUMBER = r"([ \t]*)(\d{1,9})\.(?=[ \t])"
_LINE_MARKER_RE = re.compile("^" + _LINE_MARKER, re.MULTILINE)
_LIST_NUMBER_RE = re.compile("^" + _LIST_NUMBER, re.MULTILINE)
_START_MARKER_RE = re.compile(r"\A" + _LINE_MARKER)
_START_NUMBER_RE = re.compile(r"\A" + _LIST_NUMBER)
# Whatever any step of ``escape_markdown`` would change: text with none of it is returned as it is
# (most sentences; a page of results escapes a few hundred of them).
_NEEDS_ESCAPING_RE = re.compile(r"[\\*_~`|\[\]@<\x00-\x08\x0b-\x1f\x7f-\x9f]|^[ \t]*[>#+\-\d]", re.MULTILINE)
# One indivisible unit for hard cuts: a backslash escape, or a character with its combining marks,
# so a cut never separates an escape from what it escapes.
_GRAPHEME_RE = re.compile(r"(?:\\.|.)[\u0300-\u036f\u200d\ufe00-\ufe0f]*", re.DOTALL)
_URL_RE = re.compile(r"https?://[^\s<>\"'`\\]+", re.IGNORECASE)


def discord_length(text: str) -> int:
    """Length in UTF-16 code units: an upper bound of any count Discord may use."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


# --- sanitising -----------------------------------------------------------------------------


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_RE.sub("", text)


def neutralise_mentions(text: str) -> str:
    """Break @everyone, @here, <@id>, <@&id>, <#id> and the like with zero-width spaces."""
    text = _AT_RE.sub("@" + ZWSP, text)
    return _ANGLE_RE.sub("<" + ZWSP, text)


def plain(text: str) -> str:
    """Sanitise text shown where markdown is not rendered (thread names, embed titles, author names).

    Whitespace is collapsed to single spaces, control characters dropped, mentions neutralised.
    """
    return neutralise_mentions(_WHITESPACE_RE.sub(" ", _clean(text)).strip())


def escape_markdown(text: str) -> str:
    """Any text from a feed, shown literally wherever Discord renders markdown; mentions neutralised.

    The one escaping function for essay text, titles, section names, authors, feed names, quotes
    and figure contexts. Backslashes are escaped first, so the author's own cannot undo the
    escapes added here; then every inline marker (``* _ ~ ` |`` and the brackets of masked
    links) and every line-start marker (``>`` quotes, ``#`` headers, ``-#`` subtext, ``-``/``+``
    and ``1.`` lists). Web addresses are left as they are, so they still open. Apply once, to raw text.
    """
    if _NEEDS_ESCAPING_RE.search(text) is None:
        return text
    return _escape_markdown(text)


def _escape_markdown(text: str) -> str:
    pieces: list[str] = []
    at = 0
    text = _clean(text)
    for url in _URL_RE.finditer(text):
        pieces.append(_INLINE_MARKDOWN_RE.sub(r"\\\1", text[at : url.start()]))
        pieces.append(url.group())
        at = url.end()
    pieces.append(_INLINE_MARKDOWN_RE.sub(r"\\\1", text[at:]))
    escaped = _LIST_NUMBER_RE.sub(r"\1\2\\.", _LINE_MARKER_RE.sub(r"\1\\\2", "".join(pieces)))
    return neutralise_mentions(escaped)


def collapse(text: str) -> str:
    """Whitespace collapsed to single spaces, ends stripped."""
    return _WHITESPACE_RE.sub(" ", text).strip()


def bold(escaped: str) -> str:
    """Escaped text in bold; empty text stays empty (a bare "****" would show as asterisks)."""
    inner = escaped.strip()
    return f"**{inner}**" if inner else ""


def guard_line_start(text: str) -> str:
    """Escape a line-start marker (header, quote, list) that a cut has brought to the start of a message."""
    return _START_NUMBER_RE.sub(r"\1\2\\.", _START_MARKER_RE.sub(r"\1\\\2", text))


def safe_url(url: str | None, limit: int = URL_LIMIT) -> str | None:
    """The URL if it is a plain http(s) address Discord will accept, else None."""
    if not url:
        return None
    url = url.strip()
    if len(url) > limit or not _URL_RE.fullmatch(url):
        return None
    return url


# --- shortening -----------------------------------------------------------------------------


def _units(text: str) -> list[str]:
    return _GRAPHEME_RE.findall(text)


def _prefix_within(text: str, budget: int) -> str:
    """The longest prefix of whole units whose length is at most ``budget``."""
    if discord_length(text) <= budget:
        return text
    used = 0
    end = 0
    for unit in _units(text):
        size = discord_length(unit)
        if used + size > budget:
            break
        used += size
        end += len(unit)
    return text[:end]


def shorten(text: str, limit: int) -> str:
    """``text`` if it fits ``limit``, else cut at a word boundary (a hard cut for one long word) + "…"."""
    if discord_length(text) <= limit:
        return text
    if limit < 1:
        return ""
    cut = _prefix_within(text, limit - 1)
    space = max(cut.rfind(" "), cut.rfind("\n"))
    # Cut at the last word boundary unless the cut already ends a word, or going back to the
    # boundary would lose more than half of the room.
    if not text[len(cut)].isspace() and space > 0 and space >= len(cut) // 2:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def excerpt(text: str, limit: int) -> str:
    """The opening of ``text`` within ``limit``: whole sentences if they fill at least a third, else words.

    The text is flattened to one line; a cut is marked with "…".
    """
    flat = collapse(text)
    if discord_length(flat) <= limit:
        return flat
    taken: list[str] = []
    used = 0
    for sentence in sentences(flat):
        size = discord_length(sentence) + (1 if taken else 0)
        if used + size + 2 > limit:
            break
        taken.append(sentence)
        used += size
    if taken and used >= limit // 3:
        return " ".join(taken) + " " + ELLIPSIS
    return shorten(flat, limit)


# --- splitting ------------------------------------------------------------------------------


def _units_within(text: str, limit: int) -> list[str]:
    """Units of ``text``, a unit longer than ``limit`` (a long run of combining marks) cut by code point.

    An escape stays with what it escapes even then: the first two code points of "\\X..." go together.
    """
    units: list[str] = []
    for unit in _units(text):
        if discord_length(unit) <= limit:
            units.append(unit)
            continue
        head = 2 if unit.startswith("\\") else 1
        units.append(unit[:head])
        units.extend(unit[head:])
    return units


def _hard_cut(word: str, limit: int) -> list[str]:
    """Cut one unbreakable run into pieces of whole units, each within ``limit``."""
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for unit in _units_within(word, limit):
        size = discord_length(unit)
        if current and used + size > limit:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(unit)
        used += size
    if current:
        pieces.append("".join(current))
    return pieces


def _pack(pieces: Iterable[tuple[str, str]], limit: int) -> list[str]:
    """Join (separator, piece) pairs greedily into chunks within ``limit``.

    A piece never exceeds ``limit`` on its own; the separator is dropped at a chunk's start.
    """
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for separator, piece in pieces:
        size = discord_length(piece)
        if current and used + discord_length(separator) + size <= limit:
            current.append(separator)
            current.append(piece)
            used += discord_length(separator) + size
            continue
        if current:
            chunks.append("".join(current))
        current, used = [piece], size
    if current:
        chunks.append("".join(current))
    return chunks


def _paragraph_units(paragraph: str, limit: int) -> list[str]:
    """A paragraph as units within ``limit``: itself, else sentences, else words, else hard cuts."""
    if discord_length(paragraph) <= limit:
        return [paragraph]
    units: list[str] = []
    for sentence in sentences(paragraph):
        if discord_length(sentence) <= limit:
            units.append(sentence)
            continue
        for word in sentence.split():
            units.extend([word] if discord_length(word) <= limit else _hard_cut(word, limit))
    return units


def split_paragraph(paragraph: str, limit: int = CHUNK_LIMIT) -> list[str]:
    """Split one paragraph on sentence, then word boundaries into pieces within ``limit``."""
    return _pack(((" ", unit) for unit in _paragraph_units(paragraph.strip(), limit)), limit)


def split_text(text: str, limit: int = CHUNK_LIMIT) -> list[str]:
    """Split text into chunks within ``limit``: on blank lines, else sentences, else words.

    Nothing is dropped or repeated: joined together, the chunks give back the text apart from
    the whitespace at the split points.
    """
    if limit < 4:
        # Room for any single unit once cut by code point: an escaped astral character is 3.
        raise ValueError("limit must be at least 4")
    pieces: list[tuple[str, str]] = []
    for paragraph in _BLANK_LINE_RE.split(text.strip()):
        for number, piece in enumerate(split_paragraph(paragraph, limit)):
            if piece:
                pieces.append(("\n\n" if number == 0 else " ", piece))
    return _pack(pieces, limit)


def _block_pieces(block: Block, limit: int) -> list[tuple[str, str]]:
    """One block as markdown pieces, each within ``limit``, with the separator to put before each."""
    text = escape_markdown(collapse(block.text))
    if not text:
        return []
    if block.kind == "heading":
        return [("\n\n", f"**{part}**") for part in split_paragraph(text, limit - 4)]
    # Every piece starts a line, so a cut that brings a marker ("# ", "> ") to its front is escaped.
    if block.kind == "quote":
        return [("\n\n", "> " + guard_line_start(part)) for part in split_paragraph(text, limit - 3)]
    if block.kind == "item":
        parts = [guard_line_start(part) for part in split_paragraph(text, limit - 3)]
        # Items of one list sit on consecutive lines; a continuation stays in the same item's text.
        return [("\n", "- " + parts[0]), *(("\n", part) for part in parts[1:])]
    return [("\n\n", guard_line_start(part)) for part in split_paragraph(text, limit - 1)]


def section_messages(section: Section, limit: int = CHUNK_LIMIT) -> list[str]:
    """A section's text as thread messages: markdown per block kind, sanitised, each within ``limit``.

    Paragraphs stay whole when they fit; quotes render as "> " block quotes, list items as "- "
    lines and headings as bold lines. Every chunk stays within ``limit``, with room kept for the
    escape of a marker that a cut brings to the front of a line.
    """
    pieces: list[tuple[str, str]] = []
    previous_kind: str | None = None
    for block in section.blocks:
        for separator, piece in _block_pieces(block, limit):
            # A list item after a non-item block still needs a blank line to start the list.
            if separator == "\n" and previous_kind != "item":
                separator = "\n\n"
            pieces.append((separator, piece))
            previous_kind = block.kind
    return _pack(pieces, limit)


def section_excerpt_text(section: Section) -> str:
    """The section's text for an excerpt, headings left out (the anchor's title stands for them)."""
    return " ".join(collapse(block.text) for block in section.blocks if block.kind != "heading" and block.text.strip())


# --- checking payloads ----------------------------------------------------------------------


def _embed_violations(embed: Mapping[str, Any], where: str) -> tuple[list[str], int]:
    problems: list[str] = []
    total = 0

    def check(value: object, limit: int, name: str) -> None:
        nonlocal total
        if value is None:
            return
        size = discord_length(str(value))
        total += size
        if size > limit:
            problems.append(f"{where}.{name} is {size} > {limit}")

    check(embed.get("title"), EMBED_TITLE_LIMIT, "title")
    check(embed.get("description"), EMBED_DESCRIPTION_LIMIT, "description")
    author = embed.get("author") or {}
    check(author.get("name"), AUTHOR_NAME_LIMIT, "author.name")
    footer = embed.get("footer") or {}
    check(footer.get("text"), FOOTER_LIMIT, "footer.text")
    fields = embed.get("fields") or []
    if len(fields) > FIELDS_PER_EMBED:
        problems.append(f"{where} has {len(fields)} fields > {FIELDS_PER_EMBED}")
    for number, field in enumerate(fields):
        check(field.get("name"), FIELD_NAME_LIMIT, f"fields[{number}].name")
        check(field.get("value"), FIELD_VALUE_LIMIT, f"fields[{number}].value")
        if not str(field.get("name", "")).strip() or not str(field.get("value", "")).strip():
            problems.append(f"{where}.fields[{number}] has an empty name or value")
    for key in ("url",):
        url = embed.get(key)
        if url is not None and safe_url(str(url)) is None:
            problems.append(f"{where}.{key} is not an http(s) URL")
    return problems, total


def message_violations(message: Mapping[str, Any], where: str = "message") -> list[str]:
    """Every way a message body breaks Discord's limits or the no-ping rule; empty when fine."""
    problems: list[str] = []
    content = message.get("content")
    if content is not None and discord_length(str(content)) > MESSAGE_LIMIT:
        problems.append(f"{where}.content is {discord_length(str(content))} > {MESSAGE_LIMIT}")
    embeds: Sequence[Mapping[str, Any]] = message.get("embeds") or []
    if len(embeds) > EMBEDS_PER_MESSAGE:
        problems.append(f"{where} has {len(embeds)} embeds > {EMBEDS_PER_MESSAGE}")
    total = 0
    for number, embed in enumerate(embeds):
        embed_problems, size = _embed_violations(embed, f"{where}.embeds[{number}]")
        problems.extend(embed_problems)
        total += size
    if total > EMBEDS_TOTAL_LIMIT:
        problems.append(f"{where}.embeds total {total} > {EMBEDS_TOTAL_LIMIT}")
    mentions = message.get("allowed_mentions")
    if not isinstance(mentions, Mapping) or mentions.get("parse") != []:
        problems.append(f'{where}.allowed_mentions must be {{"parse": []}}')
    return problems


def payload_violations(payload: Mapping[str, Any]) -> list[str]:
    """Violations in a request body: a message, a message edit, a thread or a forum post."""
    problems: list[str] = []
    if "name" in payload:
        size = discord_length(str(payload["name"]))
        if not str(payload["name"]).strip() or size > THREAD_NAME_LIMIT:
            problems.append(f"name is {size} characters, not 1..{THREAD_NAME_LIMIT}")
        if payload.get("auto_archive_duration") not in (60, 1440, 4320, 10080):
            problems.append("auto_archive_duration is not 60, 1440, 4320 or 10080")
        slowmode = payload.get("rate_limit_per_user", 0)
        if not isinstance(slowmode, int) or not 0 <= slowmode <= 21600:
            problems.append("rate_limit_per_user is not within 0..21600")
        if len(payload.get("applied_tags", [])) > 5:
            problems.append("more than 5 applied_tags")
        if isinstance(payload.get("message"), Mapping):
            problems.extend(message_violations(payload["message"], "message"))
        return problems
    if payload:
        problems.extend(message_violations(payload, "payload"))
    return problems
