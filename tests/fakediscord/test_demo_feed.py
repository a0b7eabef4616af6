"""The feed of the sample essays that the standalone fake serves for the README's walk-through."""

from __future__ import annotations

from bot.essays.sources import parse_feed
from bot.intake import entry_to_essay
from tests.fakediscord.demo_feed import demo_feed


def test_the_demo_feed_is_a_full_text_feed_of_the_three_sample_essays_newest_first() -> None:
    parsed = parse_feed(demo_feed().encode(), url="http://127.0.0.1:8787/demo/feed.xml")
    assert [entry.title for entry in parsed.entries] == [
        "What Is Actually in Your Water Bill",
        "In Praise of Boring Elections",
        "Your Library Card Is an Economic Policy",
    ]
    for entry in parsed.entries:
        assert not entry.summary_only and entry.author and entry.labels
        essay = entry_to_essay(entry)
        assert essay.word_count > 500 and essay.key == entry.url
