"""Corrections end to end: an author revises a posted essay; the real discord.py against the fake Discord.

Each case publishes the same six-section essay, stores a revision (as a feed poll would) and lets
the publisher correct what it posted, then checks what members see: which messages were edited,
what was posted, and that nothing else was touched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.client import Marginalia
from bot.essays.analysis import analyse
from bot.essays.model import Essay
from bot.intake import store_essay
from bot.publishing.corrections import CorrectionStep
from bot.publishing.render import MESSAGE_LIMIT, section_messages
from bot.store import open_store
from bot.store.base import to_iso, utcnow
from tests.cogs.test_publisher import (
    ATOM,
    SECTIONS,
    HardStop,
    atom_feed,
    make_due,
    make_essay,
    publisher_of,
    queue,
    running,
)
from tests.fakediscord.scenario import FakeDiscord
from tests.fakediscord.state import Channel, Guild, Message
from tests.fetch_server import FetchServer, Route

ESSAY = make_essay()


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> dict[str, Any]:
    guild = fake_discord.add_guild("Orchard Club")
    return {
        "guild": guild,
        "text": fake_discord.add_channel(guild, "essays"),
        "forum": fake_discord.add_channel(guild, "essay-forum", kind="forum", tags=("essay",)),
    }


def revised(changes: Mapping[int, tuple[str, str] | None], extra: Sequence[tuple[str, str]] = ()) -> Essay:
    """ESSAY with sections replaced (index from 0) or removed (None), and sections appended."""
    sections: list[tuple[str, str]] = []
    for number, section in enumerate(SECTIONS):
        change = changes.get(number, section)
        if change is not None:
            sections.append(change)
    sections.extend(extra)
    return make_essay(sections)


def writes(fake: FakeDiscord, since: int) -> list[Any]:
    return [r for r in fake.requests[since:] if r.method in ("POST", "PATCH", "DELETE")]


def anchors(fake: FakeDiscord, channel: Channel) -> list[Message]:
    return [m for m in fake.bot_messages(channel) if not m.embeds]


def card(fake: FakeDiscord, channel: Channel) -> Message:
    return next(m for m in fake.bot_messages(channel) if m.embeds)


def notices(fake: FakeDiscord, thread: Channel) -> list[str]:
    return [m.content for m in fake.bot_messages(thread) if m.content.startswith("**Correction:**")]


def thread_text(fake: FakeDiscord, thread: Channel) -> list[str]:
    return [m.content for m in fake.bot_messages(thread) if not m.content.startswith("**Correction:**")]


async def publish(bot: Marginalia, guild: Guild, channel: Channel, kind: str = "text", essay: Essay = ESSAY) -> None:
    await queue(bot.store, essay, guild, channel, kind)
    await publisher_of(bot).drain()


async def revise(bot: Marginalia, essay: Essay) -> None:
    outcome = await store_essay(bot.store, essay, max_sections=6)
    assert outcome.status == "revised"
    await publisher_of(bot).drain()


def added_section(essay: Essay, heading: str) -> Any:
    return next(s for s in analyse(essay, max_sections=10).sections if s.title == heading)


def expected_text(essay: Essay, index: int) -> list[str]:
    section = analyse(essay, max_sections=6).sections[index]
    return section_messages(section)


# --- cases ----------------------------------------------------------------------------------------


async def test_edit_in_a_section_edits_its_messages_and_tells_only_its_thread(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    heading, body = SECTIONS[1]
    essay = revised({1: (heading, body.replace("$12,000", "$15,500"))})
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await publish(bot, guild, text)
        before = len(fake.requests)
        old_card = card(fake, text).embeds, card(fake, text).edited_timestamp
        await revise(bot, essay)

    threads = fake.threads(text)
    sent = writes(fake, before)
    # Three requests: the anchor, the thread's full-text message, and the notice.
    assert [(r.method, r.path.count("/")) for r in sent] == [("PATCH", 4), ("PATCH", 4), ("POST", 3)]
    assert "$15,500" in anchors(fake, text)[1].content
    assert thread_text(fake, threads[1]) == expected_text(essay, 1)
    assert not any("$12,000" in m for m in thread_text(fake, threads[1]))
    (notice,) = notices(fake, threads[1])
    assert "“Members paid $12,000 between them" in notice and "now reads “Members paid $15,500 between them" in notice
    assert all(notices(fake, t) == [] for i, t in enumerate(threads) if i != 1)
    assert all(a.edited_timestamp is None for i, a in enumerate(anchors(fake, text)) if i != 1)
    assert (card(fake, text).embeds, card(fake, text).edited_timestamp) == old_card
    for message in fake.bot_messages(threads[1]):
        assert not fake.pings(message).any


async def test_edit_in_a_long_thread_text_edits_only_the_message_that_shows_it_and_resplits(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    long_body = " ".join(
        f"In the year {1950 + n} the members counted {n * 7 + 3} crates of pears and argued about the price."
        for n in range(60)
    )
    base = {n: SECTIONS[n] for n in range(6)}
    base[2] = (SECTIONS[2][0], long_body)
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await publish(bot, guild, text, essay=revised(base))
        thread = fake.threads(text)[2]
        assert len(fake.bot_messages(thread)) >= 3  # the section's text takes several messages

        # One figure near the end: only the message that shows it is edited (the anchor shows
        # the section's opening, which did not change).
        edited = dict(base)
        edited[2] = (SECTIONS[2][0], long_body.replace("2009 the members counted 416", "2009 the members counted 421"))
        essay = revised(edited)
        before = len(fake.requests)
        await revise(bot, essay)
        changed = [m for m in fake.bot_messages(thread) if m.edited_timestamp is not None]
        assert len(changed) == 1 and "421 crates" in changed[0].content
        assert thread_text(fake, thread) == expected_text(essay, 2)
        assert len(notices(fake, thread)) == 1
        assert [r.method for r in writes(fake, before)] == ["PATCH", "POST"]


async def test_text_that_grows_and_shrinks_is_resplit_within_discords_limits(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    sentence = "The members met in the barn on Tuesdays, and the minutes of each meeting ran to many pages."
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await publish(bot, guild, text)
        thread = fake.threads(text)[3]
        first = [m.id for m in fake.bot_messages(thread)]

        grown = revised({3: (SECTIONS[3][0], SECTIONS[3][1] + " " + " ".join([sentence] * 60))})
        await revise(bot, grown)
        shown = thread_text(fake, thread)
        assert all(len(m) <= MESSAGE_LIMIT for m in shown)
        assert shown[0] == expected_text(grown, 3)[0]
        assert [m.id for m in fake.bot_messages(thread)][: len(first)] == first  # the old messages were edited
        assert any(m.startswith("*(continued after a correction)*") for m in shown)
        assert "".join(shown).count("minutes of each meeting") == 60

        # Much shorter again: the messages it no longer needs are deleted.
        await make_notices_due(bot)
        shrunk = revised({3: (SECTIONS[3][0], "In the third year a late frost took every blossom on the lower slope.")})
        await revise(bot, shrunk)
        assert thread_text(fake, thread) == expected_text(shrunk, 3)
        assert len(notices(fake, thread)) == 2


async def test_removed_section_says_so_and_nothing_else_changes_name_or_gets_a_notice(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await publish(bot, guild, text)
        names = [t.name for t in fake.threads(text)]
        await revise(bot, revised({2: None}))
        threads = fake.threads(text)
        gone = threads[2]
        assert "removed by the author" in anchors(fake, text)[2].content
        assert gone.archived and gone.name == "§3 · (removed) A notice on the barn door"
        (notice,) = notices(fake, gone)
        assert "removed this section" in notice
        for index, thread in enumerate(threads):
            if index != 2:
                assert thread.name == names[index] and not thread.archived
                assert notices(fake, thread) == []
        contents = card(fake, text).embeds[0]["description"]
        assert "§3" not in contents and "§4 · The frost of the third year" in contents
        # Lookups: the later sections' threads now show the analysis's sections 3..5.
        links = {t.section: t.thread_id for t in await bot.store.section_threads(1, guild_id=guild.id)}
        assert links == {1: threads[0].id, 2: threads[1].id, 3: threads[3].id, 4: threads[4].id, 5: threads[5].id}
        assert (await bot.store.thread_section(gone.id)) is not None


async def test_added_section_is_appended_with_its_own_thread_or_listed_on_the_card(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    new_part = (
        "A letter from the county",
        "Years later the county wrote to ask whether the hill could be sold for houses, and every family "
        "that still kept a tree signed the reply that said it could not.",
    )
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await publish(bot, guild, text)
        essay = revised({}, extra=[new_part])
        await revise(bot, essay)
        threads = fake.threads(text)
        assert len(threads) == 7 and threads[6].name == "§7 · A letter from the county"
        assert thread_text(fake, threads[6]) == section_messages(added_section(essay, new_part[0]))
        assert "§7 · A letter from the county" in anchors(fake, text)[6].content
        contents = card(fake, text).embeds[0]["description"]
        assert f"/{text.id}/{anchors(fake, text)[6].id})" in contents
        assert all(notices(fake, t) == [] for t in threads)

        # One in the middle has no place in order: the card lists it, and no thread is made.
        middle = make_essay(
            [*SECTIONS[:3], ("An interlude", new_part[1] + " The reply was read aloud."), *SECTIONS[3:], new_part]
        )
        await revise(bot, middle)
        assert len(fake.threads(text)) == 7
        assert "An interlude (added by the author after posting" in card(fake, text).embeds[0]["description"]


async def test_changed_heading_renames_the_thread_and_edits_its_message(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await publish(bot, guild, text)
        await revise(bot, revised({3: ("A late frost", SECTIONS[3][1])}))
        threads = fake.threads(text)
        assert threads[3].name == "§4 · A late frost"
        assert anchors(fake, text)[3].content.startswith("**§4 · A late frost**")
        (notice,) = notices(fake, threads[3])
        assert "heading “The frost of the third year” is now “A late frost”" in notice
        assert "§4 · A late frost" in card(fake, text).embeds[0]["description"]
        assert all(notices(fake, t) == [] for i, t in enumerate(threads) if i != 3)


async def test_title_only_change_edits_the_card_and_forum_post_names_without_notices(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text, forum = fake_discord, world["guild"], world["text"], world["forum"]
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await publish(bot, guild, text)
        await queue(bot.store, ESSAY, guild, forum, "forum")
        await publisher_of(bot).drain()
        before = len(fake.requests)
        await revise(bot, replace(ESSAY, title="Pears on Kessel Hill, revisited"))
        assert card(fake, text).embeds[0]["title"] == "Pears on Kessel Hill, revisited"
        assert all(a.edited_timestamp is None for a in anchors(fake, text))
        assert all(notices(fake, t) == [] for t in fake.threads(text))
        posts = fake.threads(forum)
        assert all(p.name.startswith("Pears on Kessel Hill, revisited · §") for p in posts)
        assert all(notices(fake, p) == [] for p in posts)
        # Writes: the card, and per forum post its starter (new title in the embed) and its name.
        assert len(writes(fake, before)) == 1 + 2 * len(posts)


async def test_whitespace_and_markup_only_change_sends_nothing(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    db = tmp_path / "db.sqlite3"
    async with FetchServer() as feeds:
        feeds.route("/feed", Route(body=atom_feed(feeds, SECTIONS), headers=ATOM, etag='"v1"'))
        setup_store = await open_store(db)
        await setup_store.add_feed(feeds.url("/feed"), guild_id=guild.id)
        await setup_store.set_destination(guild_id=guild.id, channel_id=text.id, kind="text")
        await setup_store.close()
        async with running(fake, db) as bot:
            publisher = publisher_of(bot)
            await publisher.poll_once()
            await publisher.drain()
            assert len(fake.threads(text)) == 6
            spaced = atom_feed(feeds, SECTIONS).replace("&lt;p&gt;", "&lt;p&gt;&lt;span style=&quot;x&quot;&gt;  ")
            spaced = spaced.replace("&lt;/p&gt;", " &amp;nbsp;&lt;/span&gt;&lt;/p&gt;\n")
            feeds.route("/feed", Route(body=spaced, headers=ATOM, etag='"v2"'))
            await make_due(bot.store)
            before = len(fake.requests)
            await publisher.poll_once()
            await publisher.drain()
            assert writes(fake, before) == []


# --- many edits, crashes, archived threads ---------------------------------------------------------


async def make_notices_due(bot: Marginalia) -> None:
    """An hour passes for the publication's threads: every last notice is moved back in time."""
    past = utcnow() - timedelta(hours=1, minutes=1)
    async with bot.store.transaction() as db:
        async with db.execute("SELECT id, posted_snapshot FROM publications") as cursor:
            rows = list(await cursor.fetchall())
        for publication_id, raw in rows:
            layout = json.loads(raw)
            for slot in layout["slots"]:
                if slot["notice_at"]:
                    slot["notice_at"] = to_iso(past)
            await db.execute(
                "UPDATE publications SET posted_snapshot = ?, notice_due_at = CASE WHEN notice_due_at IS NULL "
                "THEN NULL ELSE ? END WHERE id = ?",
                (json.dumps(layout), to_iso(past), publication_id),
            )


async def test_many_edits_within_an_hour_make_one_notice_per_thread_then_one_summary(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    heading, body = SECTIONS[1]
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await publish(bot, guild, text)
        thread = fake.threads(text)[1]
        first = revised({1: (heading, body.replace("$12,000", "$13,000"))})
        await revise(bot, first)
        second = revised({1: (heading, body.replace("$12,000", "$14,000"))})
        await revise(bot, second)
        third = revised({1: (heading, body.replace("$12,000", "$15,000"))})
        await revise(bot, third)
        # The text shows the latest revision at once; the thread heard once.
        assert thread_text(fake, thread) == expected_text(third, 1)
        assert len(notices(fake, thread)) == 1 and "$13,000" in notices(fake, thread)[0]
        publication = await bot.store.get_publication(1)
        assert publication is not None and publication.revision == 4

        # Within the hour nothing more is posted; once it has passed, one notice sums up the rest.
        await publisher_of(bot).drain()
        assert len(notices(fake, thread)) == 1
        await make_notices_due(bot)
        await publisher_of(bot).drain()
        assert len(notices(fake, thread)) == 2
        assert (
            "“Members paid $13,000" in notices(fake, thread)[1] and "“Members paid $15,000" in notices(fake, thread)[1]
        )
        await publisher_of(bot).drain()
        assert len(notices(fake, thread)) == 2


CRASH_ESSAY = revised(
    {1: (SECTIONS[1][0], SECTIONS[1][1].replace("$12,000", "$15,500")), 2: None, 3: ("A late frost", SECTIONS[3][1])},
    extra=[
        (
            "A letter from the county",
            "The county wrote to ask whether the hill could be sold, and the families said no.",
        )
    ],
)


@pytest.mark.parametrize("phase", ["sent", "recorded"])
@pytest.mark.parametrize("k", range(1, 16))
async def test_hard_stop_mid_correction_resumes_without_a_second_notice(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path, k: int, phase: str
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    db = tmp_path / "db.sqlite3"
    fired: list[int] = []

    def crash(step: CorrectionStep, at: str) -> None:
        if step.seq == k and at == phase:
            fired.append(step.seq)
            raise HardStop

    async with running(fake, db) as bot:
        await publish(bot, guild, text)
        publisher_of(bot).correction_hook = crash
        await store_essay(bot.store, CRASH_ESSAY, max_sections=6)
        await publisher_of(bot).drain()
    if not fired:
        pytest.skip(f"the correction has fewer than {k} steps")
    async with running(fake, db) as bot:
        await publisher_of(bot).drain()
        publication = await bot.store.get_publication(1)
        assert publication is not None and publication.revision == 2
        assert await bot.store.get_correction(1) is None

    threads = fake.threads(text)
    assert len(threads) == 7 and len(anchors(fake, text)) == 7
    assert [len(notices(fake, t)) for t in threads] == [0, 1, 1, 1, 0, 0, 0]
    assert threads[3].name == "§4 · A late frost" and threads[2].archived
    assert thread_text(fake, threads[6]) == section_messages(added_section(CRASH_ESSAY, "A letter from the county"))


async def test_edits_in_an_archived_thread_reopen_it_first(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    heading, body = SECTIONS[1]
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await publish(bot, guild, text)
        thread = fake.threads(text)[1]
        thread.archived = True  # it went quiet for a week
        essay = revised({1: (heading, body.replace("$12,000", "$15,500"))})
        await revise(bot, essay)
        assert thread_text(fake, thread) == expected_text(essay, 1)
        assert len(notices(fake, thread)) == 1
    reopened = fake.requests_to("PATCH", rf"^/channels/{thread.id}$")
    assert [r.json for r in reopened] == [{"archived": False}]
    refused = [r for r in fake.requests if r.status == 400 and r.path.startswith(f"/channels/{thread.id}/messages/")]
    assert len(refused) == 1  # the first edit, refused while the thread was archived


async def test_forum_post_correction_edits_the_starter_and_tells_the_post(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, forum = fake_discord, world["guild"], world["forum"]
    heading, body = SECTIONS[1]
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await publish(bot, guild, forum, "forum")
        essay = revised({1: (heading, body.replace("$12,000", "$15,500"))})
        await revise(bot, essay)
        posts = fake.threads(forum)
        starter = fake.starter_message(posts[1])
        assert starter is not None and "$15,500" in starter.content
        assert [len(notices(fake, p)) for p in posts] == [0, 1, 0, 0, 0, 0]
        assert starter.edited_timestamp is not None


async def test_rate_limits_and_server_errors_mid_correction_delay_it_without_duplicates(
    fake_discord: FakeDiscord, world: dict[str, Any], tmp_path: Path
) -> None:
    fake, guild, text = fake_discord, world["guild"], world["text"]
    async with running(fake, tmp_path / "db.sqlite3") as bot:
        await publish(bot, guild, text)
        limited = fake.rate_limit("PATCH", r"^/channels/\d+/messages/\d+$", nth=2, times=2, retry_after=0.2)
        failing = fake.server_error("POST", r"^/channels/\d+/messages$", times=1, status=503)
        await revise(bot, CRASH_ESSAY)
        assert limited.fired == 2 and failing.fired == 1
        threads = fake.threads(text)
        assert [len(notices(fake, t)) for t in threads] == [0, 1, 1, 1, 0, 0, 0]
        assert len(anchors(fake, text)) == 7
