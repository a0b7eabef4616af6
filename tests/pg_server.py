"""A throwaway PostgreSQL server for the tests: its own cluster in a temporary folder, a Unix socket only.

The server binaries come from PATH (``initdb``, ``pg_ctl``) or the Debian/Ubuntu package's folder
(``/usr/lib/postgresql/<version>/bin``). PostgreSQL refuses to run as root, and CI runs as root: there
the cluster belongs to the unprivileged ``postgres`` user the Debian package creates, and the server
runs as that user (``runuser``). ``MARGINALIA_TEST_DATABASE_URL`` points the tests at a server of one's
own instead (its user must be allowed to create databases).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

EXTERNAL_URL_ENV = "MARGINALIA_TEST_DATABASE_URL"
# The superuser initdb creates in the throwaway cluster; trust authentication over the socket only.
SUPERUSER = "marginalia"
SERVICE_USER = "postgres"


class NoServer(Exception):
    """No PostgreSQL server can be had on this machine; the message says why."""


def find_bin_dir() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or NoServer."""
    on_path = shutil.which("initdb")
    candidates: list[Path] = []
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    raise NoServer(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH or in /usr/lib/postgresql/*/bin; "
        "install the 'postgresql' package or set " + EXTERNAL_URL_ENV
    )


@dataclass
class PgServer:
    """A running throwaway cluster; ``url(name)`` addresses one of its databases."""

    root: Path
    bin_dir: Path
    run_as: str | None  # the user the server runs as when the tests run as root

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}"

    @classmethod
    def start(cls) -> PgServer:
        bin_dir = find_bin_dir()
        run_as = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(SERVICE_USER)
            except KeyError as exc:
                raise NoServer(
                    f"the tests run as root, PostgreSQL refuses to, and there is no '{SERVICE_USER}' user to run "
                    "it as (the Debian 'postgresql' package creates one)"
                ) from exc
            if shutil.which("runuser") is None:
                raise NoServer("the tests run as root and 'runuser' is missing to start PostgreSQL as another user")
            run_as = SERVICE_USER
        # Not under pytest's tmp_path: that folder is private to root, and the server's user must reach it.
        # A short path too: a Unix socket's path is limited to about 100 bytes.
        root = Path(tempfile.mkdtemp(prefix="mpg-"))
        server = cls(root, bin_dir, run_as)
        try:
            server.socket_dir.mkdir()
            if run_as is not None:
                account = pwd.getpwnam(run_as)
                for folder in (root, server.socket_dir):
                    os.chown(folder, account.pw_uid, account.pw_gid)
            server._run(
                "initdb",
                "-D",
                str(server.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            )
            # No TCP port at all (nothing else on the machine can reach it, no port to collide with);
            # fsync off: a crashed test server is thrown away anyway.
            options = f"-c listen_addresses='' -c unix_socket_directories={server.socket_dir} -c fsync=off"
            server._run(
                "pg_ctl",
                "-D",
                str(server.data_dir),
                "-o",
                options,
                "-l",
                str(root / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            )
        except BaseException:
            log = root / "server.log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            shutil.rmtree(root, ignore_errors=True)
            if detail:
                raise RuntimeError(f"the throwaway PostgreSQL server did not start:\n{detail}") from None
            raise
        return server

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.root, check=False)
        if result.returncode != 0:
            output = result.stderr.strip() or result.stdout.strip()
            raise RuntimeError(f"{program} failed ({result.returncode}): {output}")


_numbers = itertools.count(1)


def with_database(url: str, name: str) -> str:
    """The same server's address for another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


# {admin URL: the database migrated once this session, copied for each test that wants a store}.
_templates: dict[str, str] = {}


@asynccontextmanager
async def fresh_database(admin_url: str, *, migrated: bool = False) -> AsyncIterator[str]:
    """A new database on the server, dropped afterwards: empty, or with ``migrated`` a copy of one
    the store's migrations ran on (copying a database is far quicker than migrating one)."""
    name = f"marginalia_test_{os.getpid()}_{next(_numbers)}"
    template = await _migrated_template(admin_url) if migrated else None
    admin = await asyncpg.connect(admin_url)
    try:
        if template:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        else:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(admin_url, name)
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def _migrated_template(admin_url: str) -> str:
    if admin_url in _templates:
        return _templates[admin_url]
    from bot.store.postgres.migrate import migrate

    name = f"marginalia_template_{os.getpid()}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    db = await asyncpg.connect(with_database(admin_url, name))
    try:
        await migrate(db)  # type: ignore[arg-type]  # a plain connection, where the store lends a pooled one
    finally:
        await db.close()
    _templates[admin_url] = name
    return name


async def drop_templates(admin_url: str) -> None:
    """Drop the migrated template made on that server this session (at the session's end)."""
    name = _templates.pop(admin_url, None)
    if name is None:
        return
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
