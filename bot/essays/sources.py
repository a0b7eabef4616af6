"""Pure parsers that turn every kind of essay source into :class:`Entry` objects.

No network here: feeds arrive as bytes, article pages as HTML text, local files by path.
Every failure is a :class:`SourceError` with a human-readable reason, so the caller can
warn a moderator instead of treating a broken fetch as "no entries" or "everything is new".
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import tomllib
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from html import escape
from pathlib import Path
from time import struct_time
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import frontmatter
import trafilatura
import yaml
from selectolax.lexbor import LexborHTMLParser, LexborNode

from bot.essays.cleaning import (
    clean_html,
    extract_links,
    extract_text_links,
    markdown_to_html,
    normalise_title,
    text_to_blocks,
)
from bot.essays.images import content_image, feed_entry_image, page_image, usable_image
from bot.essays.model import Block, Entry

logger = logging.getLogger(__name__)

FEED_EXTENSIONS = frozenset({".xml", ".rss", ".atom"})
PAGE_EXTENSIONS = frozenset({".html", ".htm"})
# Jekyll's default markdown_ext list, and Hugo's ".md".
MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown", ".mdown", ".mkdown", ".mkdn", ".mkd"})
TEXT_EXTENSIONS = frozenset({".txt"})
SUPPORTED_EXTENSIONS = FEED_EXTENSIONS | PAGE_EXTENSIONS | MARKDOWN_EXTENSIONS | TEXT_EXTENSIONS

# A summary shorter than this, or ending like a teaser, means the article page must be fetched.
SUMMARY_MIN_WORDS = 150
MIN_ARTICLE_WORDS = 20
_TEASER_END_RE = re.compile(
    r"(?:…|\.\.\.|\[…\]|\[\.\.\.\]|read\s+more|continue\s+reading|keep\s+reading|read\s+the\s+(?:full|rest)"
    r"|appeared\s+first\s+on)\W{0,40}$",
    re.IGNORECASE,
)


class SourceError(ValueError):
    """A source that cannot be read as essays, with the reason a moderator can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class ParsedFeed:
    """A parsed feed. ``warning`` is set when feedparser had to recover from bad XML or charset."""

    title: str
    link: str | None
    entries: list[Entry] = field(default_factory=list)
    version: str = ""
    warning: str | None = None
    icon: str | None = None  # the feed's image, icon or logo


@dataclass(slots=True)
class ReadResult:
    """What ``read_path`` found: entries with the file they came from, and per-file errors."""

    entries: list[tuple[Path, Entry]] = field(default_factory=list)
    errors: list[tuple[Path, SourceError]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every file of a supported type that was read


# ---------------------------------------------------------------------------
# Feeds

_PROLOG_ITEM_RE = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)
# The DOCTYPE header up to its first "[" (internal subset) or ">", skipping quoted literals.
_DOCTYPE_RE = re.compile(rb"""<!DOCTYPE(?:[^>\["']|"[^"]*"|'[^']*')*([\[>])""", re.IGNORECASE)
_ROOT_NAME_RE = re.compile(rb"<([A-Za-z_][\w:.-]*)")
_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _ascii_view(data: bytes) -> bytes:
    """The document as ASCII-compatible bytes for prolog checks (UTF-16 is re-encoded)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace").encode()
    if data[:2] in (b"<\x00", b"\x00<"):
        encoding = "utf-16-le" if data[:2] == b"<\x00" else "utf-16-be"
        return data.decode(encoding, errors="replace").encode()
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    return data


def _skip_prolog(view: bytes) -> int:
    pos = 0
    while True:
        match = _PROLOG_ITEM_RE.match(view, pos)
        if match is None:
            break
        pos = match.end()
    while pos < len(view) and view[pos : pos + 1].isspace():
        pos += 1
    return pos


def _refuse_internal_dtd(view: bytes) -> int:
    """Refuse documents whose DOCTYPE has an internal subset; return where the root starts.

    Feeds never need one, and it is where entity bombs (billion laughs) and external
    entities live. expat and feedparser limit some of this already; refusing up front is
    cheaper and gives a clear reason.
    """
    pos = _skip_prolog(view)
    if view[pos : pos + 9].upper() == b"<!DOCTYPE":
        match = _DOCTYPE_RE.match(view, pos)
        if match is None:
            raise SourceError("malformed XML: unterminated DOCTYPE")
        if match.group(1) == b"[":
            raise SourceError("refused: the document declares its own DTD entities (possible XML entity attack)")
        pos = match.end()
    return pos


def _looks_like_html(view: bytes) -> bool:
    head = view[:2048].lower()
    return b"<html" in head or b"<!doctype html" in head or b"<body" in head


def _root_closed(view: bytes, root_at: int) -> bool:
    match = _ROOT_NAME_RE.match(view, _skip_prolog(view[root_at:]) + root_at)
    if match is None:
        return False
    tail = view[-512:].rstrip()
    closing = rb"</" + re.escape(match.group(1)) + rb"\s*>(?:\s*<!--.*?-->|\s*<\?.*?\?>)*$"
    return re.search(closing, tail, re.DOTALL) is not None


def parse_feed(data: bytes, *, url: str | None = None, content_type: str | None = None) -> ParsedFeed:
    """Parse RSS 0.9x/1.0/2.0 or Atom bytes into entries; raise SourceError when it is no feed.

    A valid feed with no entries is returned as such. Malformed XML that feedparser can
    still read is accepted with ``warning`` set, unless the document is cut short.
    """
    if not data.strip():
        raise SourceError("empty document")
    view = _ascii_view(data)
    root_at = _refuse_internal_dtd(view)
    headers = {"content-type": content_type} if content_type else {}
    try:
        result = feedparser.parse(data, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    except Exception as error:
        # feedparser reports bad documents through "bozo" and should never raise; when it does (its
        # lenient parser chokes on a character reference to a surrogate, for one), the document is to blame.
        logger.warning("feed %s: feedparser failed", url or "(bytes)", exc_info=True)
        raise SourceError(f"malformed XML that the feed parser could not read ({type(error).__name__})") from error
    version: str = result.get("version") or ""
    raw_entries: list[Any] = result.get("entries") or []
    problem = result.get("bozo_exception") if result.get("bozo") else None
    if not version and not raw_entries:
        if _looks_like_html(view):
            raise SourceError("got an HTML page where a feed was expected")
        raise SourceError(f"not a feed{': ' + _describe_problem(problem) if problem else ''}")
    warning: str | None = None
    if problem is not None:
        if isinstance(problem, _HARMLESS_BOZO):
            warning = str(problem)
        elif not raw_entries:
            raise SourceError(f"malformed XML: {_describe_problem(problem)}")
        elif not _root_closed(view, root_at):
            raise SourceError(f"truncated feed: {_describe_problem(problem)}")
        else:
            warning = f"malformed XML read leniently: {_describe_problem(problem)}"
        logger.info("feed %s: %s", url or "(bytes)", warning)
    feed = result.get("feed") or {}
    base = url or feed.get("link")
    feed_link = feed.get("link")
    feed_author = _person(feed)
    title = _plain_title(feed.get("title"), feed.get("title_detail"))
    icon = _feed_icon(feed, base)
    entries = [
        _feed_entry(raw, base=base, source=url or "", feed_author=feed_author, site=(title or None, icon))
        for raw in raw_entries
    ]
    return ParsedFeed(
        title=title,
        link=urljoin(url, feed_link) if url and feed_link else feed_link,
        entries=entries,
        version=version,
        warning=warning,
        icon=icon,
    )


def _feed_icon(feed: Any, base: str | None) -> str | None:
    image = feed.get("image") or {}
    for candidate in (image.get("href") or image.get("url"), feed.get("icon"), feed.get("logo")):
        if isinstance(candidate, str) and (found := usable_site_icon(candidate, base=base)):
            return found
    return None


def usable_site_icon(url: str, *, base: str | None) -> str | None:
    """An http(s) address for the blog's icon (icons are what is wanted here, unlike for a lead image)."""
    absolute = urljoin(base, url.strip()) if base else url.strip()
    return absolute if urlsplit(absolute).scheme in ("http", "https") and len(absolute) <= 2048 else None


_SAX_POSITION_RE = re.compile(r"<unknown>:(\d+):(\d+):\s*(.*)", re.DOTALL)


def _describe_problem(problem: object) -> str:
    """A parse error as moderators can read it: "no element found at line 1, column 2708"."""
    text = " ".join(str(problem).split())
    match = _SAX_POSITION_RE.fullmatch(text)
    return f"{match.group(3)} at line {match.group(1)}, column {match.group(2)}" if match else text


def _feed_entry(
    raw: Any, *, base: str | None, source: str, feed_author: str | None, site: tuple[str | None, str | None]
) -> Entry:
    html, summary_only = _entry_body(raw)
    link = raw.get("link") or None
    url = urljoin(base, link) if base and link else link
    image = feed_entry_image(raw, base=url or base) or content_image(html, base=url or base)
    return Entry(
        source=source,
        title=_plain_title(raw.get("title"), raw.get("title_detail")),
        entry_id=(raw.get("id") or "").strip() or None,
        url=url,
        author=_person(raw) or feed_author,
        published=_struct_to_datetime(
            raw.get("published_parsed") or raw.get("updated_parsed") or raw.get("created_parsed")
        ),
        labels=_dedupe(tag.get("term") or tag.get("label") or "" for tag in raw.get("tags") or ()),
        html=html,
        summary_only=summary_only,
        links=extract_links(html, base_url=url or base) if "href" in html else (),
        image=image,
        site_name=site[0],
        site_icon=site[1],
    )


def _entry_body(raw: Any) -> tuple[str, bool]:
    """The longest full content as HTML, else the summary; whether only a teaser was given."""
    contents = [c for c in raw.get("content") or () if (c.get("value") or "").strip()]
    if contents:
        best = max(contents, key=lambda c: len(c.get("value") or ""))
        return _as_html(best.get("value") or "", best.get("type")), False
    summary = raw.get("summary") or ""
    if not summary.strip():
        return "", True
    detail = raw.get("summary_detail") or {}
    html = _as_html(summary, detail.get("type"))
    text = LexborHTMLParser(html).text(separator=" ") if "<" in html else html
    teaser = len(text.split()) < SUMMARY_MIN_WORDS or _TEASER_END_RE.search(text.rstrip()[-200:]) is not None
    return html, teaser


def _as_html(value: str, content_type: str | None) -> str:
    if content_type == "text/plain":
        paragraphs = re.split(r"\n\s*\n", value.strip())
        return "".join(f"<p>{escape(p)}</p>" for p in paragraphs if p.strip())
    return value


def _plain_title(value: str | None, detail: Any) -> str:
    if not value:
        return ""
    if detail and "html" in (detail.get("type") or "") and "<" in value:
        value = LexborHTMLParser(value).text(separator=" ")
    return " ".join(value.split())


_EMAIL_RE = re.compile(r"^\S+@\S+$")
# RSS writes an author as "sam@blog.example (Sam Writer)"; mail headers as "Sam Writer <sam@blog.example>";
# feedparser gives Atom's name and email as "Sam Writer (sam@blog.example)".
_EMAIL_THEN_NAME_RE = re.compile(r"^\s*\S+@\S+\s*\((.+)\)\s*$")
_NAME_THEN_EMAIL_RE = re.compile(r"^\s*(.+?)\s*[<(]\S+@[^\s)>]+[>)]\s*$")


def person_name(raw: str | None) -> str | None:
    """A display name from an author field: the name beside an e-mail address; an address alone is none."""
    text = " ".join((raw or "").split())
    for pattern in (_EMAIL_THEN_NAME_RE, _NAME_THEN_EMAIL_RE):
        if (match := pattern.match(text)) is not None:
            text = match.group(1).strip().strip('"')
            break
    if not text or _EMAIL_RE.match(text):
        return None
    return text


def _person(item: Any) -> str | None:
    # The raw field first: feedparser splits "sam@blog.example (Sam Writer)" wrongly into its detail.
    detail = item.get("author_detail") or {}
    return person_name(item.get("author") or detail.get("name"))


def _struct_to_datetime(value: struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)  # feedparser normalises dates to UTC
    except (TypeError, ValueError):
        return None


def _dedupe(labels: Any) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for label in labels:
        text = " ".join(str(label).split())
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            kept.append(text)
    return tuple(kept)


# ---------------------------------------------------------------------------
# Article pages


def parse_article_page(html: str, *, url: str | None) -> Entry:
    """A whole article page to an Entry with metadata and the main content as HTML."""
    tree = LexborHTMLParser(html)
    ld = _json_ld(tree)
    page_url = _page_url(tree, url)
    main = trafilatura.extract(
        html,
        url=page_url,
        output_format="html",
        include_formatting=True,
        include_comments=False,
        include_images=False,
        include_tables=True,
        include_links=True,
    )
    # Below a few sentences trafilatura has found page chrome (a menu, a cookie notice), not an essay.
    if not main or len(LexborHTMLParser(main).text().split()) < MIN_ARTICLE_WORDS:
        raise SourceError("no article text found")
    return Entry(
        source=url or page_url or "",
        title=_page_title(tree, ld),
        url=page_url,
        author=person_name(_page_author(tree, ld)),
        published=_page_published(tree, ld),
        labels=_page_labels(tree, ld),
        html=main,
        links=extract_links(main, base_url=page_url),
        image=page_image(tree, base=page_url) or content_image(html_of_article(tree), base=page_url),
        site_name=_meta(tree, "og:site_name"),
        site_icon=_page_icon(tree, page_url),
    )


def html_of_article(tree: LexborHTMLParser) -> str | None:
    """The article element's HTML, where its first picture is likely the essay's (trafilatura drops images)."""
    node = tree.css_first("article") or tree.css_first("main")
    return node.html if node is not None else None


def _page_icon(tree: LexborHTMLParser, base: str | None) -> str | None:
    for selector in ('link[rel="apple-touch-icon"]', 'link[rel="icon"]', 'link[rel="shortcut icon"]'):
        href = _attr(tree, selector, "href")
        if href and (found := usable_site_icon(href, base=base)):
            return found
    return None


def _page_url(tree: LexborHTMLParser, url: str | None) -> str | None:
    """The canonical (or og:url) address, made absolute against ``url``; else ``url`` itself."""
    for candidate in (_attr(tree, 'link[rel="canonical"]', "href"), _meta(tree, "og:url")):
        if candidate:
            resolved = urljoin(url, candidate) if url else candidate
            if _is_absolute(resolved):
                return resolved
    return url


def _meta(tree: LexborHTMLParser, name: str) -> str | None:
    for selector in (f'meta[property="{name}"]', f'meta[name="{name}"]', f'meta[itemprop="{name}"]'):
        value = _attr(tree, selector, "content")
        if value:
            return value
    return None


def _attr(tree: LexborHTMLParser, selector: str, attribute: str) -> str | None:
    node = tree.css_first(selector)
    if node is None:
        return None
    value = (node.attributes.get(attribute) or "").strip()
    return value or None


def _node_text(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    text = " ".join((node.text(separator=" ") or "").split())
    return text or None


def _json_ld(tree: LexborHTMLParser) -> dict[str, Any]:
    """The first JSON-LD object that describes an article (or has a publication date)."""
    for script in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(script.text() or "")
        except ValueError:
            continue
        for item in _ld_items(data):
            kind = item.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if "datePublished" in item or any(str(k).endswith(("Article", "Posting")) for k in kinds):
                return item
    return {}


def _ld_items(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)]
    if isinstance(data, dict):
        graph = data.get("@graph")
        if isinstance(graph, list):
            return [item for item in graph if isinstance(item, dict)]
        return [data]
    return []


def _page_title(tree: LexborHTMLParser, ld: dict[str, Any]) -> str:
    title = _meta(tree, "og:title") or (ld.get("headline") if isinstance(ld.get("headline"), str) else None)
    title = title or _node_text(tree.css_first("h1"))
    if not title:
        title = _node_text(tree.css_first("title")) or ""
        title = title.split(" | ")[0]  # "Essay title | Site name"
    return " ".join(title.split())


def _page_author(tree: LexborHTMLParser, ld: dict[str, Any]) -> str | None:
    author = _meta(tree, "author")
    article_author = _meta(tree, "article:author")
    if not author and article_author and not article_author.startswith("http"):
        author = article_author
    if not author:
        author = _ld_name(ld.get("author"))
    if not author:
        author = _node_text(tree.css_first('[rel="author"], .byline, .author-name, [itemprop="author"]'))
        if author:
            author = re.sub(r"^by\s+", "", author, flags=re.IGNORECASE)
    return author or None


def _ld_name(value: Any) -> str | None:
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("name")
    return value.strip() or None if isinstance(value, str) else None


def _page_published(tree: LexborHTMLParser, ld: dict[str, Any]) -> datetime | None:
    candidates = [
        _meta(tree, "article:published_time"),
        _meta(tree, "datePublished"),
        ld.get("datePublished") if isinstance(ld.get("datePublished"), str) else None,
        _attr(tree, "time[datetime]", "datetime"),
    ]
    for candidate in candidates:
        if candidate:
            parsed = parse_date(candidate)
            if parsed is not None:
                return parsed
    return None


def _page_labels(tree: LexborHTMLParser, ld: dict[str, Any]) -> tuple[str, ...]:
    labels = [node.attributes.get("content") or "" for node in tree.css('meta[property="article:tag"]')]
    labels += [_node_text(node) or "" for node in tree.css('a[rel~="tag"]')]
    keywords = ld.get("keywords")
    if isinstance(keywords, str):
        labels += keywords.split(",")
    elif isinstance(keywords, list):
        labels += [str(k) for k in keywords]
    return _dedupe(labels)


# ---------------------------------------------------------------------------
# Dates

_SPACED_OFFSET_RE = re.compile(r"\s+([+-]\d{2}:?\d{2})$")


def parse_date(value: str) -> datetime | None:
    """ISO 8601 (with or without time), Jekyll's "YYYY-MM-DD HH:MM:SS +0100" or RFC 822.

    A date without a timezone is taken as UTC, so every result is timezone-aware.
    """
    text = _SPACED_OFFSET_RE.sub(r"\1", value.strip())
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and value.strip():
        return parse_date(value)
    return None


# ---------------------------------------------------------------------------
# Markdown and plain text

_FILENAME_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
_TOML_FRONT_RE = re.compile(r"\A\ufeff?\+\+\+[ \t]*\r?\n(.*?)\r?\n\+\+\+[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    toml_match = _TOML_FRONT_RE.match(text)
    try:
        if toml_match:  # Hugo's TOML front matter; python-frontmatter needs an extra package for it
            return tomllib.loads(toml_match.group(1)), text[toml_match.end() :]
        post = frontmatter.loads(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, ValueError) as error:
        raise SourceError(f"bad front matter: {error}") from error
    metadata = post.metadata if isinstance(post.metadata, dict) else {}
    return dict(metadata), str(post.content)


def _is_draft(meta: dict[str, Any]) -> bool:
    return meta.get("draft") in (True, "true", "yes") or meta.get("published") in (False, "false", "no")


def _labels_from(value: Any, *, single: bool = False) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    if isinstance(value, str):
        if single:
            return [value]
        # Jekyll separates string tags/categories by spaces; some sites use commas.
        return value.split(",") if "," in value else value.split()
    return []


def _slug_title(path: Path) -> str:
    stem = path.parent.name if path.stem in ("index", "_index") and path.parent.name else path.stem
    match = _FILENAME_DATE_RE.match(stem)
    slug = match.group(4) if match else stem
    words = re.sub(r"[-_]+", " ", slug).strip()
    return words[:1].upper() + words[1:]


def _filename_date(path: Path) -> datetime | None:
    match = _FILENAME_DATE_RE.match(path.stem)
    if match is None:
        return None
    try:
        return datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)), tzinfo=UTC)
    except ValueError:
        return None


def _author_from(value: Any) -> str | None:
    if isinstance(value, list):
        names = [_author_from(v) for v in value]
        return ", ".join(n for n in names if n) or None
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _is_absolute(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def _str_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def parse_markdown(text: str, *, path: str, body_is_html: bool = False) -> Entry:
    """A Jekyll/Hugo post (YAML or TOML front matter) to an Entry with blocks.

    The body is Markdown, or HTML for a Jekyll ``.html`` post (``body_is_html``; blogs
    imported from Blogger or WordPress keep their posts so). Drafts raise
    SourceError("draft"). The date falls back to the YYYY-MM-DD file name prefix; a
    relative permalink is kept as is in ``url``.
    """
    meta, body = _split_front_matter(text)
    if _is_draft(meta):
        raise SourceError("draft")
    file_path = Path(path)
    title = _str_or_none(meta.get("title"))
    html = body if body_is_html else markdown_to_html(body)
    blocks = clean_html(html, title=title)
    if title is None and blocks and blocks[0].kind == "heading":
        title, blocks = blocks[0].text, blocks[1:]
    published = None
    for key in ("date", "publishDate", "pubDate", "published"):
        if key in meta and not isinstance(meta[key], bool):
            published = _to_datetime(meta[key])
            if published:
                break
    labels = (
        _labels_from(meta.get("tags"))
        + _labels_from(meta.get("categories"))
        + _labels_from(meta.get("category"), single=True)
    )
    entry_id = _str_or_none(meta.get("id")) or _str_or_none(meta.get("blogger_id"))
    url = _str_or_none(meta.get("permalink")) or _str_or_none(meta.get("url"))
    # A blog moved from Blogger keeps its old address, which its older posts link to.
    url = url or _str_or_none(meta.get("canonical_url")) or _str_or_none(meta.get("blogger_orig_url"))
    return Entry(
        source=path,
        title=title or _slug_title(file_path),
        entry_id=entry_id,
        url=url,
        author=_author_from(meta.get("author") or meta.get("authors")),
        published=published or _filename_date(file_path),
        labels=_dedupe(labels),
        blocks=blocks,
        links=extract_links(html, base_url=url if url and _is_absolute(url) else None),
        image=_front_matter_image(meta.get("image"), url) or content_image(html, base=_absolute_or_none(url)),
    )


def _absolute_or_none(url: str | None) -> str | None:
    return url if url and _is_absolute(url) else None


def _front_matter_image(value: Any, url: str | None) -> str | None:
    """Jekyll and Hugo themes put a post's picture in ``image:`` (a path, or a mapping with one)."""
    if isinstance(value, dict):
        value = value.get("path") or value.get("feature") or value.get("src")
    return usable_image(value, base=_absolute_or_none(url)) if isinstance(value, str) else None


_TEXT_TITLE_MAX_WORDS = 15


def _text_title(line: str) -> str | None:
    candidate = line.strip().lstrip("#").strip()
    words = candidate.split()
    if not words or len(words) > _TEXT_TITLE_MAX_WORDS or len(candidate) > 150:
        return None
    if candidate[-1] in ".,;:" or not any(c.isalpha() for c in candidate):
        return None
    return candidate


def parse_text(text: str, *, path: str) -> Entry:
    """A plain-text essay: the first line is the title when it looks like one."""
    text = text.lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    title: str | None = None
    body = text
    if first is not None:
        following = lines[first + 1] if first + 1 < len(lines) else ""
        # A title stands alone: the next line is blank (or the file is just the title line).
        if not following.strip():
            title = _text_title(lines[first])
            if title is not None:
                body = "\n".join(lines[first + 1 :])
    file_path = Path(path)
    blocks: tuple[Block, ...] = text_to_blocks(body)
    if title is None:
        title = _slug_title(file_path)
    elif blocks and normalise_title(blocks[0].text) == normalise_title(title):
        blocks = blocks[1:]
    return Entry(
        source=path,
        title=title,
        published=_filename_date(file_path),
        blocks=blocks,
        links=extract_text_links(body),
    )


# ---------------------------------------------------------------------------
# Local files and directories

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
# A file that opens with a YAML (---) or TOML (+++) front matter fence.
_FRONT_MATTER_RE = re.compile(r"\A\ufeff?(?:---|\+\+\+)[ \t]*\r?\n")


def _decode_text(data: bytes, declared: str | None = None) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    for encoding in (declared, "utf-8"):
        if encoding:
            try:
                return data.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
    return data.decode("cp1252", errors="replace")


# A folder of this many files or more is read in a pool of processes (``_read_files``).
PARALLEL_FROM = 1000


def _read_file(path: Path) -> list[Entry]:
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read file: {error.strerror or error}") from error
    if suffix in FEED_EXTENSIONS:
        return parse_feed(data).entries
    if suffix in PAGE_EXTENSIONS:
        charset = _META_CHARSET_RE.search(data[:4096])
        html = _decode_text(data, charset.group(1).decode("ascii") if charset else None)
        if _FRONT_MATTER_RE.match(html):
            return [parse_markdown(html, path=str(path), body_is_html=True)]  # a Jekyll HTML post
        entry = parse_article_page(html, url=None)
        entry.source = str(path)
        return [entry]
    if suffix in MARKDOWN_EXTENSIONS:
        return [parse_markdown(_decode_text(data), path=str(path))]
    if suffix in TEXT_EXTENSIONS:
        return [parse_text(_decode_text(data), path=str(path))]
    raise SourceError(f"unsupported file type: {suffix or '(none)'}")


def _files_under(directory: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]  # .git and friends
        for name in filenames:
            candidate = Path(dirpath) / name
            # A folder's README describes the folder; it is not an essay.
            if name.startswith(".") or candidate.stem.upper() == "README":
                continue
            if candidate.suffix.lower() in SUPPORTED_EXTENSIONS:
                found.append(candidate)
    return sorted(found)


def read_path(path: Path) -> ReadResult:
    """Read a local file or a directory tree (sorted); a bad file does not stop the others.

    Feeds (.xml .rss .atom) may give many entries, pages (.html .htm), Markdown (.md
    .markdown) and text (.txt) one each. Files of other types in a directory are skipped.
    """
    result = ReadResult()
    if path.is_dir():
        files = _files_under(path)
    elif path.exists():
        files = [path]
    else:
        result.errors.append((path, SourceError("no such file or directory")))
        return result
    result.files = files
    for file, outcome in zip(files, _read_files(files), strict=True):
        if isinstance(outcome, SourceError):
            logger.info("skipped %s: %s", file, outcome.reason)
            result.errors.append((file, outcome))
            continue
        result.entries.extend((file, entry) for entry in outcome)
    return result


def _read_files(files: list[Path]) -> Iterable[list[Entry] | SourceError]:
    """Each file's entries or the reason it was skipped, in order; a large folder in a pool of processes.

    Parsing is CPU work (Markdown to HTML, then cleaning: about 2 ms a post), so an archive of
    thousands of files is read on every core. Starting the processes costs about a second, so a
    smaller folder is read here.
    """
    workers = os.cpu_count() or 1
    if len(files) < PARALLEL_FROM or workers < 2:
        return map(_read_outcome, files)
    # Spawned, not forked: the caller may run threads (the bot reads in a worker thread).
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_read_outcome, files, chunksize=64))


def _read_outcome(path: Path) -> list[Entry] | SourceError:
    try:
        return _read_file(path)
    except SourceError as error:
        return error
