"""The import rules of docs/architecture.md: each stage imports only the stages before it.

Every import statement counts, module level or inside a function. ruff's TID251 bans discord
outside bot/client.py and cogs/ as well; this test keeps the rest of the picture true.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The SQLite backend behind the Store protocol: its driver and the modules that run its SQL.
SQLITE_BACKEND = (
    "sqlite3",
    "aiosqlite",
    "bot.store.base",
    "bot.store.store",
    "bot.store.lookup",
    "bot.store.publishing",
    "bot.store.activity",
    "bot.store.migrate",
    "bot.store.floors",
)
# (package or module, imports it must never make): a name matches itself and everything below it.
# bot.client is the Discord side's entry point: it loads the cogs and shares their reply helper.
RULES = [
    ("bot.essays", ("bot.store", "bot.publishing", "bot.operations", "bot.client", "cogs", "discord", "aiosqlite")),
    ("bot.store", ("bot.publishing", "bot.operations", "bot.client", "cogs", "discord")),
    # The seam another backend implements: the protocol and its records know no driver and no SQLite module.
    ("bot.store.protocol", SQLITE_BACKEND),
    ("bot.store.records", SQLITE_BACKEND),
    ("bot.publishing", ("bot.operations", "bot.client", "cogs", "discord", "aiohttp")),
    ("bot.operations", ("bot.client", "cogs", "discord")),
    ("bot", ("cogs",)),
]
EXEMPT = {"bot": ("bot.client",)}
DISCORD_ALLOWED = ("bot.client", "cogs")
# The database drivers: only the store's SQLite backend talks to them (the tests may, to check the file).
DATABASE_DRIVERS = ("sqlite3", "aiosqlite")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


MODULES = {module_name(path): imports_of(path) for folder in ("bot", "cogs") for path in (ROOT / folder).rglob("*.py")}
BENCH_MODULES = {module_name(path): imports_of(path) for path in (ROOT / "bench").rglob("*.py")}


@pytest.mark.parametrize(("package", "banned"), RULES, ids=[package for package, _ in RULES])
def test_a_stage_imports_only_the_stages_before_it(package: str, banned: tuple[str, ...]) -> None:
    members = {
        name: found
        for name, found in MODULES.items()
        if under(name, package) and not any(under(name, exempt) for exempt in EXEMPT.get(package, ()))
    }
    assert members, f"no module under {package}"
    broken = sorted(
        f"{name} imports {imported}"
        for name, found in members.items()
        for imported in found
        if any(under(imported, bad) for bad in banned)
    )
    assert broken == []


def test_only_the_client_and_the_cogs_import_discord() -> None:
    importers = sorted(
        name
        for name, found in MODULES.items()
        if any(under(imported, "discord") for imported in found)
        and not any(under(name, allowed) for allowed in DISCORD_ALLOWED)
    )
    assert importers == []


def test_only_the_store_imports_a_database_driver() -> None:
    importers = sorted(
        f"{name} imports {imported}"
        for name, found in {**MODULES, **BENCH_MODULES}.items()
        if not under(name, "bot.store")
        for imported in found
        if any(under(imported, driver) for driver in DATABASE_DRIVERS)
    )
    assert importers == []


def test_callers_get_the_store_protocol_not_the_sqlite_class() -> None:
    """Outside bot/store nothing names the SQLite backend: callers open one with open_store and type it Store."""
    importers = sorted(
        name
        for name, found in {**MODULES, **BENCH_MODULES}.items()
        if not under(name, "bot.store")
        and any(imported.startswith("bot.store.store") or imported == "bot.store.SQLiteStore" for imported in found)
    )
    assert importers == []
