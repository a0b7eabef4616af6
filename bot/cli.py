"""Command-line interface: preview, ingest, related, quote, figures, activity, feeds, destinations, backup, run.

Every command prints one clear line on stderr per problem and exits non-zero
when any SOURCE failed; the good sources of the same call still go through.
The moderator commands (feeds, destinations) call the same code as the bot's
/marginalia commands, on the database the running bot uses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from bot import operations
from bot.activity import activity_json, activity_lines, essay_activity
from bot.config import ConfigError, Settings, load_settings, redact_url
from bot.errors import UserError
from bot.essays.analysis import analyse
from bot.essays.model import Analysis, Essay, Figure, Quote, Reference
from bot.fetch import Fetcher, FetchPolicy
from bot.ingest import ingest_essays
from bot.intake import IntakeError, analysis_failure_line, entry_to_essay, load_source
from bot.json_records import record
from bot.lookup import resolve_essay, search_figures, search_quotes
from bot.related import RelatedPost, describe_target, related_to_essay, related_to_text
from bot.store import EssayRef, Store, StoreError, open_store
from bot.store.backends import is_postgres_url, sqlite_path

logger = logging.getLogger(__name__)

EXIT_PROBLEM = 1
EXIT_USAGE = 2
Hit = TypeVar("Hit", Quote, Figure)
GUILD_HELP = "only what this server sees: the essays of the feeds it follows and those posted in it"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Marginalia: essays into Discord.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    preview = commands.add_parser("preview", help="show the essays a source holds, storing nothing")
    preview.add_argument("sources", nargs="+", metavar="SOURCE", help="feed or page URL, file or folder")
    preview.add_argument("--json", action="store_true", help="print JSON")

    ingest = commands.add_parser("ingest", help="store the essays of one or more sources")
    ingest.add_argument("sources", nargs="+", metavar="SOURCE")
    _db_option(ingest)

    related = commands.add_parser("related", help="earlier posts related to an essay or a topic")
    related.add_argument("target", nargs="?", metavar="TARGET", help="essay key or URL, or free text")
    related.add_argument("--all", action="store_true", help="every stored essay, one JSON line each")
    related.add_argument("--limit", type=int, default=5)
    related.add_argument("--any-time", action="store_true", help="include posts published later")
    related.add_argument("--json", action="store_true")
    related.add_argument("--guild", type=_positive_id, metavar="ID", help=GUILD_HELP)
    _db_option(related)

    quote = commands.add_parser("quote", help="quotations from the stored essays")
    quote.add_argument("query", nargs="?", metavar="QUERY")
    quote.add_argument("--speaker")
    quote.add_argument("--essay", metavar="KEY")
    quote.add_argument("--limit", type=int, default=5)
    quote.add_argument("--json", action="store_true")
    quote.add_argument("--guild", type=_positive_id, metavar="ID", help=GUILD_HELP)
    _db_option(quote)

    figures = commands.add_parser("figures", help="figures cited in the stored essays")
    figures.add_argument("query", nargs="?", metavar="QUERY")
    figures.add_argument("--essay", metavar="KEY")
    figures.add_argument("--kind")
    figures.add_argument("--limit", type=int, default=10)
    figures.add_argument("--json", action="store_true")
    figures.add_argument("--guild", type=_positive_id, metavar="ID", help=GUILD_HELP)
    _db_option(figures)

    activity = commands.add_parser(
        "activity",
        help="messages per section of an essay, in its discussion threads",
        description="Messages by members in each section's threads, distinct participants and the last message; "
        "with --guild, that server's threads only, else every server's.",
    )
    activity.add_argument("key", metavar="KEY", help="essay key, URL, or a title that names one essay")
    activity.add_argument("--guild", type=_positive_id, metavar="ID", help=GUILD_HELP)
    activity.add_argument("--png", type=Path, metavar="PATH", help="also draw the chart into this PNG file")
    activity.add_argument("--json", action="store_true")
    _db_option(activity)

    _feeds_parser(commands)
    _destinations_parser(commands)

    backup = commands.add_parser(
        "backup",
        help="copy the database safely while the bot runs",
        description="Copy the database while the bot runs (SQLite's online backup, or pg_dump for PostgreSQL), "
        "then check the copy before keeping it.",
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="the file to write")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    _db_option(backup)

    commands.add_parser("run", help="start the Discord bot")
    return parser


def _positive_id(raw: str) -> int:
    if not raw.isdigit() or int(raw) <= 0:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a Discord id (a positive number)")
    return int(raw)


def _feeds_parser(commands: Any) -> None:
    feeds = commands.add_parser("feeds", help="the feeds servers follow (add, remove, list, pause, resume)")
    actions = feeds.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="follow a feed in a server, after a test fetch")
    add.add_argument("url", metavar="URL")
    add.add_argument("--guild", type=_positive_id, required=True, metavar="ID", help="the server's id")
    add.add_argument("--no-check", action="store_true", help="store it without the test fetch")
    _db_option(add)

    remove = actions.add_parser("remove", help="unfollow a feed (with --guild), or delete it for every server")
    remove.add_argument("feed", metavar="ID|URL")
    remove.add_argument("--guild", type=_positive_id, metavar="ID")
    _db_option(remove)

    listing = actions.add_parser("list", help="feeds with their health")
    listing.add_argument("--guild", type=_positive_id, metavar="ID", help="only the feeds this server follows")
    listing.add_argument("--json", action="store_true")
    _db_option(listing)

    for name, summary in (("pause", "stop polling a feed"), ("resume", "poll a paused feed again")):
        toggle = actions.add_parser(name, help=summary)
        toggle.add_argument("feed", metavar="ID|URL")
        toggle.add_argument("--guild", type=_positive_id, metavar="ID", help="for this server only (default: for all)")
        _db_option(toggle)


def _destinations_parser(commands: Any) -> None:
    destinations = commands.add_parser("destinations", help="the channels essays are posted to (add, remove, list)")
    actions = destinations.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser(
        "add",
        help="post essays in a channel",
        description="Create or replace a channel's destination. The command line cannot see Discord: it cannot "
        "check that the channel exists, that it is of the --kind given, or that the bot may post there. "
        "/marginalia destinations set in Discord checks all three.",
    )
    add.add_argument("--guild", type=_positive_id, required=True, metavar="ID", help="the server's id")
    add.add_argument("--channel", type=_positive_id, required=True, metavar="ID", help="the channel's id")
    add.add_argument(
        "--kind", required=True, choices=operations.DESTINATION_KINDS, help="the channel's type (not verified)"
    )
    add.add_argument(
        "--archive",
        type=int,
        default=10080,
        metavar="MINUTES",
        help="thread archive time: 60, 1440, 4320 or 10080 (default)",
    )
    add.add_argument("--slowmode", type=int, default=0, metavar="S", help="seconds between messages, 0-21600")
    add.add_argument("--tags", default="", metavar="ID,ID", help="forum tag ids, at most 5")
    add.add_argument("--role", type=_positive_id, metavar="ID", help="a role to mention on each new essay")
    add.add_argument("--feed", metavar="ID|URL", help="only essays of this feed")
    _db_option(add)

    remove = actions.add_parser("remove", help="stop posting in a channel")
    remove.add_argument("--guild", type=_positive_id, required=True, metavar="ID")
    remove.add_argument("--channel", type=_positive_id, required=True, metavar="ID")
    _db_option(remove)

    listing = actions.add_parser("list", help="destinations, and any that stopped")
    listing.add_argument("--guild", type=_positive_id, metavar="ID")
    listing.add_argument("--json", action="store_true")
    _db_option(listing)


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        help="database file or postgresql:// URL (default: DATABASE_URL, else DB_PATH or data/marginalia.sqlite3)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=getattr(logging, settings.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.command == "run":
        return _run(settings)
    if getattr(args, "limit", 1) < 1:
        print("--limit must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        return asyncio.run(_dispatch(args, settings))
    except (StoreError, ConfigError, UserError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "preview":
        return await _preview(args.sources, settings, as_json=args.json)
    target: str | Path = args.db or settings.store_target
    # Named in messages without the password a DATABASE_URL may hold.
    label = redact_url(target) if isinstance(target, str) else str(target)
    if (
        args.command in ("backup", "feeds", "destinations", "activity")
        and not is_postgres_url(target)
        and not await asyncio.to_thread(Path(sqlite_path(target)).is_file)
    ):
        # Opening would create an empty database: surely not the one the bot uses.
        raise UserError(f"no database at {label}; give --db PATH or set DB_PATH to the bot's database")
    async with await open_store(target) as store:
        if args.command == "feeds":
            return await _feeds(store, args, settings)
        if args.command == "destinations":
            return await _destinations(store, args)
        if args.command == "backup":
            written = await operations.backup_database(store, args.path, force=args.force)
            print(f"backed up {label} to {written} (integrity check ok)")
            return 0
        if args.command == "ingest":
            return await _ingest(store, args.sources, settings)
        if args.command == "related":
            return await _related(store, args)
        if args.command == "quote":
            return await _quote(store, args)
        if args.command == "figures":
            return await _figures(store, args)
        if args.command == "activity":
            return await _activity(store, args)
    raise AssertionError(f"unhandled command {args.command}")


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(allow_private_addresses=settings.allow_private_feeds)


async def _essays_from(sources: Sequence[str], settings: Settings) -> tuple[list[Essay], int]:
    """Every essay of every source, and how many sources or items failed."""
    essays: list[Essay] = []
    failures = 0
    async with Fetcher(fetch_policy(settings)) as fetcher:
        for source in sources:
            try:
                loaded = await load_source(source, fetcher)
            except IntakeError as exc:
                print(f"error: {exc}", file=sys.stderr)
                failures += 1
                continue
            for problem in loaded.problems:
                print(f"error: {problem}", file=sys.stderr)
                failures += 1
            for entry in loaded.entries:
                try:
                    essays.append(entry_to_essay(entry))
                except IntakeError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    failures += 1
    return essays, failures


async def _preview(sources: Sequence[str], settings: Settings, *, as_json: bool) -> int:
    essays, failures = await _essays_from(sources, settings)
    analysed = [(essay, analyse(essay, max_sections=settings.max_sections)) for essay in essays]
    for essay, analysis in analysed:
        if analysis.failures:
            print(f"error: {analysis_failure_line(essay.title, analysis.failures)}", file=sys.stderr)
            failures += 1
    if as_json:
        print(json.dumps({"essays": [essay_json(e, a) for e, a in analysed]}, ensure_ascii=False, indent=2))
    else:
        for essay, analysis in analysed:
            print(format_essay(essay, analysis))
    return EXIT_PROBLEM if failures else 0


async def _ingest(store: Store, sources: Sequence[str], settings: Settings) -> int:
    essays, failures = await _essays_from(sources, settings)
    counts = {"new": 0, "revised": 0, "unchanged": 0}
    # A bar on a terminal for a long ingest; nothing when the output goes to a file or a pipe.
    with tqdm(total=len(essays), unit="essay", disable=not sys.stderr.isatty() or len(essays) < 50) as bar:

        def advance(done: int) -> None:
            bar.update(done - bar.n)

        outcomes = await ingest_essays(store, essays, max_sections=settings.max_sections, progress=advance)
    for essay, outcome in zip(essays, outcomes, strict=True):
        counts[outcome.status] += 1
        if outcome.analysis_failures:
            print(f"error: {analysis_failure_line(essay.title, outcome.analysis_failures)}", file=sys.stderr)
            failures += 1
    print(f"{counts['new']} new, {counts['revised']} revised, {counts['unchanged']} unchanged")
    return EXIT_PROBLEM if failures else 0


async def _related(store: Store, args: argparse.Namespace) -> int:
    if args.all:
        if not args.json:
            print("--all prints JSON lines; add --json", file=sys.stderr)
            return EXIT_USAGE
        for essay_id in await store.all_essay_ids():
            row = await store.get_essay_by_id(essay_id)
            if row is None:
                continue
            results = await related_to_essay(store, row, guild_id=None, limit=args.limit, any_time=args.any_time)
            print(json.dumps({"key": row.essay.key, "results": [related_json(r) for r in results]}, ensure_ascii=False))
        return 0
    if not args.target:
        print("give a TARGET (essay key, URL or text) or --all", file=sys.stderr)
        return EXIT_USAGE
    row = await store.find_visible_essay(args.target, guild_id=args.guild)
    target: dict[str, Any]
    if row is not None:
        results = await related_to_essay(store, row, guild_id=args.guild, limit=args.limit, any_time=args.any_time)
        target = describe_target(row.essay)
    else:
        results = await related_to_text(store, args.target, guild_id=args.guild, limit=args.limit)
        target = {"query": args.target[:200]}
    if args.json:
        print(
            json.dumps(
                {"target": target, "results": [related_json(r) for r in results]},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        if not results:
            print("No related posts found.")
        for result in results:
            when = result.published.isoformat() if result.published else "undated"
            print(f"{result.title} ({when}) {result.url or result.key}")
            for reason in result.reasons:
                print(f"    - {reason}")
    return 0


async def _quote(store: Store, args: argparse.Namespace) -> int:
    found = await search_quotes(
        store, args.query, guild_id=args.guild, speaker=args.speaker, essay_key=args.essay, limit=args.limit
    )
    return _print_hits(found, as_json=args.json, noun="quotes", as_record=quote_json, lines=quote_lines)


async def _figures(store: Store, args: argparse.Namespace) -> int:
    found = await search_figures(
        store, args.query, guild_id=args.guild, essay_key=args.essay, kind=args.kind, limit=args.limit
    )
    return _print_hits(found, as_json=args.json, noun="figures", as_record=figure_json, lines=figure_lines)


def _print_hits(
    found: Sequence[tuple[Hit, EssayRef]],
    *,
    as_json: bool,
    noun: str,
    as_record: Callable[[Hit], dict[str, Any]],
    lines: Callable[[Hit, EssayRef], list[str]],
) -> int:
    """What ``quote`` and ``figures`` print: each match with its essay, as lines or as JSON."""
    if as_json:
        results = [{**as_record(hit), "essay": ref_json(essay)} for hit, essay in found]
        print(json.dumps({"results": results}, ensure_ascii=False, indent=2))
        return 0
    if not found:
        print(f"No {noun} found.")
    for hit, essay in found:
        print("\n".join(lines(hit, essay)))
    return 0


def quote_lines(quote: Quote, essay: EssayRef) -> list[str]:
    return [f"“{quote.text}” — {quote.speaker or 'unattributed'} ({essay.title}, section {quote.section})"]


def figure_lines(figure: Figure, essay: EssayRef) -> list[str]:
    subject = f" — {figure.subject}" if figure.subject else ""
    return [f"{figure.text}{subject} ({figure.kind}; {essay.title}, section {figure.section})", f"    {figure.context}"]


async def _activity(store: Store, args: argparse.Namespace) -> int:
    row = await resolve_essay(store, args.key, guild_id=args.guild)
    report = await essay_activity(store, row, guild_id=args.guild)
    if args.png is not None:
        from bot.activity_chart import render_activity_chart  # matplotlib loads only when a chart is drawn

        png = await asyncio.to_thread(render_activity_chart, report)
        await asyncio.to_thread(args.png.write_bytes, png)
    if args.json:
        print(json.dumps(activity_json(report), ensure_ascii=False, indent=2))
    else:
        print("\n".join(activity_lines(report)))
        if args.png is not None:
            print(f"chart: {args.png}")
    return 0


async def _feeds(store: Store, args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "add":
        async with Fetcher(fetch_policy(settings)) as fetcher:
            added = await operations.add_feed(store, fetcher, args.url, guild_id=args.guild, check=not args.no_check)
        found = f", {added.check.entries} entries in the feed" if added.check else " (not checked)"
        already = "already followed" if added.already_followed else "following"
        print(f"{already}: #{added.feed.id} {operations.feed_name(added.feed)}{found}")
        return 0
    if args.action == "remove":
        removed = await operations.remove_feed(store, args.feed, guild_id=args.guild)
        where = f"server {args.guild} no longer follows" if args.guild else "deleted"
        print(f"{where}: #{removed.id} {operations.feed_name(removed)}")
        return 0
    if args.action in ("pause", "resume"):
        changed = await operations.set_feed_paused(store, args.feed, args.action == "pause", guild_id=args.guild)
        print(f"{'paused' if changed.paused else 'resumed'}: #{changed.id} {operations.feed_name(changed)}")
        return 0
    feeds = await store.list_feeds(guild_id=args.guild)
    if args.json:
        print(json.dumps({"feeds": [operations.feed_json(f) for f in feeds]}, ensure_ascii=False, indent=2))
    elif not feeds:
        print("No feeds.")
    else:
        for feed in feeds:
            print(operations.describe_feed(feed))
    return 0


async def _destinations(store: Store, args: argparse.Namespace) -> int:
    if args.action == "add":
        options = operations.DestinationOptions(
            guild_id=args.guild,
            channel_id=args.channel,
            kind=args.kind,
            archive_minutes=args.archive,
            slowmode=args.slowmode,
            forum_tags=operations.parse_ids(args.tags, "tag"),
            role_id=args.role,
            feed=args.feed,
        )
        row = await operations.set_destination(store, options)
        feeds = {f.id: f for f in await store.list_feeds()}
        print(operations.describe_destination(row, channel=f"channel {row.channel_id}", feeds=feeds))
        return 0
    if args.action == "remove":
        await operations.remove_destination(store, args.guild, args.channel)
        print(f"removed: channel {args.channel} of server {args.guild}")
        return 0
    found = await store.list_destinations(guild_id=args.guild)
    if args.json:
        print(
            json.dumps({"destinations": [operations.destination_json(d) for d in found]}, ensure_ascii=False, indent=2)
        )
    elif not found:
        print("No destinations.")
    else:
        feeds = {f.id: f for f in await store.list_feeds()}
        for row in found:
            print(
                f"server {row.guild_id} "
                + operations.describe_destination(row, channel=f"channel {row.channel_id}", feeds=feeds)
            )
    return 0


def _run(settings: Settings) -> int:
    if settings.token is None:
        print(
            "DISCORD_TOKEN is not set. Create an application at https://discord.com/developers/applications, "
            "add a bot, copy its token into .env as DISCORD_TOKEN=..., and run again.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from bot.runner import run_bot  # imported late: only `run` needs discord.py loaded

    return run_bot(settings)


# ------------------------------------------------------------------- formats


def quote_json(quote: Quote) -> dict[str, Any]:
    return record(quote, "text", "speaker", "kind", "section")


def figure_json(figure: Figure) -> dict[str, Any]:
    return record(figure, "text", "value", "unit", "kind", "subject", "context", "section")


def reference_json(reference: Reference) -> dict[str, Any]:
    return record(reference, "text", "date", "title", "resolved_key")


def ref_json(essay: EssayRef) -> dict[str, Any]:
    return record(essay, "key", "title", "url")


def related_json(result: RelatedPost) -> dict[str, Any]:
    return record(result, "key", "title", "url", "published", "score", "reasons")


def essay_json(essay: Essay, analysis: Analysis) -> dict[str, Any]:
    return {
        **record(essay, "key", "title", "url", "author", "published", "labels", "word_count"),
        "sections": [record(s, "index", "title", "text", "word_count") for s in analysis.sections],
        "quotes": [quote_json(q) for q in analysis.quotes],
        "figures": [figure_json(f) for f in analysis.figures],
        "references": [reference_json(r) for r in analysis.references],
    }


def format_essay(essay: Essay, analysis: Analysis) -> str:
    when = essay.published.date().isoformat() if essay.published else "undated"
    lines = [f"{essay.title}", f"  {when} · {essay.word_count} words · {essay.url or essay.source}"]
    if essay.labels:
        lines.append("  labels: " + ", ".join(essay.labels))
    for section in analysis.sections:
        lines.append(f"  §{section.index} {section.title} ({section.word_count} words)")
    lines.append(
        f"  {len(analysis.quotes)} quotes, {len(analysis.figures)} figures, "
        f"{len(analysis.references)} references to earlier posts"
    )
    return "\n".join(lines) + "\n"
