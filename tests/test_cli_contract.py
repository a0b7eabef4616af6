"""The command-line contract of the intake and analysis: preview, ingest, related, quote, figures, run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import VARIABLES

FIXTURES = Path(__file__).parent / "fixtures"
LABELLED = FIXTURES / "labelled"
SAMPLES = Path(__file__).parent.parent / "data" / "samples"
COUNCIL = "https://example-essays.blog/2025/07/council-borrowing.html"


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    db = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("DB_PATH", str(db))
    return db


def test_preview_json_has_the_documented_shape_and_touches_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["preview", str(LABELLED / "council-borrowing.md"), "--json"]) == 0
    [essay] = json.loads(capsys.readouterr().out)["essays"]
    assert set(essay) == {
        "key", "title", "url", "author", "published", "labels", "word_count",
        "sections", "quotes", "figures", "references",
    }  # fmt: skip
    assert essay["url"] == COUNCIL and essay["published"].startswith("2025-07-08")
    assert [s["index"] for s in essay["sections"]] == list(range(1, len(essay["sections"]) + 1))
    assert set(essay["sections"][0]) == {"index", "title", "text", "word_count"}
    assert sum(s["word_count"] for s in essay["sections"]) == essay["word_count"]
    assert {"text", "speaker", "kind", "section"} == set(essay["quotes"][0])
    assert {"text", "value", "unit", "kind", "subject", "context", "section"} == set(essay["figures"][0])
    assert {"text", "date", "title", "resolved_key"} == set(essay["references"][0])
    assert not (tmp_path / "cli.sqlite3").exists()


def test_preview_of_the_samples_shows_a_newcomer_what_the_bot_does(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", str(SAMPLES)]) == 0
    out = capsys.readouterr().out
    assert out.count("§1 ") == 3, "three sample essays, each with its sections"
    assert "quotes" in out and "figures" in out


def test_ingest_counts_and_a_second_ingest_stores_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(LABELLED)]) == 0
    assert capsys.readouterr().out == "6 new, 0 revised, 0 unchanged\n"
    assert main(["ingest", str(LABELLED)]) == 0
    assert capsys.readouterr().out == "0 new, 0 revised, 6 unchanged\n"


def test_a_bad_source_is_one_line_and_the_others_still_go_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<rss><channel><item><title>cut off")
    code = main(["ingest", str(tmp_path / "missing.md"), str(broken), str(LABELLED / "rainy-day-fund.md")])
    captured = capsys.readouterr()
    assert code != 0
    assert captured.out == "1 new, 0 revised, 0 unchanged\n"
    errors = captured.err.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("error: ") for line in errors)
    assert "missing.md" in errors[0] and "broken.xml" in errors[1]


def test_related_quote_and_figures_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(LABELLED)]) == 0
    capsys.readouterr()

    assert main(["related", COUNCIL, "--json"]) == 0
    related = json.loads(capsys.readouterr().out)
    assert related["target"]["url"] == COUNCIL
    first = related["results"][0]
    assert set(first) == {"key", "title", "url", "published", "score", "reasons"}
    assert first["reasons"][0].startswith("referenced in §"), "an explicit reference ranks first"

    assert main(["related", "--all", "--any-time", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 6 and all(set(line) == {"key", "results"} for line in lines)

    assert main(["quote", "--speaker", "Dana Whitfield", "--json"]) == 0
    quotes = json.loads(capsys.readouterr().out)["results"]
    assert quotes and all(q["speaker"] == "Dana Whitfield" for q in quotes)
    assert set(quotes[0]) == {"text", "speaker", "kind", "section", "essay"}
    assert set(quotes[0]["essay"]) == {"key", "title", "url"}

    assert main(["figures", "--kind", "money", "--essay", COUNCIL, "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)["results"]
    assert figures and all(f["kind"] == "money" and f["essay"]["url"] == COUNCIL for f in figures)


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "NEAR(a b) OR * AND -", "(((", "🙂 طريق ‮ rtl", "x" * 6000, "transit " * 1000],
)
def test_free_text_queries_are_safe_whatever_they_hold(query: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(LABELLED / "rainy-day-fund.md")]) == 0
    for command in (["quote", query, "--json"], ["figures", query, "--json"], ["related", query, "--json"]):
        assert main(command) == 0
        capsys.readouterr()


def test_run_without_a_token_says_how_to_get_one_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 2
    assert "DISCORD_TOKEN is not set" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.xml", "<rss version='2.0'><channel><title>Quiet</title></channel></rss>", "the feed has no entries"),
        ("notes.json", "{}", "no essays found (expected .xml, .html, .md or .txt files)"),
    ],
)
def test_a_source_with_no_essays_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, message: str
) -> None:
    """An empty feed file is named as such; a folder without any essay file says what it expected."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / name).write_text(text)
    source = folder / name if name.endswith(".xml") else folder
    assert main(["preview", str(source)]) == 1
    assert capsys.readouterr().err == f"error: {source}: {message}\n"


def test_an_essay_whose_analysis_fails_is_reported_and_the_others_still_go_in(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.essays.analysis as analysis

    def failing(*args: object, **kwargs: object) -> list[object]:
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(analysis, "find_figures", failing)
    assert main(["ingest", str(SAMPLES)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "3 new, 0 revised, 0 unchanged\n"
    errors = captured.err.splitlines()
    assert len(errors) == 3
    assert all("was stored without its figures (ZeroDivisionError: float division by zero)" in e for e in errors)
