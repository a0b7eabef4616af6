"""Hostile members: every /marginalia subcommand tried without Manage Server, and essay text built
to ping people or smuggle links, published and then looked up with /quote and /figures.

The subcommands are read from the definitions the bot synced to the fake, so a new one is
covered as soon as it exists.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.client import Marginalia, create_bot
from bot.config import load_settings
from bot.essays.model import Block, Essay
from bot.intake import store_essay
from bot.store import Store
from tests.cogs.test_publisher import publisher_of
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import Channel, Guild, Member, Message, Role

pytestmark = pytest.mark.faults

COMMAND = "marginalia"
EPHEMERAL = 1 << 6
SUBCOMMAND, GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10
ALL_COGS = ("cogs.publisher", "cogs.lookup", "cogs.moderation")
ESSAY_URL = "https://barn.example.org/notice"

# Original essay text that tries every way of pinging or misleading readers.
HOSTILE_SECTIONS = [
    (
        "The notice on the barn",
        "Someone nailed a notice to the barn that said @everyone and @here must attend, signed <@123456789012345678>. "
        "“Bring your ledgers, <@&234567890123456789>, and come at dawn,” said Petra Lind, who denied writing it.",
    ),
    (
        "Who paid for the paint",
        "The paint cost $4,200, about 27 percent of the @everyone fund, and the receipt was addressed to "
        "<@!345678901234567890>. A [receipt from the treasurer](https://evil.example/phish) circulated for weeks.",
    ),
    (
        "What the meeting decided",
        "Nobody came. “We waited for <@&456789012345678901> until noon,” said Oren Mast, and the 14 chairs stayed "
        "stacked. Someone wrote [@here](https://evil.example/here) on the board in chalk.",
    ),
]


@dataclass
class World:
    fake: FakeDiscord
    bot: Marginalia
    guild: Guild
    text: Channel
    forum: Channel
    modlog: Channel
    role: Role
    reader: Member


@pytest.fixture
async def world(fake_discord: FakeDiscord, tmp_path: Path) -> AsyncIterator[World]:
    fake = fake_discord
    guild = fake.add_guild("Barn Readers")
    text = fake.add_channel(guild, "essays")
    forum = fake.add_channel(guild, "essay-forum", kind="forum", tags=("essay",))
    modlog = fake.add_channel(guild, "mod-log")
    role = fake.add_role(guild, "readers", mentionable=True)
    settings = load_settings({"DB_PATH": str(tmp_path / "db.sqlite3"), "ALLOW_PRIVATE_FEEDS": "true"}, env_file=None)
    bot = create_bot(settings, extensions=ALL_COGS)
    await fake.connect(bot)
    try:
        yield World(fake, bot, guild, text, forum, modlog, role, fake.default_member(guild))
    finally:
        await fake.disconnect(bot)


def hostile_essay() -> Essay:
    blocks: list[Block] = []
    for heading, text in HOSTILE_SECTIONS:
        blocks.append(Block("heading", heading))
        blocks.append(Block("paragraph", text))
    return Essay(
        key="tag:barn-notice",
        title="The @everyone notice <@&234567890123456789>",
        blocks=tuple(blocks),
        url=ESSAY_URL,
        author="Ada <@123456789012345678> Quell",
        labels=("@here", "Rural life"),
        source="test",
    )


async def seed(world: World) -> None:
    """A feed, a mod-log and two destinations, and the hostile essay stored and posted."""
    store = world.bot.store
    await store.add_feed("http://127.0.0.1:9/feed", guild_id=world.guild.id)
    await store.set_modlog(world.guild.id, world.modlog.id)
    text = await store.set_destination(guild_id=world.guild.id, channel_id=world.text.id, kind="text")
    forum = await store.set_destination(guild_id=world.guild.id, channel_id=world.forum.id, kind="forum")
    outcome = await store_essay(store, hostile_essay(), max_sections=6)
    for destination in (text, forum):
        assert await store.queue_publication(outcome.essay_id, destination.id, outcome.revision) is not None
    await publisher_of(world.bot).drain()
    assert (await store.publication_counts())["done"] == 2


async def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to compare before and after."""
    db = store.connection
    async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") as cursor:
        tables = [row[0] for row in await cursor.fetchall()]
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables:
        async with db.execute(f'SELECT * FROM "{table}"') as cursor:  # table names come from sqlite_master
            out[table] = sorted((tuple(row) for row in await cursor.fetchall()), key=repr)
    return out


# --- every /marginalia subcommand, without Manage Server --------------------------------------


def subcommand_paths(command: dict[str, Any]) -> Iterator[tuple[list[str], list[dict[str, Any]]]]:
    """(path, option definitions) for every leaf subcommand, groups included."""
    for option in command.get("options") or []:
        if option["type"] == SUBCOMMAND:
            yield [option["name"]], option.get("options") or []
        elif option["type"] == GROUP:
            for sub in option.get("options") or []:
                yield [option["name"], sub["name"]], sub.get("options") or []


def plausible(option: dict[str, Any], world: World) -> Any:
    """A value a moderator might really give: the seeded feed, essay, channels and role."""
    name, kind = option["name"], option["type"]
    if option.get("choices"):
        return option["choices"][0]["value"]
    if kind == STRING:
        return {
            "url": "http://127.0.0.1:9/another-feed",
            "feed": "1",
            "essay": "tag:barn-notice",
            "tags": "essay",
        }.get(name, "something")
    if kind in (INTEGER, NUMBER):
        return option.get("min_value", 1) or 1
    if kind == BOOLEAN:
        return True
    if kind == CHANNEL:
        types = option.get("channel_types") or [0]
        return world.forum if 15 in types and 0 not in types else world.text
    if kind in (ROLE, MENTIONABLE):
        return world.role
    if kind == USER:
        return world.reader
    raise AssertionError(f"no plausible value for option {name!r} of type {kind}")


async def test_every_marginalia_subcommand_refuses_a_member_without_manage_server(world: World) -> None:
    fake = world.fake
    await seed(world)
    command = fake.find_command(COMMAND, world.guild)
    paths = list(subcommand_paths(command))
    # The enumeration sees every subcommand the bot defines (and more, should one be added).
    names = {" ".join(path) for path, _ in paths}
    assert {"feeds add", "destinations set", "destinations resume", "post", "backfill", "repost", "status"} <= names

    assert len(paths) >= 15
    before = await dump(world.bot.store)
    assert before["publications"] and before["destinations"] and before["feeds"]
    for path, definitions in paths:
        options = {o["name"]: plausible(o, world) for o in definitions}
        since = len(fake.requests)
        interaction = await fake.invoke_slash(
            COMMAND, options, channel=world.text, subcommand=path, member=world.reader
        )
        reply = await interaction.wait_original()
        where = " ".join(path)
        assert reply.flags & EPHEMERAL, where
        assert "Manage Server" in reply.content, f"{where}: {reply.content!r}"
        assert not fake.pings(reply).any, where
        # Nothing reached Discord but the reply itself.
        extra = [f"{r.method} {r.path}" for r in fake.requests[since:] if not r.path.startswith("/interactions/")]
        assert extra == [], f"{where}: {extra}"
    assert await dump(world.bot.store) == before


# --- mentions and markdown in essay text ---------------------------------------------------------

ACTIVE_MASKED_LINK = re.compile(r"(?<!\\)\[[^\]\\]*\]\(https?://evil\.example")


def bot_messages_everywhere(fake: FakeDiscord) -> list[Message]:
    """Every message the bot sent, ephemeral replies and followups included."""
    return [m for by_id in fake.store.values() for m in by_id.values() if m.author.id == fake.bot.id and not m.deleted]


def visible_text(message: Message) -> list[str]:
    texts = [message.content]
    for embed in message.embeds:
        texts.extend(str(embed.get(key) or "") for key in ("title", "description"))
        texts.extend(
            str((embed.get(key) or {}).get(part) or "") for key, part in (("author", "name"), ("footer", "text"))
        )
        texts.extend(f"{f.get('name', '')} {f.get('value', '')}" for f in embed.get("fields") or [])
    return texts


async def ask(world: World, name: str, options: dict[str, Any], channel: Channel) -> Message:
    interaction = await world.fake.invoke_slash(name, options, channel=channel, member=world.reader)
    reply = await interaction.wait_original()
    assert reply.flags & EPHEMERAL
    return reply


async def test_mentions_and_masked_links_in_essays_never_ping_or_link(world: World) -> None:
    fake = world.fake
    await seed(world)
    threads = fake.threads(world.text)
    assert len(threads) == len(HOSTILE_SECTIONS)

    quotes = [
        await ask(world, "quote", {"search": "ledgers"}, world.text),
        await ask(world, "quote", {"speaker": "Oren Mast"}, threads[2]),
        await ask(world, "quote", {}, threads[0]),
    ]
    figures = [
        await ask(world, "figures", {}, threads[1]),
        await ask(world, "figures", {"essay": "tag:barn-notice"}, world.text),
    ]
    assert any("ledgers" in " ".join(visible_text(m)) for m in quotes)
    assert any("4,200" in " ".join(visible_text(m)) for m in figures)
    # Share posts a public copy: the one lookup reply that is not ephemeral.
    share = next(
        c["custom_id"]
        for row in quotes[0].components
        for c in row.get("components", [])
        if c.get("custom_id", "").startswith("lookup:share:")
    )
    shared = await fake.click(quotes[0], share, member=world.reader)
    await shared.wait_response()

    messages = bot_messages_everywhere(fake)
    assert any(m.ephemeral for m in messages) and any(not m.ephemeral for m in messages)
    texts = [text for m in messages for text in visible_text(m)]
    # The hostile text really is in what was posted and returned ...
    assert any("everyone" in text for text in texts)
    assert any("evil.example" in text for text in texts)
    # ... and nothing pings: not the posts, the replies, the followups or the shared copy.
    for message in messages:
        assert not fake.pings(message).any, f"message {message.id} would ping: {fake.pings(message)}"
    replies = [callback.get("data") or {} for record in fake.interactions.values() for callback in record.callbacks]
    with_text = [data for data in replies if "content" in data or "embeds" in data]
    assert with_text, "the shared copy is a callback with text"
    assert all(data.get("allowed_mentions") == {"parse": []} for data in with_text), with_text
    # A masked link in the essay never becomes a clickable link with misleading text.
    active = [text for text in texts if ACTIVE_MASKED_LINK.search(text)]
    assert active == []
    assert fake.bot_messages(world.modlog) == []
