"""Settings: defaults, one clear line per bad variable, and a token that never shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import DEFAULT_DB_PATH, ConfigError, load_settings

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_defaults() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.token is None
    assert settings.db_path == DEFAULT_DB_PATH
    assert settings.poll_interval == 900.0
    assert settings.allow_private_feeds is False
    assert settings.max_sections == 10


def test_values_from_environment_win_over_dotenv(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DB_PATH=from-dotenv.sqlite3\nPOLL_INTERVAL_SECONDS=120\n")
    settings = load_settings({"DB_PATH": "from-env.sqlite3"}, env_file=env_file)
    assert settings.db_path == Path("from-env.sqlite3")
    assert settings.poll_interval == 120.0


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("POLL_INTERVAL_SECONDS", "soon", "POLL_INTERVAL_SECONDS must be a number"),
        ("POLL_INTERVAL_SECONDS", "5", "POLL_INTERVAL_SECONDS must be at least 60"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of"),
        ("DISCORD_API_BASE", "discord.example", "DISCORD_API_BASE must be a http or https URL"),
        ("DISCORD_GATEWAY_URL", "http://127.0.0.1:1", "DISCORD_GATEWAY_URL must be a ws or wss URL"),
        ("ALLOW_PRIVATE_FEEDS", "maybe", "ALLOW_PRIVATE_FEEDS must be true or false"),
        ("MAX_SECTIONS", "0", "MAX_SECTIONS must be at least 1"),
        ("DEV_GUILD_ID", "abc", "DEV_GUILD_ID must be a whole number"),
        ("SHARD_IDS", "0", "SHARD_IDS needs SHARD_COUNT"),
        ("SHARD_COUNT", "0", "SHARD_COUNT must be at least 1"),
        ("LEASE_SECONDS", "0.5", "LEASE_SECONDS must be at least 1"),
        ("LEASE_RENEW_SECONDS", "90", "LEASE_RENEW_SECONDS must be shorter than LEASE_SECONDS"),
        ("DATABASE_URL", "mysql://bot:pw@db/m", "DATABASE_URL must be a postgresql://"),
        ("DATABASE_POOL_SIZE", "1", "DATABASE_POOL_SIZE must be at least 2"),
        ("DATABASE_POOL_SIZE", "many", "DATABASE_POOL_SIZE must be a whole number"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings({name: value}, env_file=None)


def test_token_is_never_shown() -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN}, env_file=None)
    assert settings.token is not None
    assert settings.token.reveal() == TOKEN
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.token)


def test_malformed_token_error_does_not_echo_it() -> None:
    secretish = "not-a-token-but-secret"
    with pytest.raises(ConfigError) as caught:
        load_settings({"DISCORD_TOKEN": secretish}, env_file=None)
    assert "DISCORD_TOKEN" in str(caught.value)
    assert secretish not in str(caught.value)


def test_database_url_wins_over_db_path_and_its_password_never_shows() -> None:
    url = "postgresql://bot:hunter2-secret@db.example:5432/marginalia"
    settings = load_settings({"DATABASE_URL": url, "DB_PATH": "ignored.sqlite3"}, env_file=None)
    assert settings.store_target == url
    assert settings.store_label == "postgresql://bot:********@db.example:5432/marginalia"
    assert "hunter2" not in repr(settings)
    plain = load_settings({"DB_PATH": "mine.sqlite3"}, env_file=None)
    assert plain.store_target == Path("mine.sqlite3") and plain.store_label == "mine.sqlite3"


def test_a_bad_database_url_error_does_not_echo_it() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"DATABASE_URL": "bot:hunter2@db.example/marginalia"}, env_file=None)
    assert "DATABASE_URL" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_env_example_documents_exactly_the_variables_read() -> None:
    from bot.config import VARIABLES

    example = Path(__file__).parent.parent / ".env.example"
    documented = {line.split("=", 1)[0] for line in example.read_text().splitlines() if line and line[0].isupper()}
    assert documented == set(VARIABLES)


@pytest.mark.parametrize(
    ("ids", "fragment"),
    [
        ("0,3", "SHARD_IDS must be between 0 and 2 (SHARD_COUNT is 3), got 3"),
        ("one", "SHARD_IDS must be whole numbers separated by commas"),
        ("1,1", "SHARD_IDS names shard 1 twice"),
        ("-1", "SHARD_IDS must be between 0 and 2"),
    ],
)
def test_bad_shard_ids_say_what_is_wrong(ids: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_settings({"SHARD_COUNT": "3", "SHARD_IDS": ids}, env_file=None)


def test_shards_and_leases() -> None:
    plain = load_settings({}, env_file=None)
    assert (plain.shard_ids, plain.shard_count) == (None, None)
    assert (plain.lease_seconds, plain.lease_renew_seconds) == (60.0, 20.0)
    some = load_settings({"SHARD_COUNT": "4", "SHARD_IDS": " 3, 1"}, env_file=None)
    assert (some.shard_ids, some.shard_count) == ((1, 3), 4)
    every = load_settings({"SHARD_COUNT": "2", "LEASE_SECONDS": "9"}, env_file=None)
    assert (every.shard_ids, every.shard_count) == ((0, 1), 2)
    assert (every.lease_seconds, every.lease_renew_seconds) == (9.0, 3.0)


def test_the_database_pool_size_is_read_and_defaults_to_ten() -> None:
    assert load_settings({"DATABASE_POOL_SIZE": "4"}, env_file=None).database_pool_size == 4
    assert load_settings({}, env_file=None).database_pool_size == 10
