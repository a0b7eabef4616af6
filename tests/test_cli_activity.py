"""``python -m bot activity KEY [--guild ID] [--png PATH] [--json]``: the numbers of /activity, on the command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import matplotlib.image
import pytest

from bot.cli import main
from bot.config import VARIABLES
from bot.store import open_store
from tests.activity_data import post_essay, write

ONE, TWO = 101, 202
SECTIONS = ["What the council decided", "Who pays", "A better way"]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Server one posted "levy" (4 messages in §2 from 3 people); server two posted it too, and "quarry"."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("DB_PATH", str(path))

    async def fill() -> None:
        async with await open_store(path) as store:
            ours = await post_essay(store, "levy", "The Harbour Levy", SECTIONS, guild_id=ONE, channel_id=11)
            theirs = await post_essay(store, "levy", "The Harbour Levy", SECTIONS, guild_id=TWO, channel_id=22)
            await post_essay(store, "quarry", "The Quarry Permit", SECTIONS[:2], guild_id=TWO, channel_id=22)
            for reader in (1, 2, 3, 1):
                await write(store, ours.threads[2], reader)
            await write(store, theirs.threads[1], 9)

    asyncio.run(fill())
    return path


def test_json_for_one_server(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["activity", "levy", "--guild", str(ONE), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["guild_id"] == ONE and report["most_discussed"] == 2
    assert [(s["index"], s["title"], s["messages"], s["participants"]) for s in report["sections"]] == [
        (1, "What the council decided", 0, 0),
        (2, "Who pays", 4, 3),
        (3, "A better way", 0, 0),
    ]
    assert all(f"/channels/{ONE}/" in url for s in report["sections"] for url in s["threads"])


def test_text_for_every_server_and_the_chart(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "levy.png"
    assert main(["activity", "levy", "--png", str(png)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "The Harbour Levy"
    assert "  §1 What the council decided: 1 message from 1 person" in "\n".join(out)
    assert "  §2 Who pays: 4 messages from 3 people" in "\n".join(out)
    assert "Most discussed: §2 Who pays" in out and out[-1] == f"chart: {png}"
    image = matplotlib.image.imread(png)
    assert image.shape[1] == 800 and (image[..., :3] < 0.5).any()


def test_a_server_cannot_name_another_servers_essay(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["activity", "quarry", "--guild", str(ONE)]) == 1
    assert "No essay matches" in capsys.readouterr().err
    assert main(["activity", "quarry", "--guild", str(TWO), "--json"]) == 0


def test_no_database_is_created_by_asking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["activity", "levy", "--db", str(tmp_path / "none.sqlite3")]) == 1
    assert not (tmp_path / "none.sqlite3").exists()
