"""/quote, /figures and /related for members: thin Discord glue over ``bot.lookup``.

Replies are ephemeral (only the asker sees them, so a channel is not filled
with lookups) and carry a Share button that posts a public copy. Several pages
get ◀ ▶ buttons that only the asker can use; after the view's timeout the
buttons are disabled, and a click on any expired lookup button (also after a
restart) gets a short ephemeral explanation instead of "interaction failed".
"""

from __future__ import annotations

import logging
import random
import secrets
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import NO_MENTIONS, Marginalia, send_ephemeral, server_id
from bot.lookup import (
    FIGURE_KIND_LABELS,
    Answer,
    Choice,
    Page,
    Pages,
    command_scope,
    essay_choices,
    figure_answer,
    limit_reply,
    quote_answer,
    related_answer,
    shared_by_line,
    speaker_choices,
)
from bot.store import StoreError
from cogs.replies import Reply, answer_expired_click, answer_in_time, reply

logger = logging.getLogger(__name__)

CUSTOM_ID_PREFIX = "lookup:"
# Under the 15 minutes an interaction token lives, so the reply can still be edited to disable its buttons.
VIEW_TIMEOUT = 600.0
EMBED_COLOUR = discord.Colour(0x5B7DB1)
NOT_YOURS = "Only the person who ran this command can use these buttons; run it yourself to get your own."

KIND_CHOICES = [app_commands.Choice(name=label, value=kind) for kind, label in FIGURE_KIND_LABELS.items()]


def page_embed(page: Page) -> discord.Embed:
    """A fitted page as an embed (``bot.lookup.fit_page`` already kept it within the limits)."""
    embed = discord.Embed(title=page.title, description=page.description or None, url=page.url, colour=EMBED_COLOUR)
    for item in page.fields:
        embed.add_field(name=item.name, value=item.value, inline=False)
    if page.footer:
        embed.set_footer(text=page.footer)
    return embed


def to_app_choices(choices: list[Choice]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=c.name, value=c.value) for c in choices]


class ResultView(discord.ui.View):
    """Pages of one answer: ◀ n/N ▶ for the asker, and Share to post the current page publicly."""

    def __init__(self, cog: LookupCog, origin: discord.Interaction[Marginalia], pages: Pages) -> None:
        super().__init__(timeout=VIEW_TIMEOUT)
        self.cog = cog
        self.origin = origin
        self.owner_id = origin.user.id
        self.pages = pages
        self.index = 0
        self.shared: set[int] = set()
        self.nonce = secrets.token_hex(8)
        self.previous = ActionButton(self, "prev", "◀")
        self.counter = ActionButton(self, "page", "1")
        self.next = ActionButton(self, "next", "▶")
        self.share = ActionButton(self, "share", "Share", style=discord.ButtonStyle.primary)
        if len(pages) > 1:
            for item in (self.previous, self.counter, self.next):
                self.add_item(item)
        self.add_item(self.share)
        self.update_buttons()

    def update_buttons(self) -> None:
        self.counter.label = f"{self.index + 1}/{len(self.pages)}"
        self.counter.disabled = True
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1
        self.share.disabled = self.index in self.shared
        self.share.label = "Shared" if self.index in self.shared else "Share"

    def current(self) -> discord.Embed:
        return page_embed(self.pages[self.index])

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await send_ephemeral(interaction, NOT_YOURS)
        return False

    async def on_previous(self, interaction: discord.Interaction[Any]) -> None:
        await self._turn(interaction, -1)

    async def on_next(self, interaction: discord.Interaction[Any]) -> None:
        await self._turn(interaction, 1)

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        await self.pages.ready(self._step(step))  # a page whose text is read from the store when first shown
        self.index = self._step(step)  # from the index as it is now: another click may have turned meanwhile
        await self.pages.ready(self.index)
        self.update_buttons()
        await interaction.response.edit_message(embed=self.current(), view=self, allowed_mentions=NO_MENTIONS)

    def _step(self, step: int) -> int:
        return max(0, min(len(self.pages) - 1, self.index + step))

    async def on_share(self, interaction: discord.Interaction[Any]) -> None:
        # The public copy is the response; disabling Share on the private reply is best effort.
        await interaction.response.send_message(
            shared_by_line(interaction.user.id), embed=self.current(), allowed_mentions=NO_MENTIONS
        )
        self.shared.add(self.index)
        self.update_buttons()
        try:
            await self.origin.edit_original_response(view=self)
        except discord.HTTPException:
            logger.debug("could not mark a lookup reply as shared", exc_info=True)

    async def on_timeout(self) -> None:
        self.cog.forget(self)
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        try:
            await self.origin.edit_original_response(view=self)
        except discord.HTTPException:
            logger.debug("could not disable the buttons of an expired lookup", exc_info=True)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        logger.error("lookup button %r failed", getattr(item, "custom_id", item), exc_info=error)
        await send_ephemeral(interaction, "That button failed on our side; run the command again.")


class ActionButton(discord.ui.Button["ResultView"]):
    """A button whose custom id names its action and its view ("lookup:next:<nonce>")."""

    def __init__(
        self, view: ResultView, action: str, label: str, *, style: discord.ButtonStyle = discord.ButtonStyle.secondary
    ) -> None:
        super().__init__(label=label, style=style, custom_id=f"{CUSTOM_ID_PREFIX}{action}:{view.nonce}")
        self.action = action
        self.owner = view

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if self.action == "prev":
            await self.owner.on_previous(interaction)
        elif self.action == "next":
            await self.owner.on_next(interaction)
        elif self.action == "share":
            await self.owner.on_share(interaction)


class LookupCog(commands.Cog, name="Lookup"):
    """Quotes, figures and related posts, for every member."""

    def __init__(self, bot: Marginalia) -> None:
        self.bot = bot
        self.rng = random.Random()
        self.views: dict[str, ResultView] = {}

    # ------------------------------------------------------------ replies

    async def send_answer(self, interaction: discord.Interaction[Marginalia], answer: Answer) -> None:
        """Send the answer ephemerally, with pager and Share buttons: as the response, or after a defer."""
        if not answer.pages:
            await reply(interaction, limit_reply(answer.message))
            return
        await answer.pages.ready(0)
        view = ResultView(self, interaction, answer.pages)
        self.views[view.nonce] = view
        await reply(interaction, Reply("", embeds=[view.current()], view=view))

    def forget(self, view: ResultView) -> None:
        self.views.pop(view.nonce, None)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Marginalia]) -> None:
        """Answer clicks on lookup buttons no live view owns (expired, or from before a restart)."""
        await answer_expired_click(interaction, CUSTOM_ID_PREFIX, self.views)

    # ------------------------------------------------------- autocomplete

    async def essay_autocomplete(
        self, interaction: discord.Interaction[Marginalia], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        try:
            return to_app_choices(
                await essay_choices(
                    self.bot.store, current, guild_id=interaction.guild_id, channel_id=interaction.channel_id
                )
            )
        except StoreError:
            logger.warning("essay autocomplete failed", exc_info=True)
            return []

    async def speaker_autocomplete(
        self, interaction: discord.Interaction[Marginalia], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        try:
            return to_app_choices(
                await speaker_choices(
                    self.bot.store, current, guild_id=interaction.guild_id, channel_id=interaction.channel_id
                )
            )
        except StoreError:
            logger.warning("speaker autocomplete failed", exc_info=True)
            return []

    # ----------------------------------------------------------- commands

    @app_commands.command(name="quote")
    @app_commands.guild_only()
    @app_commands.autocomplete(speaker=speaker_autocomplete, essay=essay_autocomplete)
    async def quote(
        self,
        interaction: discord.Interaction[Marginalia],
        search: str | None = None,
        speaker: str | None = None,
        essay: str | None = None,
    ) -> None:
        """Find a quotation, or get a good one at random, with its speaker, essay and thread.

        Inside a section thread it looks in that thread's essay, its section first. The
        reply is ephemeral (only you see it, so channels stay quiet); Share posts a copy.

        Parameters
        ----------
        search: str | None
            Words from the quotation; leave empty for a random good quote.
        speaker: str | None
            Only quotes by this person.
        essay: str | None
            Only quotes from this essay (default: this thread's essay).
        """
        store = self.bot.store

        async def work() -> Answer:
            scope = await command_scope(
                store, essay=essay, channel_id=interaction.channel_id, guild_id=server_id(interaction)
            )
            return await quote_answer(store, scope, search=search, speaker=speaker, rng=self.rng)

        await self.send_answer(interaction, await answer_in_time(interaction, work()))

    @app_commands.command(name="figures")
    @app_commands.guild_only()
    @app_commands.autocomplete(essay=essay_autocomplete)
    @app_commands.choices(kind=KIND_CHOICES)
    async def figures(
        self,
        interaction: discord.Interaction[Marginalia],
        search: str | None = None,
        essay: str | None = None,
        kind: app_commands.Choice[str] | None = None,
    ) -> None:
        """List the figures cited: what each counts, the sentence it came from, and where.

        Inside a section thread it lists that thread's essay, its section first. The reply
        is ephemeral (only you see it, so channels stay quiet); Share posts a copy.

        Parameters
        ----------
        search: str | None
            Words about what the figure counts, e.g. "reserve" or "drivers".
        essay: str | None
            Only figures from this essay (default: this thread's essay).
        kind: app_commands.Choice[str] | None
            Only figures of this kind.
        """
        store = self.bot.store
        figure_kind = kind.value if kind is not None and kind.value in FIGURE_KIND_LABELS else None

        async def work() -> Answer:
            scope = await command_scope(
                store, essay=essay, channel_id=interaction.channel_id, guild_id=server_id(interaction)
            )
            return await figure_answer(store, scope, search=search, kind=figure_kind)

        await self.send_answer(interaction, await answer_in_time(interaction, work()))

    @app_commands.command(name="related")
    @app_commands.guild_only()
    @app_commands.autocomplete(essay=essay_autocomplete)
    async def related(
        self,
        interaction: discord.Interaction[Marginalia],
        essay: str | None = None,
        search: str | None = None,
    ) -> None:
        """Show earlier posts related to an essay or a topic, with reasons and links.

        Without options: this thread's essay, else the newest essay. The reply is
        ephemeral (only you see it, so channels stay quiet); Share posts a copy.

        Parameters
        ----------
        essay: str | None
            The essay to relate (default: this thread's essay, else the newest).
        search: str | None
            A topic in a few words, instead of an essay.
        """
        store = self.bot.store

        async def work() -> Answer:
            scope = await command_scope(
                store, essay=essay, channel_id=interaction.channel_id, guild_id=server_id(interaction)
            )
            return await related_answer(store, scope, search=search)

        await self.send_answer(interaction, await answer_in_time(interaction, work()))


async def setup(bot: Marginalia) -> None:
    await bot.add_cog(LookupCog(bot))
