"""A corpus of bad feeds and bad responses, served on 127.0.0.1 by ``tests.fetch_server.FetchServer``.

Every case says what the server answers on each poll (``polls``) and what the poller must
make of it (``expect``, ``reason``, ``new_titles``). ``tests/faults/test_bad_feeds.py`` runs
each one against the real poller and store; ``fault`` groups the cases in the summary table.

The essays are original text written for these tests. The feed is always at ``/feed``; a
case may add other paths (redirect hops, an external DTD, article pages).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Literal

from tests.fetch_server import FetchServer, Route, gzip_stream, redirect

ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
FEED_TITLE = "Harbour Notes"
MIB = 1024 * 1024

Routes = dict[str, Route]
Serve = Callable[[FetchServer], Routes]


@dataclass(frozen=True)
class Post:
    """One feed entry. ``entry_id``, ``path`` (its link) and ``published`` may be missing on purpose."""

    title: str
    paragraphs: tuple[str, ...]
    entry_id: str | None
    path: str | None
    published: str | None  # an Atom (RFC 3339) date

    def html(self) -> str:
        return "".join(f"<p>{escape(p)}</p>" for p in self.paragraphs)


def post(slug: str, title: str, published: str | None, paragraphs: tuple[str, ...]) -> Post:
    return Post(title, paragraphs, f"tag:harbour.example,2025:{slug}", f"/posts/{slug}", published)


KNOWN = (
    post(
        "pilot-boats",
        "Who Pays for the Pilot Boats",
        "2025-04-02T08:00:00Z",
        (
            "The pilot boats that guide freighters past the sandbar were paid for, until this spring, by a levy "
            "on the freighters themselves. The harbour commission has now proposed to move the cost onto the "
            "general rates, which means onto every household in the district.",
            "The commission’s argument is that the pilots keep the channel safe for everyone, fishing boats and "
            "ferries included. That is true, and it is also true that the freighters cause almost all of the "
            "work: a trawler skipper does not call a pilot to cross a bar he has crossed since childhood.",
            "A fairer split would charge by the call — each pilot job billed to the ship that asked for it — and "
            "keep a small standing fee for the readiness everyone benefits from. Nobody at the meeting proposed it.",
        ),
    ),
    post(
        "breakwater",
        "The Breakwater Survey, Read Slowly",
        "2025-04-09T08:00:00Z",
        (
            "The engineers’ survey of the north breakwater runs to ninety pages, and the summary that reached the "
            "council runs to one. The one page says “serviceable for the medium term”; the ninety pages say "
            "something closer to “serviceable if nothing unusual happens.”",
            "Storms are the unusual thing a breakwater exists for. Reading the appendices, one finds that two of "
            "the concrete caissons have shifted since the last survey, and that the survey before that one was "
            "never finished because the money ran out.",
            "None of this calls for panic. It does call for the council to read past the first page before it "
            "spends next year’s maintenance budget on a new car park.",
        ),
    ),
    post(
        "fish-market",
        "Moving the Fish Market Inland",
        "2025-04-16T08:00:00Z",
        (
            "The plan to move the fish market to the business park by the ring road has been sold as "
            "modernisation. Cold storage, loading bays, parking for the buyers’ vans: all of it is real, and all "
            "of it could have been built on the quay.",
            "What the quay has that the business park lacks is the reason the market began there — the boats. "
            "Every crate landed will now ride a lorry for six kilometres before anyone bids on it.",
            "The traders who objected were told the decision was final. It may be; but a market is where buyers "
            "and sellers choose to meet, and a decision cannot make them choose the ring road.",
        ),
    ),
)
NEW = post(
    "ferry-timetable",
    "The Winter Ferry Timetable",
    "2025-04-23T08:00:00Z",
    (
        "The winter timetable cuts the last ferry back from the island from nine in the evening to half past six. "
        "For the people who work late shifts on the mainland, that turns a commute into an overnight stay.",
        "The operator says the late boats ran nearly empty. They ran nearly empty in January; in October and "
        "March they carried the hospital’s night staff, who have now been asked to find beds in town.",
        "A timetable is a promise about who the service is for. This one quietly answers that question for them.",
    ),
)
OTHER_NEW = post(
    "lighthouse-keepers",
    "What the Lighthouse Keepers Knew",
    "2025-04-24T08:00:00Z",
    (
        "The last keeper left the lighthouse on the point in the year the light was automated, and the logbooks "
        "went to the county archive, where almost nobody has opened them since.",
        "They are worth opening. Each entry records the weather, the ships sighted and the state of the lamp, and "
        "read together they are the longest record of this coast’s storms that anyone has.",
        "Before the council decides that the sea wall can wait, someone should count how often the keepers wrote "
        "that the spray reached the lantern room.",
    ),
)
# Non-ASCII where a wrong decoding would show: accents, curly quotes, a dash.
ACCENTED = post(
    "cafe-hours",
    "Café owners and the “quiet hours” rule",
    "2025-04-25T08:00:00Z",
    (
        "The quiet-hours rule closes the café terraces on the quay at ten, and the owners say it costs them the "
        "best hour of the summer evening — the hour after the last ferry lands.",
        "The residents above the cafés say the hour after ten is the only one in which they can sleep with the "
        "window open. Both are right, which is why the rule should be a compromise rather than a curfew.",
        "Half past ten on weekdays, eleven on Saturdays, and a phone number that reaches someone who can act on a "
        "complaint: that is all either side has actually asked for.",
    ),
)
LATIN1 = replace(ACCENTED, title="Café owners and the quiet-hours rule")  # latin-1 has no curly quotes
SHORT = (
    "The harbour master’s note for the day: tides, moorings and the state of the slipway.",
    "Moorings on the east pontoon are free from Monday; the slipway is closed for resurfacing until Thursday.",
)


# --- documents ---------------------------------------------------------------------------------


def atom_entry(server: FetchServer, item: Post, *, content: str | None = None, summary: str | None = None) -> str:
    parts = []
    if item.entry_id is not None:
        parts.append(f"<id>{escape(item.entry_id)}</id>")
    parts.append(f"<title>{escape(item.title)}</title>")
    if item.path is not None:
        parts.append(f'<link rel="alternate" href="{server.url(item.path)}"/>')
    if item.published is not None:
        parts.append(f"<published>{item.published}</published><updated>{item.published}</updated>")
    if summary is not None:
        parts.append(f'<summary type="html">{escape(summary)}</summary>')
    else:
        parts.append(f'<content type="html">{escape(item.html() if content is None else content)}</content>')
    return f"<entry>{''.join(parts)}</entry>"


def atom(
    server: FetchServer,
    posts: tuple[Post, ...] | list[Post],
    *,
    encoding: str = "utf-8",
    extra: str = "",
    prolog: str = "",
) -> str:
    """An Atom feed of ``posts``; ``extra`` is raw entry XML appended, ``prolog`` goes before the root."""
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else '<?xml version="1.0"?>'
    entries = "".join(atom_entry(server, item) for item in posts)
    return (
        f'{declaration}{prolog}<feed xmlns="http://www.w3.org/2005/Atom"><title>{FEED_TITLE}</title>'
        f"<id>tag:harbour.example,2025:feed</id><updated>2025-04-30T00:00:00Z</updated>{entries}{extra}</feed>"
    )


def good(server: FetchServer) -> Routes:
    """The healthy feed every case starts from and recovers to."""
    return {"/feed": Route(body=atom(server, KNOWN), headers=ATOM)}


def serve_posts(*posts: Post, headers: Mapping[str, str] = ATOM) -> Serve:
    return lambda server: {"/feed": Route(body=atom(server, posts), headers=dict(headers))}


def serve_body(body: bytes | str, *, status: int = 200, headers: Mapping[str, str] = ATOM) -> Serve:
    return lambda server: {"/feed": Route(status=status, body=body, headers=dict(headers))}


def serve_encoded(posts: tuple[Post, ...], encoding: str, *, declared: str, headers: Mapping[str, str]) -> Serve:
    """The feed encoded as ``encoding`` while its XML declaration says ``declared`` ("" for none)."""

    def build(server: FetchServer) -> Routes:
        text = atom(server, posts, encoding=declared)
        return {"/feed": Route(body=text.encode(encoding, errors="xmlcharrefreplace"), headers=dict(headers))}

    return build


def serve_redirect(location: Callable[[FetchServer], str]) -> Serve:
    return lambda server: {"/feed": redirect(location(server))}


def closed_port() -> int:
    """A local port with nothing listening (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the faults --------------------------------------------------------------------------------


def billion_laughs(server: FetchServer) -> Routes:
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    prolog = f"<!DOCTYPE feed [{''.join(levels)}]>"
    extra = atom_entry(server, replace(NEW, title="&lol9;")).replace("&amp;lol9;", "&lol9;")
    return {"/feed": Route(body=atom(server, KNOWN, prolog=prolog, extra=extra), headers=ATOM)}


def xxe_file(server: FetchServer) -> Routes:
    prolog = '<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    extra = atom_entry(server, NEW, content="&xxe;").replace("&amp;xxe;", "&xxe;")
    return {"/feed": Route(body=atom(server, KNOWN, prolog=prolog, extra=extra), headers=ATOM)}


def _evil_dtd(server: FetchServer) -> Route:
    return Route(body='<!ENTITY leak SYSTEM "file:///etc/passwd">', headers={"Content-Type": "application/xml-dtd"})


def xxe_parameter_entity(server: FetchServer) -> Routes:
    prolog = f'<!DOCTYPE feed [<!ENTITY % remote SYSTEM "{server.url("/evil.dtd")}"> %remote;]>'
    return {"/feed": Route(body=atom(server, KNOWN, prolog=prolog), headers=ATOM), "/evil.dtd": _evil_dtd(server)}


def external_dtd(server: FetchServer) -> Routes:
    prolog = f'<!DOCTYPE feed SYSTEM "{server.url("/evil.dtd")}">'
    return {"/feed": Route(body=atom(server, KNOWN, prolog=prolog), headers=ATOM), "/evil.dtd": _evil_dtd(server)}


def truncated(server: FetchServer) -> Routes:
    text = atom(server, [*KNOWN, NEW])
    return {"/feed": Route(body=text[: len(text) * 2 // 3], headers=ATOM)}


def truncated_at_entry(server: FetchServer) -> Routes:
    text = atom(server, [*KNOWN, NEW])
    cut = text.rindex("</entry>") + len("</entry>")
    return {"/feed": Route(body=text[:cut], headers=ATOM)}


def malformed(server: FetchServer) -> Routes:
    body = f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{FEED_TITLE}<<<</feed>'
    return {"/feed": Route(body=body, headers=ATOM)}


def surrogate_reference(server: FetchServer) -> Routes:
    """A character reference to a lone surrogate: expat refuses it, and feedparser's lenient parser crashed on it."""
    extra = atom_entry(server, replace(NEW, title="Tides &#xD800; and moorings")).replace("&amp;#xD800;", "&#xD800;")
    return {"/feed": Route(body=atom(server, KNOWN, extra=extra), headers=ATOM)}


def lenient(server: FetchServer) -> Routes:
    """Known entries after a bare ``&`` in the feed title: broken XML that can still be read."""
    text = atom(server, KNOWN).replace(f"<title>{FEED_TITLE}</title>", "<title>Harbour & Notes</title>", 1)
    return {"/feed": Route(body=text, headers=ATOM)}


def oversized_declared(server: FetchServer) -> Routes:
    filler = "<!-- " + "x" * (6 * MIB) + " -->"
    return {"/feed": Route(body=atom(server, KNOWN, prolog=filler), headers=ATOM)}


def _endless_feed() -> Iterator[bytes]:
    yield b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Harbour Notes</title>'
    chunk = b"<!-- " + b"x" * (256 * 1024) + b" -->"
    for _ in range(64):  # 16 MiB at most, far past the cap
        yield chunk


def oversized_streamed(server: FetchServer) -> Routes:
    return {"/feed": Route(stream=_endless_feed, headers=ATOM)}


def gzip_bomb(server: FetchServer) -> Routes:
    # A gigabyte of zeros, about a megabyte on the wire.
    return {"/feed": Route(gzip=True, stream=lambda: gzip_stream(1 << 30), headers=ATOM)}


def gzip_corrupt(server: FetchServer) -> Routes:
    def chunks() -> Iterator[bytes]:
        yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        yield b"this is not deflate data at all" * 40

    return {"/feed": Route(gzip=True, stream=chunks, headers=ATOM)}


def slow_drip(server: FetchServer) -> Routes:
    return {"/feed": Route(body=atom(server, KNOWN), headers=ATOM, drip=0.01)}


def stalled_body(server: FetchServer) -> Routes:
    return {"/feed": Route(body=atom(server, KNOWN), headers=ATOM, drip=5.0)}


def slow_headers(server: FetchServer) -> Routes:
    return {"/feed": Route(body=atom(server, KNOWN), headers=ATOM, delay=5.0)}


def redirect_loop(server: FetchServer) -> Routes:
    return {"/feed": redirect("/feed-moved"), "/feed-moved": redirect("/feed-old"), "/feed-old": redirect("/feed")}


def redirect_chain(server: FetchServer) -> Routes:
    routes = {"/feed": redirect("/hop/1", status=301)}
    for hop in range(1, 8):
        routes[f"/hop/{hop}"] = redirect(f"/hop/{hop + 1}", status=301)
    routes["/hop/8"] = Route(body=atom(server, KNOWN), headers=ATOM)
    return routes


def html_login(server: FetchServer) -> Routes:
    body = (
        "<!doctype html><html><head><title>Sign in</title></head><body><form action='/login' method='post'>"
        "<h1>Sign in to continue</h1><input name='user'><input name='password' type='password'>"
        "<button>Sign in</button></form></body></html>"
    )
    return {"/feed": Route(body=body, headers={"Content-Type": "application/rss+xml"})}


def html_error(server: FetchServer) -> Routes:
    body = (
        "<!DOCTYPE html><html><body><h1>Something went wrong</h1><p>Error establishing a database connection. "
        "Please try again in a few minutes.</p></body></html>"
    )
    return {"/feed": Route(body=body, headers=HTML)}


def changing_ids(poll: int) -> Serve:
    """The known posts under ids (and links) that change on every poll; titles and dates stay."""

    def build(server: FetchServer) -> Routes:
        moved = [replace(item, entry_id=f"urn:uuid:poll-{poll}-{index}") for index, item in enumerate(KNOWN)]
        return {"/feed": Route(body=atom(server, moved), headers=ATOM)}

    return build


def duplicate_ids(server: FetchServer) -> Routes:
    # The same new entry twice, then a different entry reusing its id.
    twin = replace(OTHER_NEW, entry_id=NEW.entry_id)
    return {"/feed": Route(body=atom(server, [NEW, NEW, twin, *KNOWN]), headers=ATOM)}


LOG_START = datetime(2024, 1, 1, tzinfo=UTC)


def log_posts(count: int) -> list[Post]:
    """``count`` short entries, an hour apart, newest last."""
    return [
        Post(
            f"Harbour log, day {index}",
            (f"Day {index}: {SHORT[0]}", SHORT[1]),
            f"tag:harbour.example,2025:log-{index}",
            f"/log/{index}",
            (LOG_START + timedelta(hours=index)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        for index in range(count)
    ]


def thousands(posts: list[Post]) -> Serve:
    """A feed of many short entries (about 1.5 MB for 5,000: within the 5 MiB cap), newest first."""
    return lambda server: {"/feed": Route(body=atom(server, posts[::-1]), headers=ATOM)}


def mixed(server: FetchServer) -> Routes:
    """Known posts, one good new post, and three entries that cannot be read."""
    empty = Post("Nothing here", (), "tag:harbour.example,2025:empty", "/posts/empty", "2025-04-20T08:00:00Z")
    teaser = Post("Teaser only", (), "tag:harbour.example,2025:teaser", None, "2025-04-21T08:00:00Z")
    broken_page = Post("Page gone", (), "tag:harbour.example,2025:gone", "/posts/gone", "2025-04-22T08:00:00Z")
    extra = (
        atom_entry(server, empty, content="<p> </p><p>* * *</p>")
        + atom_entry(server, teaser, summary="A short teaser. Continue reading…")
        + atom_entry(server, broken_page, summary="Another teaser. Read more")
    )
    return {
        "/feed": Route(body=atom(server, [NEW, *KNOWN], extra=extra), headers=ATOM),
        "/posts/gone": Route(status=404, body="gone"),
    }


# --- the corpus ---------------------------------------------------------------------------------


Expect = Literal["fail", "ok"]


@dataclass(frozen=True)
class BadFeed:
    """One case. ``polls`` are served in turn, one poll each, on a feed already primed with KNOWN.

    ``expect``: "fail" (every poll fails, with ``reason`` in its one-line reason) or "ok" (every
    poll succeeds; ``reason``, if set, is a fragment of some poll's message). ``new_titles``: the
    genuinely new essays the polls may queue, in queue order. ``policy``: FetchPolicy overrides.
    ``retry_after``: the least delay before the next poll. ``never_requested``: paths the
    fetcher must not touch. ``first_poll``: also run the polls on a feed never polled before.
    ``told_once``: the moderators hear about it on the first bad poll only, not on every poll.
    """

    name: str
    fault: str
    polls: tuple[Serve, ...]
    expect: Expect
    reason: str = ""
    new_titles: tuple[str, ...] = ()
    policy: Mapping[str, float] = field(default_factory=dict)
    retry_after: float | None = None
    never_requested: tuple[str, ...] = ()
    first_poll: bool = True
    told_once: bool = False


def _ip(address: str, path: str = "/feed") -> Callable[[FetchServer], str]:
    return lambda server: f"http://{address}:{server.port}{path}"


FAST_TIMEOUTS = {"read_timeout": 0.3, "total_timeout": 1.0}

CASES: tuple[BadFeed, ...] = (
    # XML that is not a well-formed feed
    BadFeed("malformed-xml", "malformed XML", (malformed,), "fail", "malformed XML"),
    BadFeed("lenient-xml", "malformed XML", (lenient,), "ok"),
    BadFeed("surrogate-char-reference", "malformed XML", (surrogate_reference,), "fail", "malformed XML"),
    BadFeed("truncated-xml", "malformed XML", (truncated,), "fail", "truncated feed"),
    BadFeed("truncated-at-entry", "malformed XML", (truncated_at_entry,), "fail", "truncated feed"),
    # XML attacks
    BadFeed("billion-laughs", "XML attacks", (billion_laughs,), "fail", "declares its own DTD entities"),
    BadFeed("xxe-file", "XML attacks", (xxe_file,), "fail", "declares its own DTD entities"),
    BadFeed(
        "xxe-parameter-entity",
        "XML attacks",
        (xxe_parameter_entity,),
        "fail",
        "declares its own DTD entities",
        never_requested=("/evil.dtd",),
    ),
    BadFeed("external-dtd", "XML attacks", (external_dtd,), "ok", never_requested=("/evil.dtd",)),
    # size
    BadFeed("oversized-declared", "size limits", (oversized_declared,), "fail", "larger than the 5 MiB limit"),
    BadFeed("oversized-streamed", "size limits", (oversized_streamed,), "fail", "larger than the 5 MiB limit"),
    BadFeed("gzip-bomb", "size limits", (gzip_bomb,), "fail", "larger than the 5 MiB limit"),
    BadFeed("gzip-corrupt", "size limits", (gzip_corrupt,), "fail", "cut off or corrupt"),
    # time
    BadFeed("slow-drip", "slow servers", (slow_drip,), "fail", "took longer than 1 s", policy=FAST_TIMEOUTS),
    BadFeed("stalled-body", "slow servers", (stalled_body,), "fail", "nothing for 0.3 s", policy=FAST_TIMEOUTS),
    BadFeed("slow-headers", "slow servers", (slow_headers,), "fail", "nothing for 0.3 s", policy=FAST_TIMEOUTS),
    BadFeed(
        "connection-refused",
        "slow servers",
        (serve_redirect(lambda server: f"http://127.0.0.1:{closed_port()}/feed"),),
        "fail",
        "could not connect to 127.0.0.1",
    ),
    # redirects
    BadFeed("redirect-loop", "redirects", (redirect_loop,), "fail", "redirect loop"),
    BadFeed("redirect-chain-over-cap", "redirects", (redirect_chain,), "fail", "too many redirects (more than 5)"),
    BadFeed(
        "redirect-to-file-scheme",
        "redirects",
        (serve_redirect(lambda server: "file:///etc/passwd"),),
        "fail",
        "scheme 'file' is not http or https",
    ),
    # the address guard: only 127.0.0.1 (the test server) is allowed
    BadFeed("redirect-to-10.x", "address guard", (serve_redirect(_ip("10.1.2.3")),), "fail", "a private address"),
    BadFeed(
        "redirect-to-192.168.x", "address guard", (serve_redirect(_ip("192.168.1.20")),), "fail", "a private address"
    ),
    BadFeed(
        "redirect-to-metadata",
        "address guard",
        (serve_redirect(_ip("169.254.169.254", "/latest/meta-data/")),),
        "fail",
        "a link-local address",
    ),
    BadFeed(
        "redirect-to-127.0.0.2", "address guard", (serve_redirect(_ip("127.0.0.2")),), "fail", "a loopback address"
    ),
    BadFeed("redirect-to-ipv6-loopback", "address guard", (serve_redirect(_ip("[::1]")),), "fail", "loopback"),
    BadFeed(
        "redirect-to-ipv4-mapped-ipv6",
        "address guard",
        (serve_redirect(_ip("[::ffff:10.0.0.7]")),),
        "fail",
        "a private address",
    ),
    # HTTP errors
    BadFeed("http-404", "HTTP errors", (serve_body("not here", status=404),), "fail", "not found (404)"),
    BadFeed("http-410", "HTTP errors", (serve_body("removed", status=410),), "fail", "gone (410)"),
    BadFeed("http-500", "HTTP errors", (serve_body("oops", status=500),), "fail", "server error (500)"),
    BadFeed(
        "http-503-retry-after",
        "HTTP errors",
        (serve_body("maintenance", status=503, headers={"Retry-After": "7200"}),),
        "fail",
        "server error (503)",
        retry_after=7200,
    ),
    BadFeed(
        "http-429-retry-after",
        "HTTP errors",
        (serve_body("slow down", status=429, headers={"Retry-After": "14400"}),),
        "fail",
        "rate limiting us (429)",
        retry_after=14400,
    ),
    # a 200 that is not a feed
    BadFeed("html-error-page", "not a feed", (html_error,), "fail", "HTML page where a feed was expected"),
    BadFeed("html-login-as-rss", "not a feed", (html_login,), "fail", "HTML page where a feed was expected"),
    BadFeed(
        "json-error-body",
        "not a feed",
        (serve_body('{"error": "feed unavailable", "code": 503}', headers={"Content-Type": "application/json"}),),
        "fail",
        "not a feed",
    ),
    BadFeed("empty-body", "not a feed", (serve_body(b""),), "fail", "empty document"),
    BadFeed("whitespace-body", "not a feed", (serve_body(b"  \r\n\t \n"),), "fail", "empty document"),
    # encodings
    BadFeed(
        "cp1252-labelled-utf8",
        "encodings",
        (serve_encoded((*KNOWN, ACCENTED), "cp1252", declared="utf-8", headers=ATOM),),
        "ok",
        new_titles=(ACCENTED.title,),
    ),
    BadFeed(
        "latin1-no-charset",
        "encodings",
        (serve_encoded((*KNOWN, LATIN1), "latin-1", declared="", headers={"Content-Type": "application/atom+xml"}),),
        "ok",
        new_titles=(LATIN1.title,),
    ),
    BadFeed(
        "utf16",
        "encodings",
        (
            serve_encoded(
                (*KNOWN, ACCENTED), "utf-16", declared="utf-16", headers={"Content-Type": "application/atom+xml"}
            ),
        ),
        "ok",
        new_titles=(ACCENTED.title,),
    ),
    BadFeed(
        "utf8-bom",
        "encodings",
        (
            lambda server: {
                "/feed": Route(body=b"\xef\xbb\xbf" + atom(server, [*KNOWN, ACCENTED]).encode(), headers=ATOM)
            },
        ),
        "ok",
        new_titles=(ACCENTED.title,),
    ),
    # entries
    BadFeed("duplicate-ids", "entries", (duplicate_ids, duplicate_ids), "ok", new_titles=(NEW.title,)),
    BadFeed(
        "missing-ids",
        "entries",
        (serve_posts(replace(NEW, entry_id=None), *KNOWN),) * 2,
        "ok",
        new_titles=(NEW.title,),
    ),
    BadFeed(
        "missing-links-and-dates",
        "entries",
        (serve_posts(replace(NEW, entry_id=None, path=None, published=None), *KNOWN),) * 2,
        "ok",
        new_titles=(NEW.title,),
    ),
    BadFeed(
        "future-and-1970-dates",
        "entries",
        (
            serve_posts(
                replace(NEW, published="2999-01-01T00:00:00Z"),
                replace(OTHER_NEW, published="1970-01-01T00:00:00Z"),
                *KNOWN,
            ),
        )
        * 2,
        "ok",
        new_titles=(OTHER_NEW.title, NEW.title),  # oldest first
    ),
    BadFeed(
        "mixed-valid-invalid",
        "entries",
        (mixed, mixed),
        "ok",
        "3 entries could not be read and will be retried",
        new_titles=(NEW.title,),
        told_once=True,
    ),
    # identities that move
    BadFeed(
        "ids-change-every-poll",
        "changing identities",
        (changing_ids(1), changing_ids(2), changing_ids(3)),
        "ok",
        "came back with new ids",
        told_once=True,
    ),
    BadFeed(
        "entry-vanishes-and-returns",
        "changing identities",
        (serve_posts(*KNOWN[1:]), serve_posts(*KNOWN)),
        "ok",
        first_poll=False,  # on a first poll the returning entry was never seen, so it is new
    ),
    # volume
    BadFeed(
        "valid-but-empty",
        "volume",
        (serve_posts(),),
        "fail",
        "no entries, though it listed essays before",
        first_poll=False,  # an empty feed is a quiet new blog on a first poll (tested on its own)
    ),
)
