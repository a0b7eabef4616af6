"""The statements a PostgreSQL store sends, recorded for the tests that check how it answers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.store.postgres import PostgresStore


def sent_statements(store: PostgresStore, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements ``store`` sends through ``_all`` from now on, with their parameters."""
    sent: list[tuple[str, tuple[Any, ...]]] = []
    read = store._all

    async def spy(sql: str, params: Any = ()) -> Any:
        sent.append((sql, tuple(params)))
        return await read(sql, params)

    monkeypatch.setattr(store, "_all", spy)
    return sent
