"""The weekly digest without Discord: when it runs, what a week holds, and that each week is posted once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.digest import (
    WEEK,
    DigestRefused,
    digest_body,
    gather_week,
    latest_run,
    next_run,
    run_due_digests,
    set_weekly,
    turn_off,
    week_key,
    week_label,
    week_of,
)
from bot.store import Store
from tests.activity_data import Posted, next_id, post_essay, write


@pytest.fixture
def store(backend_store: Store) -> Store:
    """These tests ask only the Store protocol: each runs on SQLite and on PostgreSQL (tests/conftest.py)."""
    return backend_store


ONE, TWO = 101, 202
CHANNEL_ONE, CHANNEL_TWO, DIGEST_ONE = 1101, 2202, 1199
SECTIONS = ["What the council decided", "Who pays", "A better way"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ------------------------------------------------------------------ when


@pytest.mark.parametrize(
    ("now", "latest", "following"),
    [
        (utc(2025, 9, 15, 9), utc(2025, 9, 15, 9), utc(2025, 9, 22, 9)),  # a Monday at 09:00 exactly
        (utc(2025, 9, 15, 8, 59), utc(2025, 9, 8, 9), utc(2025, 9, 15, 9)),  # a minute early
        (utc(2025, 9, 17, 20), utc(2025, 9, 15, 9), utc(2025, 9, 22, 9)),  # midweek
        (utc(2025, 9, 21, 23, 59), utc(2025, 9, 15, 9), utc(2025, 9, 22, 9)),  # Sunday night
        (datetime(2025, 9, 15, 10, tzinfo=UTC).astimezone(), utc(2025, 9, 15, 9), utc(2025, 9, 22, 9)),
    ],
)
def test_runs_fall_on_mondays_at_nine_utc(now: datetime, latest: datetime, following: datetime) -> None:
    assert latest_run(now) == latest
    assert next_run(now) == following


@pytest.mark.parametrize(
    ("run", "key", "label"),
    [
        (utc(2025, 9, 15, 9), "2025-09-08", "8–14 September 2025"),
        (utc(2025, 10, 6, 9), "2025-09-29", "29 September – 5 October 2025"),
        (utc(2026, 1, 5, 9), "2025-12-29", "29 December 2025 – 4 January 2026"),
    ],
)
def test_a_week_is_named_by_its_first_day(run: datetime, key: str, label: str) -> None:
    assert week_key(run) == key
    start, end = week_of(run)
    assert start.date().isoformat() == key and end - start == WEEK and end == run - timedelta(hours=9)
    assert week_label(start, end) == label


# ------------------------------------------------------------------ what


def this_week() -> tuple[datetime, datetime, datetime]:
    """The calendar week (UTC) of now, when the store stamps a publication's end, and the run covering it."""
    now = datetime.now(UTC)
    start = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + WEEK, start + WEEK + timedelta(hours=9)


async def posted_now(store: Store, key: str, title: str, guild_id: int = ONE, channel_id: int = CHANNEL_ONE) -> Posted:
    """An essay whose posting finishes now (the store stamps the real time)."""
    feed = await store.add_feed(f"https://blog-{guild_id}.example/feed", guild_id=guild_id)
    posted = await post_essay(store, key, title, SECTIONS, guild_id=guild_id, channel_id=channel_id, feed_id=feed.id)
    await store.mark_seen(feed.id, key, posted.essay_id)
    return posted


async def test_the_week_holds_the_servers_essays_with_their_most_discussed_sections(store: Store) -> None:
    levy = await posted_now(store, "levy", "The **Harbour** Levy @everyone")
    quiet = await posted_now(store, "quiet", "A Quiet Essay")
    await posted_now(store, "theirs", "Another Server's Essay", TWO, CHANNEL_TWO)
    for reader in (1, 2, 3):
        await write(store, levy.threads[2], reader)
    await write(store, levy.threads[3], 1)
    start, end, _ = this_week()
    week = await gather_week(store, ONE, start, end)
    assert [item.posted.title for item in week.essays] == ["The **Harbour** Levy @everyone", "A Quiet Essay"]
    body = digest_body(week, "nonce-1")
    assert body is not None
    text = body["embeds"][0]["description"]
    card = f"https://discord.com/channels/{ONE}/{CHANNEL_ONE}/{levy.card_id}"
    assert f"**[The \\*\\*Harbour\\*\\* Levy @\u200beveryone]({card})** — 4 messages from 3 people" in text
    thread = f"https://discord.com/channels/{ONE}/{levy.threads[2]}"
    assert f"most discussed: [§2 Who pays]({thread}) (3 messages from 3 people), [§3 A better way]" in text
    assert f"[A Quiet Essay](https://discord.com/channels/{ONE}/{CHANNEL_ONE}/{quiet.card_id})** — no messages" in text
    assert "Another Server" not in text
    assert body["allowed_mentions"] == {"parse": []} and body["nonce"] == "nonce-1" and body["enforce_nonce"]
    assert body["embeds"][0]["title"] == f"The week in essays · {week_label(start, end)}"


async def test_earlier_essays_busy_this_week_are_still_named(store: Store) -> None:
    levy = await posted_now(store, "levy", "The Harbour Levy")
    _, posted_end, _ = this_week()
    following = posted_end + WEEK  # the week after the essay was posted
    for reader in (1, 2):
        await write(store, levy.threads[1], reader, following - timedelta(days=1))
    await write(store, levy.threads[3], 3, posted_end - timedelta(days=1))  # the week before: not this one
    week = await gather_week(store, ONE, posted_end, following)
    assert week.essays == ()
    assert [(s.busy.section, s.busy.messages) for s in week.earlier] == [(1, 2)]
    body = digest_body(week, "n")
    assert body is not None
    thread = f"https://discord.com/channels/{ONE}/{levy.threads[1]}"
    assert (
        f"**Still discussed**\n[§1 What the council decided]({thread}) in *The Harbour Levy*: 2 messages"
        in (body["embeds"][0]["description"])
    )


async def test_a_week_with_nothing_to_tell_has_no_message(store: Store) -> None:
    await posted_now(store, "levy", "The Harbour Levy")
    _, end, _ = this_week()
    week = await gather_week(store, ONE, end + 2 * WEEK, end + 3 * WEEK)
    assert week.empty and digest_body(week, "n") is None


# ------------------------------------------------------------------ exactly once


@dataclass
class FakeChannel:
    """Discord as the digest sees it: messages posted, and failures to inject."""

    posted: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    sends: list[dict[str, Any]] = field(default_factory=list)
    crash_after_send: int = 0  # the next N sends reach the channel, then the answer is lost
    fail_before_send: int = 0  # the next N sends never reach it
    refuse: str | None = None
    history_visible: bool = True  # whether find() sees the channel's messages

    async def send(self, channel_id: int, body: dict[str, Any]) -> int:
        self.sends.append(body)
        if self.refuse:
            raise DigestRefused(self.refuse)
        if self.fail_before_send:
            self.fail_before_send -= 1
            raise TimeoutError("no answer")
        # Discord drops a second request with the same nonce (enforce_nonce) and returns the first message.
        for message_id, earlier in self.posted:
            if earlier["nonce"] == body["nonce"]:
                return message_id
        message_id = next_id()
        self.posted.append((message_id, body))
        if self.crash_after_send:
            self.crash_after_send -= 1
            raise TimeoutError("the answer was lost")
        return message_id

    async def find(self, channel_id: int, body: dict[str, Any], nonce: str, since: datetime | None) -> int | None:
        if not self.history_visible:
            return None
        return next((mid for mid, earlier in self.posted if earlier == body), None)


async def scheduled(store: Store) -> tuple[Posted, datetime]:
    """A server with one discussed essay and a weekly digest; the moment its first digest is due."""
    levy = await posted_now(store, "levy", "The Harbour Levy")
    await write(store, levy.threads[2], 1)
    _, _, run = this_week()
    schedule = await set_weekly(store, ONE, DIGEST_ONE, run - timedelta(hours=1))
    assert schedule.next_run_at == run
    return levy, run


async def test_a_due_digest_is_posted_once_and_the_next_run_is_a_week_later(store: Store) -> None:
    _, due = await scheduled(store)
    channel = FakeChannel()
    assert await run_due_digests(store, channel, due - timedelta(seconds=1)) == []  # not yet
    [outcome] = await run_due_digests(store, channel, due + timedelta(minutes=1))
    assert (outcome.state, outcome.channel_id, outcome.earlier) == ("done", DIGEST_ONE, False)
    assert len(channel.posted) == 1 and outcome.message_id == channel.posted[0][0]
    assert await run_due_digests(store, channel, due + timedelta(hours=5)) == []  # the schedule moved on
    schedule = await store.digest_schedule(ONE)
    assert schedule is not None and schedule.next_run_at == due + WEEK
    [row] = await store.digests_of(ONE)
    assert (row.week, row.state, row.message_id) == (week_key(due), "done", outcome.message_id)


@pytest.mark.parametrize(
    ("fault", "history_visible", "sends"),
    [
        ("crash_after_send", True, 1),  # found in the channel: not sent again
        ("crash_after_send", False, 2),  # not found: the same request again, which Discord drops by its nonce
        ("fail_before_send", True, 2),  # never arrived: sent again
    ],
)
async def test_a_digest_whose_answer_was_lost_is_never_posted_twice(
    store: Store, fault: str, history_visible: bool, sends: int
) -> None:
    _, due = await scheduled(store)
    channel = FakeChannel(history_visible=history_visible, **{fault: 1})
    assert await run_due_digests(store, channel, due) == []  # the failure leaves it for the next round
    [row] = await store.digests_of(ONE)
    assert row.state == "attempted"
    schedule = await store.digest_schedule(ONE)
    assert schedule is not None and schedule.next_run_at == due, "still due"
    [outcome] = await run_due_digests(store, channel, due + timedelta(minutes=1))
    assert outcome.state == "done"
    assert len(channel.posted) == 1, "one message in the channel"
    assert len(channel.sends) == sends
    assert all(body == channel.sends[0] for body in channel.sends), "a resend is the same request, nonce included"
    assert outcome.message_id == channel.posted[0][0]


async def test_the_body_is_fixed_when_the_week_is_first_tried(store: Store) -> None:
    levy, due = await scheduled(store)
    channel = FakeChannel(fail_before_send=1)
    await run_due_digests(store, channel, due)
    await write(store, levy.threads[1], 2, due - timedelta(hours=1))  # a late-arriving event for that week
    await run_due_digests(store, channel, due + timedelta(minutes=1))
    first, second = channel.sends
    assert first == second
    [row] = await store.digests_of(ONE)
    assert row.body is not None and json.loads(row.body) == first


async def test_a_refused_digest_is_reported_once_and_the_schedule_moves_on(store: Store) -> None:
    _, due = await scheduled(store)
    channel = FakeChannel(refuse="the bot lacks the Send Messages permission")
    [outcome] = await run_due_digests(store, channel, due)
    assert (outcome.state, outcome.error, outcome.earlier) == ("failed", channel.refuse, False)
    assert await run_due_digests(store, channel, due + timedelta(days=1)) == []
    schedule = await store.digest_schedule(ONE)
    assert schedule is not None and schedule.next_run_at == due + WEEK


async def test_after_weeks_offline_only_the_latest_week_is_posted(store: Store) -> None:
    _, due = await scheduled(store)
    channel = FakeChannel()
    back = due + 3 * WEEK + timedelta(days=2)
    outcomes = await run_due_digests(store, channel, back)
    assert [o.week for o in outcomes] == [week_key(due + 3 * WEEK)]
    schedule = await store.digest_schedule(ONE)
    assert schedule is not None and schedule.next_run_at == due + 4 * WEEK


async def test_an_empty_week_posts_nothing_and_a_server_that_turned_it_off_gets_nothing(store: Store) -> None:
    _, due = await scheduled(store)
    channel = FakeChannel()
    quiet = due + 5 * WEEK
    [outcome] = await run_due_digests(store, channel, quiet)
    assert outcome.state == "empty" and channel.posted == []
    assert await turn_off(store, ONE) is True
    assert await turn_off(store, ONE) is False
    assert await run_due_digests(store, channel, quiet + 10 * WEEK) == []


async def test_setting_the_digest_again_keeps_its_planned_run_and_never_reposts_a_week(store: Store) -> None:
    _, due = await scheduled(store)
    channel = FakeChannel()
    await run_due_digests(store, channel, due)
    # A moderator turns it off and on again, to another channel, the same week.
    await turn_off(store, ONE)
    again = await set_weekly(store, ONE, CHANNEL_ONE, due + timedelta(hours=2))
    assert again.next_run_at == due + WEEK and again.channel_id == CHANNEL_ONE
    assert await run_due_digests(store, channel, due + timedelta(hours=3)) == []
    # Even with the run moved back to that week (say, a clock set wrong), the week is not posted again.
    await store.advance_digest_schedule(ONE, again.next_run_at, due)
    [outcome] = await run_due_digests(store, channel, due + timedelta(hours=4))
    assert outcome.earlier and outcome.channel_id == DIGEST_ONE
    assert len(channel.posted) == 1 and len(channel.sends) == 1


async def test_servers_whose_bot_was_removed_wait(store: Store) -> None:
    _, due = await scheduled(store)
    channel = FakeChannel()
    assert await run_due_digests(store, channel, due, skip=frozenset({ONE})) == []
    assert channel.sends == []
