"""Tests for the shared text utilities."""

from __future__ import annotations

from bot.essays.text import STOPWORDS, content_words, sentences, stem, words


def test_words_keep_hyphens_apostrophes_and_acronyms() -> None:
    tokens = words("The city’s rainy-day fund—don't panic! 'Quoted' U.S. e-mail costs $1.5 or 3,912.")
    assert tokens == [
        "the",
        "city's",
        "rainy-day",
        "fund",
        "don't",
        "panic",
        "quoted",
        "u.s.",
        "e-mail",
        "costs",
        "1.5",
        "or",
        "3,912",
    ]


def test_stopwords_are_english_function_words() -> None:
    assert {"the", "and", "of", "which", "don't", "we're"} <= STOPWORDS
    assert not {"transit", "court", "library", "fund"} & STOPWORDS


def test_content_words_drop_stopwords_numbers_and_possessives() -> None:
    text = "In 2024 the council’s rainy-day fund wasn't what Mr. Lee said it was, e.g. on page 7."
    assert content_words(text) == ["council", "rainy-day", "fund", "mr", "lee", "page"]


def test_stem_joins_inflections() -> None:
    assert {stem(w) for w in ("fund", "funds", "funding", "funded")} == {"fund"}
    assert len({stem(w) for w in ("vote", "votes", "voted", "voting")}) == 1
    assert stem("policies") == stem("policy")
    assert stem("cities") == stem("city")
    assert stem("planning") == stem("plan")
    assert stem("taxes") == stem("tax")
    # Short words and "-ss" endings are left alone.
    assert stem("bus") == "bus"
    assert stem("class") == "class"
    assert stem("Rainy-Day") == "rainy-day"


def test_sentences_respect_abbreviations_and_initials() -> None:
    text = (
        "Mr. Okafor met Dr. J. K. Adeyemi on St. Anne Street at 9 a.m. on Tuesday. "
        "The U.S. Senate had adjourned, e.g. for the holiday, i.e. until No. 4 on the list. "
        "It was a long week in the U.S. The budget grew by $1.5 billion, or 3.5 percent."
    )
    assert sentences(text) == [
        "Mr. Okafor met Dr. J. K. Adeyemi on St. Anne Street at 9 a.m. on Tuesday.",
        "The U.S. Senate had adjourned, e.g. for the holiday, i.e. until No. 4 on the list.",
        "It was a long week in the U.S.",
        "The budget grew by $1.5 billion, or 3.5 percent.",
    ]


def test_sentences_with_quotes_and_closing_marks() -> None:
    text = (
        "“We are out of money.” The mayor repeated it twice. "
        "Did anyone believe her? “Is that so?” she asked the reporters. "
        "(Nobody answered.) The session ended! Then came the vote."
    )
    assert sentences(text) == [
        "“We are out of money.”",
        "The mayor repeated it twice.",
        "Did anyone believe her?",
        "“Is that so?” she asked the reporters.",
        "(Nobody answered.)",
        "The session ended!",
        "Then came the vote.",
    ]


def test_sentences_split_paragraphs_and_ignore_blank_text() -> None:
    assert sentences("First paragraph ends here\n\nSecond one. Third one") == [
        "First paragraph ends here",
        "Second one.",
        "Third one",
    ]
    assert sentences("   ") == []
    assert sentences("no capital follows. so this stays one") == ["no capital follows. so this stays one"]
