"""Intake: sources over HTTP on 127.0.0.1 and from files, into the store, once each."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.essays.model import Block, Entry
from bot.fetch import Fetcher, FetchPolicy
from bot.intake import IntakeError, entry_identity, entry_to_essay, load_source, store_essay
from bot.store import Store
from tests.fetch_server import FetchServer, Route


@pytest.fixture
def store(backend_store: Store) -> Store:
    """These tests ask only the Store protocol: each runs on SQLite and on PostgreSQL (tests/conftest.py)."""
    return backend_store


FIXTURES = Path(__file__).parent / "fixtures"

PARAGRAPH = (
    "The harbour authority spent the spring arguing about dredging, and the argument was never really "
    "about sand. It was about who gets to decide what the waterfront is for, and who pays for the answer. "
)

ARTICLE = f"""<!doctype html><html><head><title>Dredging the Question | Tidewater Notes</title>
<meta property="og:title" content="Dredging the Question">
<meta name="author" content="Priya Castellan">
<meta property="article:published_time" content="2025-05-02T08:00:00Z">
</head><body><nav>Home · Archive · About</nav>
<article><h1>Dredging the Question</h1>
<p>{PARAGRAPH * 3}</p><p>{PARAGRAPH * 2}</p><p>{PARAGRAPH * 2}</p>
</article><footer>Share this: Facebook Twitter</footer></body></html>"""


def summary_feed(page_url: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Tidewater Notes</title><link>http://127.0.0.1/</link>
<description>Essays</description>
<item><title>Dredging the Question</title><link>{page_url}</link>
<guid isPermaLink="false">tidewater-dredging</guid>
<pubDate>Fri, 02 May 2025 08:00:00 GMT</pubDate>
<description>The harbour authority spent the spring arguing about dredging… Continue reading</description>
</item></channel></rss>"""


async def test_summary_only_entry_gets_its_page_fetched(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/essay", Route(body=ARTICLE, headers={"Content-Type": "text/html; charset=utf-8"}))
    server.route(
        "/feed", Route(body=summary_feed(server.url("/essay")), headers={"Content-Type": "application/rss+xml"})
    )
    loaded = await load_source(server.url("/feed"), fetcher)
    assert loaded.problems == []
    [entry] = loaded.entries
    essay = entry_to_essay(entry)
    assert essay.key == "tidewater-dredging"
    assert essay.word_count > 150
    assert "Share this" not in essay.body_text
    assert "Home · Archive" not in essay.body_text
    assert server.hits("/essay") == 1


async def test_summary_entry_whose_page_fails_is_reported_not_stored(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/essay", Route(status=500, body="oops"))
    server.route("/feed", Route(body=summary_feed(server.url("/essay")), headers={"Content-Type": "text/xml"}))
    loaded = await load_source(server.url("/feed"), fetcher)
    assert loaded.entries == []
    assert len(loaded.problems) == 1
    assert "500" in loaded.problems[0]


@pytest.mark.parametrize(
    ("route", "fragment"),
    [
        (Route(status=404, body="gone"), "404"),
        (Route(status=429, body="slow down", headers={"Retry-After": "30"}), "429"),
        (Route(status=500, body="down"), "500"),
        (Route(body=b"<rss><channel><item><title>cut", headers={"Content-Type": "application/rss+xml"}), ""),
    ],
)
async def test_bad_responses_give_one_clear_error(
    server: FetchServer, fetcher: Fetcher, route: Route, fragment: str
) -> None:
    server.route("/feed", route)
    with pytest.raises(IntakeError) as caught:
        await load_source(server.url("/feed"), fetcher)
    message = str(caught.value)
    assert message.startswith(server.url("/feed"))
    assert fragment in message
    assert "\n" not in message


async def test_feed_that_turns_into_an_html_error_page_stores_nothing_new(
    server: FetchServer, fetcher: Fetcher, store: Store
) -> None:
    feed = (FIXTURES / "feeds" / "wordpress_rss.xml").read_bytes()
    server.route("/feed", Route(body=feed, headers={"Content-Type": "application/rss+xml"}))
    first = await load_source(server.url("/feed"), fetcher)
    for entry in first.entries:
        await store_essay(store, entry_to_essay(entry))
    stored = await store.essay_count()
    assert stored > 0
    error_page = "<html><head><title>Error</title></head><body><h1>Database error</h1></body></html>"
    server.route("/feed", Route(body=error_page, headers={"Content-Type": "application/rss+xml"}))
    with pytest.raises(IntakeError):
        await load_source(server.url("/feed"), fetcher)
    assert await store.essay_count() == stored


async def test_private_address_is_refused_in_production_mode(server: FetchServer) -> None:
    server.route("/feed", Route(body="<rss/>"))
    async with Fetcher(FetchPolicy()) as production:
        with pytest.raises(IntakeError, match="refused"):
            await load_source(server.url("/feed"), production)
    assert server.hits("/feed") == 0


async def test_ingesting_twice_stores_nothing_new_and_an_edit_makes_a_revision(store: Store) -> None:
    loaded = await load_source(str(FIXTURES / "feeds"), None)
    essays = [entry_to_essay(e) for e in loaded.entries]
    first = [await store_essay(store, e) for e in essays]
    assert {o.status for o in first} == {"new"}
    again = [await store_essay(store, e) for e in essays]
    assert {o.status for o in again} == {"unchanged"}
    count = await store.essay_count()

    edited = replace(essays[0], blocks=(*essays[0].blocks, Block("paragraph", "A correction, added later.")))
    outcome = await store_essay(store, edited)
    assert outcome.status == "revised"
    assert outcome.revision == 2
    assert outcome.essay_id == first[0].essay_id
    assert await store.essay_count() == count
    row = await store.get_essay(edited.key)
    assert row is not None and row.essay.blocks[-1].text == "A correction, added later."
    analysis = await store.load_analysis(row.id)
    assert analysis.sections[-1].end == len(edited.blocks)


async def test_redated_entry_is_not_a_revision(store: Store) -> None:
    loaded = await load_source(str(FIXTURES / "feeds" / "wordpress_rss.xml"), None)
    essay = entry_to_essay(loaded.entries[0])
    await store_essay(store, essay)
    assert essay.published is not None
    redated = replace(essay, published=essay.published.replace(year=essay.published.year - 1))
    assert (await store_essay(store, redated)).status == "unchanged"


def test_identity_prefers_id_then_url_then_file_then_hash() -> None:
    base = Entry(source="https://blog.example/feed", title="T", html="<p>x</p>")
    assert entry_identity(replace(base, entry_id=" tag:x,2025:1 ", url="https://a.example/p")) == "tag:x,2025:1"
    assert entry_identity(replace(base, url="https://A.example/p/?utm_source=feed#top")) == "https://a.example/p"
    assert entry_identity(replace(base, source="posts/2025-01-01-hello.md")) == "file:2025-01-01-hello.md"
    hashed = entry_identity(base)
    assert hashed.startswith("sha256:") and hashed == entry_identity(base)


async def test_missing_path_and_empty_folder_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="no such file"):
        await load_source(str(tmp_path / "nope"), None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(IntakeError, match="no essays found"):
        await load_source(str(tmp_path / "empty"), None)


async def test_folder_with_a_bad_file_keeps_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("---\ntitle: Good\ndate: 2025-01-02\n---\n\n" + PARAGRAPH * 3)
    (tmp_path / "bad.xml").write_text("<rss><channel><item>")
    loaded = await load_source(str(tmp_path), None)
    assert [e.title for e in loaded.entries] == ["Good"]
    assert len(loaded.problems) == 1 and "bad.xml" in loaded.problems[0]


async def test_folder_readme_is_not_an_essay(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# About these files\n\nThey are essays.\n")
    (tmp_path / "essay.md").write_text("---\ntitle: Kept\n---\n\n" + PARAGRAPH)
    loaded = await load_source(str(tmp_path), None)
    assert [e.title for e in loaded.entries] == ["Kept"]


async def test_a_reference_resolves_when_its_target_arrives_later(store: Store) -> None:
    labelled = FIXTURES / "labelled"
    # The referring essay first, the post it names second: out of publication order.
    first = await load_source(str(labelled / "emergency-register.md"), None)
    referrer = entry_to_essay(first.entries[0])
    await store_essay(store, referrer)
    row = await store.get_essay(referrer.key)
    assert row is not None
    before = await store.load_analysis(row.id)
    assert all(r.resolved_key is None for r in before.references)

    second = await load_source(str(labelled / "nineteen-mayors.md"), None)
    target = entry_to_essay(second.entries[0])
    await store_essay(store, target)
    after = await store.load_analysis(row.id)
    assert [r.resolved_key for r in after.references if r.resolved_key] == [target.key]
