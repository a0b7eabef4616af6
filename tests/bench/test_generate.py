"""The synthetic archive generator: deterministic by seed, and essays the intake reads back."""

from __future__ import annotations

from pathlib import Path

from bench.generate import generate, main, write_archive
from bot.essays.analysis import analyse
from bot.essays.sources import parse_markdown


def test_the_same_seed_gives_the_same_archive() -> None:
    first = [post.to_markdown() for post in generate(30, seed=5)]
    again = [post.to_markdown() for post in generate(30, seed=5)]
    other = [post.to_markdown() for post in generate(30, seed=6)]

    assert first == again
    assert first != other


def test_essays_are_about_the_asked_length_and_in_date_order() -> None:
    posts = list(generate(20, seed=2, words=1500))

    assert all(1400 <= post.word_count <= 2000 for post in posts)
    dates = [post.published for post in posts]
    assert dates == sorted(dates)
    assert len({post.url for post in posts}) == len(posts)


def test_essays_carry_what_the_analysis_looks_for() -> None:
    posts = list(generate(60, seed=3))
    markdown = "\n".join(post.to_markdown() for post in posts)

    assert "“" in markdown and '"' in markdown  # curly and straight quotations
    assert "\n## " in markdown  # headings in some essays
    assert "See also my " in markdown
    assert "](https://generated-essays.example/" in markdown  # links to earlier posts
    assert any("$" in text for post in posts for _, text in post.blocks)
    assert all(post.labels for post in posts)
    # References point only at earlier posts.
    urls = [post.url for post in posts]
    for index, post in enumerate(posts):
        assert set(post.references) <= set(urls[:index])

    analysis = analyse(posts[-1].to_essay())
    assert analysis.quotes and analysis.figures and len(analysis.sections) >= 2


def test_written_files_parse_back_as_the_same_essays(tmp_path: Path) -> None:
    paths = write_archive(tmp_path, 5, seed=9, words=600)
    posts = list(generate(5, seed=9, words=600))

    assert [p.name for p in paths] == [post.filename for post in posts]
    for path, post in zip(paths, posts, strict=True):
        entry = parse_markdown(path.read_text(encoding="utf-8"), path=str(path))
        assert entry.title == post.title
        assert entry.url == post.url
        assert entry.labels == post.labels
        assert entry.published == post.published
        assert set(entry.links) == {url for _, url in post.links}


def test_the_command_line_writes_count_files(tmp_path: Path) -> None:
    assert main([str(tmp_path / "out"), "--count", "7", "--seed", "1", "--words", "400"]) == 0
    assert len(list((tmp_path / "out").glob("*.md"))) == 7
