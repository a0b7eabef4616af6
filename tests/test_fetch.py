"""The fetcher against a real local server: limits, redirects, the address guard, errors."""

from __future__ import annotations

import ipaddress
import random
import socket
import tracemalloc
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.fetch import (
    DEFAULT_USER_AGENT,
    MIB,
    Fetcher,
    FetchError,
    FetchPolicy,
    address_problem,
    format_size,
    next_poll_delay,
    normalise_url,
    parse_retry_after,
    resolve_url,
)
from tests.fetch_server import FetchServer, Route, gzip_stream, redirect

# Loopback only, so the local server is reachable but every other private range is not.
LOCAL = FetchPolicy(allowed_networks=("127.0.0.1/32",), total_timeout=10.0)

FEED = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom"><title>Notes on Tidal Clocks</title>'
    "<entry><title>Why the harbour clock runs slow</title></entry></feed>"
)
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}


class MapResolver(AbstractResolver):
    """Answers from a table instead of DNS; unknown names fail like a DNS miss."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        pass


class Tracer:
    """Records every request started and connection made by a session."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.connections = 0
        self.config = aiohttp.TraceConfig()
        self.config.on_request_start.append(self._on_request)
        self.config.on_connection_create_end.append(self._on_connection)

    async def _on_request(
        self, session: aiohttp.ClientSession, ctx: object, params: aiohttp.TraceRequestStartParams
    ) -> None:
        self.requests.append(str(params.url))

    async def _on_connection(
        self, session: aiohttp.ClientSession, ctx: object, params: aiohttp.TraceConnectionCreateEndParams
    ) -> None:
        self.connections += 1


@pytest.fixture
async def server() -> AsyncIterator[FetchServer]:
    async with FetchServer() as running:
        yield running


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(LOCAL) as local:
        yield local


async def fetch_error(fetcher: Fetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(url)
    return caught.value


# --- success and conditional GET ----------------------------------------------------


async def test_fetch_returns_body_type_and_charset(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/feed.xml", Route(body=FEED, headers=ATOM))
    result = await fetcher.fetch(server.url("/feed.xml"))
    assert result.status == 200
    assert result.body == FEED.encode()
    assert result.content_type == "application/atom+xml"
    assert result.charset == "utf-8"
    assert result.final_url == result.url == server.url("/feed.xml")
    assert not result.not_modified


async def test_user_agent_and_accept_are_sent(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/feed.xml", Route(body=FEED, headers=ATOM))
    await fetcher.fetch(server.url("/feed.xml"))
    headers = server.requests[0].headers
    assert headers["User-Agent"] == DEFAULT_USER_AGENT
    assert "application/atom+xml" in headers["Accept"]


async def test_etag_then_304(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/feed.xml", Route(body=FEED, headers=ATOM, etag='"v7"'))
    first = await fetcher.fetch(server.url("/feed.xml"))
    assert first.etag == '"v7"'
    assert not first.not_modified

    second = await fetcher.fetch(server.url("/feed.xml"), etag=first.etag)
    assert second.status == 304
    assert second.not_modified
    assert second.body == b""
    assert second.etag == '"v7"'
    assert server.requests[1].headers["If-None-Match"] == '"v7"'
    assert "If-None-Match" not in server.requests[0].headers


async def test_last_modified_then_304(server: FetchServer, fetcher: Fetcher) -> None:
    stamp = "Tue, 03 Mar 2026 08:00:00 GMT"
    server.route("/feed.xml", Route(body=FEED, headers=ATOM, last_modified=stamp))
    first = await fetcher.fetch(server.url("/feed.xml"))
    assert first.last_modified == stamp

    second = await fetcher.fetch(server.url("/feed.xml"), last_modified=stamp)
    assert second.not_modified
    assert second.last_modified == stamp
    assert server.requests[1].headers["If-Modified-Since"] == stamp


async def test_304_without_validators_keeps_the_ones_sent(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/bare", Route(status=304))
    result = await fetcher.fetch(server.url("/bare"), etag='"a1"', last_modified="Mon, 02 Mar 2026 10:00:00 GMT")
    assert result.not_modified
    assert result.etag == '"a1"'
    assert result.last_modified == "Mon, 02 Mar 2026 10:00:00 GMT"


async def test_changed_etag_gets_the_new_body(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/feed.xml", Route(body=FEED, headers=ATOM, etag='"v8"'))
    result = await fetcher.fetch(server.url("/feed.xml"), etag='"v7"')
    assert not result.not_modified
    assert result.body == FEED.encode()
    assert result.etag == '"v8"'


async def test_gzip_body_is_decompressed(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/feed.xml", Route(body=FEED, headers=ATOM, gzip=True))
    result = await fetcher.fetch(server.url("/feed.xml"))
    assert result.body == FEED.encode()


async def test_html_page_type_is_exposed(server: FetchServer, fetcher: Fetcher) -> None:
    # A 200 error page is the feed parser's to spot; the fetcher only reports the type.
    page = "<html><body><p>The harbour clock gains a minute each spring tide.</p></body></html>"
    server.route("/essay", Route(body=page, headers={"Content-Type": "Text/HTML; charset=ISO-8859-1"}))
    result = await fetcher.fetch(server.url("/essay"))
    assert result.content_type == "text/html"
    assert result.charset == "iso-8859-1"
    assert result.body == page.encode()


# --- body limits --------------------------------------------------------------------


async def test_oversized_body_is_refused_with_the_cap(server: FetchServer) -> None:
    server.route("/big", Route(body=b"x" * 70_000))
    async with Fetcher(FetchPolicy(allowed_networks=("127.0.0.1/32",), max_body_bytes=64 * 1024)) as small:
        error = await fetch_error(small, server.url("/big"))
    assert "64 KiB limit" in error.reason
    assert error.status == 200
    assert not error.retryable


async def test_oversized_streamed_body_without_length_is_cut(server: FetchServer) -> None:
    server.route("/endless", Route(stream=lambda: (b"y" * 4096 for _ in range(10_000))))
    async with Fetcher(FetchPolicy(allowed_networks=("127.0.0.1/32",), max_body_bytes=100_000)) as small:
        error = await fetch_error(small, server.url("/endless"))
    assert "100000 bytes limit" in error.reason


async def test_body_at_the_cap_is_accepted(server: FetchServer) -> None:
    server.route("/exact", Route(body=b"z" * 1000))
    async with Fetcher(FetchPolicy(allowed_networks=("127.0.0.1/32",), max_body_bytes=1000)) as small:
        result = await small.fetch(server.url("/exact"))
    assert len(result.body) == 1000


async def test_gzip_bomb_stops_at_the_cap_with_little_memory(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/bomb", Route(stream=lambda: gzip_stream(1 << 30), gzip=True, headers=ATOM))
    tracemalloc.start()
    try:
        error = await fetch_error(fetcher, server.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "5 MiB limit" in error.reason  # the default cap
    assert not error.retryable
    # The cap is 5 MiB of a 1 GiB body: the peak shows the rest was never held.
    assert peak < 16 * MIB


# --- redirects ----------------------------------------------------------------------


async def test_redirect_chain_is_followed(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/old", redirect("/moved", status=302))
    server.route("/moved", redirect(server.url("/feed.xml"), status=307))
    server.route("/feed.xml", Route(body=FEED, headers=ATOM))
    result = await fetcher.fetch(server.url("/old"))
    assert result.url == server.url("/old")
    assert result.final_url == server.url("/feed.xml")
    assert result.body == FEED.encode()
    assert not result.moved_permanently


async def test_permanent_redirects_are_reported(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/old", redirect("/new", status=301))
    server.route("/new", redirect("/feed.xml", status=308))
    server.route("/feed.xml", Route(body=FEED, headers=ATOM))
    result = await fetcher.fetch(server.url("/old"))
    assert result.moved_permanently
    assert result.final_url == server.url("/feed.xml")


async def test_redirect_keeps_conditional_headers(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/old", redirect("/feed.xml", status=301))
    server.route("/feed.xml", Route(body=FEED, etag='"v2"'))
    result = await fetcher.fetch(server.url("/old"), etag='"v2"')
    assert result.not_modified


async def test_redirect_loop_is_stopped(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/a", redirect("/b"))
    server.route("/b", redirect("/a"))
    error = await fetch_error(fetcher, server.url("/a"))
    assert "redirect loop" in error.reason
    assert server.hits("/a") == 1
    assert server.hits("/b") == 1


async def test_redirect_chain_over_the_cap_is_stopped(server: FetchServer, fetcher: Fetcher) -> None:
    for hop in range(10):
        server.route(f"/hop{hop}", redirect(f"/hop{hop + 1}"))
    error = await fetch_error(fetcher, server.url("/hop0"))
    assert "too many redirects (more than 5)" in error.reason
    assert not error.retryable
    assert len(server.requests) == 6  # the first request and five redirects, no more


async def test_redirect_without_location_is_an_error(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/odd", Route(status=302))
    error = await fetch_error(fetcher, server.url("/odd"))
    assert error.status == 302
    assert "without a Location" in error.reason


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("http://10.0.0.1/feed", "refused: 10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local address"),
        ("http://[::1]:8080/", "refused: ::1 is a loopback address"),
        ("http://127.0.0.2/", "refused: 127.0.0.2 is a loopback address"),
        ("file:///etc/passwd", "refused: scheme 'file' is not http or https"),
    ],
)
async def test_redirect_to_a_refused_target_never_connects(server: FetchServer, target: str, expected: str) -> None:
    server.route("/go", redirect(target))
    tracer = Tracer()
    async with Fetcher(LOCAL, trace_configs=[tracer.config]) as fetcher:
        error = await fetch_error(fetcher, server.url("/go"))
    assert error.reason == f"{expected} (after a redirect from 127.0.0.1)"
    assert not error.retryable
    assert tracer.requests == [server.url("/go")]
    assert tracer.connections == 1


# --- the address guard --------------------------------------------------------------


async def test_loopback_is_refused_by_the_default_policy(server: FetchServer) -> None:
    server.route("/feed.xml", Route(body=FEED))
    async with Fetcher() as production:
        error = await fetch_error(production, server.url("/feed.xml"))
    assert error.reason == "refused: 127.0.0.1 is a loopback address"
    assert not error.retryable
    assert server.requests == []


async def test_allow_private_addresses_switches_the_guard_off(server: FetchServer) -> None:
    server.route("/feed.xml", Route(body=FEED))
    async with Fetcher(FetchPolicy(allow_private_addresses=True)) as open_fetcher:
        result = await open_fetcher.fetch(server.url("/feed.xml"))
    assert result.body == FEED.encode()


@pytest.mark.parametrize(
    "url",
    [
        "http://0.0.0.0/",
        "http://10.20.30.40/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[64:ff9b::a00:1]/",
        "http://[2002:a00:1::]/",
        "http://0x7f.1/",
        "http://2130706433/",
        "http://127.1/",
        "http://0177.0.0.1/",
    ],
)
async def test_non_public_literal_addresses_are_refused(url: str) -> None:
    tracer = Tracer()
    async with Fetcher(trace_configs=[tracer.config]) as production:
        error = await fetch_error(production, url)
    assert error.reason.startswith("refused: ")
    assert not error.retryable
    assert tracer.requests == []


async def test_name_resolving_to_a_private_address_is_refused() -> None:
    resolver = MapResolver({"feed.example": ["10.0.0.5"]})
    tracer = Tracer()
    async with Fetcher(resolver=resolver, trace_configs=[tracer.config]) as production:
        error = await fetch_error(production, "https://feed.example/atom.xml")
    assert error.reason == "refused: feed.example resolves to a private address 10.0.0.5"
    assert not error.retryable
    assert resolver.asked == ["feed.example"]
    assert tracer.connections == 0


async def test_name_with_one_private_answer_among_public_ones_is_refused() -> None:
    resolver = MapResolver({"mixed.example": ["93.184.216.34", "192.168.0.9"]})
    async with Fetcher(resolver=resolver) as production:
        error = await fetch_error(production, "http://mixed.example/")
    assert error.reason == "refused: mixed.example resolves to a private address 192.168.0.9"


async def test_redirect_to_a_name_resolving_privately_is_refused(server: FetchServer) -> None:
    resolver = MapResolver({"blog.example": ["127.0.0.1"], "internal.example": ["169.254.169.254"]})
    server.route("/feed.xml", redirect("http://internal.example/latest/meta-data/"))
    async with Fetcher(LOCAL, resolver=resolver) as fetcher:
        error = await fetch_error(fetcher, server.url("/feed.xml", host="blog.example"))
    assert error.reason == (
        "refused: internal.example resolves to a link-local address 169.254.169.254"
        " (after a redirect from blog.example)"
    )


async def test_allowed_name_reaches_the_server_with_its_host_header(server: FetchServer) -> None:
    resolver = MapResolver({"blog.example": ["127.0.0.1"]})
    server.route("/feed.xml", Route(body=FEED, headers=ATOM))
    async with Fetcher(LOCAL, resolver=resolver) as fetcher:
        result = await fetcher.fetch(server.url("/feed.xml", host="blog.example"))
    assert result.body == FEED.encode()
    assert server.requests[0].headers["Host"] == f"blog.example:{server.port}"


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("100.100.100.100", "a shared (CGNAT) address"),
        ("0.0.0.0", "an unspecified address"),
        ("239.1.2.3", "a multicast address"),
        ("::1", "a loopback address"),
        ("::ffff:192.168.0.1", "a private address"),
        ("fe80::abcd", "a link-local address"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_problem(address: str, problem: str | None) -> None:
    assert address_problem(ipaddress.ip_address(address)) == problem


def test_policy_rejects_a_bad_allowed_network() -> None:
    with pytest.raises(ValueError):
        FetchPolicy(allowed_networks=("not a network",))


# --- bad URLs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///etc/passwd", "refused: scheme 'file' is not http or https"),
        ("ftp://files.example/feed.xml", "refused: scheme 'ftp' is not http or https"),
        ("javascript:alert(1)", "refused: scheme 'javascript' is not http or https"),
        ("feed.example/atom.xml", "malformed URL"),
        ("", "malformed URL"),
        ("http://", "malformed URL"),
        ("http://[::1/", "malformed URL"),
        ("http://feed.example:99999/", "malformed URL"),
        ("http://exa mple.com/", "malformed URL"),
    ],
)
async def test_bad_urls_are_refused(fetcher: Fetcher, url: str, expected: str) -> None:
    error = await fetch_error(fetcher, url)
    assert error.reason.startswith(expected)
    assert not error.retryable


# --- HTTP errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(404, False), (410, False), (403, False), (500, True), (502, True), (503, True)],
)
async def test_http_errors(server: FetchServer, fetcher: Fetcher, status: int, retryable: bool) -> None:
    server.route("/feed.xml", Route(status=status, body="<html>oops</html>"))
    error = await fetch_error(fetcher, server.url("/feed.xml"))
    assert error.status == status
    assert error.retryable is retryable
    assert str(status) in error.reason
    assert error.retry_after is None


async def test_429_with_retry_after_seconds(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/feed.xml", Route(status=429, headers={"Retry-After": "120"}))
    error = await fetch_error(fetcher, server.url("/feed.xml"))
    assert error.status == 429
    assert error.retryable
    assert error.retry_after == 120.0
    assert "rate limiting" in error.reason


async def test_503_with_retry_after_date_in_the_past(server: FetchServer, fetcher: Fetcher) -> None:
    server.route("/feed.xml", Route(status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    error = await fetch_error(fetcher, server.url("/feed.xml"))
    assert error.retryable
    assert error.retry_after == 0.0


async def test_reason_leaves_out_query_and_credentials(server: FetchServer, fetcher: Fetcher) -> None:
    url = server.url("/private.xml?token=s3cr3t", host="reader:hunter2@127.0.0.1")
    error = await fetch_error(fetcher, url)
    assert error.status == 404
    assert "s3cr3t" not in error.reason
    assert "hunter2" not in error.reason


# --- timeouts and connection failures -----------------------------------------------


async def test_slow_headers_hit_the_read_timeout(server: FetchServer) -> None:
    server.route("/slow", Route(body=FEED, delay=5.0))
    policy = FetchPolicy(allowed_networks=("127.0.0.1/32",), read_timeout=0.2, total_timeout=10.0)
    async with Fetcher(policy) as fetcher:
        error = await fetch_error(fetcher, server.url("/slow"))
    assert error.retryable
    assert "timed out waiting for 127.0.0.1" in error.reason


async def test_slow_headers_hit_the_total_timeout(server: FetchServer) -> None:
    server.route("/slow", Route(body=FEED, delay=5.0))
    policy = FetchPolicy(allowed_networks=("127.0.0.1/32",), read_timeout=10.0, total_timeout=0.3)
    async with Fetcher(policy) as fetcher:
        error = await fetch_error(fetcher, server.url("/slow"))
    assert error.retryable
    assert "took longer than 0.3 s" in error.reason


async def test_slow_drip_body_is_cut_by_the_total_timeout(server: FetchServer) -> None:
    # A byte every 50 ms never trips the idle timeout; only the total one can stop it.
    server.route("/drip", Route(body=b"." * 10_000, drip=0.05, headers=ATOM))
    policy = FetchPolicy(allowed_networks=("127.0.0.1/32",), read_timeout=5.0, total_timeout=0.5)
    async with Fetcher(policy) as fetcher:
        error = await fetch_error(fetcher, server.url("/drip"))
    assert error.retryable
    assert "took longer than 0.5 s" in error.reason


async def test_connection_refused_is_retryable(fetcher: Fetcher) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now.
    error = await fetch_error(fetcher, f"http://127.0.0.1:{port}/feed.xml")
    assert error.retryable
    assert error.reason.startswith("could not connect to 127.0.0.1")


async def test_dns_failure_is_retryable() -> None:
    async with Fetcher(resolver=MapResolver({})) as production:
        error = await fetch_error(production, "https://nowhere.example/feed")
    assert error.reason == "could not resolve nowhere.example"
    assert error.retryable


# --- lifecycle ----------------------------------------------------------------------


async def test_closed_fetcher_refuses_to_fetch(server: FetchServer) -> None:
    fetcher = Fetcher(LOCAL)
    server.route("/feed.xml", Route(body=FEED))
    await fetcher.fetch(server.url("/feed.xml"))
    await fetcher.close()
    await fetcher.close()  # closing twice is harmless
    with pytest.raises(RuntimeError):
        await fetcher.fetch(server.url("/feed.xml"))


async def test_one_session_serves_many_fetches(server: FetchServer) -> None:
    tracer = Tracer()
    server.route("/feed.xml", Route(body=FEED))
    async with Fetcher(LOCAL, trace_configs=[tracer.config]) as fetcher:
        for _ in range(3):
            await fetcher.fetch(server.url("/feed.xml"))
    assert len(tracer.requests) == 3
    assert tracer.connections == 1  # keep-alive: the connection was reused


# --- pure helpers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Blog.Example.COM/Essays/Tides", "https://blog.example.com/Essays/Tides"),
        ("https://blog.example.com:443/a", "https://blog.example.com/a"),
        ("http://blog.example.com:80/a", "http://blog.example.com/a"),
        ("http://blog.example.com:8080/a", "http://blog.example.com:8080/a"),
        ("https://blog.example.com:80/a", "https://blog.example.com:80/a"),
        ("https://blog.example.com/a#comments", "https://blog.example.com/a"),
        ("https://blog.example.com/a/", "https://blog.example.com/a"),
        ("https://blog.example.com/a///", "https://blog.example.com/a"),
        ("https://blog.example.com/", "https://blog.example.com/"),
        ("https://blog.example.com", "https://blog.example.com/"),
        ("http://blog.example.com/a", "http://blog.example.com/a"),
        (
            "https://blog.example.com/a?utm_source=x&b=2&UTM_Medium=y&a=1&fbclid=z",
            "https://blog.example.com/a?a=1&b=2",
        ),
        ("https://blog.example.com/a?gclid=1&ref=home&mc_cid=2&mc_eid=3", "https://blog.example.com/a"),
        ("https://blog.example.com/a?", "https://blog.example.com/a"),
        ("https://blog.example.com/a?page=2&&", "https://blog.example.com/a?page=2"),
        ("https://blog.example.com/a?referrer=kept", "https://blog.example.com/a?referrer=kept"),
        ("https://blog.example.com/x/../a/./b", "https://blog.example.com/a/b"),
        ("https://blog.example.com/%7ejo/caf%c3%a9", "https://blog.example.com/~jo/caf%C3%A9"),
        ("https://reader:pw@blog.example.com/a", "https://blog.example.com/a"),
        ("https://blog.example.com./a", "https://blog.example.com/a"),
        ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
        ("  https://blog.example.com/a\n", "https://blog.example.com/a"),
    ],
)
def test_normalise_url(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_normalise_url_is_idempotent() -> None:
    once = normalise_url("HTTPS://Blog.Example.com:443/x/../Tides/?utm_campaign=a&z=1&a=2#top")
    assert once == "https://blog.example.com/Tides?a=2&z=1"
    assert normalise_url(once) == once


@pytest.mark.parametrize("url", ["/relative/path", "mailto:editor@blog.example", "ftp://files.example/a", ""])
def test_normalise_url_rejects_non_http_urls(url: str) -> None:
    with pytest.raises(ValueError):
        normalise_url(url)


@pytest.mark.parametrize(
    ("base", "href", "expected"),
    [
        ("https://blog.example.com/2024/tides/", "../clocks/", "https://blog.example.com/2024/clocks/"),
        ("https://blog.example.com/2024/tides", "clocks", "https://blog.example.com/2024/clocks"),
        ("https://blog.example.com/a/b", "/c", "https://blog.example.com/c"),
        ("https://blog.example.com/a", "//other.example/x", "https://other.example/x"),
        ("https://blog.example.com/a", "http://plain.example/", "http://plain.example/"),
        ("https://blog.example.com/a?x=1", "#notes", "https://blog.example.com/a?x=1#notes"),
        ("https://blog.example.com/a/", " b\n/c ", "https://blog.example.com/a/b/c"),
    ],
)
def test_resolve_url(base: str, href: str, expected: str) -> None:
    assert resolve_url(base, href) == expected


def test_next_poll_delay_without_failures_is_the_base_with_jitter() -> None:
    rng = random.Random(7)
    delays = [next_poll_delay(900.0, 0, retry_after=None, rng=rng) for _ in range(200)]
    assert all(810.0 <= delay <= 990.0 for delay in delays)
    assert len(set(delays)) > 1  # jittered, not constant


def test_next_poll_delay_doubles_per_failure() -> None:
    plain = [next_poll_delay(60.0, failures, retry_after=None, rng=random.Random(1)) for failures in range(4)]
    # The same seed gives the same jitter factor, so the ratios are exact.
    assert plain[1] == pytest.approx(plain[0] * 2)
    assert plain[2] == pytest.approx(plain[0] * 4)
    assert plain[3] == pytest.approx(plain[0] * 8)


@pytest.mark.parametrize(
    ("base", "cap"),
    [(60.0, 24 * 60.0), (1800.0, 6 * 3600.0), (86_400.0, 86_400.0)],
)
def test_next_poll_delay_is_capped(base: float, cap: float) -> None:
    rng = random.Random(3)
    for failures in (20, 1000):
        delay = next_poll_delay(base, failures, retry_after=None, rng=rng)
        assert cap * 0.9 <= delay <= cap * 1.1


def test_retry_after_is_a_floor() -> None:
    rng = random.Random(5)
    assert next_poll_delay(60.0, 1, retry_after=3600.0, rng=rng) == 3600.0
    assert 100.0 <= next_poll_delay(900.0, 0, retry_after=5.0, rng=rng) <= 990.0


def test_next_poll_delay_rejects_bad_arguments() -> None:
    rng = random.Random(0)
    with pytest.raises(ValueError):
        next_poll_delay(0.0, 0, retry_after=None, rng=rng)
    with pytest.raises(ValueError):
        next_poll_delay(60.0, -1, retry_after=None, rng=rng)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("120", 120.0),
        (" 30 ", 30.0),
        ("Tue, 03 Mar 2026 12:02:00 GMT", 120.0),
        ("Tue, 03 Mar 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        ("-5", None),
        ("999999999", 24 * 3600.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2026, 3, 3, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == expected


def test_format_size() -> None:
    assert format_size(5 * MIB) == "5 MiB"
    assert format_size(64 * 1024) == "64 KiB"
    assert format_size(1000) == "1000 bytes"


async def test_timeout_after_a_redirect_names_both_hosts(server: FetchServer) -> None:
    resolver = MapResolver({"blog.example": ["127.0.0.1"]})
    server.route("/old", redirect(server.url("/slow", host="blog.example")))
    server.route("/slow", Route(body=FEED, delay=5.0))
    policy = FetchPolicy(allowed_networks=("127.0.0.1/32",), read_timeout=0.2, total_timeout=10.0)
    async with Fetcher(policy, resolver=resolver) as fetcher:
        error = await fetch_error(fetcher, server.url("/old"))
    assert error.reason == (
        "timed out waiting for blog.example to send data (nothing for 0.2 s) (after a redirect from 127.0.0.1)"
    )
    assert error.retryable
