"""Sanitising, shortening, excerpts and splitting for Discord."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.essays.model import Block, Section
from bot.publishing.render import (
    CHUNK_LIMIT,
    MESSAGE_LIMIT,
    ZWSP,
    _escape_markdown,
    discord_length,
    escape_markdown,
    excerpt,
    guard_line_start,
    payload_violations,
    plain,
    safe_url,
    section_excerpt_text,
    section_messages,
    shorten,
    split_text,
)

PINGS = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>|</[\w-]+:\d+>")
HEADER_LINE = re.compile(r"^[ \t]*(#{1,3}|-#)[ \t]", re.MULTILINE)


def masked_links(text: str) -> list[str]:
    """Masked links Discord would render: escaped characters removed first, as its parser does."""
    unescaped = re.sub(r"\\.", "", text, flags=re.DOTALL)
    return re.findall(r"\[[^\[\]\n]*\]\([^)\s]*\)", unescaped)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def section_of(*blocks: Block) -> Section:
    return Section(index=1, title="A title", blocks=tuple(blocks), start=0, end=len(blocks))


# --- sanitising -----------------------------------------------------------------------------


def test_sanitise_neutralises_every_mention_form() -> None:
    text = "Hey @everyone and @here, ask <@123>, <@!456>, <@&789> in <#42> or run </vote:99>."
    result = escape_markdown(text)
    assert not PINGS.search(result)
    # Only zero-width spaces were added: the text reads the same.
    assert result.replace(ZWSP, "") == text


def test_plain_collapses_whitespace_and_drops_control_characters() -> None:
    assert plain("  Council\x00 votes\n\n on\t@here  ") == f"Council votes on @{ZWSP}here"


def test_escaping_disarms_masked_links_and_keeps_the_brackets_readable() -> None:
    text = "Read the [official report](https://evil.example/login) before voting [sic]."
    result = escape_markdown(text)
    assert masked_links(result) == []
    assert unescape(result) == text


def test_a_backslash_in_the_essay_cannot_undo_the_link_escape() -> None:
    # Two backslashes: an escaped backslash, then a live link, unless the sanitiser doubles them.
    text = "A path C:\\\\[docs](https://evil.example) here"
    assert masked_links(text) != []
    assert masked_links(escape_markdown(text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "# Big claim\n-# small print\n## Second",
        "> a quoted line\n>>> everything after",
        "- a list\n+ another\n* a third\n12. numbered",
        "_x_ and *y* and **bold** and __under__ and ~~strike~~ and ||spoiler|| and `code` and ```block```",
        "2*3*4 = 24, a_b_c, and a \\ backslash",
        "[masked](https://evil.example) and [x](<https://evil.example>)",
    ],
)
def test_markdown_in_feed_text_renders_literally(text: str) -> None:
    """Every Discord markdown form in feed text is escaped, and nothing but the escapes is added."""
    result = escape_markdown(text)
    assert rendered_markup(result) == []
    assert unescape(result) == text


MARKUP = re.compile(r"[*_~`|\[\]]")
LINE_MARKUP = re.compile(r"^[ \t]*(?:>|#{1,3}[ \t]|-#[ \t]|[-+*][ \t]|\d+\.[ \t])", re.MULTILINE)


def unescape(text: str) -> str:
    """What a reader sees: backslash escapes resolved, the zero-width spaces after @ and < removed."""
    return re.sub(r"\\(.)", r"\1", text.replace(ZWSP, ""), flags=re.DOTALL)


def rendered_markup(text: str) -> list[str]:
    """Markdown characters that Discord would act on: those not escaped by a backslash."""
    # An escaped character stays a character: what follows it is no longer at a line's start.
    live = re.sub(r"\\.", "x", text, flags=re.DOTALL)
    found = MARKUP.findall(re.sub(r"https?://\S+", "", live))
    return found + LINE_MARKUP.findall(live)


PIECES = [*"ab \n*_~`|[]()<>@#-+.1\\:/&!", "https://x.example/a_b", "everyone", "\r\n"]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(PIECES)).map("".join))
def test_escaping_any_text_leaves_no_markdown_and_no_mention(text: str) -> None:
    result = escape_markdown(text)
    assert rendered_markup(result) == [], result
    assert not PINGS.search(result)
    assert unescape(result) == text.replace("\r\n", "\n").replace("\r", "\n")


def test_guard_line_start_escapes_a_header_brought_to_the_front() -> None:
    assert guard_line_start("## Not a header") == "\\## Not a header"
    assert guard_line_start("Plain start # here") == "Plain start # here"


def test_safe_url_accepts_only_plain_http_addresses() -> None:
    assert safe_url(" https://blog.example/a-post.html ") == "https://blog.example/a-post.html"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://blog.example/with space") is None
    assert safe_url("https://blog.example/" + "a" * 3000) is None
    assert safe_url(None) is None


# --- shortening and excerpts ----------------------------------------------------------------


def test_discord_length_counts_astral_characters_twice() -> None:
    assert discord_length("abc") == 3
    assert discord_length("a😀") == 3


def test_shorten_keeps_text_that_fits() -> None:
    assert shorten("Short enough", 12) == "Short enough"


def test_shorten_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    result = shorten("The council voted against the library budget again", 30)
    assert result == "The council voted against the…"
    assert discord_length(result) <= 30


def test_shorten_hard_cuts_one_long_word() -> None:
    result = shorten("x" * 500, 100)
    assert result == "x" * 99 + "…"


def test_shorten_never_separates_an_escape_from_its_character() -> None:
    text = "\\[" * 60
    result = shorten(text, 51)
    assert result.endswith("\\[…")
    assert discord_length(result) <= 51


def test_excerpt_ends_on_a_sentence_boundary() -> None:
    text = "The first sentence is short. " * 20
    result = excerpt(text, 100)
    assert result.endswith("short. …")
    assert discord_length(result) <= 100


def test_excerpt_falls_back_to_words_when_the_first_sentence_is_too_long() -> None:
    text = "word " * 200
    result = excerpt(text, 50)
    assert result.endswith("…")
    assert " wor…" not in result
    assert discord_length(result) <= 50


def test_section_excerpt_text_leaves_headings_out() -> None:
    section = section_of(Block("heading", "The heading"), Block("paragraph", "Body text."))
    assert section_excerpt_text(section) == "Body text."


# --- splitting ------------------------------------------------------------------------------


def test_split_prefers_paragraph_boundaries() -> None:
    first = "First paragraph sentence. " * 40
    second = "Second paragraph sentence. " * 40
    chunks = split_text(first.strip() + "\n\n" + second.strip(), 1900)
    assert chunks == [first.strip(), second.strip()]


def test_split_falls_back_to_sentences() -> None:
    sentence = "This sentence is one of many in a long paragraph."
    paragraph = " ".join([sentence] * 100)
    chunks = split_text(paragraph, 1000)
    assert len(chunks) > 1
    assert all(chunk.endswith(".") for chunk in chunks)
    assert all(discord_length(chunk) <= 1000 for chunk in chunks)


def test_split_cuts_a_huge_run_of_combining_marks() -> None:
    text = "a" + "\u0301" * 5000
    chunks = split_text(text)
    assert all(discord_length(chunk) <= CHUNK_LIMIT for chunk in chunks)
    assert "".join(chunks) == text


def test_split_a_5000_character_paragraph_without_spaces() -> None:
    paragraph = "abcdefghij" * 500
    chunks = split_text(paragraph)
    assert len(chunks) == 3
    assert all(discord_length(chunk) <= CHUNK_LIMIT for chunk in chunks)
    assert "".join(chunks) == paragraph


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=3000), limit=st.integers(min_value=4, max_value=400))
def test_split_drops_and_repeats_nothing(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(discord_length(chunk) <= limit for chunk in chunks)
    assert squeeze("".join(chunks)) == squeeze(text)


# --- section messages -----------------------------------------------------------------------


def test_section_messages_render_block_kinds() -> None:
    section = section_of(
        Block("heading", "Where the money went"),
        Block("paragraph", "The city spent more than it said."),
        Block("quote", "We had no choice, said the treasurer."),
        Block("item", "roads"),
        Block("item", "schools"),
    )
    assert section_messages(section) == [
        "**Where the money went**\n\n"
        "The city spent more than it said.\n\n"
        "> We had no choice, said the treasurer.\n\n"
        "- roads\n- schools"
    ]


def test_a_long_quote_keeps_its_prefix_in_every_chunk() -> None:
    quote = "The witness said the vote was fixed long before the meeting began. " * 60
    chunks = section_messages(section_of(Block("quote", quote)))
    assert len(chunks) > 1
    assert all(chunk.startswith("> ") for chunk in chunks)
    assert all(discord_length(chunk) <= MESSAGE_LIMIT for chunk in chunks)


def test_heading_asterisks_cannot_end_the_bold_early() -> None:
    chunks = section_messages(section_of(Block("heading", "A ** B")))
    assert chunks == ["**A \\*\\* B**"]


def test_section_messages_skip_empty_blocks() -> None:
    assert section_messages(section_of(Block("paragraph", "   "), Block("paragraph", ""))) == []


def test_a_cut_that_brings_a_header_to_the_front_is_escaped() -> None:
    # One sentence too long for a chunk, so it is cut between words; "#" then opens a chunk.
    text = "word " * 376 + "# heading-like words follow here"
    chunks = section_messages(section_of(Block("paragraph", text)))
    assert len(chunks) == 2
    assert all(HEADER_LINE.search(chunk) is None for chunk in chunks)


_SAFE_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters="@<[]\\#-*>")


@settings(max_examples=150, deadline=None)
@given(paragraphs=st.lists(st.text(alphabet=_SAFE_ALPHABET, max_size=4000), max_size=6))
def test_section_messages_keep_all_paragraph_text(paragraphs: list[str]) -> None:
    section = section_of(*(Block("paragraph", text) for text in paragraphs))
    chunks = section_messages(section)
    assert all(discord_length(chunk) <= CHUNK_LIMIT for chunk in chunks)
    # Zero-width spaces are what neutralised mentions add, so they are left out of the comparison.
    assert squeeze(unescape("".join(chunks))) == squeeze("".join(paragraphs)).replace(ZWSP, "")


_BLOCKS = st.lists(
    st.builds(
        Block,
        st.sampled_from(["paragraph", "heading", "quote", "item"]),
        st.text(max_size=2500)
        | st.sampled_from(["@everyone look", "<@&1234> <#99> @here", "[x](https://e.example)", "# h\n-# s"]),
    ),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(blocks=_BLOCKS)
def test_section_messages_are_within_limits_and_never_ping(blocks: list[Block]) -> None:
    for chunk in section_messages(section_of(*blocks)):
        assert 0 < discord_length(chunk) <= MESSAGE_LIMIT
        assert not PINGS.search(chunk)
        assert masked_links(chunk) == []
        assert HEADER_LINE.search(chunk) is None


# --- the payload checker --------------------------------------------------------------------


def test_payload_violations_reports_what_discord_would_refuse() -> None:
    message = {"content": "x" * 2001, "embeds": [{"title": "t" * 257, "description": "d"}]}
    problems = payload_violations(message)
    assert any("content" in problem for problem in problems)
    assert any("title" in problem for problem in problems)
    assert any("allowed_mentions" in problem for problem in problems)
    thread = {"name": "n" * 101, "auto_archive_duration": 30, "rate_limit_per_user": 0}
    assert len(payload_violations(thread)) == 2
    assert payload_violations({"content": "ok", "allowed_mentions": {"parse": []}}) == []


@given(
    st.text(alphabet=st.sampled_from("ab 1.\n\t\r*_~`|[]()>#-+@<:/\\\x00\x85é🙂"), max_size=60) | st.text(max_size=60)
)
def test_text_with_nothing_to_escape_is_returned_as_the_full_escaping_would(text: str) -> None:
    assert escape_markdown(text) == _escape_markdown(text)
