"""Two servers, two blogs: each server sees and changes only its own, end to end.

The real bot (lookup, moderation and publisher cogs) against the local fake Discord holding two
servers; server 1 follows one blog, server 2 another, both set up through /marginalia as a
moderator would. Then server 1 tries every member command, autocomplete and moderator command
on server 2's essays, feed and channels, and must get nothing of them and change nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
import pytest_asyncio

from bot.client import Marginalia, create_bot
from bot.config import load_settings
from bot.store import EssayRow
from cogs.publisher import Publisher
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import Channel, Guild, Member
from tests.fetch_server import FetchServer
from tests.moderation_data import ESSAYS, SECOND_ESSAYS, serve_blog, serve_second_blog

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

MANAGE_GUILD = 1 << 5


@dataclass
class Server:
    guild: Guild
    essays: Channel
    modlog: Channel
    moderator: Member


@dataclass
class World:
    fake: FakeDiscord
    bot: Marginalia
    feeds: FetchServer
    one: Server
    two: Server

    async def ask(self, server: Server, name: str, options: dict[str, Any], *, subcommand: str = "") -> str:
        """Run a command in a server as its moderator (who may also use the member commands); the reply text."""
        interaction = await self.fake.invoke_slash(
            name, options, channel=server.essays, subcommand=subcommand, member=server.moderator
        )
        message = await interaction.wait_original()
        embeds = " ".join(
            " ".join(
                [e.get("title") or "", e.get("description") or ""]
                + [f["name"] + f["value"] for f in e.get("fields") or []]
            )
            for e in message.embeds
        )
        return f"{message.content} {embeds}"

    async def essay(self, title: str) -> EssayRow:
        [row] = [r for r in await self.bot.store.list_essays(limit=50) if r.essay.title == title]
        return row


def publisher_of(bot: Marginalia) -> Publisher:
    cog = bot.get_cog("Publisher")
    assert cog is not None and type(cog).__name__ == "Publisher"
    return cast(Publisher, cog)


def add_server(fake: FakeDiscord, name: str) -> Server:
    guild = fake.add_guild(name)
    return Server(
        guild,
        fake.add_channel(guild, "essays"),
        fake.add_channel(guild, "mod-log"),
        fake.add_member(guild, "moderator", permissions=MANAGE_GUILD),
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    db = tmp_path_factory.mktemp("scope") / "db.sqlite3"
    feeds = FetchServer()
    await feeds.start()
    serve_blog(feeds)
    second_feed = serve_second_blog(feeds)
    async with FakeDiscord.start() as fake:
        one, two = add_server(fake, "Quay Readers"), add_server(fake, "Upland Readers")
        settings = load_settings({"DB_PATH": str(db), "ALLOW_PRIVATE_FEEDS": "true"}, env_file=None)
        bot = create_bot(settings, extensions=("cogs.lookup", "cogs.moderation", "cogs.publisher"))
        await fake.connect(bot)
        publisher = publisher_of(bot)
        publisher.poll_every = 3600.0  # the test drives polling itself
        world = World(fake, bot, feeds, one, two)
        try:
            for server, url in ((one, feeds.url("/feed.xml")), (two, second_feed)):
                await world.ask(server, "marginalia", {"channel": server.modlog}, subcommand="modlog")
                await world.ask(server, "marginalia", {"url": url}, subcommand="feeds add")
                await world.ask(server, "marginalia", {"channel": server.essays}, subcommand="destinations set")
            await publisher.poll_once()
            await publisher.drain()
            yield world
        finally:
            await fake.disconnect(bot)
            await feeds.close()
    fake.assert_clean()


@pytest.fixture(autouse=True)
def no_new_failures(world: World) -> Iterator[None]:
    before = len(world.fake.failures)
    yield
    assert world.fake.failures[before:] == []


def posted_titles(world: World, server: Server) -> str:
    return " ".join(str(m.embeds) for m in world.fake.bot_messages(server.essays))


async def test_each_server_got_the_newest_essay_of_its_own_blog_only(world: World) -> None:
    assert ESSAYS[-1].title in posted_titles(world, world.one)
    assert SECOND_ESSAYS[-1].title in posted_titles(world, world.two)
    assert all(essay.title not in posted_titles(world, world.one) for essay in SECOND_ESSAYS)
    assert all(essay.title not in posted_titles(world, world.two) for essay in ESSAYS)


async def test_the_other_server_sees_its_own_essays(world: World) -> None:
    """The control for the tests below: the same questions, asked where the blog is followed."""
    assert "Ottilie Brandvold" in await world.ask(world.two, "quote", {"speaker": "Brandvold"})
    assert "trucks" in await world.ask(world.two, "figures", {"search": "trucks"})
    row = await world.essay(SECOND_ESSAYS[0].title)
    assert "No essay matches" not in await world.ask(world.two, "figures", {"essay": row.essay.key})


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("quote", {"search": "orchard"}),
        ("quote", {"speaker": "Brandvold"}),
        ("quote", {"essay": "SECOND"}),
        ("figures", {"search": "trucks"}),
        ("figures", {"essay": "SECOND"}),
        ("related", {"search": "quarry orchard road trucks"}),
        ("related", {"essay": "SECOND"}),
    ],
)
async def test_member_commands_never_show_another_servers_essays(
    world: World, name: str, options: dict[str, Any]
) -> None:
    row = await world.essay(SECOND_ESSAYS[0].title)
    options = {k: row.essay.key if v == "SECOND" else v for k, v in options.items()}
    answer = await world.ask(world.one, name, options)
    for essay in SECOND_ESSAYS:
        assert essay.title not in answer
    assert "Ottilie" not in answer and "Casimir" not in answer  # speakers of the other blog (the query is echoed)
    if "essay" in options:
        assert "No essay matches" in answer


@pytest.mark.parametrize(("command", "option", "typed"), [("quote", "essay", "Quarry"), ("quote", "speaker", "Ott")])
async def test_autocomplete_offers_only_the_servers_own(world: World, command: str, option: str, typed: str) -> None:
    theirs = await world.fake.autocomplete(command, option, {option: typed}, channel=world.two.essays)
    assert theirs, "the server that follows the blog is offered it"
    ours = await world.fake.autocomplete(command, option, {option: typed}, channel=world.one.essays)
    assert ours == []


async def test_moderator_essay_autocomplete_offers_only_the_servers_own(world: World) -> None:
    offered = await world.fake.autocomplete(
        "marginalia", "essay", {"essay": ""}, channel=world.one.essays, subcommand="post", member=world.one.moderator
    )
    titles = {choice["name"] for choice in offered}
    assert titles and not any(essay.title in name for essay in SECOND_ESSAYS for name in titles)


@pytest.mark.parametrize(
    ("subcommand", "options", "refusal"),
    [
        ("post", {"essay": "SECOND"}, "No stored essay"),
        ("preview", {"essay": "SECOND"}, "No stored essay"),
        ("repost", {"essay": "SECOND"}, "No stored essay"),
        ("backfill", {"feed": "FEED"}, "No feed this server follows"),
        ("feeds pause", {"feed": "FEED"}, "No feed this server follows"),
        ("feeds resume", {"feed": "FEED"}, "No feed this server follows"),
        ("feeds remove", {"feed": "FEED"}, "No feed this server follows"),
        ("destinations set", {"channel": "CHANNEL"}, "Choose a channel of this server"),
        ("destinations remove", {"channel": "CHANNEL"}, "Choose a channel of this server"),
        ("destinations resume", {"channel": "CHANNEL"}, "Choose a channel of this server"),
        ("preview", {"essay": "FIRST", "channel": "CHANNEL"}, "Choose a channel of this server"),
        ("repost", {"essay": "FIRST", "channel": "CHANNEL"}, "Choose a channel of this server"),
    ],
)
async def test_moderator_commands_cannot_reach_another_servers_feeds_channels_or_posts(
    world: World, subcommand: str, options: dict[str, Any], refusal: str
) -> None:
    store = world.bot.store
    second = await world.essay(SECOND_ESSAYS[0].title)
    first = await world.essay(ESSAYS[0].title)
    [their_feed] = await store.list_feeds(guild_id=world.two.guild.id)
    values = {
        "SECOND": second.essay.key,
        "FIRST": first.essay.key,
        "FEED": str(their_feed.id),
        "CHANNEL": world.two.essays,
    }
    before = (
        await store.list_feeds(guild_id=world.two.guild.id),
        await store.list_destinations(guild_id=world.two.guild.id),
        await store.get_modlog(world.two.guild.id),
        await store.publication_counts(guild_id=world.two.guild.id),
        len(world.fake.bot_messages(world.two.essays)),
    )
    answer = await world.ask(
        world.one, "marginalia", {k: values.get(v, v) for k, v in options.items()}, subcommand=subcommand
    )
    assert refusal in answer
    await publisher_of(world.bot).drain()
    after = (
        await store.list_feeds(guild_id=world.two.guild.id),
        await store.list_destinations(guild_id=world.two.guild.id),
        await store.get_modlog(world.two.guild.id),
        await store.publication_counts(guild_id=world.two.guild.id),
        len(world.fake.bot_messages(world.two.essays)),
    )
    assert after == before
    assert await store.list_destinations(guild_id=world.one.guild.id) != []


async def test_the_mod_log_cannot_be_set_to_another_servers_channel(world: World) -> None:
    answer = await world.ask(world.one, "marginalia", {"channel": world.two.modlog}, subcommand="modlog")
    assert "The bot reports problems" not in answer
    assert await world.bot.store.get_modlog(world.one.guild.id) == world.one.modlog.id


async def test_status_shows_only_the_servers_own_feed(world: World) -> None:
    answer = await world.ask(world.one, "marginalia", {}, subcommand="status")
    assert "Notes from the Quay" in answer and "Upland Ledger" not in answer
