"""The bot's own factory reaches a local Discord through configuration alone.

Nothing here uses FakeDiscord.connect (which patches discord.py itself): DISCORD_API_BASE and
DISCORD_GATEWAY_URL go through load_settings and create_bot, as they would in production, and the
last tests run `python -m bot run` against `python -m tests.fakediscord` as two real processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import discord
import discord.gateway
import discord.http
import pytest

from bot.client import Marginalia, create_bot
from bot.config import VARIABLES, Settings, load_settings
from bot.store import Shards
from tests.fakediscord import FakeDiscord, Guild

pytestmark = pytest.mark.e2e

# Shaped like a bot token (bot/config.py checks the shape); base64url of "test", "client", "token-for-tests".
TOKEN = "dGVzdA.Y2xpZW50.dG9rZW4tZm9yLXRlc3Rz"
OTHER_TOKEN = "b3RoZXI.Ym90.bm90LXRoaXMtb25l"

GUILDS_INTENT = 1 << 0
PRIVILEGED_INTENTS = {"GUILD_MEMBERS": 1 << 1, "GUILD_PRESENCES": 1 << 8, "MESSAGE_CONTENT": 1 << 15}

REPO_ROOT = Path(__file__).resolve().parents[1]
# Every variable bot/config.py reads: the subprocess gets only the ones a test sets.
PROCESS_TIMEOUT = 20.0  # a bound for each wait on a subprocess, never reached when things work
READY_TIMEOUT = 10.0


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def discord_endpoints() -> Iterator[None]:
    """create_bot sets discord.py's class-level endpoints; put them back for the tests that follow."""
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        yield
    finally:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


@pytest.fixture
async def fake(discord_endpoints: None) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord.start(token=TOKEN) as started:
        yield started
    if started.failures:
        pytest.fail("fake Discord recorded failures:\n" + "\n".join(started.failures), pytrace=False)


@pytest.fixture
def guild(fake: FakeDiscord) -> Guild:
    seeded = fake.add_guild("Margins Reading Group")
    fake.add_channel(seeded, "essays")
    fake.add_channel(seeded, "discuss", kind="forum")
    return seeded


def settings_for(fake: FakeDiscord, tmp_path: Path, *, token: str = TOKEN) -> Settings:
    return load_settings(
        {
            "DISCORD_TOKEN": token,
            "DISCORD_API_BASE": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "DB_PATH": str(tmp_path / "db.sqlite3"),
        },
        env_file=None,
    )


def build(settings: Settings) -> Marginalia:
    # No cogs: these tests are about where the bot connects, and the cogs have end-to-end tests of
    # their own; the two-process tests below run the whole bot. guild_ready_timeout only shortens
    # discord.py's 2 s wait for more guilds after READY.
    return create_bot(settings, extensions=(), guild_ready_timeout=0.05)


@contextlib.asynccontextmanager
async def running(bot: Marginalia, settings: Settings) -> AsyncIterator[Marginalia]:
    """bot.start() with the configured token until on_ready; closed (and awaited) on the way out."""
    assert settings.token is not None
    # A broken config hook must fail here, not send the test token to the real Discord.
    assert settings.api_base == discord.http.Route.BASE
    assert settings.gateway_url == str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY).rstrip("/")
    task = asyncio.create_task(bot.start(settings.token.reveal()))
    try:
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _pending = await asyncio.wait({ready, task}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # the reason start() failed
            raise TimeoutError("the bot did not become ready against the fake Discord")
        yield bot
    finally:
        await bot.close()
        # start() returns once closed; an exception it raised on the way out fails the test here.
        await asyncio.wait_for(task, READY_TIMEOUT)


# --------------------------------------------------------------------------- in-process


def test_without_endpoints_the_bot_keeps_discords_own(discord_endpoints: None, tmp_path: Path) -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN, "DB_PATH": str(tmp_path / "db.sqlite3")}, env_file=None)
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY

    create_bot(settings)

    assert base == discord.http.Route.BASE
    assert gateway == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    # Also catches an earlier test that left discord.py pointed at a fake.
    assert base.startswith("https://discord.com/api/v")
    assert gateway.host == "gateway.discord.gg"


async def test_configured_endpoints_route_the_bot_to_the_fake(fake: FakeDiscord, guild: Guild, tmp_path: Path) -> None:
    settings = settings_for(fake, tmp_path)
    bot = build(settings)
    assert fake.api_base == discord.http.Route.BASE

    async with running(bot, settings):
        # REST login went to the fake with the configured token ...
        assert [r.status for r in fake.requests_to("GET", r"^/users/@me$")] == [200]
        # ... and so did the gateway: one IDENTIFY, answered with READY and the seeded guild.
        assert [g.op for g in fake.gateway_log] == ["identify"]
        assert [p["token"] for p in fake.identify_payloads] == [TOKEN]
        assert bot.user is not None and bot.user.id == fake.bot.id
        seen = bot.get_guild(guild.id)
        assert seen is not None
        assert sorted(c.name for c in seen.channels) == ["discuss", "essays"]
        # setup_hook ran: the store is open in the configured place.
        assert await bot.store.get_state("no-such-key") is None
        assert (tmp_path / "db.sqlite3").is_file()

    await fake.wait_until(lambda: not fake.connections, 5.0, "the bot to leave the gateway")
    with pytest.raises(RuntimeError):
        _ = bot.store  # closed with the bot


async def test_identify_asks_for_no_privileged_intent(fake: FakeDiscord, guild: Guild, tmp_path: Path) -> None:
    settings = settings_for(fake, tmp_path)
    async with running(build(settings), settings):
        (identify,) = fake.identify_payloads
    intents = int(identify["intents"])
    assert intents & GUILDS_INTENT, "without GUILDS the bot never hears of its servers"
    asked = [name for name, bit in PRIVILEGED_INTENTS.items() if intents & bit]
    assert asked == [], f"privileged intents need approval on the Developer Portal: {asked}"


def on_shard(shard_id: int, count: int, n: int = 0) -> int:
    """A guild id on shard ``shard_id`` of ``count`` (Discord's rule: ``(guild_id >> 22) % count``)."""
    millis = 1_600_000_000_000 + 1000 * n
    return ((millis - millis % count + shard_id) << 22) | 1


async def test_a_bot_given_shard_ids_identifies_with_them_and_sees_only_their_servers(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    guilds = [fake.add_guild(f"Shard {n}", guild_id=on_shard(n, 3)) for n in range(3)]
    settings = replace(settings_for(fake, tmp_path), shard_ids=(0, 2), shard_count=3)
    bot = build(settings)
    async with running(bot, settings):
        assert sorted(p["shard"] for p in fake.identify_payloads) == [[0, 3], [2, 3]]
        assert [g.op for g in fake.gateway_log] == ["identify", "identify"]
        # Discord sends each shard the servers on it only.
        assert sorted(g.id for g in bot.guilds) == sorted([guilds[0].id, guilds[2].id])
        assert bot.get_guild(guilds[1].id) is None
        assert bot.held_shards == Shards((0, 2), 3)


async def test_moderators_of_a_server_on_another_shard_are_told_through_rest(fake: FakeDiscord, tmp_path: Path) -> None:
    # A process polls any feed (feed leases are not per shard), so a failure may concern a server
    # whose shard another process holds: its mod-log is not in this cache, but REST reaches it.
    mine, theirs = (fake.add_guild(f"Shard {n}", guild_id=on_shard(n, 2)) for n in range(2))
    modlog = fake.add_channel(theirs, "mod-log")
    settings = replace(settings_for(fake, tmp_path), shard_ids=(0,), shard_count=2)
    bot = build(settings)
    async with running(bot, settings):
        assert bot.get_guild(mine.id) is not None and bot.get_channel(modlog.id) is None
        await bot.store.set_modlog(theirs.id, modlog.id)
        assert await bot.tell_moderators(theirs.id, "The feed https://blog.example/feed failed: 404")
    (told,) = fake.messages(modlog)
    assert told.content == "The feed https://blog.example/feed failed: 404"


async def test_without_shard_settings_the_bot_identifies_unsharded(
    fake: FakeDiscord, guild: Guild, tmp_path: Path
) -> None:
    settings = settings_for(fake, tmp_path)
    bot = build(settings)
    async with running(bot, settings):
        (identify,) = fake.identify_payloads
        assert "shard" not in identify
        assert bot.held_shards is None and bot.get_guild(guild.id) is not None


async def test_token_never_reaches_the_logs(
    fake: FakeDiscord, guild: Guild, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings_for(fake, tmp_path)
    async with running(build(settings), settings):
        pass

    # The cycle was really logged, HTTP and gateway included, so the check below means something.
    names = {record.name for record in caplog.records}
    assert {"discord.http", "discord.gateway", "discord.client"} <= names
    leaking = [record.name for record in caplog.records if TOKEN in record.getMessage()]
    assert leaking == []
    assert TOKEN not in caplog.text  # formatted records, tracebacks included


async def test_a_wrong_token_fails_login_without_showing_it(
    fake: FakeDiscord, guild: Guild, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings_for(fake, tmp_path, token=OTHER_TOKEN)
    bot = build(settings)
    with pytest.raises(discord.LoginFailure) as failure:
        async with running(bot, settings):
            pass
    assert OTHER_TOKEN not in str(failure.value)
    assert OTHER_TOKEN not in caplog.text
    assert [r.status for r in fake.requests_to("GET", r"^/users/@me$")] == [401]
    assert fake.gateway_log == []  # never got as far as the gateway


# --------------------------------------------------------------------------- two real processes


class Process:
    """A subprocess whose output goes to files, read back while it runs (no pipe can fill up)."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process, out: Path, err: Path) -> None:
        self.name = name
        self.proc = proc
        self.out = out
        self.err = err

    @classmethod
    async def start(cls, name: str, args: list[str], env: dict[str, str], cwd: Path) -> Process:
        out, err = cwd / f"{name}.out", cwd / f"{name}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, *args, env=env, cwd=cwd, stdout=stdout, stderr=stderr
            )
        return cls(name, proc, out, err)

    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")

    async def wait_for(self, pattern: str) -> re.Match[str]:
        """The first match of `pattern` in stdout + stderr, waiting for it while the process runs."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PROCESS_TIMEOUT
        while True:
            found = re.search(pattern, self.output(), re.MULTILINE)
            if found is not None:
                return found
            if self.proc.returncode is not None or loop.time() > deadline:
                state = "exited" if self.proc.returncode is not None else "timed out"
                raise AssertionError(f"{self.name} {state} before printing {pattern!r}:\n{self.output()}")
            await asyncio.sleep(0.05)

    async def stop(self, signum: int) -> int:
        self.proc.send_signal(signum)
        return await asyncio.wait_for(self.proc.wait(), PROCESS_TIMEOUT)

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


def process_env(**settings: str) -> dict[str, str]:
    """This environment minus the bot's settings, plus `settings`; the repository importable."""
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env | settings


@contextlib.asynccontextmanager
async def fake_and_bot(tmp_path: Path) -> AsyncIterator[tuple[Process, Process, str]]:
    """`python -m tests.fakediscord --port 0`, then `python -m bot run` configured from what it printed."""
    # cwd is tmp_path, so neither process reads a developer's .env.
    fake = await Process.start(
        "fake",
        ["-m", "tests.fakediscord", "--port", "0", "--guild-name", "Night Readers", "--channels", "essays"],
        process_env(),
        tmp_path,
    )
    bot: Process | None = None
    try:
        printed = {
            name: (await fake.wait_for(rf"^{name}=(\S+)$")).group(1)
            for name in ("DISCORD_TOKEN", "DISCORD_API_BASE", "DISCORD_GATEWAY_URL")
        }
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v10", printed["DISCORD_API_BASE"])
        assert "guild 'Night Readers'" in fake.output() and "#essays (text" in fake.output()
        env = process_env(**printed, DB_PATH=str(tmp_path / "db.sqlite3"), LOG_LEVEL="DEBUG")
        bot = await Process.start("bot", ["-m", "bot", "run"], env, tmp_path)
        # The fake saw the IDENTIFY; the bot got READY back.
        await fake.wait_for(r"^bot connected: marginalia \(intents \d+\)$")
        await bot.wait_for(r"has connected to Gateway")
        yield fake, bot, printed["DISCORD_TOKEN"]
    finally:
        if bot is not None:
            await bot.kill()
        await fake.kill()


async def test_bot_process_runs_against_the_standalone_fake_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    async with fake_and_bot(tmp_path) as (fake, bot, token):
        assert await bot.stop(signal.SIGINT) == 0
        await fake.wait_for(r"^bot disconnected$")
        assert await fake.stop(signal.SIGINT) == 0
        assert re.search(r"^fake Discord stopped$", fake.output(), re.MULTILINE)

    intents = int(re.findall(r"^bot connected: marginalia \(intents (\d+)\)$", fake.output(), re.MULTILINE)[0])
    assert not intents & sum(PRIVILEGED_INTENTS.values())
    # Every request the whole bot made was implemented by the fake, and valid by Discord's API description.
    assert "FAKE FAILURE" not in fake.output()
    assert token not in bot.output()  # DEBUG logs of the whole run, stdout and stderr


async def test_bot_process_closes_cleanly_on_sigterm(tmp_path: Path) -> None:
    # SIGTERM is what `docker stop`, systemd and most supervisors send.
    async with fake_and_bot(tmp_path) as (fake, bot, token):
        assert await bot.stop(signal.SIGTERM) == 0
        await fake.wait_for(r"^bot disconnected$")
    assert token not in bot.output()
