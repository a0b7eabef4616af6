"""bench.related_text: each way of finding free-text candidates scored against the exact ranking, one run."""

from __future__ import annotations

import statistics
from pathlib import Path

from bench import related_text
from bench.generate import generate
from bot.intake import store_essay
from bot.store import open_store


async def test_each_way_is_scored_against_the_exact_top_five(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite3"
    async with await open_store(path) as store:
        for post in generate(40, seed=2, words=400):
            await store_essay(store, post.to_essay())
    queries = related_text.draw_queries(["The Ferry Timetable", "Rain gauges and long memories"], 6)
    assert len(queries) == 6 and all(1 <= len(q.split()) <= 3 for q in queries)

    report = await related_text.run(None, path, 30)
    assert all(name in report for name in related_text.WAYS)
    async with await open_store(path) as store:
        titles = [b.title for b in (await store.briefs(await store.all_essay_ids(), guild_id=None)).values()]
        asked, ways = await related_text.measure(store, related_text.draw_queries(titles, 30))
    assert asked > 0 and [way.name for way in ways] == list(related_text.WAYS)
    by_name = {way.name: way for way in ways}
    for way in ways:
        assert len(way.overlap) == len(way.exact) == len(way.times) == asked
        assert all(0.0 <= share <= 1.0 for share in way.overlap)
    # The bot's candidates are the lists' and, when those hold too few, the postings' too: never fewer good ones.
    bot, lists = by_name["the bot (now)"], by_name["champion lists only"]
    assert all(b >= c for b, c in zip(bot.overlap, lists.overlap, strict=True))
    assert statistics.fmean(bot.overlap) > 0.5
