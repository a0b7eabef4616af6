"""The real, unmodified discord.py against the fake: a small bot built here round-trips everything."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import discord
import discord.http
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import FakeDiscord, rules
from tests.fakediscord.state import Channel, Guild

TOPICS = ["attention", "memory", "margins", "metaphor"]


@dataclass
class World:
    fake: FakeDiscord
    guild: Guild
    channel: Channel
    forum: Channel
    bot: commands.Bot
    seen: list[discord.Message] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


class Panel(discord.ui.View):
    @discord.ui.button(label="Next", custom_id="panel:next")
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[Panel]) -> None:
        await interaction.response.edit_message(content="page 2")


def build_bot(
    world_guild: int, *, message_content: bool = False
) -> tuple[commands.Bot, list[discord.Message], list[BaseException]]:
    intents = discord.Intents.default()
    intents.message_content = message_content
    bot = commands.Bot(command_prefix="!", intents=intents, allowed_mentions=discord.AllowedMentions.none())
    seen: list[discord.Message] = []
    errors: list[BaseException] = []
    guild = discord.Object(world_guild)

    @bot.tree.command(name="ask", description="Ask about a topic", guild=guild)
    async def ask(interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.send_message(f"About {topic}, <@{interaction.user.id}>")
        await interaction.followup.send("a followup")
        await interaction.edit_original_response(content=f"About {topic} (edited)")

    @ask.autocomplete("topic")
    async def ask_topics(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t, value=t) for t in TOPICS if t.startswith(current)]

    @bot.tree.command(name="slow", description="Think first", guild=guild)
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("thought about it")

    @bot.tree.command(name="late", description="Answers too late", guild=guild)
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.1)
        await interaction.response.send_message("too late")

    @bot.tree.command(name="panel", description="Show a panel", guild=guild)
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("page 1", view=Panel(timeout=None))

    @bot.tree.error
    async def on_tree_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        errors.append(error.original if isinstance(error, app_commands.CommandInvokeError) else error)

    @bot.listen()
    async def on_message(message: discord.Message) -> None:
        seen.append(message)

    return bot, seen, errors


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> AsyncIterator[World]:
    guild = fake_discord.add_guild()
    channel = fake_discord.add_channel(guild, "essays")
    forum = fake_discord.add_channel(guild, "sections", kind="forum", tags=["essay", "quote"])
    bot, seen, errors = build_bot(guild.id)
    await fake_discord.connect(bot)
    await bot.tree.sync(guild=discord.Object(guild.id))
    yield World(fake_discord, guild, channel, forum, bot, seen, errors)
    await fake_discord.disconnect(bot)


async def test_connect_patches_and_restores_class_attributes() -> None:
    before = discord.http.Route.BASE
    async with FakeDiscord.start() as fake:
        guild = fake.add_guild()
        bot, _seen, _errors = build_bot(guild.id)
        await fake.connect(bot)
        assert fake.api_base == discord.http.Route.BASE
        assert [g.id for g in bot.guilds] == [guild.id]
        assert bot.get_guild(guild.id).default_role.id == guild.id  # type: ignore[union-attr]
        await fake.disconnect(bot)
        assert not fake.failures
    assert before == discord.http.Route.BASE


async def test_command_sync_is_stored(world: World) -> None:
    names = sorted(c["name"] for c in world.fake.guild_commands[world.guild.id])
    assert names == ["ask", "late", "panel", "slow"]
    ask = world.fake.find_command("ask", world.guild)
    assert ask["options"][0]["name"] == "topic" and ask["options"][0]["autocomplete"] is True


async def test_slash_reply_followup_and_edit(world: World) -> None:
    interaction = await world.fake.invoke_slash("ask", {"topic": "memory"}, channel=world.channel)
    response = await interaction.wait_response()
    assert response["type"] == 4
    original = await interaction.wait_original(lambda m: m.content.endswith("(edited)"))
    assert original.content == "About memory (edited)"
    followups = await interaction.wait_followups(1)
    assert [m.content for m in followups] == ["a followup"]
    # AllowedMentions.none() was recorded on the reply, so the user mention in it pings nobody.
    assert original.allowed_mentions is not None
    assert not world.fake.pings(original).any


async def test_deferred_reply_is_replaced_by_first_followup(world: World) -> None:
    interaction = await world.fake.invoke_slash("slow", channel=world.channel)
    assert (await interaction.wait_response())["type"] == 5
    original = await interaction.wait_original()
    assert original.content == "thought about it" and not interaction.followups


async def test_late_answer_gets_unknown_interaction(world: World) -> None:
    world.fake.ack_deadline = 0.05
    await world.fake.invoke_slash("late", channel=world.channel)
    await world.fake.wait_until(lambda: world.errors, what="the command error")
    assert isinstance(world.errors[0], discord.NotFound) and world.errors[0].code == 10062


async def test_autocomplete(world: World) -> None:
    choices = await world.fake.autocomplete("ask", "topic", {"topic": "m"}, channel=world.channel)
    assert [c["value"] for c in choices] == ["memory", "margins", "metaphor"]


async def test_button_click_updates_message(world: World) -> None:
    shown = await world.fake.invoke_slash("panel", channel=world.channel)
    message = await shown.wait_original()
    click = await world.fake.click(message, "panel:next")
    assert (await click.wait_response())["type"] == 7
    assert world.fake.find_message(message.id).content == "page 2"  # type: ignore[union-attr]


async def test_message_thread_and_forum_post(world: World) -> None:
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("A new essay", embed=discord.Embed(title="On margins", description="..."))
    thread = await sent.create_thread(name="Section 1", auto_archive_duration=1440)
    assert thread.id == sent.id
    await thread.send("first quote")
    forum = world.bot.get_channel(world.forum.id)
    assert isinstance(forum, discord.ForumChannel)
    tag = next(t for t in forum.available_tags if t.name == "quote")
    post = await forum.create_thread(name="Quotes", content="starter", applied_tags=[tag])
    assert post.message.id == post.thread.id
    assert [m.content for m in world.fake.messages(world.channel)] == ["A new essay"]
    assert [t.name for t in world.fake.threads(world.channel)] == ["Section 1"]
    assert [m.content for m in world.fake.messages(thread.id)] == ["first quote"]
    [fake_post] = world.fake.threads(world.forum)
    assert fake_post.applied_tags == [tag.id]
    assert world.fake.starter_message(fake_post).content == "starter"  # type: ignore[union-attr]
    # THREAD_CREATE reached discord.py's cache.
    await world.fake.wait_until(lambda: world.bot.get_channel(thread.id) is not None, what="thread in cache")
    edited = await thread.edit(archived=True, locked=True)
    assert edited.archived and world.fake.threads(world.channel)[0].locked


async def test_second_thread_and_missing_permission_raise(world: World) -> None:
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("essay")
    await sent.create_thread(name="one")
    with pytest.raises(discord.HTTPException) as second:
        await sent.create_thread(name="two")
    assert second.value.code == 160004
    world.fake.revoke_bot_permission(world.guild, rules.SEND_MESSAGES, channel=world.channel)
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel.send("not allowed")
    assert forbidden.value.code == 50013


async def test_nonce_makes_sending_exactly_once(world: World) -> None:
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("only once", nonce=777)
    again = await channel.send("only once", nonce=777)
    assert first.id == again.id and len(world.fake.messages(world.channel)) == 1


async def test_rate_limit_is_honoured(world: World) -> None:
    fault = world.fake.rate_limit("POST", r"^/channels/\d+/messages$", retry_after=0.1)
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("after a 429")
    assert fault.fired == 1
    posts = world.fake.requests_to("POST", r"^/channels/\d+/messages$")
    assert [p.status for p in posts] == [429, 200]
    assert [m.content for m in world.fake.messages(world.channel)] == ["after a 429"]


async def test_gateway_drop_resumes_and_replays(world: World) -> None:
    await world.fake.drop_gateway()
    world.fake.post_message(world.channel, "sent during the outage")
    await world.fake.wait_connected(1, op="resume")
    await world.fake.wait_until(lambda: world.seen, what="the missed message")
    assert world.seen[0].id == world.fake.messages(world.channel)[0].id
    assert world.fake.gateway_log[-1].path == "/resume"  # resume_gateway_url was used
    # A non-resumable invalid session makes discord.py identify again.
    await world.fake.invalidate_session()
    await world.fake.wait_connected(2, op="identify")
    world.fake.post_message(world.channel, "after re-identify")
    await world.fake.wait_until(lambda: len(world.seen) == 2, what="the second message")


@pytest.mark.parametrize("compression", ["zlib-stream", "zstd-stream", "none"])
async def test_compression_modes(fake_discord: FakeDiscord, compression: str) -> None:
    guild = fake_discord.add_guild()
    channel = fake_discord.add_channel(guild)
    bot, seen, _errors = build_bot(guild.id, message_content=True)
    await fake_discord.connect(bot, compression=compression)
    assert fake_discord.gateway_log[0].compress == (None if compression == "none" else compression)
    for i in range(3):  # several frames through one stream
        fake_discord.post_message(channel, f"message {i}")
    await fake_discord.wait_until(lambda: len(seen) == 3, what="three messages")
    assert [m.content for m in seen] == ["message 0", "message 1", "message 2"]  # MESSAGE_CONTENT granted
    await fake_discord.disconnect(bot)


async def test_content_blank_without_intent(world: World) -> None:
    world.fake.post_message(world.channel, "secret words")
    await world.fake.wait_until(lambda: world.seen, what="the message")
    assert world.seen[0].content == ""


async def test_channel_delete_and_bot_removal(world: World) -> None:
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    world.fake.delete_channel(world.channel)
    await world.fake.wait_until(lambda: world.bot.get_channel(world.channel.id) is None, what="CHANNEL_DELETE")
    with pytest.raises(discord.NotFound) as gone:
        await channel.send("into the void")
    assert gone.value.code == 10003
    world.fake.remove_bot(world.guild)
    await world.fake.wait_until(lambda: world.bot.get_guild(world.guild.id) is None, what="GUILD_DELETE")


async def test_file_upload_goes_through_multipart(world: World) -> None:
    channel = world.bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("with a file", file=discord.File(io.BytesIO(b"quote list"), filename="quotes.txt"))
    assert [a.filename for a in sent.attachments] == ["quotes.txt"]
    [request] = world.fake.requests_to("POST", r"^/channels/\d+/messages$")
    assert request.content_type == "multipart/form-data" and request.files == ["quotes.txt"]
    assert request.json["content"] == "with a file"
