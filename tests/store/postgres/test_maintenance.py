"""Backup (pg_dump), integrity check and checkpoint of the PostgreSQL store, on the throwaway server."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from bot.errors import UserError
from bot.operations import backup_database
from bot.store import BackupCheckError, StoreError
from bot.store.postgres import PostgresStore
from bot.store.postgres.maintenance import archive_problems, client_address, find_client_program
from tests.pg_server import fresh_database

needs_client = pytest.mark.skipif(
    find_client_program("pg_dump") is None or find_client_program("pg_restore") is None,
    reason="pg_dump and pg_restore (PostgreSQL's client programs) are not installed",
)


@needs_client
async def test_a_backup_restores_into_an_empty_database(
    pg_store: PostgresStore, pg_admin_url: str, tmp_path: Path
) -> None:
    await pg_store.add_feed("https://blog.example/feed", guild_id=5)
    await pg_store.set_digest_schedule(5, 50, next_run_at=await _server_now(pg_store))
    target = tmp_path / "marginalia.dump"
    assert await backup_database(pg_store, target) == target
    assert not target.with_name("marginalia.dump.partial").exists()
    pg_restore = find_client_program("pg_restore")
    assert pg_restore is not None
    async with fresh_database(pg_admin_url) as copy_url:
        address, env = client_address(copy_url)
        restored = await _restore(pg_restore, target, address, env)
        assert restored == 0
        async with await PostgresStore.open(copy_url) as copy:
            assert [f.url for f in await copy.list_feeds(guild_id=5)] == ["https://blog.example/feed"]
            assert await copy.digest_schedule(5) == await pg_store.digest_schedule(5)
            assert await copy.integrity_check() == []
    with pytest.raises(UserError, match="--force"):
        await backup_database(pg_store, target)


@needs_client
async def test_a_truncated_archive_fails_the_check(pg_store: PostgresStore, tmp_path: Path) -> None:
    await pg_store.add_feed("https://blog.example/feed")
    whole = tmp_path / "whole.dump"
    await pg_store.backup(whole)
    pg_restore = find_client_program("pg_restore")
    assert pg_restore is not None
    assert await archive_problems(whole, pg_restore) == []
    cut = tmp_path / "cut.dump"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    problems = await archive_problems(cut, pg_restore)
    assert problems and problems[0].startswith("pg_restore cannot read")


@needs_client
async def test_a_copy_failing_its_check_is_removed_and_said(
    pg_store: PostgresStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[Path] = []

    async def broken(path: Path, pg_restore: Path) -> list[str]:
        checked.append(path)
        return ["block 3 unreadable"]

    monkeypatch.setattr("bot.store.postgres.maintenance.archive_problems", broken)
    target = tmp_path / "copy.dump"
    with pytest.raises(BackupCheckError, match="block 3 unreadable"):
        await pg_store.backup(target)
    assert checked == [target.with_name("copy.dump.partial")]
    assert not target.exists()
    assert not checked[0].exists()


async def test_without_pg_dump_the_backup_says_what_to_install(
    pg_store: PostgresStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.store.postgres.maintenance.find_client_program", lambda name: None)
    with pytest.raises(StoreError, match="needs the pg_dump and pg_restore programs"):
        await pg_store.backup(tmp_path / "copy.dump")
    assert not (tmp_path / "copy.dump.partial").exists()


async def test_the_integrity_check_finds_a_wrong_schema_and_an_invalid_index(
    pg_store: PostgresStore, pg_url: str
) -> None:
    db = await asyncpg.connect(pg_url)
    try:
        await db.execute("CREATE EXTENSION amcheck")
        await pg_store.add_feed("https://blog.example/feed")
        # Sound, with every B-tree index checked against its table by amcheck.
        assert await pg_store.integrity_check() == []
        await db.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'essays_url'::regclass")
        await db.execute("INSERT INTO schema_migrations(version, name) VALUES (999, '0999_future.sql')")
        problems = await pg_store.integrity_check()
    finally:
        await db.close()
    assert len(problems) == 2
    assert problems[0].startswith("the schema is at version 999")
    assert problems[1] == "index essays_url is invalid (rebuild it with REINDEX)"


async def test_a_checkpoint_runs_for_a_role_allowed_to(pg_store: PostgresStore) -> None:
    before = await pg_store._value("SELECT checkpoint_lsn FROM pg_control_checkpoint()")
    await pg_store.add_feed("https://blog.example/feed")
    await pg_store.checkpoint()
    assert await pg_store._value("SELECT checkpoint_lsn FROM pg_control_checkpoint()") > before


@pytest.mark.parametrize(
    ("url", "address", "password"),
    [
        ("postgresql://bot:s%40cret@db.example:5432/m", "postgresql://bot@db.example:5432/m", "s@cret"),
        ("postgres://bot@db.example/m?sslmode=require", "postgres://bot@db.example/m?sslmode=require", None),
        ("postgresql://marginalia@/m?host=/tmp/sock", "postgresql://marginalia@/m?host=/tmp/sock", None),
    ],
)
def test_client_programs_get_the_password_in_their_environment_not_their_arguments(
    url: str, address: str, password: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    given, env = client_address(url)
    assert given == address
    assert env.get("PGPASSWORD") == password


async def _server_now(store: PostgresStore) -> object:
    return await store._value("SELECT date_trunc('second', now())")


async def _restore(pg_restore: Path, archive: Path, address: str, env: dict[str, str]) -> int:
    import asyncio

    process = await asyncio.create_subprocess_exec(
        str(pg_restore), "--no-owner", f"--dbname={address}", str(archive), env=env
    )
    return await process.wait()
