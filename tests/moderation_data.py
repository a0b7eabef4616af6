"""Feeds and essay pages written for the moderation tests (original text), served by tests/fetch_server.py."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from tests.fetch_server import FetchServer, Route

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class EssayText:
    slug: str
    title: str
    date: str  # RFC 822, as RSS wants it
    sections: tuple[tuple[str, tuple[str, ...]], ...]

    def html(self) -> str:
        parts: list[str] = []
        for heading, paragraphs in self.sections:
            parts.append(f"<h2>{escape(heading)}</h2>")
            parts.extend(f"<p>{escape(p)}</p>" for p in paragraphs)
        return "\n".join(parts)


ESSAYS = (
    EssayText(
        "harbour-levy",
        "The Harbour Levy Nobody Asked For",
        "Mon, 03 Mar 2025 09:00:00 +0000",
        (
            (
                "What the council decided",
                (
                    "On Tuesday the town council voted to charge every boat in the old harbour a flat levy of "
                    "$140 a season. The vote was five to two, and the debate lasted barely twenty minutes.",
                    "Supporters said the money would repair the sea wall. Nobody could say how much the repair "
                    "would cost, which is a strange way to set a price.",
                ),
            ),
            (
                "Who pays",
                (
                    "A flat charge falls hardest on the small rowing boats kept by retired fishermen. A yacht "
                    "owner pays the same $140 as a man with a dinghy and a bucket.",
                    "If the wall matters to everyone, the cost should follow the use. Length of hull is an easy "
                    "measure and the harbour master already records it.",
                ),
            ),
            (
                "A better way",
                (
                    "The council could publish the repair estimate first and then set the levy to meet it. "
                    "That is how the bridge fund worked in 2011, and it was paid off in six years.",
                    "Until then, the levy is a number in search of a reason.",
                ),
            ),
        ),
    ),
    EssayText(
        "library-hours",
        "Why the Library Should Open on Sundays",
        "Wed, 05 Mar 2025 09:00:00 +0000",
        (
            (
                "The empty Sunday",
                (
                    "Every Sunday the central library sits dark while the cafés across the square are full of "
                    "students with laptops and nowhere quiet to work.",
                    "Opening for five hours would cost about 4 percent of the branch budget, by the library's "
                    "own figures.",
                ),
            ),
            (
                "The objection",
                (
                    "The usual objection is staff. But the volunteers' association has offered to cover the "
                    "desk twice a month, and the trial in the east branch drew 300 visitors a day.",
                    "A service that people queue for on its first Sunday is not a luxury.",
                ),
            ),
        ),
    ),
    EssayText(
        "tram-timetable",
        "The Tram Timetable Is a Promise",
        "Fri, 07 Mar 2025 09:00:00 +0000",
        (
            (
                "Late again",
                (
                    "The number 4 tram was late on nineteen of the last twenty weekdays. The timetable at the "
                    "stop has not changed in three years.",
                    "A timetable that is never kept teaches riders to stop reading it.",
                ),
            ),
            (
                "What to change",
                (
                    "Print the real average times instead of the hoped-for ones. Riders can plan around a slow "
                    "tram; they cannot plan around a fiction.",
                    "Then fix the junction at the market, where every tram waits for the lights twice.",
                ),
            ),
        ),
    ),
)


def essay_url(server: FetchServer, essay: EssayText) -> str:
    return server.url(f"/posts/{essay.slug}")


def rss_feed(server: FetchServer, essays: tuple[EssayText, ...] = ESSAYS, title: str = "Notes from the Quay") -> str:
    items = []
    for essay in reversed(essays):  # newest first, as feeds list them
        url = essay_url(server, essay)
        items.append(
            f"<item><title>{escape(essay.title)}</title><link>{url}</link><guid>{url}</guid>"
            f"<pubDate>{essay.date}</pubDate><description>{escape(essay.html())}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{server.url('/')}</link><description>A town blog</description>"
        + "".join(items)
        + "</channel></rss>"
    )


def essay_page(essay: EssayText) -> str:
    return (
        f"<!doctype html><html><head><title>{escape(essay.title)}</title>"
        f'<meta property="article:published_time" content="2025-03-09T09:00:00Z"></head>'
        f"<body><article><h1>{escape(essay.title)}</h1>{essay.html()}</article></body></html>"
    )


def serve_blog(server: FetchServer) -> None:
    """/feed.xml (RSS with every essay), /posts/<slug> (each essay's page), /about (a page, no feed)."""
    server.route("/feed.xml", Route(body=rss_feed(server), headers=RSS))
    for essay in ESSAYS:
        server.route(f"/posts/{essay.slug}", Route(body=essay_page(essay), headers=HTML))
    server.route("/about", Route(body="<!doctype html><html><body><p>About this blog.</p></body></html>", headers=HTML))


LONE_ESSAY = EssayText(
    "ferry-fares",
    "Ferry Fares and the Island School",
    "Mon, 10 Mar 2025 09:00:00 +0000",
    (
        (
            "The fare rise",
            (
                "The ferry company raised the return fare to $12 this month, and the island school's "
                "eleven pupils who cross daily now cost their families $264 a month each.",
                "The company says fuel prices left no choice. Its annual report shows a profit of $2.1 million.",
            ),
        ),
        (
            "A school pass",
            (
                "A term pass for pupils, priced at cost, would fix this without touching adult fares.",
                "Other crossings on the coast already do it, and none has gone bankrupt.",
            ),
        ),
    ),
)


def serve_lone_essay(server: FetchServer) -> str:
    """A page not in the feed, for "post by URL"; returns its address."""
    server.route(f"/posts/{LONE_ESSAY.slug}", Route(body=essay_page(LONE_ESSAY), headers=HTML))
    return essay_url(server, LONE_ESSAY)


# A second blog, followed by another server in the server-scope tests: nothing of it may show in the first.
SECOND_BLOG = "Upland Ledger"
SECOND_ESSAYS = (
    EssayText(
        "quarry-permit",
        "The Quarry Permit and the Orchard Road",
        "Tue, 04 Mar 2025 09:00:00 +0000",
        (
            (
                "The permit",
                (
                    "The county granted the granite quarry a permit for 90 more trucks a day on the orchard "
                    "road. “We were told about it after the vote,” said Ottilie Brandvold, who farms at the bend.",
                    "The road was built for tractors. Its bridge carries a limit of 18 tonnes, and a loaded "
                    "quarry truck weighs 32.",
                ),
            ),
            (
                "What the growers want",
                (
                    "The growers' cooperative asks for a weight survey before the first truck rolls. "
                    "“Measure twice, haul once,” said Casimir Oyelowo, its chair.",
                ),
            ),
        ),
    ),
    EssayText(
        "snowplough-budget",
        "Who Ploughs the Upper Valley",
        "Thu, 06 Mar 2025 09:00:00 +0000",
        (
            (
                "Last winter",
                (
                    "The upper valley waited 41 hours for a plough after the January storm. The county's "
                    "contract promises six.",
                    "“A promise on paper keeps nobody warm,” said Ottilie Brandvold at the hearing.",
                ),
            ),
        ),
    ),
)


def serve_second_blog(server: FetchServer) -> str:
    """/b/feed.xml with the second blog's essays and /b/posts/<slug> pages; returns the feed's address."""
    items = []
    for essay in reversed(SECOND_ESSAYS):
        url = server.url(f"/b/posts/{essay.slug}")
        # Ids that are no addresses, as Blogger's: an essay's key then cannot be fetched as a page.
        guid = f"tag:upland.example,2025:{essay.slug}"
        items.append(
            f'<item><title>{escape(essay.title)}</title><link>{url}</link><guid isPermaLink="false">{guid}</guid>'
            f"<pubDate>{essay.date}</pubDate><description>{escape(essay.html())}</description></item>"
        )
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{SECOND_BLOG}</title><link>{server.url('/b/')}</link><description>A valley blog</description>"
        + "".join(items)
        + "</channel></rss>"
    )
    server.route("/b/feed.xml", Route(body=feed, headers=RSS))
    for essay in SECOND_ESSAYS:
        server.route(f"/b/posts/{essay.slug}", Route(body=essay_page(essay), headers=HTML))
    return server.url("/b/feed.xml")
