"""``/marginalia``: the moderators' commands (feeds, destinations, mod-log, digest, post, preview, status).

Thin: each command reads its options, calls ``bot.operations`` (the same code the
command line uses), and answers ephemerally. Failures are raised as ``UserError``
and answered by the one handler in ``bot.client``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import digest as digests
from bot import operations
from bot.client import Marginalia
from bot.errors import NotAllowedError, UserError
from bot.lookup import essay_choices
from bot.operations import DestinationOptions
from bot.poller import PollSettings
from bot.publishing.render import escape_markdown
from bot.store import EssayRow, FeedRow
from cogs.replies import CHOICE_NAME_LIMIT, NO_MENTIONS, Reply, reply, send_ephemeral

logger = logging.getLogger(__name__)

ARCHIVE_CHOICES = [
    app_commands.Choice(name=label, value=minutes) for minutes, label in operations.ARCHIVE_LABELS.items()
]
DESTINATION_CHANNEL_TYPES = [discord.ChannelType.text, discord.ChannelType.news, discord.ChannelType.forum]
DIGEST_CHOICES = [app_commands.Choice(name="weekly", value="weekly"), app_commands.Choice(name="off", value="off")]
AUTOCOMPLETE_LIMIT = 25
CONFIRM_SECONDS = 120.0
SHOWN_NAME_LIMIT = 200  # characters of a feed name or essay title in an answer
Action = Callable[[int], Awaitable[str | Reply]]


class ModeratorRequired(app_commands.CheckFailure, NotAllowedError):
    """Raised by the cog-wide check; the error handler shows the message."""


def is_moderator(interaction: discord.Interaction[Any]) -> bool:
    permissions = interaction.permissions
    return bool(permissions.manage_guild or permissions.administrator)


def guild_id_of(interaction: discord.Interaction[Any]) -> int:
    if interaction.guild_id is None:
        raise UserError("Use this command in a server.")
    return interaction.guild_id


def same_server(
    interaction: discord.Interaction[Any], channel: app_commands.AppCommandChannel | app_commands.AppCommandThread
) -> None:
    """Refuse a channel of another server: Discord offers only this server's, but the bot checks too.

    discord.py stamps an option's channel with the interaction's server, so the check asks the
    bot's own view of the channel instead.
    """
    found = interaction.client.get_channel(channel.id)
    guild = getattr(found, "guild", None)
    if found is not None and (guild is None or guild.id != interaction.guild_id):
        raise UserError("Choose a channel of this server.")


def shown_name(feed: FeedRow) -> str:
    """A feed's name (from the feed itself) as Discord shows it: literally."""
    return escape_markdown(operations.feed_name(feed)[:SHOWN_NAME_LIMIT])


def shown_title(row: EssayRow, limit: int = SHOWN_NAME_LIMIT) -> str:
    return escape_markdown(row.essay.title[:limit])


def relative(value: datetime | None) -> str:
    return discord.utils.format_dt(value, "R") if value is not None else "never"


def poll_settings(bot: Marginalia) -> PollSettings:
    settings = bot.settings
    return PollSettings(
        poll_interval=settings.poll_interval,
        first_poll_posts=settings.first_poll_posts,
        max_sections=settings.max_sections,
    )


def channel_mention(channel_id: int) -> str:
    return f"<#{channel_id}>"


class DestinationChannel(app_commands.Transformer):
    """A channel option offering only text, announcement and forum channels.

    The value stays the partial channel Discord sent; the command derives the layout
    from its type and says clearly when it is the wrong kind.
    """

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return DESTINATION_CHANNEL_TYPES

    async def transform(
        self, interaction: discord.Interaction[Any], value: Any, /
    ) -> app_commands.AppCommandChannel | app_commands.AppCommandThread:
        if not isinstance(value, app_commands.AppCommandChannel | app_commands.AppCommandThread):
            raise app_commands.TransformerError(value, self.type, self)
        return value


ChannelOption = app_commands.Transform[
    app_commands.AppCommandChannel | app_commands.AppCommandThread, DestinationChannel
]


class MessageChannel(DestinationChannel):
    """A channel option offering text and announcement channels: where a plain message can go."""

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]


MessageChannelOption = app_commands.Transform[
    app_commands.AppCommandChannel | app_commands.AppCommandThread, MessageChannel
]


async def defer(interaction: discord.Interaction[Any]) -> None:
    """Acknowledge at once (ephemeral "thinking…") before slow work, within Discord's 3 seconds."""
    await interaction.response.defer(ephemeral=True, thinking=True)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Moderation(commands.GroupCog, group_name="marginalia", group_description="Set up and run Marginalia"):
    """Moderator commands; every one needs Manage Server, checked again on each use."""

    feeds = app_commands.Group(name="feeds", description="Blog feeds this server follows")
    destinations = app_commands.Group(name="destinations", description="Channels essays are posted to")

    def __init__(self, bot: Marginalia) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # Discord hides the group from members without Manage Server, but a server can change
        # that in its integration settings; the bot does not rely on it.
        if not is_moderator(interaction):
            raise ModeratorRequired("You need the Manage Server permission to use /marginalia commands.")
        return True

    async def answer(
        self,
        interaction: discord.Interaction[Any],
        action: Action,
        *,
        channel: app_commands.AppCommandChannel | app_commands.AppCommandThread | None = None,
        slow: bool = False,
    ) -> None:
        """Every command's body: the server (and the channel, checked to be of it), the call, the reply.

        ``slow`` acknowledges first, for calls that fetch from the web.
        """
        guild_id = guild_id_of(interaction)
        if channel is not None:
            same_server(interaction, channel)
        if slow:
            await defer(interaction)
        await reply(interaction, await action(guild_id))

    # --- autocomplete ---------------------------------------------------------------------

    async def feed_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not is_moderator(interaction):
            return []
        wanted = current.casefold()
        choices: list[app_commands.Choice[str]] = []
        for feed in await self.bot.store.list_feeds(guild_id=interaction.guild_id):
            name = f"#{feed.id} {operations.feed_name(feed)}"
            if wanted in name.casefold() or wanted in feed.url.casefold():
                choices.append(app_commands.Choice(name=name[:CHOICE_NAME_LIMIT], value=str(feed.id)))
        return choices[:AUTOCOMPLETE_LIMIT]

    async def essay_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None or not is_moderator(interaction):
            return []
        found = await essay_choices(self.bot.store, current, guild_id=interaction.guild_id)
        return [app_commands.Choice(name=choice.name, value=choice.value) for choice in found[:AUTOCOMPLETE_LIMIT]]

    # --- feeds ----------------------------------------------------------------------------

    @feeds.command(name="add")
    async def feeds_add(self, interaction: discord.Interaction[Any], url: str) -> None:
        """Follow a blog feed in this server, after a test fetch.

        Parameters
        ----------
        url: str
            The feed's address (RSS or Atom), e.g. https://blog.example/feed
        """

        async def follow(guild_id: int) -> str:
            count = self.bot.settings.first_poll_posts
            store, fetcher = self.bot.store, self.bot.fetcher
            added = await operations.add_feed(store, fetcher, url, guild_id=guild_id, first_posts=count)
            name = escape_markdown(operations.feed_name(added.feed))
            if added.already_followed:
                return f"This server already follows **{name}** (#{added.feed.id})."
            self.bot.feeds_changed.set()
            if added.first_posts is not None and added.first_posts.queued:
                self.bot.publications_queued.set()
            entries = added.check.entries if added.check else 0
            next_step = operations.feed_next_step(
                added.first_posts, count=count, channel=channel_mention, shown=escape_markdown
            )
            return f"Now following **{name}** (#{added.feed.id}), {entries} essay(s) in the feed today.\n{next_step}"

        await self.answer(interaction, follow, slow=True)

    @feeds.command(name="remove")
    @app_commands.autocomplete(feed=feed_autocomplete)
    async def feeds_remove(self, interaction: discord.Interaction[Any], feed: str) -> None:
        """Stop following a feed in this server; its stored essays stay.

        Parameters
        ----------
        feed: str
            The feed's id or address
        """

        async def unfollow(guild_id: int) -> str:
            removed = await operations.remove_feed(self.bot.store, feed, guild_id=guild_id)
            return f"This server no longer follows **{shown_name(removed)}**."

        await self.answer(interaction, unfollow)

    @feeds.command(name="list")
    async def feeds_list(self, interaction: discord.Interaction[Any]) -> None:
        """The feeds this server follows, with their health."""

        async def listing(guild_id: int) -> str:
            found = await self.bot.store.list_feeds(guild_id=guild_id)
            if not found:
                return "This server follows no feed yet: add one with `/marginalia feeds add`."
            return operations.fit_lines([operations.describe_feed(f, relative, shown=escape_markdown) for f in found])

        await self.answer(interaction, listing)

    @feeds.command(name="pause")
    @app_commands.autocomplete(feed=feed_autocomplete)
    async def feeds_pause(self, interaction: discord.Interaction[Any], feed: str) -> None:
        """Stop polling a feed until it is resumed.

        Parameters
        ----------
        feed: str
            The feed's id or address
        """

        async def pause(guild_id: int) -> str:
            paused = await operations.set_feed_paused(self.bot.store, feed, True, guild_id=guild_id)
            return f"Paused **{shown_name(paused)}** in this server: no new essay of it is posted here until resumed."

        await self.answer(interaction, pause)

    @feeds.command(name="resume")
    @app_commands.autocomplete(feed=feed_autocomplete)
    async def feeds_resume(self, interaction: discord.Interaction[Any], feed: str) -> None:
        """Poll a paused feed again.

        Parameters
        ----------
        feed: str
            The feed's id or address
        """

        async def resume(guild_id: int) -> str:
            resumed = await operations.set_feed_paused(self.bot.store, feed, False, guild_id=guild_id)
            return f"Resumed **{shown_name(resumed)}**."

        await self.answer(interaction, resume)

    # --- destinations ---------------------------------------------------------------------

    @destinations.command(name="set")
    @app_commands.choices(archive=ARCHIVE_CHOICES)
    @app_commands.autocomplete(feed=feed_autocomplete)
    async def destinations_set(
        self,
        interaction: discord.Interaction[Any],
        channel: ChannelOption,
        archive: app_commands.Choice[int] | None = None,
        slowmode: app_commands.Range[int, 0, 21600] = 0,
        tags: str | None = None,
        role: discord.Role | None = None,
        feed: str | None = None,
    ) -> None:
        """Post essays in a channel: a text or announcement channel (threads) or a forum (posts).

        Parameters
        ----------
        channel: ChannelOption
            The text, announcement or forum channel
        archive: app_commands.Choice[int]
            How long a quiet section thread stays open (default 1 week)
        slowmode: int
            Seconds between messages of one member in each thread (0 to 21600)
        tags: str
            Forum only: tag names to apply, comma-separated (at most 5)
        role: discord.Role
            A role to mention on each new essay
        feed: str
            Only essays of this feed (default: every feed of the server)
        """

        async def configure(guild_id: int) -> str:
            kind = operations.destination_kind(channel.type.value)
            resolved = channel.resolve()
            if resolved is None or interaction.guild is None:
                raise UserError("I cannot see that channel; give the bot the View Channel permission there.")
            tag_ids: tuple[int, ...] = ()
            if tags:
                if not isinstance(resolved, discord.ForumChannel):
                    raise UserError("Tags only apply to forum channels; leave the tags option out here.")
                tag_ids = operations.match_forum_tags(tags, [(t.id, t.name) for t in resolved.available_tags])
            if role is not None and role.is_default():
                raise UserError("The bot never mentions @everyone; choose a role members can opt into, or none.")
            options = DestinationOptions(
                guild_id=guild_id,
                channel_id=channel.id,
                kind=kind,
                archive_minutes=archive.value if archive else 10080,
                slowmode=slowmode,
                forum_tags=tag_ids,
                role_id=role.id if role else None,
                feed=feed,
            )
            destination = await operations.set_destination(self.bot.store, options)
            permissions = resolved.permissions_for(interaction.guild.me)
            granted = {name: bool(getattr(permissions, name)) for name in operations.needed_permissions(kind)}
            missing = operations.missing_permissions(kind, granted)
            feeds = {f.id: f for f in await self.bot.store.list_feeds(guild_id=guild_id)}
            text = "Essays will be posted here: " + operations.describe_destination(
                destination,
                channel=channel.mention,
                feeds=feeds,
                role=role.mention if role else None,
                shown=escape_markdown,
            )
            next_step, queued = await operations.destination_next_step(
                self.bot.store,
                guild_id,
                count=self.bot.settings.first_poll_posts,
                channel=channel_mention,
                shown=escape_markdown,
            )
            if queued:
                self.bot.publications_queued.set()
            text += f"\n{next_step}"
            if missing:
                text += (
                    f"\n⚠️ The bot lacks {', '.join(missing)} in {channel.mention}; "
                    "posts there will fail until it is granted."
                )
            return text

        await self.answer(interaction, configure, channel=channel)

    @destinations.command(name="remove")
    async def destinations_remove(self, interaction: discord.Interaction[Any], channel: ChannelOption) -> None:
        """Stop posting essays in a channel; what was posted stays.

        Parameters
        ----------
        channel: ChannelOption
            The destination channel
        """

        async def remove(guild_id: int) -> str:
            await operations.remove_destination(self.bot.store, guild_id, channel.id)
            return f"Essays are no longer posted in {channel.mention}."

        await self.answer(interaction, remove, channel=channel)

    @destinations.command(name="list")
    async def destinations_list(self, interaction: discord.Interaction[Any]) -> None:
        """The channels essays are posted to, and any that stopped."""

        async def listing(guild_id: int) -> str:
            found = await self.bot.store.list_destinations(guild_id=guild_id)
            if not found:
                return "No destination yet: set one with `/marginalia destinations set`."
            feeds = {f.id: f for f in await self.bot.store.list_feeds(guild_id=guild_id)}
            lines = [
                operations.describe_destination(
                    d,
                    channel=channel_mention(d.channel_id),
                    feeds=feeds,
                    role=f"<@&{d.mention_role_id}>" if d.mention_role_id else None,
                    shown=escape_markdown,
                )
                for d in found
            ]
            return operations.fit_lines(lines)

        await self.answer(interaction, listing)

    @destinations.command(name="resume")
    async def destinations_resume(self, interaction: discord.Interaction[Any], channel: ChannelOption) -> None:
        """Resume posting in a destination that stopped (after fixing what stopped it).

        Parameters
        ----------
        channel: ChannelOption
            The stopped destination channel
        """

        async def resume(guild_id: int) -> str:
            before = await operations.resume_destination(self.bot.store, guild_id, channel.id)
            self.bot.publications_queued.set()
            if before.stopped_reason:
                return f"Resumed {channel.mention}; its waiting posts go out now."
            return f"{channel.mention} was not stopped; nothing to resume."

        await self.answer(interaction, resume, channel=channel)

    # --- mod-log --------------------------------------------------------------------------

    @app_commands.command(name="modlog")
    async def modlog(self, interaction: discord.Interaction[Any], channel: discord.TextChannel) -> None:
        """Choose the channel where the bot reports broken feeds and missing permissions.

        Parameters
        ----------
        channel: discord.TextChannel
            A channel only moderators read
        """

        async def choose(guild_id: int) -> str:
            if channel.guild.id != guild_id:
                raise UserError("Choose a channel of this server.")
            await operations.set_modlog(self.bot.store, guild_id, channel.id)
            text = f"The bot reports problems in {channel.mention}."
            if interaction.guild is not None:
                permissions = channel.permissions_for(interaction.guild.me)
                if not (permissions.view_channel and permissions.send_messages):
                    text += "\n⚠️ The bot cannot send messages there yet; grant it View Channel and Send Messages."
            return text

        await self.answer(interaction, choose)

    # --- digest ---------------------------------------------------------------------------

    @app_commands.command(name="digest")
    @app_commands.choices(schedule=DIGEST_CHOICES)
    async def digest(
        self,
        interaction: discord.Interaction[Any],
        channel: MessageChannelOption | None = None,
        schedule: app_commands.Choice[str] | None = None,
    ) -> None:
        """A weekly message with the week's essays and their most discussed sections (or none).

        Parameters
        ----------
        channel: MessageChannelOption
            Where the digest goes (a text or announcement channel)
        schedule: app_commands.Choice[str]
            weekly (the default with a channel) or off
        """

        async def schedule_digest(guild_id: int) -> str:
            store = self.bot.store
            if schedule is not None and schedule.value == "off":
                if await digests.turn_off(store, guild_id):
                    return "The weekly digest is off; nothing more is posted."
                return "There was no weekly digest to turn off."
            if channel is None:
                current = await store.digest_schedule(guild_id)
                if current is None:
                    raise UserError("Choose the channel for the weekly digest: `/marginalia digest channel:#…`.")
                return (
                    f"The weekly digest goes to {channel_mention(current.channel_id)}; the next one goes out "
                    f"{discord.utils.format_dt(current.next_run_at, 'F')}. `schedule:off` stops it."
                )
            same_server(interaction, channel)
            planned = await digests.set_weekly(store, guild_id, channel.id, discord.utils.utcnow())
            text = (
                f"Every Monday at 09:00 UTC the week's essays and their most discussed sections are posted in "
                f"{channel.mention}; the next one goes out {discord.utils.format_dt(planned.next_run_at, 'F')}."
            )
            resolved = channel.resolve()
            if interaction.guild is not None and isinstance(resolved, discord.TextChannel):
                permissions = resolved.permissions_for(interaction.guild.me)
                if not (permissions.view_channel and permissions.send_messages and permissions.embed_links):
                    text += "\n⚠️ The bot cannot post there yet; grant it View Channel, Send Messages and Embed Links."
            return text

        await self.answer(interaction, schedule_digest)

    # --- posting --------------------------------------------------------------------------

    @app_commands.command(name="post")
    @app_commands.autocomplete(essay=essay_autocomplete)
    async def post(self, interaction: discord.Interaction[Any], essay: str) -> None:
        """Post an essay now in this server's destinations (an address not stored yet is fetched first).

        Parameters
        ----------
        essay: str
            The essay's address, or the key of a stored essay
        """

        async def post(guild_id: int) -> str:
            outcome = await operations.post_essay(
                self.bot.store, self.bot.fetcher, essay, guild_id=guild_id, max_sections=self.bot.settings.max_sections
            )
            self.bot.publications_queued.set()
            fetched = " (fetched and stored first)" if outcome.ingested else ""
            return (
                f"**{shown_title(outcome.essay)}**{fetched} is queued for {outcome.queued} destination(s); "
                "it goes out in a moment."
            )

        await self.answer(interaction, post, slow=True)

    @app_commands.command(name="backfill")
    @app_commands.autocomplete(feed=feed_autocomplete)
    async def backfill(
        self, interaction: discord.Interaction[Any], feed: str, count: app_commands.Range[int, 1, 20] = 5
    ) -> None:
        """Post the newest essays of a feed that were not posted in this server yet.

        Parameters
        ----------
        feed: str
            The feed's id or address
        count: int
            How many essays, 1 to 20 (default 5)
        """

        async def backfill(guild_id: int) -> str:
            outcome = await operations.backfill_feed(
                self.bot.store, self.bot.fetcher, feed, count, guild_id=guild_id, settings=poll_settings(self.bot)
            )
            if outcome.essays:
                self.bot.publications_queued.set()
            name = shown_name(outcome.feed)
            # A feed never polled before was read just now; what its first poll did is worth saying.
            poll_note = outcome.poll.message_for(guild_id) if outcome.poll else None
            note = f"\n{escape_markdown(poll_note)}" if poll_note else ""
            if not outcome.essays:
                return f"Every stored essay of **{name}** is already posted here.{note}"
            titles = "\n".join(f"• {shown_title(row, 150)}" for row in outcome.essays)
            return f"Queued {len(outcome.essays)} essay(s) of **{name}**, oldest first:\n{titles}{note}"

        await self.answer(interaction, backfill, slow=True)

    @app_commands.command(name="repost")
    @app_commands.autocomplete(essay=essay_autocomplete)
    async def repost(
        self, interaction: discord.Interaction[Any], essay: str, channel: ChannelOption | None = None
    ) -> None:
        """Post an essay again from scratch (a new card and new threads), after a confirmation.

        Parameters
        ----------
        essay: str
            The essay's key or address
        channel: ChannelOption
            Only this destination (default: every destination that takes the essay)
        """

        async def confirm(guild_id: int) -> Reply:
            row = await operations.find_stored_essay(self.bot.store, essay, guild_id=guild_id)
            if row is None:
                raise UserError("No stored essay matches that; post it first with `/marginalia post`.")
            view = ConfirmRepost(self, interaction.user.id, guild_id, row.essay.key, channel.id if channel else None)
            where = channel.mention if channel else "every destination that takes it"
            text = (
                f"Post **{shown_title(row)}** again in {where}? The earlier messages stay; "
                "a whole new card and new threads are posted."
            )
            return Reply(text, view=view)

        await self.answer(interaction, confirm, channel=channel)

    @app_commands.command(name="preview")
    @app_commands.autocomplete(essay=essay_autocomplete)
    async def preview(
        self, interaction: discord.Interaction[Any], essay: str, channel: ChannelOption | None = None
    ) -> None:
        """Show how an essay will be posted (card, sections, thread names); nothing is posted.

        Parameters
        ----------
        essay: str
            The essay's key or address (an address not stored yet is fetched, not stored)
        channel: ChannelOption
            The destination to preview for (default: the server's first destination)
        """

        async def show(guild_id: int) -> Reply:
            report = await operations.preview_essay(
                self.bot.store,
                self.bot.fetcher,
                essay,
                guild_id=guild_id,
                channel_id=channel.id if channel else None,
                max_sections=self.bot.settings.max_sections,
            )
            text = operations.format_preview(report, channel=channel_mention(report.destination.channel_id))
            return Reply(text, embeds=[discord.Embed.from_dict(report.card)] if report.card else [])

        await self.answer(interaction, show, channel=channel, slow=True)

    @app_commands.command(name="status")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """The queue, the feeds' last polls and errors, and stopped destinations."""

        async def status(guild_id: int) -> str:
            report = await operations.guild_status(self.bot.store, guild_id)
            return operations.format_status(report, channel=channel_mention, when=relative, shown=escape_markdown)

        await self.answer(interaction, status)


class ConfirmRepost(discord.ui.View):
    """The short confirmation before a re-post, for the moderator who asked only."""

    def __init__(self, cog: Moderation, user_id: int, guild_id: int, essay_key: str, channel_id: int | None) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self.cog = cog
        self.user_id = user_id
        self.guild_id = guild_id
        self.essay_key = essay_key
        self.channel_id = channel_id

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return interaction.user.id == self.user_id and is_moderator(interaction)

    @discord.ui.button(label="Post again", style=discord.ButtonStyle.danger, custom_id="marginalia:repost:confirm")
    async def confirm(self, interaction: discord.Interaction[Any], button: discord.ui.Button[ConfirmRepost]) -> None:
        self.stop()
        outcome = await operations.repost_essay(
            self.cog.bot.store, self.essay_key, guild_id=self.guild_id, channel_id=self.channel_id
        )
        self.cog.bot.publications_queued.set()
        where = ", ".join(channel_mention(d.channel_id) for d in outcome.destinations)
        await interaction.response.edit_message(
            content=f"**{shown_title(outcome.essay)}** is queued to be posted again in {where}.",
            view=None,
            allowed_mentions=NO_MENTIONS,
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="marginalia:repost:cancel")
    async def cancel(self, interaction: discord.Interaction[Any], button: discord.ui.Button[ConfirmRepost]) -> None:
        self.stop()
        await interaction.response.edit_message(content="Nothing was re-posted.", view=None)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        # Views are outside the command tree's error handler: the same rule applies here.
        if isinstance(error, UserError):
            await send_ephemeral(interaction, str(error))
            return
        logger.error("re-post confirmation failed", exc_info=error)
        await send_ephemeral(interaction, "Something went wrong on our side; the moderators can check the log.")


async def setup(bot: Marginalia) -> None:
    await bot.add_cog(Moderation(bot))
