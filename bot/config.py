"""Settings, read once from the environment and an optional ``.env`` file.

Every problem stops start-up with one line naming the variable and what it
expects. The token is kept in a ``Secret`` so that no repr, log line or error
message can show it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.store.backends import DEFAULT_POOL_SIZE

logger = logging.getLogger(__name__)

DEFAULT_DB_PATH = Path("data/marginalia.sqlite3")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Every variable load_settings reads (tests clear them all to run with a known environment).
VARIABLES = (
    "DISCORD_TOKEN",
    "DB_PATH",
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "DISCORD_API_BASE",
    "DISCORD_GATEWAY_URL",
    "LOG_LEVEL",
    "POLL_INTERVAL_SECONDS",
    "FIRST_POLL_POSTS",
    "MAX_SECTIONS",
    "ALLOW_PRIVATE_FEEDS",
    "DEV_GUILD_ID",
    "SHARD_COUNT",
    "SHARD_IDS",
    "LEASE_SECONDS",
    "LEASE_RENEW_SECONDS",
)


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable."""


class Secret:
    """A string that never shows itself in repr() or str()."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True, slots=True)
class Settings:
    token: Secret | None = None
    db_path: Path = DEFAULT_DB_PATH
    # A postgresql:// address (it may hold a password, hence a Secret); when set it wins over db_path.
    database_url: Secret | None = None
    # The connections each process keeps open to that database (bot/store/postgres/base.py).
    database_pool_size: int = DEFAULT_POOL_SIZE
    api_base: str | None = None
    gateway_url: str | None = None
    log_level: str = "INFO"
    poll_interval: float = 900.0
    allow_private_feeds: bool = False
    first_poll_posts: int = 1
    max_sections: int = 10
    dev_guild_id: int | None = None
    # The Discord shards this process holds: None (no SHARD_COUNT) is one unsharded connection, as
    # before; with SHARD_COUNT the ids (SHARD_IDS, default all of them) out of that many.
    shard_ids: tuple[int, ...] | None = None
    shard_count: int | None = None
    # How long a claimed feed poll or publication stays this process's without a renewal, and how often
    # it is renewed (bot/leases.py).
    lease_seconds: float = 60.0
    lease_renew_seconds: float = 20.0

    @property
    def store_target(self) -> str | Path:
        """What ``open_store`` opens: DATABASE_URL when set, else the SQLite file at DB_PATH."""
        return self.database_url.reveal() if self.database_url else self.db_path

    @property
    def store_label(self) -> str:
        """The database named for logs and messages, its password left out."""
        if self.database_url:
            return redact_url(self.database_url.reveal())
        return str(self.db_path)


def redact_url(url: str) -> str:
    """The address with its password (if any) replaced by asterisks."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    if not (at and colon):
        return url
    return parts._replace(netloc=f"{user}:********@{hostport}").geturl()


def _env(environ: Mapping[str, str], dotenv: Mapping[str, str | None], name: str) -> str | None:
    # Real environment variables win over .env, as with python-dotenv's default.
    if name in environ:
        return environ[name]
    value = dotenv.get(name)
    return value if value is not None else None


def _parse_float(name: str, raw: str, *, minimum: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _parse_int(name: str, raw: str, *, minimum: int, maximum: int | None = None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name} must be at least {minimum}{upper}, got {raw!r}")
    return value


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _parse_url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in schemes or not parts.netloc:
        raise ConfigError(f"{name} must be a {' or '.join(schemes)} URL, got {raw!r}")
    return raw.strip().rstrip("/")


def _parse_shards(ids_raw: str | None, count_raw: str | None) -> tuple[tuple[int, ...] | None, int | None]:
    """SHARD_IDS (a comma-separated list) of SHARD_COUNT; SHARD_COUNT alone holds every shard."""
    if count_raw is None:
        if ids_raw is not None:
            raise ConfigError("SHARD_IDS needs SHARD_COUNT (how many shards the bot has in all)")
        return None, None
    count = _parse_int("SHARD_COUNT", count_raw, minimum=1)
    if ids_raw is None:
        return tuple(range(count)), count
    ids: list[int] = []
    for part in ids_raw.split(","):
        try:
            shard = int(part.strip())
        except ValueError:
            raise ConfigError(f"SHARD_IDS must be whole numbers separated by commas, got {ids_raw!r}") from None
        if not 0 <= shard < count:
            raise ConfigError(f"SHARD_IDS must be between 0 and {count - 1} (SHARD_COUNT is {count}), got {shard}")
        if shard in ids:
            raise ConfigError(f"SHARD_IDS names shard {shard} twice")
        ids.append(shard)
    return tuple(sorted(ids)), count


def _parse_leases(lease_raw: str | None, renew_raw: str | None) -> tuple[float, float]:
    lease = _parse_float("LEASE_SECONDS", lease_raw, minimum=1.0) if lease_raw else 60.0
    if renew_raw is None:
        return lease, lease / 3
    renew = _parse_float("LEASE_RENEW_SECONDS", renew_raw, minimum=0.1)
    if renew >= lease:
        raise ConfigError(f"LEASE_RENEW_SECONDS must be shorter than LEASE_SECONDS ({lease:g}), got {renew_raw!r}")
    return lease, renew


DATABASE_SCHEMES = ("postgresql", "postgres", "sqlite")


def _parse_database_url(raw: str) -> Secret:
    url = raw.strip()
    scheme = urlsplit(url).scheme.lower()
    if "://" not in url or scheme not in DATABASE_SCHEMES:
        # Only the scheme is shown: the rest of the value may hold the database password.
        shown = f"{scheme}://" if scheme and "://" in url else "no scheme"
        raise ConfigError(
            "DATABASE_URL must be a postgresql://user:password@host/database address "
            f"(or sqlite:///FILE); the value given has {shown}"
        )
    return Secret(url)


def _parse_token(raw: str) -> Secret:
    token = raw.strip()
    if token.lower().startswith("bot "):
        token = token[4:].strip()
    # A Discord bot token is three dot-separated base64url parts; checking the
    # shape catches a pasted client secret or application id early.
    parts = token.split(".")
    if len(parts) != 3 or not all(parts) or any(c.isspace() for c in token):
        raise ConfigError(
            "DISCORD_TOKEN must be a bot token (three dot-separated parts, from the Developer "
            "Portal's Bot page); the value given has the wrong shape"
        )
    return Secret(token)


def load_settings(environ: Mapping[str, str] | None = None, *, env_file: Path | None = Path(".env")) -> Settings:
    """Read the settings; raise ConfigError naming the first bad variable."""
    environ = os.environ if environ is None else environ
    dotenv: Mapping[str, str | None] = {}
    if env_file is not None and env_file.is_file():
        dotenv = dotenv_values(env_file)

    def get(name: str) -> str | None:
        value = _env(environ, dotenv, name)
        return value if value not in (None, "") else None

    token_raw = get("DISCORD_TOKEN")
    db_raw = get("DB_PATH")
    database_url_raw = get("DATABASE_URL")
    pool_raw = get("DATABASE_POOL_SIZE")
    api_raw = get("DISCORD_API_BASE")
    gateway_raw = get("DISCORD_GATEWAY_URL")
    level_raw = (get("LOG_LEVEL") or "INFO").upper()
    if level_raw not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level_raw!r}")
    poll_raw = get("POLL_INTERVAL_SECONDS")
    first_raw = get("FIRST_POLL_POSTS")
    sections_raw = get("MAX_SECTIONS")
    dev_guild_raw = get("DEV_GUILD_ID")
    private_raw = get("ALLOW_PRIVATE_FEEDS")
    shard_ids, shard_count = _parse_shards(get("SHARD_IDS"), get("SHARD_COUNT"))
    lease_seconds, lease_renew_seconds = _parse_leases(get("LEASE_SECONDS"), get("LEASE_RENEW_SECONDS"))

    return Settings(
        token=_parse_token(token_raw) if token_raw else None,
        db_path=Path(db_raw) if db_raw else DEFAULT_DB_PATH,
        database_url=_parse_database_url(database_url_raw) if database_url_raw else None,
        database_pool_size=(
            _parse_int("DATABASE_POOL_SIZE", pool_raw, minimum=2, maximum=100) if pool_raw else DEFAULT_POOL_SIZE
        ),
        api_base=_parse_url("DISCORD_API_BASE", api_raw, ("http", "https")) if api_raw else None,
        gateway_url=_parse_url("DISCORD_GATEWAY_URL", gateway_raw, ("ws", "wss")) if gateway_raw else None,
        log_level=level_raw,
        poll_interval=_parse_float("POLL_INTERVAL_SECONDS", poll_raw, minimum=60.0) if poll_raw else 900.0,
        allow_private_feeds=_parse_bool("ALLOW_PRIVATE_FEEDS", private_raw) if private_raw else False,
        first_poll_posts=_parse_int("FIRST_POLL_POSTS", first_raw, minimum=0, maximum=20) if first_raw else 1,
        max_sections=_parse_int("MAX_SECTIONS", sections_raw, minimum=1, maximum=10) if sections_raw else 10,
        dev_guild_id=_parse_int("DEV_GUILD_ID", dev_guild_raw, minimum=1) if dev_guild_raw else None,
        shard_ids=shard_ids,
        shard_count=shard_count,
        lease_seconds=lease_seconds,
        lease_renew_seconds=lease_renew_seconds,
    )
