"""The real bot process on PostgreSQL: ``python -m bot run`` with DATABASE_URL posts an essay from a feed
and answers /quote, against the local fake Discord (in this process) and a feed served on 127.0.0.1.

The essay is original text written for this test.
"""

from __future__ import annotations

import asyncio
import signal
from html import escape
from pathlib import Path

import pytest

from bot.store import open_store
from tests.fakediscord import FakeDiscord
from tests.fetch_server import FetchServer, Route
from tests.test_client import TOKEN, Process, process_env

pytestmark = pytest.mark.e2e

ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
TIMEOUT = 60.0  # a bound on the whole run, never reached when things work
EPHEMERAL = 1 << 6
TITLE = "The Night the Ferry Timetable Changed"
SECTIONS = [
    (
        "What the harbour board decided",
        "The harbour board moved the last ferry from eleven to half past nine, and 214 people signed a "
        "letter against it within a week. “We were told after the printers had the new timetable,” said "
        "Odile Brennan, who runs the chandlery by the slipway.",
    ),
    (
        "Who rides late",
        "Most of the late passengers are kitchen staff and nurses coming off shift. The board's own count "
        "found 38 riders on a typical weeknight, more than on the mid-afternoon crossing.",
    ),
]


def feed(server: FetchServer) -> str:
    body = "".join(f"<h2>{escape(h)}</h2><p>{escape(p)}</p>" for h, p in SECTIONS)
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Harbour Notes</title><id>tag:harbour.example,2025:feed</id><updated>2025-03-02T08:00:00Z</updated>"
        f"<entry><id>tag:harbour.example,2025:ferry</id><title>{escape(TITLE)}</title>"
        f'<link rel="alternate" href="{server.url("/ferry")}"/><author><name>Ines Halloran</name></author>'
        "<published>2025-03-02T08:00:00Z</published><updated>2025-03-02T08:00:00Z</updated>"
        f'<content type="html">{escape(body)}</content></entry></feed>'
    )


async def test_the_bot_on_postgresql_posts_from_a_feed_and_answers_quote(pg_url: str, tmp_path: Path) -> None:
    sqlite_file = tmp_path / "db.sqlite3"
    bot: Process | None = None
    async with asyncio.timeout(TIMEOUT), FakeDiscord.start(token=TOKEN) as fake, FetchServer() as feeds:
        guild = fake.add_guild("Harbour Readers")
        channel = fake.add_channel(guild, "essays")
        feeds.route("/feed", Route(body=feed(feeds), headers=ATOM))
        async with await open_store(pg_url) as store:
            await store.add_feed(feeds.url("/feed"), guild_id=guild.id)
            await store.set_destination(guild_id=guild.id, channel_id=channel.id, kind="text")
        env = process_env(
            DISCORD_TOKEN=TOKEN,
            DISCORD_API_BASE=fake.api_base,
            DISCORD_GATEWAY_URL=fake.gateway_url,
            DATABASE_URL=pg_url,
            DB_PATH=str(sqlite_file),  # DATABASE_URL wins: this file is never made
            ALLOW_PRIVATE_FEEDS="true",
            LOG_LEVEL="INFO",
        )
        try:
            bot = await Process.start("bot", ["-m", "bot", "run"], env, tmp_path)
            await bot.wait_for(r"database: postgresql://")

            def card_posted() -> bool:
                return any(m.embeds and m.embeds[0].get("title") == TITLE for m in fake.bot_messages(channel))

            await fake.wait_until(card_posted, TIMEOUT, "the essay's card in the channel")
            async with await open_store(pg_url) as store:
                for _ in range(int(TIMEOUT * 10)):
                    if (await store.publication_counts())["done"] == 1:
                        break
                    await asyncio.sleep(0.1)
                assert await store.publication_counts() == {"pending": 0, "done": 1, "stopped": 0}
                [essay] = await store.list_essays()
                analysis = await store.load_analysis(essay.id)
            # One discussion thread per section the analysis found, as on SQLite.
            assert len(fake.threads(channel)) == len(analysis.sections) >= 1

            interaction = await fake.invoke_slash("quote", {"speaker": "Brennan"}, channel=channel)
            await interaction.wait_response()
            message = await interaction.wait_original()
            assert message.flags & EPHEMERAL
            text = str(message.embeds)
            assert "We were told after the printers had the new timetable" in text
            assert "Odile Brennan" in text

            assert await bot.stop(signal.SIGTERM) == 0
        finally:
            if bot is not None:
                await bot.kill()
        fake.assert_clean()
    assert not sqlite_file.exists()
    assert "Traceback" not in bot.output()
