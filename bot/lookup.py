"""The member commands without Discord: /quote, /figures and /related.

Each command's work is here: where it looks by default (inside a section
thread, that thread's essay and section), which results it picks (a random
quote is weighted towards attributed quotations and high-scored sentences),
and how the results become pages of text that always fit Discord's limits.
The cog only parses options, sends pages and wires the buttons.
"""

from __future__ import annotations

import functools
import logging
import random
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar, overload

from bot.errors import UserError
from bot.essays.model import Figure, FigureKind, Quote
from bot.fetch import normalise_url
from bot.publishing.render import escape_markdown
from bot.related import RelatedPost, kept_related_to_essay, related_to_text
from bot.store import EssayChoice, EssayRef, EssayRow, Store, search_words
from bot.store.scope import GuildScope
from bot.store.together import read_together

logger = logging.getLogger(__name__)

# Discord's limits, counted in UTF-16 code units: stricter than code points, so always safe.
CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
CHOICE_MAX = 100
CHOICES_MAX = 25

MAX_RESULTS = 50
QUOTES_PER_PAGE = 4
FIGURES_PER_PAGE = 5
RELATED_PER_PAGE = 5
RELATED_LIMIT = 10
# A random quote is drawn from the best few of the pool, so it varies without being junk.
RANDOM_TOP = 10
ESSAY_ALIAS = "id:"

FIGURE_KIND_LABELS: dict[FigureKind, str] = {
    "money": "money",
    "per_unit": "per unit",
    "ratio": "ratio",
    "percent": "percent",
    "percentage_points": "percentage points",
    "count": "count",
    "year": "year",
    "date": "date",
    "time": "time of day",
    "duration": "duration",
}
_QUOTE_KIND_LABELS = {"direct": "Quotation", "epigraph": "Epigraph", "notable": "Notable sentence", "scare": "Phrase"}
_Hit = TypeVar("_Hit", Quote, Figure)
_Item = TypeVar("_Item")
_ALIAS = re.compile(r"id:([0-9]{1,18})")


# ------------------------------------------------------------------ pages


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Page:
    """One embed's worth of text; ``fit_page`` makes any page fit Discord's limits."""

    title: str
    description: str = ""
    url: str | None = None
    fields: tuple[Field, ...] = ()
    footer: str = ""

    @property
    def size(self) -> int:
        """What counts towards Discord's 6,000 limit for one embed."""
        parts = [self.title, self.description, self.footer]
        parts += [f.name for f in self.fields] + [f.value for f in self.fields]
        return sum(dlen(p) for p in parts)


class Pages(Sequence[Page]):
    """An answer's pages, each made (formatted, numbered and fitted) the first time it is read.

    A member reads the first page of most answers; formatting all of them up front (thirteen for
    fifty quotes) took a fifth of a /quote's time and more of a /figures', for pages seldom turned to.
    Pages with a ``prepare`` step read what they show from the store first: ``await pages.ready(i)``
    before ``pages[i]``, which refuses a page not made ready.
    """

    __slots__ = ("_count", "_made", "_make", "_prepare", "_ready")

    def __init__(
        self, count: int, make: Callable[[int], Page], prepare: Callable[[int], Awaitable[None]] | None = None
    ) -> None:
        self._count = count
        self._make = make
        self._made: dict[int, Page] = {}
        self._prepare = prepare
        self._ready: set[int] = set()

    async def ready(self, index: int) -> None:
        """Read from the store what page ``index`` shows (once; nothing for pages that need nothing)."""
        index = self._position(index)
        if self._prepare is not None and index not in self._ready:
            await self._prepare(index)
            self._ready.add(index)

    def _position(self, index: int) -> int:
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        return index

    @classmethod
    def of(cls, pages: Sequence[Page]) -> Pages:
        """Pages made already (a single page, or none)."""
        made = list(pages)
        return cls(len(made), lambda index: made[index])

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Page: ...

    @overload
    def __getitem__(self, index: slice) -> list[Page]: ...

    def __getitem__(self, index: int | slice) -> Page | list[Page]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        index = self._position(index)
        page = self._made.get(index)
        if page is None:
            if self._prepare is not None and index not in self._ready:
                raise LookupError(f"page {index} read before Pages.ready({index})")
            page = self._made[index] = self._make(index)
        return page


@dataclass(frozen=True, slots=True)
class Answer:
    """A command's reply: pages to show, or a short message when nothing was found."""

    pages: Pages
    message: str = ""

    @classmethod
    def nothing(cls, message: str) -> Answer:
        return cls(Pages.of([]), message)


@dataclass(frozen=True, slots=True)
class Choice:
    """An autocomplete choice: ``name`` shown, ``value`` sent back (both at most 100 characters)."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a command looks: an essay (chosen, or the thread's) and the thread's section."""

    guild_id: int | None
    essay: EssayRow | None = None
    section: int | None = None
    from_thread: bool = False


@dataclass(slots=True)
class Links:
    """Section titles and, in a server, each section's discussion thread."""

    guild_id: int | None
    threads: dict[tuple[int, int], int] = field(default_factory=dict)
    sections: dict[tuple[int, int], str] = field(default_factory=dict)

    def thread_url(self, essay_id: int | None, section: int) -> str | None:
        if self.guild_id is None or essay_id is None:
            return None
        thread_id = self.threads.get((essay_id, section))
        return f"https://discord.com/channels/{self.guild_id}/{thread_id}" if thread_id else None

    def essay_threads(self, essay_id: int | None) -> list[tuple[int, str]]:
        """(section, thread URL) of every discussed section of an essay, in order."""
        found: list[tuple[int, str]] = []
        for eid, section in sorted(self.threads):
            url = self.thread_url(eid, section) if eid == essay_id else None
            if url:
                found.append((section, url))
        return found


def dlen(text: str) -> int:
    """Length as Discord counts it at worst (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` (UTF-16 units) with an ellipsis when it was longer."""
    if dlen(text) <= limit:
        return text
    if limit <= 0:
        return ""
    budget = limit - 1
    kept: list[str] = []
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if size > budget:
            break
        kept.append(char)
        budget -= size
    return "".join(kept).rstrip() + "…"


def one_line(text: str, limit: int) -> str:
    """Whitespace collapsed, then clipped: for names, titles and echoed input."""
    return clip(" ".join(text.split()), limit)


_SPACE_RE = re.compile(r"\s")


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for an embed or a markdown link, else None."""
    if not url or len(url) > 2000 or not url.startswith(("http://", "https://")):
        return None
    if _SPACE_RE.search(url):
        return None
    return url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def link(text: str, url: str | None) -> str:
    """A markdown link, or the plain (escaped) text without a usable URL."""
    shown = escape_markdown(text)
    target = safe_url(url)
    return f"[{shown}]({target})" if target else shown


def fit_page(page: Page) -> Page:
    """The page cut to Discord's embed limits, however long its parts are."""
    fields = tuple(
        Field(one_line(f.name, FIELD_NAME_MAX) or "—", clip(f.value.strip(), FIELD_VALUE_MAX) or "—")
        for f in page.fields[:FIELDS_MAX]
    )
    fitted = Page(
        title=one_line(page.title, TITLE_MAX) or "Result",
        description=clip(page.description, DESCRIPTION_MAX),
        url=safe_url(page.url),
        fields=fields,
        footer=one_line(page.footer, FOOTER_MAX),
    )
    while fitted.size > EMBED_TOTAL_MAX:
        fitted = _shrink_longest(fitted, fitted.size - EMBED_TOTAL_MAX)
    return fitted


def _shrink_longest(page: Page, excess: int) -> Page:
    """Cut the longest part by ``excess`` (but never below one character)."""
    parts = {"title": page.title, "description": page.description, "footer": page.footer}
    for i, f in enumerate(page.fields):
        parts[f"name{i}"] = f.name
        parts[f"value{i}"] = f.value
    longest = max(parts, key=lambda k: dlen(parts[k]))
    shorter = clip(parts[longest], max(dlen(parts[longest]) - excess, 1))
    if longest == "title":
        return replace(page, title=shorter)
    if longest == "description":
        return replace(page, description=shorter)
    if longest == "footer":
        return replace(page, footer=shorter)
    index = int(longest.removeprefix("name").removeprefix("value"))
    old = page.fields[index]
    new = Field(shorter, old.value) if longest.startswith("name") else Field(old.name, shorter)
    return replace(page, fields=(*page.fields[:index], new, *page.fields[index + 1 :]))


def paged(
    items: Sequence[_Item],
    per_page: int,
    noun: str,
    page: Callable[[Sequence[_Item]], Page],
    prepare: Callable[[Sequence[_Item]], Awaitable[None]] | None = None,
) -> Pages:
    """``items`` in pages of ``per_page``, each made by ``page`` when first read, with a footer saying
    where it is ("Page 2/3 · 12 quotes"), fitted; ``prepare`` reads what a page's items still lack."""
    total = len(items)
    count = -(-total // per_page)
    counted = f"{total} {noun}{'' if total == 1 else 's'}"

    def shown(index: int) -> Sequence[_Item]:
        return items[index * per_page : (index + 1) * per_page]

    def make(index: int) -> Page:
        made = page(shown(index))
        where = f"Page {index + 1}/{count} · {counted}" if count > 1 else counted
        footer = f"{made.footer} · {where}" if made.footer else where
        return fit_page(replace(made, footer=footer))

    return Pages(count, make, None if prepare is None else lambda index: prepare(shown(index)))


def echo(text: str, limit: int = 60) -> str:
    """User input repeated back: one line, short, shown literally."""
    return escape_markdown(one_line(text, limit))


# ------------------------------------------------------------------ scope


async def resolve_essay(store: Store, value: str, *, guild_id: GuildScope) -> EssayRow:
    """The essay an ``essay`` option names, among the server's: key, "id:N" alias, URL, or a title matching one."""
    text = " ".join(value.split())
    row = await store.find_visible_essay(text, guild_id=guild_id) if text else None
    alias = _ALIAS.fullmatch(text)
    if row is None and alias:
        row = await store.get_visible_essay(int(alias.group(1)), guild_id=guild_id)
    if row is None and text.startswith(("http://", "https://")):
        try:
            row = await store.find_visible_essay(normalise_url(text), guild_id=guild_id)
        except ValueError:
            row = None
    if row is None and text:
        matches = await store.essays_titled(text, guild_id=guild_id) or await store.essay_choices(
            text, guild_id=guild_id, limit=2
        )
        if len(matches) == 1:
            row = await store.get_visible_essay(matches[0].id, guild_id=guild_id)
    if row is None:
        raise UserError(f"No essay matches “{echo(value, 80)}”; pick one from the list.")
    return row


async def command_scope(store: Store, *, essay: str | None, channel_id: int | None, guild_id: int | None) -> Scope:
    """Where to look: the chosen essay, else the section thread's essay and section, else everywhere."""
    thread = await store.thread_section(channel_id) if channel_id is not None else None
    if essay is not None and essay.strip():
        chosen = await resolve_essay(store, essay, guild_id=guild_id)
        section = thread.section if thread is not None and thread.essay_id == chosen.id else None
        return Scope(guild_id=guild_id, essay=chosen, section=section)
    if thread is not None:
        row = await store.get_visible_essay(thread.essay_id, guild_id=guild_id)
        if row is not None:
            return Scope(guild_id=guild_id, essay=row, section=thread.section, from_thread=True)
    return Scope(guild_id=guild_id)


async def gather_links(store: Store, guild_id: int | None, essay_ids: Sequence[int | None]) -> Links:
    wanted = sorted({eid for eid in essay_ids if eid is not None})
    if guild_id is None:
        return Links(guild_id=guild_id, sections=await store.section_titles(wanted))
    sections, threads = await read_together(
        store, store.section_titles(wanted), store.section_threads_of(wanted, guild_id=guild_id)
    )
    links = Links(guild_id=guild_id, sections=sections)
    for thread in threads:
        # Several destinations may hold the same section: the first one wins.
        links.threads.setdefault((thread.essay_id, thread.section), thread.thread_id)
    return links


# ------------------------------------------------------------ autocomplete


def essay_value(choice: EssayChoice) -> str:
    """The option value for an essay: its key, or a short alias when the key is too long for Discord."""
    fits = dlen(choice.key) <= CHOICE_MAX and not _ALIAS.fullmatch(choice.key)
    return choice.key if fits else f"{ESSAY_ALIAS}{choice.id}"


def essay_choice_name(choice: EssayChoice) -> str:
    when = f" · {choice.published.isoformat()}" if choice.published else ""
    return one_line(choice.title, CHOICE_MAX - dlen(when)) + when


async def essay_choices(
    store: Store, current: str, *, guild_id: GuildScope, channel_id: int | None = None
) -> list[Choice]:
    """The server's essays for the ``essay`` option; in a section thread with nothing typed, its essay first."""
    found = await store.essay_choices(current, guild_id=guild_id, limit=CHOICES_MAX)
    if not current.strip() and channel_id is not None:
        thread = await store.thread_section(channel_id)
        row = await store.get_visible_essay(thread.essay_id, guild_id=guild_id) if thread else None
        if row is not None:
            published = row.essay.published.date() if row.essay.published else None
            own = EssayChoice(row.id, row.essay.key, row.essay.title, published)
            found = [own, *(c for c in found if c.id != row.id)]
    return [Choice(essay_choice_name(c), essay_value(c)) for c in found[:CHOICES_MAX]]


async def speaker_choices(
    store: Store, current: str, *, guild_id: GuildScope, channel_id: int | None = None
) -> list[Choice]:
    """Speakers of the server's essays for the ``speaker`` option; in a section thread, its essay's speakers."""
    essay_id = None
    if not current.strip() and channel_id is not None:
        thread = await store.thread_section(channel_id)
        essay_id = thread.essay_id if thread else None
    names = await store.speaker_choices(current, guild_id=guild_id, essay_id=essay_id, limit=CHOICES_MAX)
    choices: list[Choice] = []
    for name in names:
        shown = one_line(name, CHOICE_MAX)
        if shown:
            choices.append(Choice(shown, shown))
    return choices


# ------------------------------------------------------------------ /quote


def quote_quality(quote: Quote) -> float:
    """How good a quote is to offer at random: attributed quotations and high-scored sentences first."""
    if quote.kind in ("direct", "epigraph") and quote.speaker:
        # A named person ("Dana Whitfield") beats a description ("an aide").
        base = 3.0 if quote.speaker[:1].isupper() else 2.0
    elif quote.kind == "notable":
        base = max(quote.score, 0.0)
    else:
        return 0.0
    words = len(quote.text.split())
    if words < 6:
        base *= 0.3
    elif words > 70:
        base *= 0.6
    return base


def pick_quote(
    pool: Sequence[tuple[Quote, EssayRef]], rng: random.Random, *, top: int = RANDOM_TOP
) -> tuple[Quote, EssayRef] | None:
    """A weighted random choice among the best ``top`` of the pool (None when none is any good).

    A real quotation with a named speaker is always preferred to a notable sentence of the essay.
    """
    good = [hit for hit in pool if quote_quality(hit[0]) > 0]
    named = [hit for hit in good if hit[0].kind in ("direct", "epigraph") and hit[0].speaker]
    ranked = sorted(named or good, key=lambda h: -quote_quality(h[0]))[:top]
    if not ranked:
        return None
    weights = [quote_quality(q) ** 2 for q, _ in ranked]
    return rng.choices(ranked, weights=weights, k=1)[0]


def _section_first(hits: list[tuple[_Hit, EssayRef]], scope: Scope) -> list[tuple[_Hit, EssayRef]]:
    if scope.section is None or scope.essay is None:
        return hits
    essay_id, section = scope.essay.id, scope.section
    # sorted() is stable: within each group the search's own order stays.
    return sorted(hits, key=lambda h: not (h[1].id == essay_id and h[0].section == section))


async def search_quotes(
    store: Store,
    search: str | None,
    *,
    guild_id: GuildScope,
    speaker: str | None = None,
    essay_key: str | None = None,
    limit: int = MAX_RESULTS,
) -> list[tuple[Quote, EssayRef]]:
    """The quotes the server may see matching ``search`` (best first): /quote's and the CLI's one query."""
    return await store.search_quotes(search, guild_id=guild_id, speaker=speaker, essay_key=essay_key, limit=limit)


async def quote_answer(
    store: Store, scope: Scope, *, search: str | None, speaker: str | None, rng: random.Random
) -> Answer:
    """/quote: a good random quote without a search, else every match, best first."""
    search = search if search and search.strip() else None
    speaker = " ".join(speaker.split()) if speaker and speaker.strip() else None
    if search is not None and not search_words(search):
        return Answer.nothing(f"“{echo(search)}” has no words to search for; try a few words from the quote.")
    if search is None:
        return await _random_quote(store, scope, speaker, rng)
    essay_key = scope.essay.essay.key if scope.essay else None
    guild_id = scope.guild_id
    hits = await search_quotes(store, search, guild_id=guild_id, speaker=speaker, essay_key=essay_key)
    notice = ""
    if not hits and scope.from_thread:
        hits = await search_quotes(store, search, guild_id=guild_id, speaker=speaker)
        notice = "Nothing in this thread's essay matched; these are from other essays."
    if not hits:
        return Answer.nothing(_nothing("quotes", search=search, speaker=speaker, scope=scope))
    hits = _section_first(hits, scope)
    links = await gather_links(store, scope.guild_id, [ref.id for _, ref in hits])
    title = f"Quotes matching “{one_line(search, 80)}”"
    return Answer(quote_list_pages(hits, links, title=title, notice=notice))


async def _random_quote(store: Store, scope: Scope, speaker: str | None, rng: random.Random) -> Answer:
    essay_key = scope.essay.essay.key if scope.essay else None
    guild_id = scope.guild_id
    # Across the server, essays posted in its channels come first: their quotes link to a discussion.
    posted_first = essay_key is None and guild_id is not None
    pool = await store.quote_pool(
        guild_id=guild_id, speaker=speaker, essay_key=essay_key, posted_only=posted_first, rng=rng
    )
    notice = ""
    if scope.section is not None and scope.essay is not None:
        in_section = [h for h in pool if h[0].section == scope.section]
        if pick_quote(in_section, rng) is not None:
            pool = in_section
    if pick_quote(pool, rng) is None and (scope.from_thread or posted_first):
        pool = await store.quote_pool(guild_id=guild_id, speaker=speaker, rng=rng)
        if scope.from_thread:
            notice = "Nothing to quote in this thread's essay; this one is from another essay."
    hit = pick_quote(pool, rng)
    if hit is None:
        return Answer.nothing(_nothing("quotes", search=None, speaker=speaker, scope=scope))
    links = await gather_links(store, scope.guild_id, [hit[1].id])
    return Answer(Pages.of([single_quote_page(hit[0], hit[1], links, notice=notice)]))


def _nothing(noun: str, *, search: str | None, speaker: str | None = None, scope: Scope) -> str:
    parts: list[str] = []
    if search:
        parts.append(f"matching “{echo(search)}”")
    if speaker:
        parts.append(f"by “{echo(speaker)}”")
    if scope.essay is not None:
        parts.append(f"in “{echo(scope.essay.essay.title, 80)}”")
    where = " ".join(parts)
    return f"No {noun} found{' ' + where if where else ''}. Try other words, or another essay."


def _quote_block(text: str, limit: int) -> str:
    body = escape_markdown(clip(" ".join(text.split()), limit))
    return "> " + body


def _where(ref: EssayRef, section: int, links: Links, *, essay_link: bool = True) -> str:
    """ "[Essay](blog) · §2 Section title · [discussion](thread)"."""
    parts: list[str] = []
    if essay_link:
        parts.append(link(one_line(ref.title, 120), ref.url))
    title = links.sections.get((ref.id, section), "") if ref.id is not None else ""
    parts.append(f"§{section}" + (f" {escape_markdown(one_line(title, 80))}" if title else ""))
    thread = links.thread_url(ref.id, section)
    if thread:
        parts.append(f"[discussion]({thread})")
    return " · ".join(parts)


def single_quote_page(quote: Quote, ref: EssayRef, links: Links, *, notice: str = "") -> Page:
    who = escape_markdown(one_line(quote.speaker, 120)) if quote.speaker else "unattributed"
    description = f"{_quote_block(quote.text, 3000)}\n— **{who}**"
    if notice:
        description = f"*{notice}*\n\n{description}"
    when = f" · {ref.published.isoformat()}" if ref.published else ""
    return fit_page(
        Page(
            title=ref.title,
            url=ref.url,
            description=description,
            fields=(Field("Where", _where(ref, quote.section, links, essay_link=False) + when),),
            footer=_QUOTE_KIND_LABELS.get(quote.kind, "Quotation"),
        )
    )


def quote_list_pages(hits: Sequence[tuple[Quote, EssayRef]], links: Links, *, title: str, notice: str = "") -> Pages:
    def page(shown: Sequence[tuple[Quote, EssayRef]]) -> Page:
        fields = tuple(
            Field(
                f"{one_line(q.speaker or 'Unattributed', 100)} — {one_line(ref.title, 120)}",
                f"{_quote_block(q.text, 700)}\n{_where(ref, q.section, links)}",
            )
            for q, ref in shown
        )
        return Page(title=title, description=f"*{notice}*" if notice else "", fields=fields)

    return paged(hits, QUOTES_PER_PAGE, "quote", page)


# ---------------------------------------------------------------- /figures


async def search_figures(
    store: Store,
    search: str | None,
    *,
    guild_id: GuildScope,
    essay_key: str | None = None,
    kind: FigureKind | None = None,
    limit: int = MAX_RESULTS,
    sentences: bool = True,
) -> list[tuple[Figure, EssayRef]]:
    """The figures the server may see matching ``search`` (and ``kind``): /figures' and the CLI's one query;
    without their sentences unless ``sentences`` (``figure_pages`` reads a page's when it is shown)."""
    return await store.search_figures(
        search, guild_id=guild_id, essay_key=essay_key, kind=kind, limit=limit, sentences=sentences
    )


async def figure_answer(store: Store, scope: Scope, *, search: str | None, kind: FigureKind | None) -> Answer:
    """/figures: the figures cited (matching a search, of a kind), the thread's section first."""
    search = search if search and search.strip() else None
    if search is not None and not search_words(search):
        return Answer.nothing(f"“{echo(search)}” has no words to search for; try what the figure counts.")
    essay_key = scope.essay.essay.key if scope.essay else None
    guild_id = scope.guild_id
    # A figure's sentence is cut from its essay's packed body: for the page shown, not the fifty found.
    hits = await search_figures(store, search, guild_id=guild_id, essay_key=essay_key, kind=kind, sentences=False)
    notice = ""
    if not hits and scope.from_thread and search is not None:
        hits = await search_figures(store, search, guild_id=guild_id, kind=kind, sentences=False)
        notice = "Nothing in this thread's essay matched; these are from other essays."
    if not hits:
        noun = f"{FIGURE_KIND_LABELS[kind]} figures" if kind else "figures"
        return Answer.nothing(_nothing(noun, search=search, scope=scope))
    hits = _section_first(hits, scope)
    links = await gather_links(store, scope.guild_id, [ref.id for _, ref in hits])
    pages = figure_pages(
        hits, links, title=_figures_title(scope, search, kind), notice=notice, sentences=store.figure_sentences
    )
    await pages.ready(0)
    return Answer(pages)


def _figures_title(scope: Scope, search: str | None, kind: FigureKind | None) -> str:
    noun = f"Figures ({FIGURE_KIND_LABELS[kind]})" if kind else "Figures"
    if search:
        return f"{noun} matching “{one_line(search, 80)}”"
    if scope.essay is not None:
        return f"{noun} in “{one_line(scope.essay.essay.title, 150)}”"
    return f"{noun} in the newest essays"


def _context_with_figure(figure: Figure, limit: int) -> str:
    """The source sentence with the figure in bold (when it is found there)."""
    context = " ".join(figure.context.split())
    at = context.find(figure.text) if figure.text else -1
    if at < 0 or dlen(context) > limit:
        return escape_markdown(clip(context, limit))
    before, after = context[:at], context[at + len(figure.text) :]
    return f"{escape_markdown(before)}**{escape_markdown(figure.text)}**{escape_markdown(after)}"


SentenceReader = Callable[[Iterable[int]], Awaitable[Mapping[int, tuple[str, str]]]]


async def _read_sentences(read: SentenceReader, shown: Sequence[tuple[Figure, EssayRef]]) -> None:
    """Give the figures shown without a sentence theirs, as stored now."""
    waiting = {figure.id: figure for figure, _ in shown if not figure.context and figure.id is not None}
    if waiting:
        for figure_id, (text, sentence) in (await read(waiting)).items():
            # A row revised since the search (its id taken again) may hold another figure: no sentence.
            if text == waiting[figure_id].text:
                waiting[figure_id].context = sentence


def figure_pages(
    hits: Sequence[tuple[Figure, EssayRef]],
    links: Links,
    *,
    title: str,
    notice: str = "",
    sentences: SentenceReader | None = None,
) -> Pages:
    """The figures' pages; ``sentences`` (``Store.figure_sentences``) reads the sentences of the figures
    without one when their page is first shown."""
    # Many figures share an essay and a section: their "where" line is written once.
    wheres: dict[tuple[str, int], str] = {}

    def page(shown: Sequence[tuple[Figure, EssayRef]]) -> Page:
        fields: list[Field] = []
        for figure, ref in shown:
            subject = f" — {one_line(figure.subject, 100)}" if figure.subject else ""
            label = FIGURE_KIND_LABELS.get(figure.kind, figure.kind)
            where = wheres.get((ref.key, figure.section))
            if where is None:
                where = wheres[ref.key, figure.section] = _where(ref, figure.section, links)
            value = f"{_context_with_figure(figure, 600)}\n*{label}* · {where}"
            fields.append(Field(f"{one_line(figure.text, 120)}{subject}", value))
        return Page(title=title, description=f"*{notice}*" if notice else "", fields=tuple(fields))

    prepare = None if sentences is None else functools.partial(_read_sentences, sentences)
    return paged(hits, FIGURES_PER_PAGE, "figure", page, prepare)


# ---------------------------------------------------------------- /related


async def related_answer(store: Store, scope: Scope, *, search: str | None) -> Answer:
    """/related: earlier posts related to the essay (chosen, the thread's, else the newest) or to a topic."""
    search = search if search and search.strip() else None
    if search is not None:
        before: datetime | None = scope.essay.essay.published if scope.essay else None
        posts = await related_to_text(store, search, guild_id=scope.guild_id, limit=RELATED_LIMIT, before=before)
        if scope.essay is not None:
            posts = [p for p in posts if p.key != scope.essay.essay.key]
        title = f"Posts about “{one_line(search, 80)}”"
        if scope.essay is not None and before is not None:
            title = f"Earlier posts about “{one_line(search, 60)}”"
        if not posts:
            return Answer.nothing(_nothing("related posts", search=search, scope=scope))
    else:
        target = scope.essay
        if target is None:
            newest = await store.newest_visible_essays(guild_id=scope.guild_id, limit=1)
            if not newest:
                return Answer.nothing("No essays have been stored yet, so there is nothing to relate.")
            target = newest[0]
        posts = await kept_related_to_essay(store, target, guild_id=scope.guild_id, limit=RELATED_LIMIT)
        title = f"Earlier posts related to “{one_line(target.essay.title, 150)}”"
        if not posts:
            return Answer.nothing(f"No earlier posts related to “{echo(target.essay.title, 80)}” were found.")
    links = await gather_links(store, scope.guild_id, [post.essay_id for post in posts])
    return Answer(related_pages(posts, links, title=title))


def _related_value(post: RelatedPost, links: Links) -> str:
    lines = [f"• {escape_markdown(one_line(reason, 200))}" for reason in post.reasons[:4]]
    where: list[str] = []
    url = safe_url(post.url)
    if url:
        where.append(f"[read on the blog]({url})")
    threads = links.essay_threads(post.essay_id)
    if threads:
        where.append("discussion: " + " ".join(f"[§{section}]({url})" for section, url in threads[:8]))
    if where:
        lines.append(" · ".join(where))
    return "\n".join(lines) or "related by wording"


def related_pages(posts: Sequence[RelatedPost], links: Links, *, title: str) -> Pages:
    def page(shown: Sequence[RelatedPost]) -> Page:
        fields: list[Field] = []
        for post in shown:
            when = f" ({post.published.isoformat()})" if post.published else ""
            name = one_line(post.title, FIELD_NAME_MAX - dlen(when)) + when
            fields.append(Field(name, _related_value(post, links)))
        return Page(title=title, fields=tuple(fields))

    return paged(posts, RELATED_PER_PAGE, "post", page)


# ------------------------------------------------------------------ sharing


def shared_by_line(user_id: int) -> str:
    """Attribution for a shared copy; a mention renders the name, and the reply allows no pings."""
    return f"Shared by <@{user_id}>"


def limit_reply(text: str) -> str:
    """Any plain reply cut to the message content limit."""
    return clip(text, CONTENT_MAX)
