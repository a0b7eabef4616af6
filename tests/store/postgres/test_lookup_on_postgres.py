"""The lookup tests of tests/test_lookup.py that read a store, run on the PostgreSQL backend.

The test bodies are taken as they are; this module's ``store`` fixture fills a PostgreSQL database
with the same essays, feed and threads as theirs fills a SQLite file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import tests.test_lookup as on_sqlite
from bot.store.postgres import PostgresStore

SHARED = [
    "test_resolve_essay_by_key_url_title_and_alias",
    "test_resolve_essay_refuses_what_matches_nothing_or_many",
    "test_scope_in_a_section_thread_is_its_essay_and_section",
    "test_essay_choices_prefix_then_substring_case_insensitive",
    "test_essay_choices_in_a_thread_put_its_essay_first",
    "test_long_keys_get_a_short_alias_that_resolves",
    "test_essay_choices_respect_discord_limits",
    "test_speaker_choices_prefix_and_substring",
    "test_random_quote_in_a_thread_comes_from_its_section",
    "test_random_quote_anywhere_is_never_junk",
    "test_random_quote_in_a_server_prefers_named_speakers_of_essays_posted_there",
    "test_quote_search_puts_the_threads_section_first",
    "test_quote_search_in_a_thread_widens_when_the_essay_has_nothing",
    "test_quote_by_speaker_and_nothing_found",
    "test_figures_of_an_essay_page_in_reading_order",
    "test_figures_in_a_thread_start_with_its_section",
    "test_figure_search_and_kind",
    "test_related_to_the_threads_essay_links_blog_and_threads",
    "test_related_without_options_uses_the_newest_essay_and_search_a_topic",
]
globals().update({name: getattr(on_sqlite, name) for name in SHARED})


@pytest.fixture
async def store(pg_url: str) -> AsyncIterator[Any]:
    async with await PostgresStore.open(pg_url, worker="test") as s:
        await on_sqlite.fill(s)  # type: ignore[arg-type]  # the same methods as the SQLite Store
        await on_sqlite.add_threads(s, on_sqlite.COUNCIL, on_sqlite.THREADS)  # type: ignore[arg-type]
        yield s
