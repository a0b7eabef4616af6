"""Activity without Discord: what is counted, per server, the essay a command means, the text and the chart."""

from __future__ import annotations

import io
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import matplotlib.image
import pytest

from bot.activity import (
    EssayActivity,
    SectionActivity,
    activity_description,
    activity_json,
    activity_lines,
    activity_target,
    essay_activity,
    is_member_message,
    member_message_in_history,
    silence_message,
    text_alternative,
)
from bot.activity_chart import DPI, chart_label, chart_size, drawable, render_activity_chart
from bot.errors import UserError
from bot.store import Store
from tests.activity_data import Posted, next_id, post_essay, queue_backfill, write


@pytest.fixture
def store(backend_store: Store) -> Store:
    """These tests ask only the Store protocol: each runs on SQLite and on PostgreSQL (tests/conftest.py)."""
    return backend_store


ONE, TWO = 101, 202
CHANNEL_ONE, CHANNEL_TWO = 1101, 2202
SECTIONS = ["What the council decided", "Who pays", "A better way"]
READERS = [5001, 5002, 5003, 5004]
HOSTILE = "**Loud** _part_ @everyone [link](https://evil.example) # not a heading"


async def follow_and_post(store: Store, key: str, guild_id: int, channel_id: int, **extra: Any) -> Posted:
    feed = await store.add_feed(f"https://blog-{guild_id}.example/feed", guild_id=guild_id)
    posted = await post_essay(
        store, key, extra.pop("title", f"Essay {key}"), extra.pop("sections", SECTIONS),
        guild_id=guild_id, channel_id=channel_id, feed_id=feed.id, **extra,
    )  # fmt: skip
    await store.mark_seen(feed.id, key, posted.essay_id)
    return posted


# ------------------------------------------------------------------ what counts


@pytest.mark.parametrize(
    ("author_is_bot", "from_webhook", "message_type", "counted"),
    [
        (False, False, 0, True),  # a plain message
        (False, False, 19, True),  # a reply
        (True, False, 0, False),  # any bot, this one included
        (False, True, 0, False),  # a webhook
        (False, False, 6, False),  # "pinned a message"
        (False, False, 21, False),  # the starter message a thread opens with
        (False, False, 20, False),  # a slash command's result
    ],
)
def test_only_messages_people_write_count(
    author_is_bot: bool, from_webhook: bool, message_type: int, counted: bool
) -> None:
    assert (
        is_member_message(author_is_bot=author_is_bot, from_webhook=from_webhook, message_type=message_type) is counted
    )


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"id": "10", "type": 0, "author": {"id": "7", "bot": False}}, (10, 7)),
        ({"id": "11", "type": 19, "author": {"id": "8"}}, (11, 8)),
        ({"id": "12", "type": 0, "author": {"id": "9", "bot": True}}, None),
        ({"id": "13", "type": 0, "author": {"id": "9"}, "webhook_id": "44"}, None),
        ({"id": "14", "type": 18, "author": {"id": "9"}}, None),
        ({"id": "x", "type": 0, "author": {"id": "9"}}, None),
        ({"id": "15", "type": 0}, None),
    ],
)
def test_history_messages_are_read_by_the_same_rule(message: dict[str, Any], expected: tuple[int, int] | None) -> None:
    assert member_message_in_history(message) == expected


async def test_counts_participants_and_last_message_per_section(store: Store) -> None:
    posted = await follow_and_post(store, "levy", ONE, CHANNEL_ONE)
    start = datetime(2025, 3, 3, 12, tzinfo=UTC)
    for minute, reader in enumerate([READERS[0], READERS[1], READERS[0]]):
        await write(store, posted.threads[2], reader, start + timedelta(minutes=minute))
    await write(store, posted.threads[1], READERS[2], start)
    stats = {s.section: s for s in await store.section_stats(posted.essay_id, guild_id=ONE)}
    assert (stats[2].messages, stats[2].participants) == (3, 2)
    assert stats[2].last_message_at == start + timedelta(minutes=2)
    assert (stats[1].messages, stats[1].participants) == (1, 1)
    assert 3 not in stats
    assert await store.essay_participants(posted.essay_id, guild_id=ONE) == 3


async def test_the_same_message_twice_counts_once_and_a_deleted_one_not_at_all(store: Store) -> None:
    posted = await follow_and_post(store, "levy", ONE, CHANNEL_ONE)
    thread = posted.threads[1]
    kept = await write(store, thread, READERS[0])
    await store.record_thread_message(kept, thread, READERS[0], datetime.now(UTC))  # a replayed event
    gone = await write(store, thread, READERS[1])
    assert await store.section_activity(posted.essay_id) == {1: 2}
    assert await store.forget_thread_messages(thread, [gone]) == 1
    assert await store.forget_thread_messages(thread, [next_id()]) == 0  # never counted
    assert await store.section_activity(posted.essay_id) == {1: 1}


async def test_the_backfill_keeps_what_history_shows_except_messages_deleted_meanwhile(store: Store) -> None:
    posted = await follow_and_post(store, "levy", ONE, CHANNEL_ONE)
    thread = posted.threads[1]
    # Threads that predate per-message counting are queued by migration 0009; this one is queued the same way.
    await queue_backfill(store, thread)
    assert await store.pending_backfills() == [thread]
    live = await write(store, thread, READERS[0])  # counted live while the backfill runs
    deleted = next_id()
    await store.forget_thread_messages(thread, [deleted])  # deleted after its history page was read
    now = datetime.now(UTC)
    page = [(live, READERS[0], now), (deleted, READERS[1], now), (next_id(), READERS[2], now)]
    await store.add_backfilled_messages(thread, page)
    await store.finish_backfill(thread)
    assert await store.pending_backfills() == []
    [stats] = await store.section_stats(posted.essay_id, guild_id=ONE)
    assert (stats.messages, stats.participants) == (2, 2)


async def test_each_server_counts_only_its_own_threads_of_the_same_essay(store: Store) -> None:
    one = await follow_and_post(store, "levy", ONE, CHANNEL_ONE)
    # Server two posted the same essay in its own channel, with its own threads.
    two = await post_essay(store, "levy", "Essay levy", SECTIONS, guild_id=TWO, channel_id=CHANNEL_TWO)
    assert one.essay_id == two.essay_id and one.threads != two.threads
    await write(store, one.threads[1], READERS[0])
    for reader in READERS:
        await write(store, two.threads[3], reader)
    assert await store.section_activity(one.essay_id, guild_id=ONE) == {1: 1}
    assert await store.section_activity(one.essay_id, guild_id=TWO) == {3: 4}
    assert await store.section_activity(one.essay_id) == {1: 1, 3: 4}
    row = await store.get_essay("levy")
    assert row is not None
    mine = await essay_activity(store, row, guild_id=ONE)
    assert [s.messages for s in mine.sections] == [1, 0, 0]
    assert all(f"/{ONE}/" in url for s in mine.sections for url in s.threads)


# ------------------------------------------------------------------ which essay


async def test_the_essay_a_command_means_is_scoped_to_the_server(store: Store) -> None:
    older = await follow_and_post(store, "levy", ONE, CHANNEL_ONE, published=datetime(2025, 3, 1, tzinfo=UTC))
    newer = await follow_and_post(store, "tram", ONE, CHANNEL_ONE, published=datetime(2025, 3, 7, tzinfo=UTC))
    theirs = await follow_and_post(store, "quarry", TWO, CHANNEL_TWO, published=datetime(2025, 3, 9, tzinfo=UTC))
    # Named: by key, in this server only.
    assert (await activity_target(store, essay="levy", channel_id=None, guild_id=ONE)).id == older.essay_id
    with pytest.raises(UserError, match="No essay matches"):
        await activity_target(store, essay="quarry", channel_id=None, guild_id=ONE)
    # In a section thread: that thread's essay.
    in_thread = await activity_target(store, essay=None, channel_id=older.threads[2], guild_id=ONE)
    assert in_thread.id == older.essay_id
    # Anywhere else: the newest essay with threads here (server two's newer essay is not a candidate).
    assert (await activity_target(store, essay=None, channel_id=CHANNEL_ONE, guild_id=ONE)).id == newer.essay_id
    assert (await activity_target(store, essay=" ", channel_id=None, guild_id=TWO)).id == theirs.essay_id
    # Server two's thread named from server one gives server one's own default, not server two's essay.
    from_their_thread = await activity_target(store, essay=None, channel_id=theirs.threads[1], guild_id=ONE)
    assert from_their_thread.id == newer.essay_id


async def test_a_server_with_no_posted_essay_is_told_so(store: Store) -> None:
    await store.add_feed("https://quiet.example/feed", guild_id=ONE)
    with pytest.raises(UserError, match="No essay has been posted in this server"):
        await activity_target(store, essay=None, channel_id=None, guild_id=ONE)


# ------------------------------------------------------------------ words


def sample(titles: list[str], counts: list[tuple[int, int]]) -> EssayActivity:
    when = datetime(2025, 3, 4, 18, 30, tzinfo=UTC)
    sections = tuple(
        SectionActivity(i, title, m, p, when if m else None, (f"https://discord.com/channels/{ONE}/{7000 + i}",))
        for i, (title, (m, p)) in enumerate(zip(titles, counts, strict=True), start=1)
    )
    return EssayActivity(1, "levy", "The Harbour Levy", "https://blog.example/levy", ONE, sections, 6)


def test_the_most_active_section_is_named_and_ties_go_to_more_people_then_the_earlier() -> None:
    def most(counts: list[tuple[int, int]]) -> int | None:
        top = sample(SECTIONS, counts).most_active
        return top.index if top else None

    assert most([(3, 1), (5, 2), (5, 3)]) == 3
    assert most([(4, 2), (1, 1), (4, 2)]) == 1
    assert most([(0, 0), (0, 0), (0, 0)]) is None


def test_the_text_alternative_gives_every_label_and_number() -> None:
    activity = sample(SECTIONS, [(3, 2), (14, 5), (1, 1)])
    alt = text_alternative(activity)
    for section in activity.sections:
        assert section.label in alt
    assert "§2 Who pays: 14 messages from 5 people." in alt
    assert "§3 A better way: 1 message from 1 person." in alt
    assert alt.endswith("Most discussed: §2 Who pays.")
    assert len(alt) <= 1024


def test_the_description_escapes_feed_text_and_links_every_thread() -> None:
    activity = sample(["Plain", HOSTILE, "Third"], [(1, 1), (9, 4), (0, 0)])
    text = activity_description(activity)
    assert "Most discussed: **§2 \\*\\*Loud\\*\\* \\_part\\_ @\u200beveryone \\[link\\](https://evil.example)" in text
    assert "@everyone" not in text
    assert f"[thread](https://discord.com/channels/{ONE}/7002)" in text
    assert "§1 Plain: 1 message from 1 person, last 2025-03-04 18:30 UTC" in text
    assert "§3 Third: no messages" in text
    assert text.endswith("In all: 10 messages from 6 people.")


def test_a_long_essay_still_fits_an_embed() -> None:
    titles = [("A very long section title " * 12).strip() for _ in range(40)]
    text = activity_description(sample(titles, [(i, 1) for i in range(40)]))
    assert len(text) <= 4096 and text.endswith("…")


def test_silence_is_explained_instead_of_an_empty_chart() -> None:
    unposted = EssayActivity(1, "k", "*Title*", None, ONE, (SectionActivity(1, "A", 0, 0, None, ()),), 0)
    assert "not posted in its channels" in (silence_message(unposted) or "")
    assert "\\*Title\\*" in (silence_message(unposted) or "")
    assert "Nobody has written" in (silence_message(sample(SECTIONS, [(0, 0)] * 3)) or "")
    assert silence_message(sample(SECTIONS, [(1, 1), (0, 0), (0, 0)])) is None


def test_the_command_line_report_and_json() -> None:
    activity = sample(SECTIONS, [(3, 2), (14, 5), (0, 0)])
    lines = activity_lines(activity)
    assert (
        lines[0] == "The Harbour Levy"
        and "  §2 Who pays: 14 messages from 5 people, last 2025-03-04 18:30 UTC" in lines
    )
    assert lines[-2:] == ["Most discussed: §2 Who pays", "In all: 17 messages from 6 people"]
    data = activity_json(activity)
    assert data["most_discussed"] == 2 and data["messages"] == 17
    assert [s["messages"] for s in data["sections"]] == [3, 14, 0]
    assert data["sections"][0]["threads"] == [f"https://discord.com/channels/{ONE}/7001"]


# ------------------------------------------------------------------ the chart


def pixels(png: bytes) -> Any:
    return matplotlib.image.imread(io.BytesIO(png), format="png")


SIX = [
    "What the council decided",
    "Who pays for the $140 levy and the $3 fee",  # two dollar signs: never read as mathematics
    "A better way: the bridge fund of 2011 and how it was paid off in six years",
    "Late again",
    "",
    "Epilogue: Straßenbahn, città, 市电车",
]


def test_the_chart_is_a_png_of_the_planned_size_with_bars_drawn() -> None:
    activity = sample(SIX, [(3, 2), (14, 5), (7, 3), (0, 0), (1, 1), (22, 9)])
    image = pixels(render_activity_chart(activity))
    assert image.shape[:2] == (457, 800)  # 800 px wide, as Discord shows an embed's image; 6 bars high
    # Not blank: the highlighted bar's colour (#2F5597) and the other bars' (#A7BBDC) are both there.
    rgb = (image[..., :3] * 255).round().astype(int).reshape(-1, 3).tolist()
    colours = {tuple(c) for c in rgb}
    assert (0x2F, 0x55, 0x97) in colours and (0xA7, 0xBB, 0xDC) in colours
    white = sum(1 for c in rgb if c == [255, 255, 255])
    assert 0.3 < white / len(rgb) < 0.97


@pytest.mark.parametrize("count", [1, 6, 10])
def test_the_chart_grows_with_the_sections(count: int) -> None:
    activity = sample([f"Part {i}" for i in range(count)], [(i + 1, 1) for i in range(count)])
    image = pixels(render_activity_chart(activity))
    assert image.shape[1] == 800 and image.shape[0] == round(chart_size(count)[1] * DPI)


def test_labels_are_wrapped_on_two_lines_at_most() -> None:
    long = SectionActivity(3, SIX[2], 1, 1, None, ())
    label = chart_label(long)
    assert label.startswith("§3 A better way") and label.count("\n") == 1 and label.endswith("…")
    assert chart_label(SectionActivity(5, "", 0, 0, None, ())) == "§5"


def test_characters_the_font_lacks_are_drawn_as_boxes_without_a_warning() -> None:
    assert drawable("Straßenbahn, città 市电车 🚋 — “§”") == "Straßenbahn, città □□□ □ — “§”"
    activity = sample(["市电车 🚋", "Plain"], [(2, 1), (1, 1)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert render_activity_chart(activity).startswith(b"\x89PNG")
