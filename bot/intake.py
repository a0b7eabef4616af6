"""From a SOURCE (feed or page URL, file, folder) to clean essays, and into the store.

This is where the pure parsers (``bot.essays.sources``, ``bot.essays.cleaning``)
meet the network (``bot.fetch``) and the analysis; both the CLI and the bot's
feed poller go through it, so a source behaves the same everywhere.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from bot.essays.analysis import analyse
from bot.essays.cleaning import clean_html
from bot.essays.model import Analysis, Entry, Essay
from bot.essays.references import ReferenceCandidate, resolve_references
from bot.essays.sections import DEFAULT_MAX_SECTIONS
from bot.essays.sources import (
    ParsedFeed,
    SourceError,
    parse_article_page,
    parse_feed,
    read_path,
)
from bot.fetch import Fetcher, FetchError, FetchResult, normalise_url
from bot.related import add_to_neighbourhoods
from bot.store import EssayRow, IngestOutcome, Store

logger = logging.getLogger(__name__)

_FEED_TYPES = ("xml", "rss", "atom", "rdf")


class IntakeError(Exception):
    """A source could not be read; ``str()`` is one clear line for the user."""


@dataclass(slots=True)
class Loaded:
    """What a source gave: entries, per-item problems, and the feed when it was one."""

    entries: list[Entry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    feed: ParsedFeed | None = None
    fetched: FetchResult | None = None


def is_url(source: str) -> bool:
    return urlsplit(source).scheme in {"http", "https"}


def looks_like_feed(result: FetchResult) -> bool:
    content_type = (result.content_type or "").lower()
    if any(kind in content_type for kind in _FEED_TYPES):
        return True
    head = result.body[:512].lstrip().lower()
    return head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf"))


def entry_identity(entry: Entry, blocks_hash: str | None = None) -> str:
    """The entry's stable identity: its id, else its normalised URL, else its file or content.

    A local file without id or URL is known by its file name, so an edit makes a
    revision rather than a second essay; anything else falls back to a content hash.
    """
    if entry.entry_id and entry.entry_id.strip():
        return entry.entry_id.strip()
    if entry.url and is_url(entry.url):
        return normalise_url(entry.url)
    if entry.source and not is_url(entry.source) and Path(entry.source).suffix:
        return f"file:{Path(entry.source).name}"
    if blocks_hash is None:
        digest = hashlib.sha256((entry.title + "\x00" + (entry.html or "")).encode())
        blocks_hash = digest.hexdigest()
    return f"sha256:{blocks_hash[:24]}"


def entry_to_essay(entry: Entry) -> Essay:
    """Clean an entry's body into an essay; raise IntakeError when nothing is left."""
    blocks = entry.blocks if entry.blocks is not None else clean_html(entry.html or "", title=entry.title)
    if not blocks:
        raise IntakeError(f"{entry.url or entry.source}: no essay text after cleaning")
    essay = Essay(
        key="",
        title=entry.title.strip() or "Untitled",
        blocks=blocks,
        url=entry.url,
        author=entry.author,
        published=entry.published,
        labels=entry.labels,
        source=entry.source,
        links=entry.links,
        image=entry.image,
        site_name=entry.site_name,
        site_icon=entry.site_icon,
    )
    if essay.author and essay.site_name and essay.author.casefold() == essay.site_name.casefold():
        # Feeds that name the blog as every post's author: nobody is to be credited by that name.
        essay.author = None
    return replace(essay, key=entry_identity(entry, essay.content_hash))


async def load_source(source: str, fetcher: Fetcher | None) -> Loaded:
    """Read one SOURCE; raise IntakeError when the source as a whole is unusable."""
    if is_url(source):
        if fetcher is None:
            raise IntakeError(f"{source}: fetching URLs is not available here")
        return await _load_url(source, fetcher)
    # Reading and parsing files blocks; keep the event loop free for the bot.
    return await asyncio.to_thread(_load_path, Path(source))


def _load_path(path: Path) -> Loaded:
    source = str(path)
    if not path.exists():
        raise IntakeError(f"{source}: no such file or directory")
    loaded = Loaded()
    found = read_path(path)
    loaded.entries = [entry for _, entry in found.entries]
    # A draft is skipped on purpose, not a failure.
    loaded.problems = [f"{file}: {error}" for file, error in found.errors if error.reason != "draft"]
    if not loaded.entries and not loaded.problems:
        if found.files:
            # Feed files were read and held nothing: that is the answer, not a wrong file type.
            what = "the feed has no entries" if path.is_file() else "the feeds in it have no entries"
            raise IntakeError(f"{source}: {what}")
        raise IntakeError(f"{source}: no essays found (expected .xml, .html, .md or .txt files)")
    return loaded


async def _load_url(url: str, fetcher: Fetcher) -> Loaded:
    try:
        result = await fetcher.fetch(url)
    except FetchError as exc:
        raise IntakeError(f"{url}: {exc.reason}") from exc
    if looks_like_feed(result):
        try:
            feed = parse_fetched_feed(result)
        except SourceError as exc:
            raise IntakeError(f"{url}: {exc}") from exc
        if not feed.entries:
            raise IntakeError(f"{url}: the feed has no entries")
        loaded = Loaded(feed=feed, fetched=result)
        loaded.entries, loaded.problems = await complete_entries(feed.entries, fetcher)
        return loaded
    html = decode_body(result)
    try:
        entry = parse_article_page(html, url=result.final_url)
    except SourceError as exc:
        raise IntakeError(f"{url}: {exc}") from exc
    return Loaded(entries=[entry], fetched=result)


def parse_fetched_feed(result: FetchResult) -> ParsedFeed:
    """The feed in a fetched document; SourceError when it is none (an HTML or error page).

    Entries are returned as the feed gives them: summary-only ones are not completed
    here, so the poller can fetch pages only for entries it has not seen.
    """
    return parse_feed(result.body, url=result.final_url, content_type=result.content_type)


def decode_body(result: FetchResult) -> str:
    charset = result.charset or "utf-8"
    try:
        return result.body.decode(charset, errors="replace")
    except LookupError:
        return result.body.decode("utf-8", errors="replace")


async def complete_entries(entries: Sequence[Entry], fetcher: Fetcher) -> tuple[list[Entry], list[str]]:
    """Fetch the article page of every summary-only entry.

    An entry whose page cannot be had is left out (and reported) rather than
    stored as a summary, which would later look like a revision.
    """
    complete: list[Entry] = []
    problems: list[str] = []
    for entry in entries:
        if not entry.summary_only:
            complete.append(entry)
            continue
        if not entry.url:
            problems.append(f"{entry.title!r}: only a summary in the feed and no link to the full text")
            continue
        try:
            result = await fetcher.fetch(entry.url)
            page = parse_article_page(decode_body(result), url=result.final_url)
        except (FetchError, SourceError) as exc:
            reason = exc.reason if isinstance(exc, FetchError) else str(exc)
            problems.append(f"{entry.url}: only a summary in the feed, and the page failed: {reason}")
            continue
        complete.append(
            replace(
                entry,
                html=page.html,
                blocks=page.blocks,
                links=page.links or entry.links,
                author=entry.author or page.author,
                image=entry.image or page.image,
                site_name=entry.site_name or page.site_name,
                site_icon=entry.site_icon or page.site_icon,
                published=entry.published or page.published,
                labels=entry.labels or page.labels,
                summary_only=False,
            )
        )
    return complete, problems


async def analyse_for_store(store: Store, essay: Essay, *, max_sections: int = DEFAULT_MAX_SECTIONS) -> Analysis:
    """Analyse an essay and resolve its references against the stored archive."""
    return await resolve_against_archive(store, essay, analyse(essay, max_sections=max_sections))


async def resolve_against_archive(store: Store, essay: Essay, analysis: Analysis) -> Analysis:
    """Resolve an analysis's references to the stored essays they point at (in place; returned)."""
    if analysis.references:
        candidates = [
            ReferenceCandidate(key=c.key, url=c.url, title=c.title, published=c.published)
            for c in await store.reference_candidates(analysis.references, exclude_key=essay.key)
        ]
        try:
            analysis.references = resolve_references(analysis.references, candidates)
        except Exception as exc:
            # Like any analyser (bot.essays.analysis): the essay goes in with its references unresolved.
            logger.exception("resolving the references of essay %r failed", essay.key)
            analysis.failures.append(f"reference resolution ({type(exc).__name__})")
    return analysis


async def store_essay(
    store: Store, essay: Essay, *, feed_id: int | None = None, max_sections: int = DEFAULT_MAX_SECTIONS
) -> IngestOutcome:
    existing = await store.get_essay(essay.key)
    if existing is not None and existing.content_hash == essay.content_hash:
        # Unchanged: skip the analysis entirely (a re-poll must be cheap).
        return IngestOutcome("unchanged", existing.id, essay.key, existing.revision)
    analysis = await analyse_for_store(store, essay, max_sections=max_sections)
    outcome = await store.save_essay(essay, analysis, feed_id=feed_id)
    if outcome.status == "new":
        await resolve_waiting_references(store, outcome.essay_id)
    # Its place among the archive's related posts (a new or revised essay has no neighbour list yet).
    await add_to_neighbourhoods(store, outcome.essay_id)
    if analysis.failures:
        outcome = replace(outcome, analysis_failures=tuple(analysis.failures))
    return outcome


async def store_public_page(
    store: Store, essay: Essay, *, max_sections: int = DEFAULT_MAX_SECTIONS
) -> tuple[EssayRow, bool]:
    """Store an essay fetched from its public page, unless stored already; True when stored now.

    An essay already stored under the same key (from some server's feed) is used only when the
    page shows the same text: the stored copy is never revised from a page, which may differ from
    what a members-only feed carries. IntakeError when it differs.
    """
    existing = await store.get_essay(essay.key)
    if existing is not None:
        if existing.content_hash != essay.content_hash:
            raise IntakeError(f"{essay.url}: a different text is stored under this address")
        return existing, False
    outcome = await store_essay(store, essay, max_sections=max_sections)
    stored = await store.get_essay_by_id(outcome.essay_id)
    assert stored is not None
    return stored, True


def analysis_failure_line(title: str, failures: Sequence[str]) -> str:
    """One line for the CLI and the mod-log about an essay stored without part of its analysis."""
    return f"“{title}” was stored without its {', '.join(failures)}; the log has the details"


async def resolve_waiting_references(store: Store, essay_id: int) -> int:
    """Resolve earlier-stored references that the newly stored essay may answer; return how many.

    Each referring essay's references are resolved against all candidates near them,
    not only the new essay, so "exactly one post that week" still means exactly one.
    """
    resolutions: list[tuple[int, str]] = []
    for referrer, pairs in (await store.unresolved_references_near(essay_id)).items():
        refs = [ref for _, ref in pairs]
        candidates = [
            ReferenceCandidate(key=c.key, url=c.url, title=c.title, published=c.published)
            for c in await store.reference_candidates(refs, exclude_key=referrer)
        ]
        for (ref_id, _), resolved in zip(pairs, resolve_references(refs, candidates), strict=True):
            if resolved.resolved_key:
                resolutions.append((ref_id, resolved.resolved_key))
    if resolutions:
        await store.set_reference_resolution(resolutions)
    return len(resolutions)
