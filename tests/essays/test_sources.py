"""Every kind of source parsed into entries, and every broken source refused with a reason."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.essays import sources
from bot.essays.cleaning import clean_html
from bot.essays.model import Block, Entry
from bot.essays.sources import (
    SourceError,
    parse_article_page,
    parse_date,
    parse_feed,
    parse_markdown,
    parse_text,
    person_name,
    read_path,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FEEDS = FIXTURES / "feeds"
PAGES = FIXTURES / "pages"
POSTS = FIXTURES / "posts"


def P(text: str) -> Block:
    return Block("paragraph", text)


def H(text: str) -> Block:
    return Block("heading", text)


def Q(text: str) -> Block:
    return Block("quote", text)


def I(text: str) -> Block:  # noqa: E743 - short names keep the expected block lists readable
    return Block("item", text)


def blocks_of(entry: Entry) -> tuple[Block, ...]:
    assert entry.html is not None
    return clean_html(entry.html, title=entry.title)


def feed_fixture(name: str, url: str | None = None) -> list[Entry]:
    return parse_feed((FEEDS / name).read_bytes(), url=url).entries


# ---------------------------------------------------------------------------
# Feeds


def test_blogger_atom_with_word_processor_markup() -> None:
    feed = parse_feed(
        (FEEDS / "blogger_atom.xml").read_bytes(),
        url="https://ledgerlectern.blogspot.com/feeds/posts/default",
    )
    assert (feed.title, feed.link, feed.version, feed.warning) == (
        "Ledger and Lectern",
        "https://ledgerlectern.blogspot.com/",
        "atom10",
        None,
    )
    first, second = feed.entries
    assert first.entry_id == "tag:blogger.com,1999:blog-4815162342.post-7001"
    assert first.title == "The Rainy-Day Fund Nobody Mentions"
    assert first.url == "https://ledgerlectern.blogspot.com/2024/03/the-rainy-day-fund.html"
    assert first.author == "Dana Whitcombe"
    assert first.published == datetime(2024, 3, 14, 13, 30, tzinfo=UTC)
    assert first.labels == ("county budget", "Auditor")  # "County Budget" is the same label
    assert first.summary_only is False
    assert first.blocks is None
    assert blocks_of(first) == (
        P(
            "Last Tuesday the county board voted 5–2 to borrow another $41 million, even though its own "
            "auditor says the reserve already holds more than enough."
        ),
        H("What the Auditor Found"),
        P(
            "The auditor’s report runs to 212 pages. Buried on page 140 is a table showing an unspent "
            "balance of $88.4 million."
        ),
        P("Commissioner Alvarez put it bluntly:"),
        P("“We are not broke. We are disorganised.”\n— Commissioner Rosa Alvarez, at the March 12 meeting"),
        P("That is the whole story in two sentences."),
        P("The rest is politics."),
    )
    # No published date: the updated date stands in; a relative link is made absolute.
    assert second.published == datetime(2024, 3, 12, 0, 45, tzinfo=UTC)
    assert second.url == "https://ledgerlectern.blogspot.com/2024/03/hearing-moved.html"
    assert blocks_of(second) == (P("A short note: the hearing moved to Thursday."),)


def test_wordpress_content_encoded_wins_over_excerpt() -> None:
    (entry,) = feed_fixture("wordpress_rss.xml", url="https://benchmemo.example.org/feed/")
    assert entry.entry_id == "https://benchmemo.example.org/?p=412"
    assert entry.url == "https://benchmemo.example.org/2024/05/06/standing-again/"
    assert entry.author == "Priya Okafor"
    assert entry.published == datetime(2024, 5, 6, 13, 55, tzinfo=UTC)
    assert entry.labels == ("Courts", "standing doctrine")
    assert entry.summary_only is False
    assert entry.links == ("https://benchmemo.example.org/2023/11/02/standing-the-first-time/",)
    assert blocks_of(entry) == (
        P("The appeals panel sent the case back for the third time, and nobody in the courtroom seemed surprised."),
        H("Why the Panel Balked"),
        P(
            "The plaintiffs claimed an injury of $1,200 per household. The"
            " panel wanted to know whose household, and when."
        ),
        Q("An injury that belongs to everyone belongs to no one in particular."),
        P("Judge Marta Ellison"),
        I("First, the injury must be concrete."),
        I("Second, it must be traceable."),
        P("We will see the case again next spring, as I argued in my November post."),
    )


def test_substack_feed_drops_widgets_captions_and_footnote_anchors() -> None:
    (entry,) = feed_fixture("substack_rss.xml", url="https://provincialledger.substack.com/feed")
    assert entry.author == "Hal Brennan"
    assert entry.entry_id == "https://provincialledger.substack.com/p/the-ratio-nobody-quotes"
    assert entry.published == datetime(2024, 6, 1, 11, 30, 4, tzinfo=UTC)
    assert entry.links == ()  # the share button's self-link is chrome
    assert blocks_of(entry) == (
        P(
            "For every dollar the county sends to the capital, it gets back"
            " $1.31. That ratio appears in no press release."
        ),
        H("Where the Money Goes"),
        P("Writing for the Valley Courier, Nadia Fenwick explains:"),
        Q("“The formula was written in 1987 and never revisited."),
        Q("“Nobody on the committee today was alive when it passed, or at least nobody was voting.”"),
        P("Next week: the school aid formula."),
        P("Figures are for the 2022 fiscal year."),
    )


def test_ghost_feed_drops_card_chrome() -> None:
    (entry,) = feed_fixture("ghost_rss.xml")
    assert entry.entry_id == "660fd1a2c3b4e5001f2a9b77"
    assert entry.labels == ("Culture", "Cities")
    assert entry.author == "Ines Moreau"
    assert entry.links == ()  # the bookmark card's link is chrome
    assert blocks_of(entry) == (
        P("The branch on Elm Street now stays open until midnight."),
        H("Who Comes at Night"),
        P("Students, mostly, and night-shift nurses between buses."),
        I("Quiet tables fill first."),
        I("The printers run until closing."),
        P("The pilot runs through September."),
        P("Whether it lasts depends on the autumn budget."),
    )


def test_rss_091_with_netscape_doctype() -> None:
    feed = parse_feed((FEEDS / "rss091.xml").read_bytes(), url="http://oldtown.example.net/rss.xml")
    assert feed.version == "rss091n"
    meters, fences = feed.entries
    assert (meters.entry_id, meters.published, meters.author) == (None, None, None)
    assert meters.url == "http://oldtown.example.net/essays/parking-meters.html"
    assert fences.url == "http://oldtown.example.net/essays/fences.html"
    assert meters.summary_only and fences.summary_only  # teaser descriptions only


def test_rss_10_rdf() -> None:
    feed = parse_feed((FEEDS / "rss10_rdf.xml").read_bytes())
    assert feed.version == "rss10"
    (entry,) = feed.entries
    assert entry.entry_id == "https://tidewater.example.org/2023/11/seawall.html"
    assert entry.author == "Morgan Hale"
    assert entry.published == datetime(2023, 11, 20, 18, 0, tzinfo=UTC)
    assert entry.labels == ("coast",)
    assert entry.summary_only is False
    assert blocks_of(entry) == (
        P("The council approved the seawall on a 6–3 vote."),
        P("Construction starts in 2025, if the bonds sell."),
    )


def test_summary_only_entry_is_flagged() -> None:
    (entry,) = feed_fixture("summary_only.xml")
    assert entry.summary_only is True
    assert entry.published == datetime(2024, 7, 17, 11, 0, tzinfo=UTC)
    assert entry.url == "https://margincall.example.com/posts/what-a-rate-cut-buys"


def _rss(items: str, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return f'{declaration}<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def test_long_description_without_teaser_is_full_text() -> None:
    body = "<p>" + "The committee met again and argued about the formula. " * 30 + "</p>"
    (entry,) = parse_feed(_rss(f"<item><title>A</title><description><![CDATA[{body}]]></description></item>")).entries
    assert entry.summary_only is False
    assert entry.html == body
    long_teaser = "<p>" + "word " * 200 + "[…]</p>"
    (teaser,) = parse_feed(_rss(f"<item><description><![CDATA[{long_teaser}]]></description></item>")).entries
    assert teaser.summary_only is True


def test_entries_without_id_link_or_date_still_come_out() -> None:
    entries = feed_fixture("no_ids.xml")
    assert [(e.title, e.entry_id, e.url, e.published) for e in entries] == [
        ("No Guid Here", None, "https://undated.example.com/no-guid", None),
        ("Nothing But a Title", None, None, None),
        ("", None, None, None),
    ]
    assert [blocks_of(e) for e in entries][2] == (P("This item has only a description."),)


def test_empty_but_valid_feed_is_not_an_error() -> None:
    feed = parse_feed(_rss(""))
    assert (feed.title, feed.entries, feed.version) == ("T", [], "rss20")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty document"),
        (b"   \n", "empty document"),
        (b"this is not xml at all", "not a feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "not a feed"),
        (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>a</title>'
            b"<description>full</description></item><item><title>b</title><description>cut he",
            "truncated feed",
        ),
        (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></chan', "malformed XML"),
    ],
)
def test_malformed_documents_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_feed(data)
    assert caught.value.reason.startswith(reason)
    assert isinstance(caught.value, ValueError)


def test_html_error_page_is_not_a_feed() -> None:
    page = (
        b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
        b"<body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
    )
    with pytest.raises(SourceError, match="HTML page"):
        parse_feed(page, url="https://blog.example/feed", content_type="text/html; charset=utf-8")


def test_slightly_broken_xml_is_read_leniently_with_a_warning() -> None:
    feed = parse_feed(_rss("<item><title>Tom & Jerry&nbsp;Again</title><description>x</description></item>"))
    assert [e.title for e in feed.entries] == ["Tom & Jerry Again"]
    assert feed.warning is not None and "malformed XML" in feed.warning


def _billion_laughs() -> bytes:
    entities = [b'<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        entities.append(b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10))
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n'
        + b"\n".join(entities)
        + b'\n]>\n<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title></item>'
        b"</channel></rss>"
    )


@pytest.mark.parametrize(
    "data",
    [
        _billion_laughs(),
        b'<?xml version="1.0"?><!-- hi --><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><title>&xxe;</title><item><title>x</title></item></channel></rss>',
        b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "x>y" [<!ENTITY %'
        b' p SYSTEM "http://evil.example/p.dtd"> %p;]>'
        b'<rss version="2.0"><channel><title>T</title></channel></rss>',
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [<!ENTITY a "&b;&b;">]>'
        '<rss version="2.0"><channel><title>&a;</title></channel></rss>'.encode("utf-16"),
    ],
    ids=["billion-laughs", "external-entity", "parameter-entity", "utf16-entities"],
)
def test_entity_declarations_are_refused_before_parsing(data: bytes) -> None:
    with pytest.raises(SourceError, match="entit"):
        parse_feed(data)


def test_external_doctype_without_internal_subset_is_fine() -> None:
    data = _rss(
        "<item><title>ok</title></item>",
        declaration='<?xml version="1.0"?>\n'
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd">',
    )
    assert [e.title for e in parse_feed(data).entries] == ["ok"]


def test_cp1252_bytes_labelled_utf8_are_read_as_cp1252() -> None:
    text = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>Caf\xe9 \u201cpolicy\u201d \u2014 na\xefve</title>"
        "<description>It\u2019s \u201cfine\u201d.</description></item></channel></rss>"
    )
    feed = parse_feed(text.encode("cp1252"), content_type="application/rss+xml; charset=utf-8")
    (entry,) = feed.entries
    assert entry.title == "Café “policy” — naïve"
    assert entry.html == "It’s “fine”."
    assert feed.warning is not None


def test_latin1_without_declaration() -> None:
    data = (
        '<rss version="2.0"><channel><title>Caf\xe9</title>'
        "<item><title>Na\xefve cr\xe8me</title></item></channel></rss>"
    )
    feed = parse_feed(data.encode("latin-1"))
    assert feed.title == "Café"
    assert [e.title for e in feed.entries] == ["Naïve crème"]


def test_http_charset_is_respected() -> None:
    data = '<?xml version="1.0"?><rss version="2.0"><channel><title>\xc5land</title></channel></rss>'
    feed = parse_feed(data.encode("latin-1"), content_type="application/xml; charset=ISO-8859-1")
    assert feed.title == "Åland"
    assert feed.warning is None


def test_utf16_feed_with_bom() -> None:
    data = '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>Ünïcode</title>'
    data += "<item><title>Ä</title></item></channel></rss>"
    feed = parse_feed(data.encode("utf-16"))
    assert (feed.title, [e.title for e in feed.entries]) == ("Ünïcode", ["Ä"])


def test_plain_text_content_is_wrapped_as_paragraphs() -> None:
    atom = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        b"<entry><id>urn:1</id><title>Plain</title><content"
        b" type='text'>First &lt;para&gt;.\n\nSecond.</content>"
        b"</entry></feed>"
    )
    (entry,) = parse_feed(atom).entries
    assert blocks_of(entry) == (P("First <para>."), P("Second."))


# ---------------------------------------------------------------------------
# Article pages


def test_article_page_metadata_and_main_text() -> None:
    html = (PAGES / "article.html").read_text(encoding="utf-8")
    entry = parse_article_page(html, url="https://margincall.example.com/posts/what-a-rate-cut-buys?utm_source=x")
    assert entry.title == "What a Rate Cut Buys"
    assert entry.url == "https://margincall.example.com/posts/what-a-rate-cut-buys"
    assert entry.author == "Theo Lindqvist"
    assert entry.published == datetime(2024, 7, 17, 11, 0, tzinfo=UTC)
    assert entry.labels == ("interest rates", "Housing", "mortgages")
    assert entry.links == ("https://margincall.example.com/posts/the-mortgage-gap",)
    assert entry.summary_only is False
    blocks = blocks_of(entry)
    assert blocks[:3] == (
        P(
            "Everyone expects the cut in September. Fewer people ask"
            " what it will actually change for a family "
            "with a variable mortgage, or for a landlord deciding whether to refinance a small building with "
            "six units."
        ),
        P(
            "Take a household that owes $240,000 at a floating rate. A"
            " quarter-point cut trims about $40 a month "
            "from the payment, which is real money but not the kind that changes where anyone lives."
        ),
        H("The Landlord's Arithmetic"),
    )
    assert Q("A cut is a gift to whoever holds the most debt, which is rarely whoever needs the gift most.") in blocks
    assert I("Fixed-rate borrowers feel nothing until they refinance.") in blocks
    assert blocks[-1] == P("None of this argues against the cut. It argues for being honest about who it helps.")
    text = "\n".join(b.text for b in blocks)
    for chrome in ("Archive", "Great piece", "All rights reserved", "Subscribe"):
        assert chrome not in text


def test_article_page_metadata_fallbacks() -> None:
    body = "<p>" + "A sentence about the harbour budget and its many line items. " * 8 + "</p>"
    html = (
        "<html><head><title>Tide Tables | Harbor Lines</title>"
        '<script type="application/ld+json">{"@graph": [{"@type": "WebSite"}, {"@type": "BlogPosting", '
        '"datePublished": "2022-01-05", "author": [{"name": "Lena Sato"}], "keywords": ["tides", "Tides"]}]}'
        f"</script></head><body><article>{body}</article></body></html>"
    )
    entry = parse_article_page(html, url=None)
    assert (entry.title, entry.author, entry.url) == ("Tide Tables", "Lena Sato", None)
    assert entry.published == datetime(2022, 1, 5, tzinfo=UTC)
    assert entry.labels == ("tides",)


def test_page_without_article_text_is_refused() -> None:
    with pytest.raises(SourceError, match="no article text found"):
        parse_article_page((PAGES / "empty_page.html").read_text(encoding="utf-8"), url="https://x.example/")


# ---------------------------------------------------------------------------
# Markdown and plain text


def test_jekyll_post_with_date_from_file_name() -> None:
    path = POSTS / "2021-04-12-the-levy-question.md"
    entry = parse_markdown(path.read_text(encoding="utf-8"), path=str(path))
    assert entry.title == "The Levy Question"
    assert entry.published == datetime(2021, 4, 12, tzinfo=UTC)
    assert entry.labels == ("levy", "school board", "schools", "taxes")
    assert entry.author == "Ruth Calloway"
    assert entry.url == "/2021/04/the-levy-question/"  # relative permalink kept raw
    assert entry.entry_id == "tag:blogger.com,1999:blog-111.post-222"
    assert entry.source == str(path)
    assert entry.html is None
    assert entry.links == ("https://levywatch.example.org/2019/05/third-try/",)
    assert entry.blocks == (
        P(
            "Voters in the district will see the levy on the ballot for the fourth time since 2009 "
            "(the third try failed by 112 votes)."
        ),
        H("What the Money Pays For"),
        P("Most of it pays for bus routes, which is not what the mailers say. See the budget for the details."),
        Q("“We ran out of drivers before we ran out of money,” the transport director told the board."),
        P("Route 14: 212 riders"),
        I("Bus routes"),
        I("Building repairs"),
    )


def test_hugo_post_with_toml_front_matter() -> None:
    path = POSTS / "hugo-lighthouse.md"
    entry = parse_markdown(path.read_text(encoding="utf-8"), path=str(path))
    assert entry.title == "Who Pays for the Lighthouse"
    assert entry.published == datetime(2022, 9, 3, 17, 15, tzinfo=UTC)
    assert entry.labels == ("public goods", "Harbors", "Economics")
    assert entry.author == "Lena Sato"
    assert entry.url == "https://harborlines.example.net/posts/who-pays-for-the-lighthouse/"
    assert entry.blocks == (
        P("The lighthouse on Gull Point costs $310,000 a year to keep lit."),
        P("Nobody pays a toll to look at it, which is the whole problem."),
    )


def test_yaml_string_date_comma_tags_and_repeated_heading() -> None:
    path = POSTS / "yaml-string-date.md"
    entry = parse_markdown(path.read_text(encoding="utf-8"), path=str(path))
    assert entry.published == datetime(2020, 2, 28, 17, 30, tzinfo=UTC)
    assert entry.labels == ("hearings", "transit", "Local Politics")
    assert entry.blocks == (P("The hearing ran four hours."),)


def test_markdown_without_front_matter_takes_title_from_heading_or_file_name() -> None:
    entry = parse_markdown("# A Heading Title\n\nBody.\n", path="notes/untitled.md")
    assert (entry.title, entry.blocks) == ("A Heading Title", (P("Body."),))
    entry = parse_markdown("Body only.\n", path="content/posts/gull-point-notes/index.md")
    assert (entry.title, entry.published) == ("Gull point notes", None)


@pytest.mark.parametrize(
    "text",
    [
        (POSTS / "unfinished-draft.md").read_text(encoding="utf-8"),
        "---\ntitle: Hidden\npublished: false\n---\nBody.\n",
    ],
)
def test_drafts_are_skipped(text: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_markdown(text, path="draft.md")
    assert caught.value.reason == "draft"


def test_bad_front_matter_is_refused() -> None:
    with pytest.raises(SourceError, match="bad front matter"):
        parse_markdown("---\ntitle: [unclosed\n---\nBody.\n", path="bad.md")


def test_plain_text_essay() -> None:
    path = POSTS / "2019-11-02-on-footnotes.txt"
    entry = parse_text(path.read_text(encoding="utf-8"), path=str(path))
    assert entry.title == "On Footnotes"
    assert entry.published == datetime(2019, 11, 2, tzinfo=UTC)
    assert entry.blocks == (
        P("Footnotes are where historians hide the arguments they are not sure enough to make in the main text."),
        H("THE CASE FOR THEM"),
        P("A footnote lets a reader check the claim without the writer breaking stride."),
        P("“Cite everything, trust nothing.”\n— A professor of mine, 1994"),
        H("The Case Against Them"),
        P("Nobody reads them."),
    )


def test_plain_text_without_a_title_line_uses_the_file_name() -> None:
    entry = parse_text(
        "It was a long meeting, and it ended badly.\nSee https://blog.example/earlier.\n",
        path="meeting_notes.txt",
    )
    assert entry.title == "Meeting notes"
    assert entry.blocks == (P("It was a long meeting, and it ended badly. See https://blog.example/earlier."),)
    assert entry.links == ("https://blog.example/earlier",)


def test_parse_date_forms() -> None:
    assert parse_date("2020-02-28 18:30:00 +0100") == datetime(2020, 2, 28, 17, 30, tzinfo=UTC)
    assert parse_date("2024-07-17T07:00:00Z") == datetime(2024, 7, 17, 7, 0, tzinfo=UTC)
    assert parse_date("Wed, 17 Jul 2024 07:00:00 -0400") == datetime(2024, 7, 17, 11, 0, tzinfo=UTC)
    assert parse_date("2022-01-05") == datetime(2022, 1, 5, tzinfo=UTC)
    assert parse_date("last Tuesday") is None


# ---------------------------------------------------------------------------
# Local files and folders


@pytest.mark.parametrize("parallel_from", [1000, 2], ids=["here", "in a pool of processes"])
def test_read_directory_with_one_bad_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel_from: int) -> None:
    monkeypatch.setattr(sources, "PARALLEL_FROM", parallel_from)
    shutil.copy(FEEDS / "wordpress_rss.xml", tmp_path / "wordpress.xml")
    (tmp_path / "b-posts").mkdir()
    shutil.copy(POSTS / "2021-04-12-the-levy-question.md", tmp_path / "b-posts" / "2021-04-12-levy.md")
    shutil.copy(POSTS / "unfinished-draft.md", tmp_path / "b-posts" / "draft.md")
    shutil.copy(POSTS / "2019-11-02-on-footnotes.txt", tmp_path / "c-footnotes.TXT")
    shutil.copy(PAGES / "article.html", tmp_path / "d-article.html")
    (tmp_path / "a-broken.rss").write_bytes(b"<html><body>Not Found</body></html>")
    (tmp_path / "notes.json").write_text("{}")  # unsupported: skipped silently
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "hidden.md").write_text("# Hidden\n\nbody\n")

    result = read_path(tmp_path)

    assert [(path.name, entry.title) for path, entry in result.entries] == [
        ("2021-04-12-levy.md", "The Levy Question"),
        ("c-footnotes.TXT", "On Footnotes"),
        ("d-article.html", "What a Rate Cut Buys"),
        ("wordpress.xml", "Standing, Again"),
    ]
    assert [(path.name, error.reason) for path, error in result.errors] == [
        ("a-broken.rss", "got an HTML page where a feed was expected"),
        ("draft.md", "draft"),
    ]
    article = next(entry for path, entry in result.entries if path.name == "d-article.html")
    assert article.url == "https://margincall.example.com/posts/what-a-rate-cut-buys"  # from og:url


def test_read_single_file_and_missing_path(tmp_path: Path) -> None:
    single = read_path(FEEDS / "blogger_atom.xml")
    assert len(single.entries) == 2 and single.errors == []
    missing = read_path(tmp_path / "nope")
    assert [(p.name, e.reason) for p, e in missing.errors] == [("nope", "no such file or directory")]
    odd = tmp_path / "data.csv"
    odd.write_text("a,b\n")
    assert [e.reason for _, e in read_path(odd).errors] == ["unsupported file type: .csv"]


def test_read_cp1252_text_file(tmp_path: Path) -> None:
    path = tmp_path / "quotes.txt"
    path.write_bytes("Title Line\n\nShe said \u201cno\u201d \u2014 twice.\n".encode("cp1252"))
    ((_, entry),) = read_path(path).entries
    assert entry.blocks == (P("She said “no” — twice."),)


def test_markdown_moved_from_blogger_keeps_its_old_address_as_url() -> None:
    text = (
        "---\ntitle: Moved House\ndate: 2012-03-04\n"
        "blogger_orig_url: https://old.example.com/2012/03/moved-house.html\n---\n\n"
        "The blog moved, but the old links in older posts still point at the old address.\n"
    )
    entry = parse_markdown(text, path="2012-03-04-moved-house.md")
    assert entry.url == "https://old.example.com/2012/03/moved-house.html"


JEKYLL_POST = """---
title: The Ferry Timetable
date: 2006-03-04
tags: [transport]
---
{body}
"""
JEKYLL_BODIES = {
    ".html": '<p class="MsoNormal">The county cut the <b>ferry</b> timetable again.</p><p>Nobody asked the riders.</p>',
    ".mdown": "The county cut the **ferry** timetable again.\n\nNobody asked the riders.\n",
    ".mkd": "The county cut the **ferry** timetable again.\n\nNobody asked the riders.\n",
}


@pytest.mark.parametrize("suffix", sorted(JEKYLL_BODIES))
def test_jekyll_posts_in_html_and_every_markdown_extension_are_read(tmp_path: Path, suffix: str) -> None:
    """A blog imported into Jekyll keeps its posts as front matter over HTML or Markdown."""
    path = tmp_path / f"2006-03-04-ferry{suffix}"
    path.write_text(JEKYLL_POST.format(body=JEKYLL_BODIES[suffix]))
    ((_, entry),) = read_path(path).entries
    assert entry.title == "The Ferry Timetable" and entry.labels == ("transport",)
    assert entry.blocks == (P("The county cut the ferry timetable again."), P("Nobody asked the riders."))


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("sam@blog.example (Sam Writer)", "Sam Writer"),
        ("Sam Writer <sam@blog.example>", "Sam Writer"),
        ('"Sam Writer" <sam@blog.example>', "Sam Writer"),
        ("noreply@blogger.com (Dana Okafor)", "Dana Okafor"),
        ("Dana Okafor (noreply@blogger.com)", "Dana Okafor"),
        ("sam@blog.example", None),
        ("  Sam   Writer ", "Sam Writer"),
        ("", None),
        (None, None),
    ],
)
def test_rss_authors_become_display_names(raw: str | None, name: str | None) -> None:
    assert person_name(raw) == name
