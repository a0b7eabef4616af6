"""Run the fake Discord by hand: ``python -m tests.fakediscord [--port 8787] [--channels ...]``.

It serves one seeded guild on 127.0.0.1 until Ctrl-C (or SIGTERM) and prints the settings that point
the bot at it, so ``python -m bot run`` can be tried without a real Discord application.  While it
runs it prints one line per notable event: the bot identifying, resuming or disconnecting, a request
with the wrong token, and anything the fake could not handle (an unimplemented endpoint, a spec
violation), which is what a developer trying a new feature by hand needs to see.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import re
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web

from tests.fakediscord.demo_feed import FEED_PATH, demo_feed
from tests.fakediscord.scenario import KINDS, FakeDiscord
from tests.fakediscord.server import RecordedRequest

HOST = "127.0.0.1"  # never reachable from another machine
DEFAULT_PORT = 8787
# bot/config.py checks the token's shape (three dot-separated parts), so the default is shaped like one.
DEFAULT_TOKEN = "ZmFrZQ.ZmFrZQ.ZmFrZS10b2tlbg"
DEFAULT_CHANNELS = "essays:text,news:announcement,discuss:forum"


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    kind: str


def parse_channels(raw: str) -> list[ChannelSpec]:
    """``name[:kind],...`` with kind text (the default), announcement or forum."""
    specs: list[ChannelSpec] = []
    for item in raw.split(","):
        name, _, kind = item.strip().partition(":")
        kind = kind.strip() or "text"
        if not name.strip():
            raise argparse.ArgumentTypeError(f"empty channel name in {raw!r}")
        if kind not in KINDS:
            raise argparse.ArgumentTypeError(
                f"channel kind must be one of {', '.join(KINDS)}, got {kind!r} in {item!r}"
            )
        specs.append(ChannelSpec(name.strip(), kind))
    return specs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakediscord",
        description="Serve a local fake Discord on 127.0.0.1 and print the settings for the bot.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)"
    )
    parser.add_argument("--guild-name", default="Essay Club", help="name of the seeded guild")
    parser.add_argument(
        "--channels",
        type=parse_channels,
        default=parse_channels(DEFAULT_CHANNELS),
        metavar="NAME:KIND,...",
        help=f"channels of the guild; KIND is text, announcement or forum (default {DEFAULT_CHANNELS})",
    )
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the bot token the fake accepts")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every REST request too")
    return parser


def say(line: str) -> None:
    # Flushed at once: a test (or a terminal behind a pipe) reads these lines while the server runs.
    print(line, flush=True)


def seed(fake: FakeDiscord, guild_name: str, channels: Sequence[ChannelSpec]) -> str:
    """Create the guild and its channels; return a one-line description of them."""
    guild = fake.add_guild(guild_name)
    made = [fake.add_channel(guild, spec.name, kind=spec.kind) for spec in channels]
    listed = ", ".join(f"#{c.name} ({spec.kind}, id {c.id})" for c, spec in zip(made, channels, strict=True))
    return f"guild {guild.name!r} id {guild.id}: {listed}"


async def serve(fake: FakeDiscord, port: int) -> web.AppRunner:
    """Like FakeDiscord.serve, but on a chosen port (FakeDiscord.serve always picks a free one)."""
    feed = demo_feed()

    async def serve_feed(request: web.Request) -> web.Response:
        return web.Response(text=feed, content_type="application/atom+xml")

    app = fake.make_app(extra_routes=[web.get(FEED_PATH, serve_feed)])
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, HOST, port).start()
    fake.port = int(runner.addresses[0][1])
    return runner


def _snapshot(fake: FakeDiscord) -> tuple[int, ...]:
    return (
        len(fake.gateway_log),
        sum(1 for g in fake.gateway_log if g.op),
        sum(1 for r in fake.requests if r.status),
        len(fake.failures),
        len(fake.connections),
    )


def _changed(fake: FakeDiscord, since: tuple[int, ...]) -> bool:
    return _snapshot(fake) != since


async def report(fake: FakeDiscord, *, verbose: bool) -> None:
    """Print what happens on the fake, as it happens, until cancelled."""
    seen = _snapshot(fake)
    gateway_done = requests_done = failures_done = identifies = 0
    connected = 0
    while True:
        with contextlib.suppress(TimeoutError):
            await fake.wait_until(functools.partial(_changed, fake, seen), timeout=3600.0, what="activity")
        seen = _snapshot(fake)
        for connect in fake.gateway_log[gateway_done:]:
            if not connect.op and connect is fake.gateway_log[-1]:
                break  # opened but not identified yet; picked up on the next change
            gateway_done += 1
            if connect.op == "identify":
                # The n-th IDENTIFY logged is the n-th payload recorded.
                payload = fake.identify_payloads[identifies]
                identifies += 1
                if payload.get("token") != fake.token:
                    say("bot refused: IDENTIFY with the wrong token (set DISCORD_TOKEN as printed above)")
                else:
                    say(f"bot connected: {fake.bot.username} (intents {int(payload.get('intents', 0))})")
            elif connect.resumed:
                say(f"bot resumed: {fake.bot.username}")
        for request in fake.requests[requests_done:]:
            if request.status == 0:
                break  # still being answered
            requests_done += 1
            if request.status == 401:
                say(f"refused {request.method} {request.path}: wrong token (set DISCORD_TOKEN as printed above)")
            elif verbose:
                say(f"{request.method} {request.path} -> {request.status}")
            elif (posted := describe_post(fake, request)) is not None:
                say(posted)
        for failure in fake.failures[failures_done:]:
            say(f"FAKE FAILURE: {failure}")
        failures_done = len(fake.failures)
        if connected and not fake.connections:
            say("bot disconnected")
        connected = len(fake.connections)


_POST_RE = re.compile(r"/channels/(\d+)/(messages|threads|messages/\d+/threads)$")


def describe_post(fake: FakeDiscord, request: RecordedRequest) -> str | None:
    """One line for a message or thread the bot created, so a newcomer sees what was posted where."""
    match = _POST_RE.search(request.path)
    if request.method != "POST" or match is None or not 200 <= request.status < 300 or not request.json:
        return None
    channel = fake.find_channel(int(match[1]))
    where = f"#{channel.name}" if channel is not None else f"channel {match[1]}"
    body = request.json.get("message", request.json) if match[2] == "threads" else request.json
    if match[2] != "messages":
        return f"thread opened in {where}: {request.json.get('name', '')}"
    embeds = body.get("embeds") or [{}]
    text = body.get("content") or embeds[0].get("title") or embeds[0].get("description") or ""
    return f"posted in {where}: {' '.join(str(text).split())[:80]}"


async def run(args: argparse.Namespace) -> None:
    fake = FakeDiscord(token=args.token)
    description = seed(fake, args.guild_name, args.channels)
    runner = await serve(fake, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows: Ctrl-C still raises
            loop.add_signal_handler(signum, stop.set)
    say(f"fake Discord listening on http://{HOST}:{fake.port} (Ctrl-C to stop)")
    say(description)
    say("point the bot at it with these settings (environment or .env):")
    say(f"DISCORD_TOKEN={fake.token}")
    say(f"DISCORD_API_BASE={fake.api_base}")
    say(f"DISCORD_GATEWAY_URL={fake.gateway_url}")
    say(f"a feed of the sample essays to follow: http://{HOST}:{fake.port}{FEED_PATH} (needs ALLOW_PRIVATE_FEEDS=true)")
    reporter = asyncio.create_task(report(fake, verbose=args.verbose))
    try:
        await stop.wait()
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
        for conn in list(fake.connections):
            await conn.ws.close(code=1001)  # "going away": the bot may reconnect to the next run
        await runner.cleanup()
        say("fake Discord stopped")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # e.g. the port is taken
        print(f"fake Discord could not start: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
