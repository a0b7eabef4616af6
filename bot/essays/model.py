"""Domain dataclasses shared by intake, analysis, storage and publishing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bot.essays.terms import Terms

BlockKind = Literal["paragraph", "heading", "quote", "item"]
QuoteKind = Literal["direct", "epigraph", "scare", "notable"]
FigureKind = Literal[
    "money",
    "per_unit",
    "ratio",
    "percent",
    "percentage_points",
    "count",
    "year",
    "date",
    "time",
    "duration",
]


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of essay text, in reading order.

    ``kind`` is ``paragraph``, ``heading`` (a real or pseudo heading), ``quote``
    (a quotation block such as ``<blockquote>``) or ``item`` (a list item).
    ``text`` is plain text: whitespace collapsed, curly quotes and dashes kept.
    """

    kind: BlockKind
    text: str


@dataclass(slots=True)
class Entry:
    """A raw item from a source, before cleaning.

    Exactly one of ``html`` and ``blocks`` carries the body. ``summary_only`` is
    true when a feed gave only a summary, so the article page must be fetched.
    """

    source: str
    title: str
    entry_id: str | None = None
    url: str | None = None
    author: str | None = None
    published: datetime | None = None
    labels: tuple[str, ...] = ()
    html: str | None = None
    blocks: tuple[Block, ...] | None = None
    summary_only: bool = False
    links: tuple[str, ...] = ()
    image: str | None = None  # the lead picture (bot.essays.images), an absolute http(s) address
    site_name: str | None = None  # the blog's name, from its feed or page
    site_icon: str | None = None  # the blog's icon or logo, where the feed or page has one


@dataclass(slots=True)
class Essay:
    """A clean essay: metadata plus its body as ordered blocks."""

    key: str
    title: str
    blocks: tuple[Block, ...]
    url: str | None = None
    author: str | None = None
    published: datetime | None = None
    labels: tuple[str, ...] = ()
    source: str = ""
    # Absolute hrefs found in the body; they reveal references to earlier posts.
    links: tuple[str, ...] = ()
    image: str | None = None  # the lead picture, for the card
    site_name: str | None = None  # the blog's name
    site_icon: str | None = None  # the blog's icon

    @property
    def body_text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)

    @property
    def word_count(self) -> int:
        return sum(len(block.text.split()) for block in self.blocks)

    @property
    def content_hash(self) -> str:
        """Hash of the body and title only, so a feed re-dating an entry is no revision."""
        digest = hashlib.sha256()
        digest.update(self.title.encode())
        for block in self.blocks:
            digest.update(b"\x00" + block.kind.encode() + b"\x01" + block.text.encode())
        return digest.hexdigest()

    @property
    def published_date(self) -> date | None:
        return self.published.date() if self.published else None


@dataclass(slots=True)
class Section:
    """A contiguous run of an essay's blocks, discussed in one thread.

    ``index`` counts from 1. ``start`` and ``end`` are block indexes into the
    essay (``end`` exclusive). ``from_heading`` says whether the title is the
    author's own heading or was made from the section's key words.
    """

    index: int
    title: str
    blocks: tuple[Block, ...]
    start: int
    end: int
    from_heading: bool = False

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)

    @property
    def word_count(self) -> int:
        return sum(len(block.text.split()) for block in self.blocks)


@dataclass(slots=True)
class Quote:
    """A quotation with its speaker, or a scare quote, or a notable sentence.

    ``section`` is the 1-based section index. ``speaker`` is None for ``scare``
    quotes, and the essay's author (or None when unknown) for ``notable``.
    """

    text: str
    kind: QuoteKind
    section: int
    speaker: str | None = None
    score: float = 0.0


@dataclass(slots=True)
class Figure:
    """A figure cited in an essay.

    ``text`` is the figure as written ("more than $76 billion"); ``value`` and
    ``unit`` are normalised where possible (76e9, "USD"); ``value_high`` holds
    the top of a range; ``qualifier`` is "over", "about", "at least"...;
    ``subject`` says what it counts; ``context`` is the sentence it came from. ``id`` is its row, for a
    figure read from the store, which can leave ``context`` to be read later (``Store.figure_sentences``).
    """

    text: str
    kind: FigureKind
    section: int
    context: str
    subject: str | None = None
    value: float | None = None
    unit: str | None = None
    value_high: float | None = None
    qualifier: str | None = None
    id: int | None = field(default=None, compare=False)


@dataclass(slots=True)
class Reference:
    """A pointer to an earlier post: by date and title, by phrase, or by link."""

    text: str
    section: int
    date: date | None = None
    title: str | None = None
    url: str | None = None
    resolved_key: str | None = None


@dataclass(slots=True)
class Analysis:
    """Everything the analysis finds in one essay."""

    sections: list[Section] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    # Analysers that failed on this essay ("figures (ZeroDivisionError: …)"); their output is empty.
    failures: list[str] = field(default_factory=list)
    # The essay's weighted word stems for related-post ranking (bot.essays.terms), computed with the
    # rest so that a large ingest does it in its worker processes; None when not computed.
    terms: Terms | None = field(default=None, compare=False)
