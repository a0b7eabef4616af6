"""The command line's moderator commands (feeds, destinations, backup) and that the others still work.

Most tests call ``bot.cli.main`` in-process (in a worker thread, since it runs its own event loop while
the test's feed server runs on this one); two run ``python -m bot`` as a real process.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import VARIABLES
from bot.store import open_store
from bot.store.postgres.maintenance import find_client_program
from tests.fetch_server import FetchServer
from tests.moderation_data import ESSAYS, serve_blog

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
GUILD = "111000000000000001"
CHANNEL = "222000000000000001"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An existing database named by DB_PATH, in a directory without a .env file."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("DB_PATH", str(path))
    monkeypatch.setenv("ALLOW_PRIVATE_FEEDS", "true")

    async def create() -> None:
        await (await open_store(path)).close()

    asyncio.run(create())
    return path


@pytest.fixture
async def server() -> AsyncIterator[FetchServer]:
    async with FetchServer() as started:
        serve_blog(started)
        yield started


async def run(args: Sequence[str]) -> int:
    """``python -m bot ARGS`` in this process; main() runs its own event loop, so off this one."""
    return await asyncio.to_thread(main, list(args))


def out_json(capsys: pytest.CaptureFixture[str]) -> dict[str, list[dict[str, object]]]:
    return dict(json.loads(capsys.readouterr().out))


# --- feeds --------------------------------------------------------------------------------------


async def test_feeds_add_list_pause_resume_remove(
    db: Path, server: FetchServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.url("/feed.xml")
    assert await run(["feeds", "add", url, "--guild", GUILD]) == 0
    assert capsys.readouterr().out == f"following: #1 Notes from the Quay, {len(ESSAYS)} entries in the feed\n"

    assert await run(["feeds", "list", "--guild", GUILD, "--json"]) == 0
    [feed] = out_json(capsys)["feeds"]
    assert (feed["id"], feed["url"], feed["paused"], feed["consecutive_failures"]) == (1, url, False, 0)

    assert await run(["feeds", "pause", url]) == 0
    assert capsys.readouterr().out == "paused: #1 Notes from the Quay\n"
    assert await run(["feeds", "list"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("#1 Notes from the Quay (paused)\n") and "last poll never" in listed
    assert await run(["feeds", "resume", "1"]) == 0
    assert capsys.readouterr().out == "resumed: #1 Notes from the Quay\n"

    assert await run(["feeds", "remove", "1", "--guild", GUILD]) == 0
    assert capsys.readouterr().out == f"server {GUILD} no longer follows: #1 Notes from the Quay\n"
    assert await run(["feeds", "list", "--json"]) == 0
    assert out_json(capsys) == {"feeds": []}


async def test_feeds_add_of_a_page_stores_nothing(
    db: Path, server: FetchServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run(["feeds", "add", server.url("/about"), "--guild", GUILD]) == 1
    assert "error: That address is not a feed" in capsys.readouterr().err
    assert await run(["feeds", "list", "--json"]) == 0
    assert out_json(capsys) == {"feeds": []}


async def test_feeds_add_refuses_a_private_address_unless_allowed(
    db: Path, server: FetchServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOW_PRIVATE_FEEDS", "false")
    assert await run(["feeds", "add", server.url("/feed.xml"), "--guild", GUILD]) == 1
    assert "refused: 127.0.0.1 is a loopback address" in capsys.readouterr().err
    assert server.requests == []
    # --no-check stores it without fetching; the poller's own guard still applies later.
    assert await run(["feeds", "add", server.url("/feed.xml"), "--guild", GUILD, "--no-check"]) == 0
    assert capsys.readouterr().out == f"following: #1 {server.url('/feed.xml')} (not checked)\n"
    assert server.requests == []


async def test_feeds_remove_of_an_unknown_feed_fails_clearly(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run(["feeds", "remove", "https://nowhere.example/feed"]) == 1
    assert "No feed is stored matches `https://nowhere.example/feed`" in capsys.readouterr().err


# --- destinations -------------------------------------------------------------------------------


async def test_destinations_add_list_remove(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run(["feeds", "add", "https://blog.example/feed", "--guild", GUILD, "--no-check"]) == 0
    capsys.readouterr()
    args = ["destinations", "add", "--guild", GUILD, "--channel", CHANNEL, "--kind", "forum"]
    options = ["--archive", "1440", "--slowmode", "60", "--tags", "5,6", "--role", "333", "--feed", "1"]
    assert await run(args + options) == 0
    assert capsys.readouterr().out == (
        f"channel {CHANNEL}: forum, archive 1 day, slowmode 60s, 2 tag(s), mentions 333, "
        "only https://blog.example/feed\n"
    )
    assert await run(["destinations", "list", "--json"]) == 0
    [row] = out_json(capsys)["destinations"]
    assert row["guild_id"] == int(GUILD) and row["channel_id"] == int(CHANNEL)
    assert (row["kind"], row["forum_tags"], row["feed_id"], row["stopped_reason"]) == ("forum", [5, 6], 1, None)

    assert await run(["destinations", "list", "--guild", GUILD]) == 0
    assert capsys.readouterr().out.startswith(f"server {GUILD} channel {CHANNEL}: forum")
    assert await run(["destinations", "remove", "--guild", GUILD, "--channel", CHANNEL]) == 0
    assert capsys.readouterr().out == f"removed: channel {CHANNEL} of server {GUILD}\n"
    assert await run(["destinations", "remove", "--guild", GUILD, "--channel", CHANNEL]) == 1
    assert "That channel is not a destination" in capsys.readouterr().err
    assert await run(["destinations", "list", "--json"]) == 0
    assert out_json(capsys) == {"destinations": []}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--archive", "30"], "archive duration must be one of"),
        (["--slowmode", "99999"], "Slowmode must be between 0 and 21600"),
        (["--tags", "7,x"], "`x` is not a tag id"),
        (["--tags", "7"], "Forum tags only apply to forum channels"),
        (["--role", GUILD], "never mentions @everyone"),
        (["--feed", "9"], "No feed this server follows matches `9`"),
    ],
)
async def test_bad_destination_options_fail_clearly_and_store_nothing(
    db: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    args = ["destinations", "add", "--guild", GUILD, "--channel", CHANNEL, "--kind", "text", *options]
    assert await run(args) == 1
    assert message in capsys.readouterr().err
    assert await run(["destinations", "list", "--json"]) == 0
    assert out_json(capsys) == {"destinations": []}


def test_destination_kind_must_be_known_and_help_says_discord_is_not_checked(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["destinations", "add", "--guild", GUILD, "--channel", CHANNEL, "--kind", "voice"])
    assert raised.value.code == 2
    assert "invalid choice: 'voice'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["destinations", "add", "--help"])
    assert "cannot see Discord" in " ".join(capsys.readouterr().out.split())


def test_moderator_commands_refuse_a_database_that_does_not_exist(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo.sqlite3"
    assert main(["feeds", "list", "--db", str(missing)]) == 1
    assert f"no database at {missing}" in capsys.readouterr().err
    assert not missing.exists()


# --- backup -------------------------------------------------------------------------------------


def test_backup_writes_a_checked_copy_and_refuses_to_overwrite(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["feeds", "add", "https://blog.example/feed", "--guild", GUILD, "--no-check"]) == 0
    target = tmp_path / "backup.sqlite3"
    assert main(["backup", str(target)]) == 0
    assert capsys.readouterr().out.endswith(f"backed up {db} to {target} (integrity check ok)\n")
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT url FROM feeds").fetchall() == [("https://blog.example/feed",)]
    finally:
        copy.close()

    before = target.read_bytes()
    assert main(["backup", str(target)]) == 1
    assert "already exists; choose another path or add --force" in capsys.readouterr().err
    assert target.read_bytes() == before
    assert main(["backup", str(target), "--force"]) == 0


async def test_database_url_points_the_commands_at_postgresql(
    db: Path, pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_url)  # wins over the DB_PATH the fixture set
    assert await run(["feeds", "add", "https://blog.example/feed", "--guild", GUILD, "--no-check"]) == 0
    capsys.readouterr()
    assert await run(["feeds", "list", "--json"]) == 0
    assert [feed["url"] for feed in out_json(capsys)["feeds"]] == ["https://blog.example/feed"]
    async with await open_store(db) as sqlite:
        assert await sqlite.list_feeds() == []
    if find_client_program("pg_dump") and find_client_program("pg_restore"):
        target = tmp_path / "backup.dump"
        assert await run(["backup", str(target)]) == 0
        assert capsys.readouterr().out.endswith(f"backed up {pg_url} to {target} (integrity check ok)\n")


# --- the commands that were there before --------------------------------------------------------


def test_preview_and_ingest_still_work(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = str(FIXTURES / "posts" / "2021-04-12-the-levy-question.md")
    assert main(["preview", source, "--json"]) == 0
    [essay] = json.loads(capsys.readouterr().out)["essays"]
    assert essay["title"] and essay["sections"]
    assert main(["ingest", source]) == 0
    assert capsys.readouterr().out == "1 new, 0 revised, 0 unchanged\n"
    assert main(["quote", "--json"]) == 0
    assert "results" in json.loads(capsys.readouterr().out)


# --- real processes -----------------------------------------------------------------------------


def python_m_bot(args: Sequence[str], cwd: Path, db: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in VARIABLES}
    env |= {"PYTHONPATH": str(REPO_ROOT), "DB_PATH": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_python_m_bot_feeds_and_destinations_in_a_real_process(db: Path, tmp_path: Path) -> None:
    added = python_m_bot(["feeds", "add", "https://blog.example/feed", "--guild", GUILD, "--no-check"], tmp_path, db)
    assert added.returncode == 0, added.stderr
    dest = python_m_bot(["destinations", "add", "--guild", GUILD, "--channel", CHANNEL, "--kind", "text"], tmp_path, db)
    assert dest.returncode == 0, dest.stderr
    listed = python_m_bot(["feeds", "list", "--json", "--guild", GUILD], tmp_path, db)
    assert listed.returncode == 0, listed.stderr
    assert [f["url"] for f in json.loads(listed.stdout)["feeds"]] == ["https://blog.example/feed"]
    helped = python_m_bot(["--help"], tmp_path, db)
    for command in ("feeds", "destinations", "backup", "preview", "ingest", "run"):
        assert command in helped.stdout


def test_python_m_bot_backup_in_a_real_process(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "nightly.sqlite3"
    done = python_m_bot(["backup", str(target)], tmp_path, db)
    assert done.returncode == 0, done.stderr
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        copy.close()
    again = python_m_bot(["backup", str(target)], tmp_path, db)
    assert again.returncode == 1
    assert "--force" in again.stderr
