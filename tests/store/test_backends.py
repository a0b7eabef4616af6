"""Opening a store by path or URL, and the backup and integrity check behind the Store protocol."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.errors import UserError
from bot.operations import backup_database
from bot.store import BackupCheckError, SQLiteStore, Store, StoreError, open_store
from bot.store.backends import sqlite_path


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ("data/marginalia.sqlite3", "data/marginalia.sqlite3"),
        ("/srv/bot/marginalia.sqlite3", "/srv/bot/marginalia.sqlite3"),
        ("sqlite:///data/marginalia.sqlite3", "data/marginalia.sqlite3"),
        ("sqlite:////srv/bot/marginalia.sqlite3", "/srv/bot/marginalia.sqlite3"),
        ("SQLITE:///my%20blog.sqlite3", "my blog.sqlite3"),
        (Path("data/marginalia.sqlite3"), "data/marginalia.sqlite3"),
    ],
)
def test_a_path_or_a_sqlite_url_names_the_sqlite_file(target: str | Path, path: str) -> None:
    assert sqlite_path(target) == path


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("mysql://bot@db.example/marginalia", "no store for mysql://"),
        ("sqlite://db.example/marginalia.sqlite3", "names a file, not a host"),
        ("sqlite:///", "no database file"),
    ],
)
async def test_a_url_naming_no_sqlite_file_is_refused(target: str, says: str) -> None:
    with pytest.raises(StoreError, match=says):
        await open_store(target)


async def test_open_store_opens_the_sqlite_backend_at_the_url(tmp_path: Path) -> None:
    path = tmp_path / "by-url.sqlite3"
    async with await open_store(f"sqlite:///{path}") as store:
        assert isinstance(store, SQLiteStore)
        await store.add_feed("https://blog.example/feed")
    async with await open_store(path) as store:
        assert [feed.url for feed in await store.list_feeds()] == ["https://blog.example/feed"]


async def test_a_backup_is_a_sound_copy_and_the_live_database_checks_sound(store: Store, tmp_path: Path) -> None:
    await store.add_feed("https://blog.example/feed")
    target = tmp_path / "copy.sqlite3"
    await store.backup(target)
    assert await store.integrity_check() == []
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT url FROM feeds").fetchall() == [("https://blog.example/feed",)]
    assert not target.with_name("copy.sqlite3.partial").exists()


async def test_a_copy_failing_its_check_is_removed_and_said(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = ["row 7 missing from index essays_key"]
    monkeypatch.setattr("bot.store.base._file_integrity_problems", lambda path: found)
    target = tmp_path / "copy.sqlite3"
    with pytest.raises(BackupCheckError) as raised:
        await store.backup(target)
    assert raised.value.problem == found[0]
    with pytest.raises(UserError, match="failed its integrity check \\(row 7 missing from index essays_key\\)"):
        await backup_database(store, target)
    assert not target.exists()
    assert not target.with_name("copy.sqlite3.partial").exists()
