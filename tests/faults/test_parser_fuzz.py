"""Property-based fuzzing of the essay parsers, the analysis and the posting plan.

The parsers take whatever a blog (or an attacker) serves: they may refuse it with a
SourceError where that is documented, and must otherwise return clean blocks. The analysis
must split any essay into sections covering every block in order. And no essay text, however
hostile, may make a Discord payload that pings anyone or opens a masked link.
"""

from __future__ import annotations

import itertools
import os
import re
from datetime import UTC, datetime
from html import escape
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.essays.analysis import analyse
from bot.essays.cleaning import clean_html, markdown_to_blocks, text_to_blocks
from bot.essays.model import Block, BlockKind, Entry, Essay
from bot.essays.sources import ParsedFeed, SourceError, parse_feed, parse_markdown, parse_text
from bot.intake import IntakeError, entry_to_essay
from bot.publishing.plan import Destination, preview
from tests.fakediscord import rules
from tests.fakediscord.rules import markdown_texts, strings

pytestmark = [
    pytest.mark.faults,
    # feedparser warns about its own updated/published fallback on feeds without dates.
    pytest.mark.filterwarnings("ignore:To avoid breaking existing software:DeprecationWarning"),
]

# FUZZ_EXAMPLES=3000 for a deeper run than CI's.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=max(1, EXAMPLES * 2 // 5), deadline=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = get_args(BlockKind)
WORD = re.compile(r"\w")


def assert_clean_blocks(blocks: tuple[Block, ...] | None) -> None:
    """Blocks of a known kind, with trimmed text that has at least one letter or digit."""
    assert blocks is not None
    for block in blocks:
        assert block.kind in KINDS
        assert block.text and block.text == block.text.strip()
        assert WORD.search(block.text), block


# --- strategies -----------------------------------------------------------------------------------

TAGS = (
    "p", "div", "span", "b", "strong", "em", "i", "br", "h1", "h2", "h4", "blockquote", "ul", "ol", "li",
    "pre", "code", "table", "tr", "td", "script", "style", "nav", "footer", "img", "figure", "figcaption",
    "a", "center", "o:p", "w:sdt", "font", "sup", "hr", "svg", "template", "iframe", "form", "cite", "head",
    "body", "html", "title", "details", "summary", "textarea", "noscript",
)  # fmt: skip
ATTRIBUTES = (
    'class="MsoNormal"', 'class="MsoListParagraph"', 'style="font-weight:bold"', 'style="font-weight:normal"',
    'style="text-align:center"', 'style="display:none"', 'class="caption wp-caption-text"', 'href="http://x.test/a"',
    'href="javascript:alert(1)"', 'id="comments"', 'align="center"', 'alt="a crowd"', "style='mso-hide:all'",
    'class="kg-card kg-image-card"', 'class=""', "data-x", 'style="font-weight:700"',
)  # fmt: skip
PIECES = (
    "&nbsp;", "&amp;", "&lt;b&gt;", "“quoted”", "\u200b", "\u00ad", "— Name, 1999", "* * *", "No comments:",
    "Share this:", "[caption id=x]cap[/caption]", "&#0;", "&#xD800;", "&#x10FFFF;", "<!-- c -->",
    "<![CDATA[x]]>", "<!DOCTYPE html>", "\r\n", "\t", "$1,200", "42%", "Posted by Ann at 9:15 PM",
    "AI-generated content may be incorrect.", "</p>", "<p", "<", ">", "&", "\x00", "\ufeff",
)  # fmt: skip

text_piece = st.text(max_size=40) | st.sampled_from(PIECES)


def _element(tag: str, attributes: list[str], children: list[str], closed: bool) -> str:
    opening = f"<{' '.join([tag, *attributes])}>"
    return opening + "".join(children) + (f"</{tag}>" if closed else "")


tag_soup = st.recursive(
    text_piece,
    lambda children: st.builds(
        _element,
        st.sampled_from(TAGS),
        st.lists(st.sampled_from(ATTRIBUTES), max_size=2),
        st.lists(children, max_size=4),
        st.booleans(),
    ),
    max_leaves=30,
)
html_documents = st.lists(tag_soup, max_size=6).map("".join)
# Escaped text in elements that are always closed: whatever follows is parsed as markup again.
well_formed_soup = st.recursive(
    st.text(max_size=30).map(escape),
    lambda children: st.builds(
        _element,
        st.sampled_from(TAGS),
        st.lists(st.sampled_from(ATTRIBUTES), max_size=2),
        st.lists(children, max_size=4),
        st.just(True),
    ),
    max_leaves=30,
)


def _atom(entries: list[tuple[str, str, str, str]]) -> bytes:
    rendered = "".join(
        f"<entry><id>{entry_id}</id><title>{title}</title><published>{published}</published>"
        f'<content type="html">{body}</content></entry>'
        for entry_id, title, published, body in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Fuzzed</title>'
        f"{rendered}</feed>"
    ).encode()


feed_fields = st.text(max_size=30) | st.sampled_from(PIECES) | tag_soup.map(escape)
dates = st.sampled_from(["2025-01-02T03:04:05Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "yesterday", ""])
atom_feeds = st.lists(st.tuples(feed_fields, feed_fields, dates, tag_soup.map(escape)), max_size=5).map(_atom)


@st.composite
def mutated_feeds(draw: st.DrawFn) -> bytes:
    """A well-formed feed, then cut, overwritten or spliced with bytes at random places."""
    data = bytearray(draw(atom_feeds))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["cut", "insert", "overwrite"]))
        if action == "cut":
            del data[position:]
        elif action == "insert":
            data[position:position] = draw(st.binary(max_size=12) | st.sampled_from([b"<", b"&", b"]]>", b"\xff"]))
        elif position < len(data):
            data[position] = draw(st.integers(min_value=0, max_value=255))
    return bytes(data)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20) | st.dates(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
FRONT_KEYS = ("title", "date", "tags", "categories", "category", "draft", "published", "author", "authors",
              "permalink", "url", "id", "publishDate")  # fmt: skip


TOML_VALUES = ("1", "true", '"x"', "[1, 2]", "2025-01-01", "2025-01-01T10:00:00+01:00", "{", "", '"""')


def _yaml_scalar(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else value


@st.composite
def markdown_files(draw: st.DrawFn) -> str:
    """Front matter (YAML, TOML, broken or none) and a Markdown body."""
    style = draw(st.sampled_from(["yaml", "toml", "raw", "none"]))
    keys = draw(st.lists(st.sampled_from(FRONT_KEYS), max_size=5, unique=True))
    if style == "yaml":
        lines = [f"{key}: {_yaml_scalar(draw(yaml_values))}" for key in keys]
        front = "---\n" + "\n".join(lines) + "\n---\n"
    elif style == "toml":
        lines = [f"{key} = {draw(st.sampled_from(TOML_VALUES))}" for key in keys]
        front = "+++\n" + "\n".join(lines) + "\n+++\n"
    elif style == "raw":
        front = "---\n" + draw(st.text(max_size=60)) + "\n---\n"
    else:
        front = ""
    return front + draw(markdown_bodies)


MARKDOWN_PIECES = (
    "# Heading", "\n\n", "> quoted", "- item", "1. first", "```\ncode\n```", "[^1]", "[^1]: note", "{% raw %}",
    "{{ page.title }}", "***", "| a | b |\n|---|---|\n| 1 | 2 |", "<div>html</div>", "    indented", "\\", "`",
)  # fmt: skip
markdown_bodies = st.lists(
    st.text(max_size=40) | st.sampled_from(MARKDOWN_PIECES) | tag_soup,
    max_size=10,
).map("\n".join)

block_texts = st.text(min_size=1, max_size=300) | st.sampled_from(
    [
        "“I will not,” she said. “Not this year.”",
        "The fund holds $41 billion, up 12% since 2019.",
        "As I wrote last week, see also my March 9th post.",
        "— Ann Other, 1901",
        "A",
    ]
)
essay_blocks = st.lists(
    st.builds(Block, st.sampled_from(KINDS), block_texts).filter(lambda b: bool(b.text.strip())),
    min_size=1,
    max_size=30,
)


# --- the parsers -----------------------------------------------------------------------------------


@FUZZ
@given(html=html_documents | st.text(max_size=500), title=st.none() | st.text(max_size=20))
def test_clean_html_never_fails_and_gives_clean_blocks(html: str, title: str | None) -> None:
    assert_clean_blocks(clean_html(html, title=title))


@FUZZ
@given(html=st.lists(well_formed_soup, max_size=6).map("".join))
def test_clean_html_never_keeps_script_or_hidden_text(html: str) -> None:
    marker = "QQSECRETQQ"
    hidden = f"<script>{marker}</script><style>{marker}</style><div style='display:none'>{marker}</div>"
    blocks = clean_html(html + hidden + html)
    assert all(marker not in block.text for block in blocks)


def _check_feed(data: bytes, content_type: str | None) -> None:
    try:
        feed = parse_feed(data, url="https://fuzz.example/feed", content_type=content_type)
    except SourceError as error:
        assert error.reason and "\n" not in error.reason.strip()
        return
    assert isinstance(feed, ParsedFeed)
    for entry in feed.entries:
        assert isinstance(entry.title, str) and isinstance(entry.html, str)
        try:
            essay = entry_to_essay(entry)
        except IntakeError:
            continue
        assert essay.key
        assert_clean_blocks(essay.blocks)


CONTENT_TYPES = st.sampled_from([None, "application/atom+xml", "text/html", "application/rss+xml; charset=utf-16"])


@FUZZ
@given(data=st.binary(max_size=2000), content_type=CONTENT_TYPES)
def test_parse_feed_on_arbitrary_bytes(data: bytes, content_type: str | None) -> None:
    _check_feed(data, content_type)


@FUZZ
@given(data=atom_feeds | mutated_feeds(), content_type=CONTENT_TYPES)
def test_parse_feed_on_xml_like_documents(data: bytes, content_type: str | None) -> None:
    _check_feed(data, content_type)


@FUZZ
@given(text=markdown_files(), name=st.sampled_from(["2025-03-01-a-post.md", "index.md", "notes.markdown"]))
def test_parse_markdown_refuses_only_with_source_error(text: str, name: str) -> None:
    try:
        entry = parse_markdown(text, path=f"/posts/{name}")
    except SourceError as error:
        assert error.reason
        return
    assert entry.title.strip()
    assert_clean_blocks(entry.blocks)
    assert entry.published is None or entry.published.tzinfo is not None


@FUZZ
@given(text=st.text(max_size=600) | markdown_bodies)
def test_parse_text_and_markdown_to_blocks_never_fail(text: str) -> None:
    entry = parse_text(text, path="/essays/2025-01-01-plain.txt")
    assert entry.title.strip()
    assert_clean_blocks(entry.blocks)
    assert_clean_blocks(markdown_to_blocks(text))
    assert_clean_blocks(text_to_blocks(text))


# --- the analysis ----------------------------------------------------------------------------------


@FUZZ
@given(
    blocks=essay_blocks,
    max_sections=st.integers(min_value=1, max_value=8),
    published=st.none() | st.datetimes(timezones=st.just(UTC)),
)
def test_analysis_sections_cover_every_block_in_order(
    blocks: list[Block], max_sections: int, published: datetime | None
) -> None:
    essay = Essay("fuzz", "Fuzzed essay", tuple(blocks), url="https://fuzz.example/post", published=published)
    analysis = analyse(essay, max_sections=max_sections)
    sections = analysis.sections
    assert 1 <= len(sections) <= max_sections
    assert [s.index for s in sections] == list(range(1, len(sections) + 1))
    assert sections[0].start == 0 and sections[-1].end == len(blocks)
    for before, after in itertools.pairwise(sections):
        assert before.end == after.start
    for section in sections:
        assert section.start < section.end
        assert section.blocks == essay.blocks[section.start : section.end]
        assert section.title.strip()
    found_in = [q.section for q in analysis.quotes] + [f.section for f in analysis.figures]
    found_in += [r.section for r in analysis.references]
    assert all(1 <= section <= len(sections) for section in found_in)
    assert analysis.failures == []


# Shapes of real essays that number parsers and attribution rules trip on: scores and votes with a
# zero side, ranges, citations, dates that do not exist, fractions, odd quotation marks and dashes.
ESSAY_SHAPES = (
    "The Supreme Court ruled 9-0 that", "won 40-0", "a 0-0 draw", "5-4", "218-212", "0 to 0", "3:0", "1:0",
    "0 in 5", "one in zero", "1/0", "0/0", "2 1/2 man hours", "about 1/10", "50 or so million", "half the",
    "$0", "$0.00", "0%", "-0%", "between 0 and 0", "from 0 to 10", "1990-95", "1999–2000", "2010-2009",
    "(Smith 2008)", "Jones et al. 2013", "Lee et al. (2016) find", "working paper 26982", "Economics 101",
    "June 31st", "February 30, 2019", "0th", "31st of Nothing", "9 AM Eastern", "24:61", "12:00 a.m.",
    "$1.31 for every dollar", "nineteen", "zero", "a third of", "1e308", "9" * 40, "0.000", "1,000,000,000,000",
    "“", "”", "‘", "’", "'", '"', "«", "»", "—", "–", "…", ":", ";", "(", ")", "[", "]", "\n", "> ",
    "As Ada Lovelace put it in 1843:", "said the mayor.", "according to the Commission,", "told the Times:",
    "Name, the state's attorney general, said", "calling it 'the worst'", "Writing for the Ledger, Sam Roe explains",
)  # fmt: skip
shaped_text = st.lists(st.sampled_from(ESSAY_SHAPES) | st.text(max_size=12), min_size=1, max_size=25).map(" ".join)


@FUZZ
@given(
    paragraphs=st.lists(shaped_text, min_size=1, max_size=8),
    kinds=st.lists(st.sampled_from(KINDS), min_size=8, max_size=8),
    published=st.none() | st.datetimes(timezones=st.just(UTC)),
)
def test_analysis_never_fails_on_real_essay_shapes(
    paragraphs: list[str], kinds: list[BlockKind], published: datetime | None
) -> None:
    """Every analyser gets through text built from the shapes that broke it on real essays."""
    blocks = [Block(kind, text.strip()) for kind, text in zip(kinds, paragraphs, strict=False) if WORD.search(text)]
    assume(blocks)
    essay = Essay("fuzz", "Shaped essay", tuple(blocks), url="https://fuzz.example/post", published=published)
    assert analyse(essay).failures == []


# --- mentions and markdown injection ------------------------------------------------------------

INJECTIONS = ("@everyone", "@here", "<@123>", "<@!123>", "<@&456>", "<#789>", "[link](http://evil)",
              "[link](<http://evil>)", "# Big header", "-# subtext", "||spoiler||")  # fmt: skip
PINGS = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")
# A masked link: an unescaped "[", a label (escaped brackets allowed), "](" and an http(s) target.
MASKED_LINK = re.compile(r"(?<!\\)\[(?:\\.|[^\\\[\]\n])*\]\(\s*<?(https?://[^)\s>]*)", re.IGNORECASE)
JUMP_LINK = "https://discord.com/channels/"


hostile_text = st.lists(st.sampled_from(INJECTIONS) | st.text(max_size=30), min_size=1, max_size=12).map(" ".join)


@st.composite
def hostile_essays(draw: st.DrawFn) -> Essay:
    """An essay whose body came through the feed path: HTML in, cleaned blocks out."""
    paragraphs = draw(st.lists(hostile_text, min_size=1, max_size=8))
    headings = draw(st.lists(st.booleans(), min_size=len(paragraphs), max_size=len(paragraphs)))
    html = "".join(
        f"<h2>{escape(text)}</h2>" if heading else f"<p>{escape(text)}</p>"
        for text, heading in zip(paragraphs, headings, strict=True)
    )
    title = draw(hostile_text)
    entry = Entry(
        source="https://fuzz.example/feed",
        title=title,
        entry_id="tag:fuzz",
        url="https://fuzz.example/post",
        author=draw(st.none() | hostile_text),
        labels=tuple(draw(st.lists(hostile_text, max_size=3))),
        html=html + "<p>@everyone <@123> <@&456> [link](http://evil)</p>",
    )
    try:
        return entry_to_essay(entry)
    except IntakeError:
        assume(False)
        raise


@FEW
@given(essay=hostile_essays(), kind=st.sampled_from(["text", "announcement", "forum"]))
def test_hostile_essay_text_never_pings_or_links(essay: Essay, kind: str) -> None:
    destination = Destination(111, 222, kind)  # type: ignore[arg-type]
    items = preview(essay, analyse(essay), destination)
    assert items
    for item in items:
        body = item.request.json
        if body is None:
            continue
        message = body.get("message", body)
        pings = rules.would_ping(message.get("content"), message.get("allowed_mentions"))
        assert not (pings.users or pings.roles or pings.everyone or pings.replied_user)
        for text in strings(body):
            assert not PINGS.search(text), text
        for text in markdown_texts(message):
            # The only masked links are the bot's own jump links.
            assert all(url.startswith(JUMP_LINK) for url in MASKED_LINK.findall(text)), text
        if "name" in body:
            assert rules.check_thread_name(body["name"]) is None
