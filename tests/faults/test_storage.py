"""Storage faults: a writer killed mid-write, a full disk, and a backup taken while a writer runs.

The killed writer and the backup run as real processes (``python -c`` and ``python -m bot``)
on a real SQLite file in WAL mode; the full disk is SQLite's own SQLITE_FULL, provoked with
``PRAGMA max_page_count`` on the store's connection.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.essays.analysis import analyse
from bot.essays.model import Block, Essay
from bot.fetch import Fetcher, FetchPolicy
from bot.intake import store_essay
from bot.poller import PollSettings, poll_due_feeds
from bot.store import Store, StoreError, open_store
from bot.store.packing import unpack
from tests.faults.badfeeds import ATOM, KNOWN, NEW, atom, good
from tests.fetch_server import FetchServer, Route

pytestmark = pytest.mark.faults

REPO_ROOT = Path(__file__).resolve().parents[2]
KILLS = 10
SEED = 20250501
FULL = "the disk holding the database is full; free some space and try again"
NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)

# The writer: opens the store and saves generated essays (new ones and revisions) until it is
# killed, cleaning and analysing them as bot.intake does (without importing the page and feed
# parsers, which would double its start-up time). It says "writing" once its first essay is committed.
WRITER = r"""
import asyncio, random, sys
from bot.essays.analysis import analyse
from bot.essays.cleaning import clean_html
from bot.essays.model import Essay
from bot.store import open_store

PLACES = ("harbour", "library", "ferry pier", "school", "water works", "market hall", "bus depot")
PEOPLE = ("Ada Lund", "Tomas Berg", "Ines Varga", "Olu Mensah", "Rhea Costa")
SENTENCES = (
    "The board set aside ${a},{b}00 for the {place} this year, about {p}% more than it planned.",
    "\u201cWe cannot keep patching the {place},\u201d said {person}, who has chaired the committee since 19{y}.",
    "Nobody at the meeting asked what the {place} would cost in {y} years, which is the question that matters.",
    "More than {a} residents signed the petition about the {place} before the vote on {day} March.",
    "The minutes record that {person} asked twice for the survey of the {place} and was told it was not ready.",
)


def html(rng, number):
    parts = []
    for index in range(rng.randrange(3, 10)):
        if index and rng.random() < 0.3:
            parts.append(f"<h2>Part {index}: the {rng.choice(PLACES)}</h2>")
        words = [
            rng.choice(SENTENCES).format(
                a=rng.randrange(2, 99), b=rng.randrange(10, 99), p=rng.randrange(2, 60),
                place=rng.choice(PLACES), person=rng.choice(PEOPLE), y=rng.randrange(10, 99),
                day=rng.randrange(1, 28),
            )
            for _ in range(rng.randrange(2, 6))
        ]
        parts.append(f"<p>{' '.join(words)} (Draft {number}.)</p>")
    return "".join(parts)


async def main(path, seed):
    rng = random.Random(seed)
    store = await open_store(path)
    number = 0
    while True:
        key = rng.randrange(120)  # a key seen before makes a revision
        title = f"Notes on the town, {key}"
        essay = Essay(key=f"gen:{key}", title=title, blocks=clean_html(html(rng, number), title=title),
                      source="writer")
        await store.save_essay(essay, analyse(essay))
        number += 1
        if number == 1:
            print("writing", flush=True)


asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DB_PATH", "DISCORD_TOKEN", "PYTHONSTARTUP")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


def start_writer(db: Path, seed: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(seed)],
        cwd=db.parent,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_until_writing(writer: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    assert writer.stdout is not None
    ready, _, _ = select.select([writer.stdout], [], [], timeout)
    line = writer.stdout.readline() if ready else b""
    if line.strip() != b"writing":
        writer.kill()
        _, err = writer.communicate(timeout=10)
        pytest.fail(f"the writer did not start writing: {err.decode(errors='replace')[-2000:]}")


def kill(writer: subprocess.Popen[bytes]) -> None:
    if writer.poll() is None:
        writer.send_signal(signal.SIGKILL)
    writer.communicate(timeout=10)


def consistency_problems(path: Path) -> list[str]:
    """Everything that would show a half-written essay or a damaged file; empty when all is well."""
    connection = sqlite3.connect(path)
    try:
        problems = [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
        if problems == ["ok"]:
            problems = []
        problems += [f"foreign key: {row}" for row in connection.execute("PRAGMA foreign_key_check")]
        essays = {
            int(row[0]): (len(json.loads(unpack(row[1]))) if row[1] is not None else -1, int(row[2]))
            for row in connection.execute(
                "SELECT e.id, b.blocks, e.word_count FROM essays e LEFT JOIN essay_bodies b ON b.essay_id = e.id"
            )
        }
        problems += [f"essay {essay_id} has no body" for essay_id, (count, _) in essays.items() if count < 0]
        sections: dict[int, list[tuple[int, int, int]]] = {}
        for essay_id, start, end, words in connection.execute(
            "SELECT essay_id, start_block, end_block, word_count FROM sections ORDER BY essay_id, idx"
        ):
            sections.setdefault(int(essay_id), []).append((int(start), int(end), int(words)))
        for essay_id, (block_count, word_count) in essays.items():
            spans = sections.get(essay_id, [])
            if not spans:
                problems.append(f"essay {essay_id} has no sections")
                continue
            # The sections belong to this very revision: they tile its blocks and count its words.
            bounds = [0] + [end for _, end, _ in spans]
            if [start for start, _, _ in spans] != bounds[:-1] or bounds[-1] != block_count:
                problems.append(f"essay {essay_id}: sections {spans} do not tile {block_count} blocks")
            if sum(words for _, _, words in spans) != word_count:
                problems.append(f"essay {essay_id}: section words do not add up to {word_count}")
        orphans = set(sections) - set(essays)
        if orphans:
            problems.append(f"sections of missing essays {sorted(orphans)[:5]}")
        indexed = {int(row[0]) for row in connection.execute("SELECT rowid FROM essay_fts")}
        if indexed != set(essays):
            problems.append("the search index does not match the essays")
        return problems
    finally:
        connection.close()


def scalar(path: Path, sql: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute(sql).fetchone()[0])
    finally:
        connection.close()


# --- (a) killed mid-write ----------------------------------------------------------------------


def test_database_survives_sigkill_during_writes(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    record_property("fault", "storage: kill during write")
    db = tmp_path / "killed.sqlite3"
    rng = random.Random(SEED)
    counts = []
    for round_number in range(KILLS):
        writer = start_writer(db, SEED + round_number)
        try:
            wait_until_writing(writer)
            time.sleep(rng.uniform(0.0, 0.25))
        finally:
            kill(writer)
        assert writer.returncode == -signal.SIGKILL
        assert consistency_problems(db) == []
        counts.append(scalar(db, "SELECT COUNT(*) FROM essays"))

    assert counts[-1] >= KILLS  # every round committed at least one essay
    assert scalar(db, "SELECT MAX(revision) FROM essays") > 1  # revisions were interrupted too, not only inserts

    async def carry_on() -> int:
        async with await open_store(db) as store:
            essay = Essay("after:1", "Written after the crashes", (Block("paragraph", "The store still works."),))
            outcome = await store.save_essay(essay, analyse(essay))
            return outcome.essay_id

    assert asyncio.run(carry_on()) > 0
    assert consistency_problems(db) == []


def test_the_consistency_check_sees_a_half_written_essay(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    record_property("fault", "storage: kill during write")
    db = tmp_path / "damaged.sqlite3"

    async def write() -> None:
        async with await open_store(db) as store:
            for key in ("a", "b"):
                essay = long_essay(key, 600)
                await store.save_essay(essay, analyse(essay))

    asyncio.run(write())
    assert consistency_problems(db) == []
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("DELETE FROM sections WHERE essay_id = (SELECT id FROM essays WHERE key = 'a')")
        connection.execute("UPDATE essays SET word_count = word_count + 1 WHERE key = 'b'")
    connection.close()
    problems = consistency_problems(db)
    assert any("has no sections" in problem for problem in problems)
    assert any("do not add up" in problem for problem in problems)


# --- (b) a full disk ------------------------------------------------------------------------------


def long_essay(key: str, words: int) -> Essay:
    paragraph = (
        "The harbour board met again on Thursday and spent an hour on the pilot boat levy, "
        "which nobody on the board has read in full since it was written. "
    )
    blocks = tuple(Block("paragraph", f"{index}. {paragraph * 3}") for index in range(words // 90))
    return Essay(key, f"A long essay ({key})", blocks)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await open_store(tmp_path / "full.sqlite3") as opened:
        yield opened


async def fill_disk(store: Store) -> None:
    """No page may be added to the database from now on: the next growth fails with SQLITE_FULL."""
    async with store.connection.execute("PRAGMA page_count") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    await store.connection.execute(f"PRAGMA max_page_count = {int(row[0])}")


async def free_disk(store: Store) -> None:
    await store.connection.execute("PRAGMA max_page_count = 1073741823")


async def snapshot(store: Store) -> list[tuple[str, int, str]]:
    return [(row.essay.key, row.revision, row.content_hash) for row in await store.list_essays(limit=1000)]


async def test_full_disk_on_a_new_essay_is_a_clear_store_error(
    store: Store, record_property: Callable[[str, object], None]
) -> None:
    record_property("fault", "storage: full disk")
    for number in range(3):
        await store_essay(store, long_essay(f"before:{number}", 600))
    before = await snapshot(store)
    await fill_disk(store)

    with pytest.raises(StoreError) as raised:
        await store_essay(store, long_essay("too-big", 20_000))

    assert str(raised.value) == FULL
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    assert "full" in str(raised.value.__cause__)
    assert not store.connection.in_transaction
    assert await snapshot(store) == before
    assert await store.get_essay("too-big") is None
    assert await store.integrity_check() == []

    await free_disk(store)
    outcome = await store_essay(store, long_essay("too-big", 20_000))
    assert outcome.status == "new"
    assert await store.integrity_check() == []


async def test_full_disk_on_a_revision_keeps_the_old_revision(
    store: Store, record_property: Callable[[str, object], None]
) -> None:
    record_property("fault", "storage: full disk")
    first = await store_essay(store, long_essay("essay", 600))
    before = await store.get_essay("essay")
    assert before is not None
    await fill_disk(store)

    with pytest.raises(StoreError, match="disk holding the database is full"):
        await store_essay(store, replace(long_essay("essay", 20_000), title="A much longer revision"))

    after = await store.get_essay("essay")
    assert after is not None
    assert (after.revision, after.content_hash, after.essay.title) == (1, before.content_hash, before.essay.title)
    analysis = await store.load_analysis(first.essay_id)
    assert analysis.sections and analysis.sections[-1].end == len(after.essay.blocks)
    assert await store.integrity_check() == []


async def test_full_disk_during_a_poll_is_told_to_moderators(
    store: Store, record_property: Callable[[str, object], None]
) -> None:
    record_property("fault", "storage: full disk")
    settings = PollSettings(first_poll_posts=1)
    async with FetchServer() as server, Fetcher(FetchPolicy(allowed_networks=("127.0.0.1/32",))) as fetcher:
        for path, route in good(server).items():
            server.route(path, route)
        feed = await store.add_feed(server.url("/feed"), guild_id=7)
        await store.set_destination(guild_id=7, channel_id=8, kind="text")
        [primed] = await poll_due_feeds(store, fetcher, settings=settings, now=NOW, rng=random.Random(1))
        assert primed.ok
        pending = await store.pending_publications()
        before = await snapshot(store)

        long_new = replace(NEW, paragraphs=NEW.paragraphs * 40)
        server.route("/feed", Route(body=atom(server, [long_new, *KNOWN]), headers=ATOM))
        await fill_disk(store)
        later = NOW + timedelta(hours=2)
        [report] = await poll_due_feeds(store, fetcher, settings=settings, now=later, rng=random.Random(1))

        assert not report.ok and report.queued == 0 and report.guild_ids == [7]
        assert report.message is not None and FULL in report.message and "\n" not in report.message
        row = await store.get_feed(feed.id)
        assert row is not None and row.last_error == FULL and row.consecutive_failures == 1
        assert await snapshot(store) == before
        assert await store.pending_publications() == pending

        await free_disk(store)
        [recovered] = await poll_due_feeds(
            store, fetcher, settings=settings, now=later + timedelta(days=1), rng=random.Random(1)
        )
        assert recovered.ok and recovered.queued == 1 and len(recovered.new) == 1
        assert recovered.message is not None and "working again after 1 failure" in recovered.message


# --- (c) backup while writing ---------------------------------------------------------------------


def test_backup_command_while_a_writer_is_active(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    record_property("fault", "storage: backup while writing")
    db = tmp_path / "live.sqlite3"
    target = tmp_path / "copy.sqlite3"
    writer = start_writer(db, SEED)
    try:
        wait_until_writing(writer)
        done = subprocess.run(
            [sys.executable, "-m", "bot", "backup", str(target), "--db", str(db)],
            cwd=tmp_path,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        still_writing = writer.poll() is None
    finally:
        kill(writer)

    assert done.returncode == 0, done.stderr
    assert "integrity check ok" in done.stdout
    assert still_writing  # the backup ran beside a live writer
    assert consistency_problems(target) == []
    assert scalar(target, "SELECT COUNT(*) FROM essays") >= 1
    assert not target.with_name(target.name + ".partial").exists()
