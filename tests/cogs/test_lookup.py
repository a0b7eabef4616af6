"""/quote, /figures and /related end to end: the real bot and discord.py against the local fake Discord.

One fake, one bot and one store serve the whole module (filled once from the labelled essays);
every test checks that the fake recorded no spec violation or unimplemented endpoint.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cogs.replies
from bot import collector
from bot.client import Marginalia, create_bot
from bot.config import load_settings
from bot.intake import entry_to_essay, load_source, store_essay
from bot.store import PlannedStep
from tests.fakediscord import FakeDiscord
from tests.fakediscord.scenario import Interaction
from tests.fakediscord.state import Channel, Guild, Member, Message

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

LABELLED = Path(__file__).parent.parent / "fixtures" / "labelled"
BLOG = "https://example-essays.blog/2025"
COUNCIL = f"{BLOG}/07/council-borrowing.html"
ORCHESTRA = f"{BLOG}/05/orchestra-strike.html"
EPHEMERAL = 1 << 6
ANSWERED = 4
DEFERRED = 5


@dataclass
class World:
    fake: FakeDiscord
    bot: Marginalia
    guild: Guild
    channel: Channel
    reader: Member
    other: Member
    threads: dict[int, Channel]  # section of the council essay -> its thread

    async def ask(
        self, name: str, options: dict[str, Any] | None = None, *, channel: Channel | None = None
    ) -> tuple[Interaction, Message]:
        """Run a command as the reader; return the interaction and its final (ephemeral) reply."""
        interaction = await self.fake.invoke_slash(name, options or {}, channel=channel or self.channel)
        response = await interaction.wait_response()
        assert response["type"] == ANSWERED, "a quick answer is the interaction's own response"
        message = await interaction.wait_original()
        assert message.flags & EPHEMERAL
        check_reply(self.fake, message)
        return interaction, message


def check_reply(fake: FakeDiscord, message: Message) -> None:
    """Discord's limits hold and nobody can be pinged."""
    assert len(message.content) <= 2000
    assert len(message.embeds) <= 10
    for embed in message.embeds:
        fields = embed.get("fields") or []
        assert len(embed.get("title") or "") <= 256 and len(embed.get("description") or "") <= 4096
        assert len(fields) <= 25 and all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in fields)
        total = len(embed.get("title") or "") + len(embed.get("description") or "")
        total += sum(len(f["name"]) + len(f["value"]) for f in fields)
        total += len((embed.get("footer") or {}).get("text") or "")
        assert total <= 6000
    assert not fake.pings(message).any


def custom_ids(message: Message) -> list[str]:
    return [c["custom_id"] for row in message.components for c in row.get("components", []) if "custom_id" in c]


def button(message: Message, action: str) -> dict[str, Any]:
    for row in message.components:
        for component in row.get("components", []):
            if component.get("custom_id", "").startswith(f"lookup:{action}:"):
                return dict(component)
    raise LookupError(f"no {action} button in {custom_ids(message)}")


def fields(message: Message) -> list[dict[str, str]]:
    return list(message.embeds[0].get("fields") or [])


async def fill_store(bot: Marginalia, guild_id: int) -> None:
    """The labelled essays, as entries of a feed the server follows."""
    loaded = await load_source(str(LABELLED), None)
    feed = await bot.store.add_feed("https://example-essays.blog/feed", guild_id=guild_id)
    for entry in sorted(loaded.entries, key=lambda e: e.published or datetime.min.replace(tzinfo=UTC)):
        essay = entry_to_essay(entry)
        outcome = await store_essay(bot.store, essay, feed_id=feed.id)
        await bot.store.mark_seen(feed.id, essay.key, outcome.essay_id)


async def make_section_threads(
    fake: FakeDiscord, bot: Marginalia, guild: Guild, channel: Channel
) -> dict[int, Channel]:
    """Threads created through the bot's own HTTP, recorded as the publisher records its section threads."""
    store = bot.store
    row = await store.get_essay(COUNCIL)
    assert row is not None
    parent = bot.get_channel(channel.id)
    assert isinstance(parent, discord.TextChannel)
    destination = await store.set_destination(guild_id=guild.id, channel_id=channel.id, kind="text")
    publication = await store.queue_publication(row.id, destination.id, row.revision)
    assert publication is not None
    sections = (2, 3, 4)
    await store.ensure_steps(
        publication, [PlannedStep(seq=s, action="thread", section=s, chunk=None, nonce=f"t{s}") for s in sections]
    )
    threads: dict[int, Channel] = {}
    for section in sections:
        thread = await parent.create_thread(name=f"§{section}", type=discord.ChannelType.public_thread)
        await store.mark_step_done(publication, section, channel_id=channel.id, message_id=None, thread_id=thread.id)
        found = fake.find_channel(thread.id)
        assert found is not None
        threads[section] = found
    return threads


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    db = tmp_path_factory.mktemp("lookup") / "db.sqlite3"
    async with FakeDiscord.start() as fake:
        guild = fake.add_guild()
        channel = fake.add_channel(guild, "essays")
        other = fake.add_member(guild, "other")
        settings_ = load_settings({"DB_PATH": str(db), "ALLOW_PRIVATE_FEEDS": "true"}, env_file=None)
        bot = create_bot(settings_, extensions=("cogs.lookup",))
        await fake.connect(bot)
        try:
            await fill_store(bot, guild.id)
            threads = await make_section_threads(fake, bot, guild, channel)
            yield World(fake, bot, guild, channel, fake.default_member(guild), other, threads)
        finally:
            await fake.disconnect(bot)
    fake.assert_clean()


@pytest.fixture(autouse=True)
def no_new_failures(world: World) -> Iterator[None]:
    before = len(world.fake.failures)
    yield
    assert world.fake.failures[before:] == []


# ---------------------------------------------------------------- commands


async def test_commands_are_synced_with_options(world: World) -> None:
    quote = world.fake.find_command("quote", world.guild)
    assert [o["name"] for o in quote["options"]] == ["search", "speaker", "essay"]
    assert all(o.get("autocomplete") for o in quote["options"] if o["name"] in ("speaker", "essay"))
    figures = world.fake.find_command("figures", world.guild)
    kind = next(o for o in figures["options"] if o["name"] == "kind")
    assert {c["value"] for c in kind["choices"]} == {
        "money", "per_unit", "ratio", "percent", "percentage_points", "count", "year", "date", "time", "duration",
    }  # fmt: skip
    assert [o["name"] for o in world.fake.find_command("related", world.guild)["options"]] == ["essay", "search"]


async def test_garbage_is_collected_after_the_answer_not_before(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the bot runs, automatic collection waits (bot/collector.py); a due one follows each answer."""
    usual = collector._usual
    assert usual is not None and gc.get_threshold()[0] == usual[0] * collector.BACKSTOP
    answered: list[bool] = []  # at each check: had the fake recorded the newest interaction's answer?

    def collect_when_due() -> int | None:
        newest = list(world.fake.interactions.values())[-1]
        answered.append(newest.response_type is not None)
        return None

    monkeypatch.setattr(collector, "collect_when_due", collect_when_due)
    await world.ask("quote", {"search": "borrowing"})
    await asyncio.sleep(0.05)  # the check is scheduled on the bot's loop once the answer is sent
    assert answered and all(answered)


async def test_random_quote_in_a_channel(world: World) -> None:
    _, message = await world.ask("quote")
    [embed] = message.embeds
    assert embed["description"].startswith("> ")
    assert embed["footer"]["text"] in {"Quotation", "Epigraph", "Notable sentence"}
    assert embed["url"].startswith(BLOG)
    assert custom_ids(message) == [button(message, "share")["custom_id"]]  # one page: no pager


async def test_quote_search_speaker_and_essay(world: World) -> None:
    _, message = await world.ask("quote", {"search": "pound", "speaker": "Quayle", "essay": COUNCIL})
    [field] = fields(message)
    assert field["name"] == "Quayle — The Councils That Bet on Cheap Money"
    assert "£1.40" in field["value"] and "§2 How the bet was made" in field["value"]
    assert f"https://discord.com/channels/{world.guild.id}/{world.threads[2].id}" in field["value"]


async def test_random_quote_in_a_section_thread_comes_from_that_section(world: World) -> None:
    for _ in range(3):
        _, message = await world.ask("quote", channel=world.threads[3])
        [embed] = message.embeds
        assert embed["title"] == "The Councils That Bet on Cheap Money"
        assert "Marit Vos" in embed["description"]
        assert f"/{world.threads[3].id})" in embed["fields"][0]["value"]


async def test_quote_search_in_a_thread_prefers_its_section(world: World) -> None:
    _, message = await world.ask("quote", {"search": "the"}, channel=world.threads[4])
    first = fields(message)[0]
    assert "§4 What it costs now" in first["value"]


async def test_unknown_essay_and_nothing_found(world: World) -> None:
    _, unknown = await world.ask("quote", {"essay": "A Post That Was Never Written"})
    assert unknown.content == "No essay matches “A Post That Was Never Written”; pick one from the list."
    _, nothing = await world.ask("figures", {"search": "zeppelins"})
    assert nothing.content.startswith("No figures found matching “zeppelins”")
    assert "error id" not in nothing.content and not nothing.components


async def test_figures_in_a_channel_page_and_share(world: World) -> None:
    interaction, message = await world.ask("figures")
    first_page = message.embeds[0]
    assert first_page["title"] == "Figures in the newest essays"
    assert first_page["footer"]["text"].startswith("Page 1/")
    assert button(message, "prev")["disabled"] and not button(message, "next").get("disabled")

    click = await world.fake.click(message, button(message, "next")["custom_id"], member=world.reader)
    await click.wait_response()
    assert click.response_type == 7
    assert message.embeds[0]["footer"]["text"].startswith("Page 2/")
    assert message.embeds[0]["fields"] != first_page["fields"]
    # Each figure in bold in the sentence it was cited in, read when its page was shown.
    for page in (first_page, message.embeds[0]):
        assert all("**" in field["value"] for field in page["fields"])
    check_reply(world.fake, message)

    share = await world.fake.click(message, button(message, "share")["custom_id"], member=world.reader)
    await share.wait_response()
    public = share.original
    assert public is not None and not public.ephemeral
    assert public.content == f"Shared by <@{world.reader.id}>"
    assert public.embeds[0]["footer"]["text"].startswith("Page 2/")
    assert public.components == []
    check_reply(world.fake, public)
    await world.fake.wait_until(lambda: button(message, "share").get("disabled"), what="Share disabled")
    assert public in world.fake.messages(world.channel)
    assert interaction.original is message


async def test_another_member_cannot_page(world: World) -> None:
    _, message = await world.ask("figures", {"essay": COUNCIL})
    before = message.embeds[0]
    click = await world.fake.click(message, button(message, "next")["custom_id"], member=world.other)
    await click.wait_response()
    refusal = click.original
    assert refusal is not None and refusal.ephemeral
    assert refusal.content.startswith("Only the person who ran this command")
    assert message.embeds[0] == before


async def test_figures_kind_and_thread_section_first(world: World) -> None:
    _, message = await world.ask("figures", {"kind": "money"}, channel=world.threads[3])
    values = [f["value"] for f in fields(message)]
    assert all("*money*" in v for v in values)
    assert "§3 The Dutch version" in values[0] and "€" in fields(message)[0]["name"]


async def test_related_with_and_without_options(world: World) -> None:
    _, newest = await world.ask("related")
    assert newest.embeds[0]["title"] == "Earlier posts related to “Everything Is an Emergency Now”"
    _, chosen = await world.ask("related", {"essay": COUNCIL})
    assert "The Councils That Bet on Cheap Money" in chosen.embeds[0]["title"]
    assert any("Rainy-Day Fund" in f["name"] for f in fields(chosen)), "its explicit reference"
    # Only weakly related earlier posts exist for this one: a clear answer, not a list of noise.
    _, lonely = await world.ask("related", {"essay": ORCHESTRA})
    assert not lonely.embeds
    assert lonely.content.startswith("No earlier posts related to “What the Orchestra Strike Is Really About”")
    _, topic = await world.ask("related", {"search": "council debt borrowing"})
    assert any("Cheap Money" in f["name"] for f in fields(topic))
    # Inside a thread: that thread's essay; its own threads are linked when it is the related one.
    _, threaded = await world.ask("related", channel=world.threads[2])
    assert "The Councils That Bet on Cheap Money" in threaded.embeds[0]["title"]
    _, about = await world.ask("related", {"search": "reserve fund"}, channel=world.threads[2])
    assert all("(2025-07" not in f["name"] for f in fields(about)), "earlier than the thread's essay only"
    for message in (newest, chosen, topic, threaded, about):
        assert all(f["value"] for f in fields(message))


async def test_related_links_section_threads_of_related_posts(world: World) -> None:
    _, message = await world.ask("related", {"search": "castlebury council"})
    council = next(f for f in fields(message) if "Cheap Money" in f["name"])
    assert f"[read on the blog]({COUNCIL})" in council["value"]
    assert f"[§2](https://discord.com/channels/{world.guild.id}/{world.threads[2].id})" in council["value"]


# ------------------------------------------------------------ autocomplete


@pytest.mark.parametrize("name", ["quote", "figures", "related"])
@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("DEFER_AFTER", 0.0),  # work not done in time
        ("RESPONSE_DEADLINE", cogs.replies.DEFER_AFTER),  # an interaction that reached the bot too late to wait
    ],
)
async def test_slow_lookups_defer_within_the_deadline(
    world: World, monkeypatch: pytest.MonkeyPatch, name: str, setting: str, value: float
) -> None:
    # Deferred ("thinking…") rather than risk Discord's deadline; the answer follows, ephemeral as ever.
    monkeypatch.setattr(cogs.replies, setting, value)
    # The lookup takes a while (SQLite answers its reads at once: without a wait it would be done before the
    # loop could send anything, and then it is answered directly).
    answer = {"quote": "quote_answer", "figures": "figure_answer", "related": "related_answer"}[name]
    module = sys.modules["cogs.lookup"]  # as the bot loaded it (load_extension imports a fresh copy)
    lookup = getattr(module, answer)

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.05)
        return await lookup(*args, **kwargs)

    monkeypatch.setattr(module, answer, slow)
    interaction = await world.fake.invoke_slash(name, {"essay": COUNCIL}, channel=world.channel)
    response = await interaction.wait_response()
    assert response["type"] == DEFERRED and response["data"]["flags"] & EPHEMERAL
    message = await interaction.wait_original()
    assert message.flags & EPHEMERAL and (message.embeds or message.content)
    check_reply(world.fake, message)


async def test_a_lookup_holding_the_loop_still_defers_in_time(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite answers each read at once, in the loop's thread: past the wait, reads let the loop turn between them."""
    monkeypatch.setattr(cogs.replies, "DEFER_AFTER", 0.01)
    store = world.bot.store
    span = store.archive_span

    async def slow_span() -> Any:
        time.sleep(0.05)  # noqa: ASYNC251 - a cold page cache: the read holds the loop, as SQLite's reads do
        return await span()

    monkeypatch.setattr(store, "archive_span", slow_span)
    # A topic: computed every time (an essay's answer may be kept from an earlier test).
    interaction = await world.fake.invoke_slash("related", {"search": "council debt borrowing"}, channel=world.channel)
    response = await interaction.wait_response()
    assert response["type"] == DEFERRED and response["data"]["flags"] & EPHEMERAL
    message = await interaction.wait_original()
    assert message.flags & EPHEMERAL and message.embeds


async def test_speaker_autocomplete(world: World) -> None:
    choices = await world.fake.autocomplete("quote", "speaker", {"speaker": "fair"}, channel=world.channel)
    assert choices[0] == {"name": "Lorna Fairweather", "value": "Lorna Fairweather"}
    in_thread = await world.fake.autocomplete("quote", "speaker", {"speaker": ""}, channel=world.threads[2])
    assert {"Quayle", "Finch"} <= {c["value"] for c in in_thread}


async def test_essay_autocomplete_titles_to_keys(world: World) -> None:
    choices = await world.fake.autocomplete("figures", "essay", {"essay": "orch"}, channel=world.channel)
    assert choices == [{"name": "What the Orchestra Strike Is Really About · 2025-05-02", "value": ORCHESTRA}]
    empty = await world.fake.autocomplete("related", "essay", {"essay": ""}, channel=world.threads[4])
    assert empty[0]["value"] == COUNCIL and len(empty) <= 25
    _, message = await world.ask("quote", {"essay": choices[0]["value"], "speaker": "Lise"})
    assert "Lise Amundsen" in message.embeds[0]["description"]


# ------------------------------------------------------------------ expiry


async def test_buttons_disable_after_the_timeout_and_expired_clicks_get_an_answer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The extension's module as the bot loaded it (load_extension imports a fresh copy).
    monkeypatch.setattr(sys.modules["cogs.lookup"], "VIEW_TIMEOUT", 0.2)
    _, message = await world.ask("figures")
    await world.fake.wait_until(lambda: button(message, "next").get("disabled"), what="buttons disabled")
    assert all(c.get("disabled") for row in message.components for c in row["components"])
    # A click that still arrives (or one from before a restart) gets a clear answer.
    click = await world.fake.click(message, button(message, "share")["custom_id"], member=world.reader)
    await click.wait_response()
    assert click.original is not None and click.original.ephemeral
    assert click.original.content.startswith("These buttons have expired")


async def test_buttons_unknown_after_a_restart_get_an_answer(world: World) -> None:
    _, message = await world.ask("figures")
    cog: Any = world.bot.get_cog("Lookup")
    assert type(cog).__name__ == "LookupCog"
    for view in list(cog.views.values()):  # what a restart forgets
        view.stop()
    cog.views.clear()
    click = await world.fake.click(message, button(message, "next")["custom_id"], member=world.reader)
    await click.wait_response()
    assert click.original is not None and click.original.content.startswith("These buttons have expired")


# ------------------------------------------------------- arbitrary input

# Whatever a member types: FTS5 syntax, quotes, brackets, mentions, emoji, right-to-left text, up to 6,000 characters.
NASTY = st.one_of(
    st.text(max_size=80),
    st.sampled_from(['"', "*", "NEAR(a b)", "a OR b", "(", "[x](y)", "@everyone", "‏مرحبا بالعالم", "🙂" * 50]),
    st.text(alphabet=st.sampled_from('ab "*()[]-^:🙂‏@'), max_size=300),
    st.builds(lambda s: (s * 6000)[:6000], st.text(min_size=1, max_size=5)),
).filter(lambda s: s.strip() != "")

FUZZ = settings(
    max_examples=35, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


async def fuzz_command(world: World, name: str, options: dict[str, str], channel: Channel) -> None:
    interaction = await world.fake.invoke_slash(name, options, channel=channel)
    await interaction.wait_response()
    message = await interaction.wait_original()
    check_reply(world.fake, message)
    assert "error id" not in message.content, message.content
    assert message.embeds or message.content


@FUZZ
@given(search=NASTY, speaker=NASTY, essay=NASTY, in_thread=st.booleans())
async def test_quote_survives_any_input(world: World, search: str, speaker: str, essay: str, in_thread: bool) -> None:
    channel = world.threads[3] if in_thread else world.channel
    await fuzz_command(world, "quote", {"search": search}, channel)
    await fuzz_command(world, "quote", {"speaker": speaker, "essay": essay}, channel)


@FUZZ
@given(search=NASTY, essay=NASTY, in_thread=st.booleans())
async def test_figures_survive_any_input(world: World, search: str, essay: str, in_thread: bool) -> None:
    channel = world.threads[3] if in_thread else world.channel
    await fuzz_command(world, "figures", {"search": search, "kind": "money"}, channel)
    await fuzz_command(world, "figures", {"essay": essay}, channel)


@FUZZ
@given(search=NASTY, essay=NASTY, in_thread=st.booleans())
async def test_related_survives_any_input(world: World, search: str, essay: str, in_thread: bool) -> None:
    channel = world.threads[3] if in_thread else world.channel
    await fuzz_command(world, "related", {"search": search}, channel)
    await fuzz_command(world, "related", {"essay": essay}, channel)


@FUZZ
@given(current=st.one_of(st.just(""), NASTY))
async def test_autocomplete_survives_any_input(world: World, current: str) -> None:
    for command, option in (("quote", "speaker"), ("quote", "essay"), ("figures", "essay"), ("related", "essay")):
        choices = await world.fake.autocomplete(command, option, {option: current}, channel=world.channel)
        assert len(choices) <= 25
        assert all(0 < len(c["name"]) <= 100 and 0 < len(c["value"]) <= 100 for c in choices)
