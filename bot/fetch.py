"""Fetching feeds and article pages over HTTP, safely.

One ``Fetcher`` owns one aiohttp session. Every fetch:

- accepts only absolute http/https URLs;
- follows redirects itself (at most ``max_redirects``), checking every hop;
- refuses loopback, private, link-local and other non-public addresses unless the
  policy allows them. The check runs in the resolver the connector uses, so it sees
  the very addresses that are connected to (no DNS-rebinding gap), and on literal
  IPs in the URL, which aiohttp never sends to a resolver;
- stops reading once the body, counted after decompression, passes ``max_body_bytes``;
- sends conditional headers (If-None-Match / If-Modified-Since) and reports a 304.

Failures raise ``FetchError`` with a one-line ``reason`` that names the host but never
the query string or credentials, and says whether a retry may help.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit, urlunsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDictProxy
from yarl import URL

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_USER_AGENT = "Marginalia/0.1 (+https://github.com/marginalia-bot/marginalia; feed reader)"
# Feeds first, then pages: the same fetcher serves both.
DEFAULT_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)
ALLOWED_SCHEMES = frozenset({"http", "https"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})

MIB = 1024 * 1024
_READ_CHUNK = 64 * 1024

MAX_BACKOFF_SECONDS = 6 * 3600.0
BACKOFF_CAP_FACTOR = 24
JITTER = 0.10
# A server may not park a feed for longer than this with one Retry-After.
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOST_CHARS = re.compile(r"[a-z0-9._-]+")
_LEGACY_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits for one fetcher. Timeouts are in seconds.

    ``total_timeout`` covers the whole fetch, redirects and body included;
    ``read_timeout`` is the longest wait for any single read (headers or body).
    ``allowed_networks`` lists CIDR blocks that are reachable even though they are
    not public (for tests on 127.0.0.1, or a feed on the operator's own network);
    ``allow_private_addresses`` switches the address guard off altogether.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_body_bytes: int = 5 * MIB
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    accept: str = DEFAULT_ACCEPT
    allow_private_addresses: bool = False
    allowed_networks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.max_body_bytes <= 0:
            raise ValueError("max_body_bytes must be positive")
        if self.max_redirects < 0:
            raise ValueError("max_redirects must not be negative")
        for network in self.allowed_networks:
            ipaddress.ip_network(network)  # raises ValueError on a bad entry

    def permits(self, address: IPAddress) -> str | None:
        """None when the address may be connected to, else why not ("a private address")."""
        if self.allow_private_addresses:
            return None
        if any(address in ipaddress.ip_network(net) for net in self.allowed_networks):
            return None
        return address_problem(address)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one fetch returned.

    ``url`` is the URL asked for, ``final_url`` the one that answered after redirects.
    ``not_modified`` is true on a 304, with an empty body and the validators sent
    (unless the server sent new ones). ``moved_permanently`` is true when every
    redirect hop was a 301 or 308, so the caller may update a stored feed URL.
    """

    url: str
    final_url: str
    status: int
    body: bytes
    content_type: str | None
    charset: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool = False
    moved_permanently: bool = False


class FetchError(Exception):
    """A fetch that failed. ``reason`` is one line, safe to show to moderators."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class AddressRefused(OSError):
    """Raised inside the resolver; an OSError so aiohttp wraps it like a DNS failure."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- the address guard -------------------------------------------------------------


def address_problem(address: IPAddress) -> str | None:
    """Say why an address is not public ("a loopback address"), or None if it is."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(embedded)
    # Most specific first: 127.0.0.1 is also "private" to Python, but "loopback" says more.
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a shared (CGNAT) address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "a non-public address"
    return None


class GuardedResolver(AbstractResolver):
    """Wraps a resolver and refuses names that resolve to addresses the policy forbids.

    Refuses the whole answer if any address is forbidden: a name that mixes public
    and private answers is the usual shape of a rebinding attempt.
    """

    def __init__(self, inner: AbstractResolver, policy: FetchPolicy, *, owns_inner: bool) -> None:
        self._inner = inner
        self._policy = policy
        self._owns_inner = owns_inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            address = ipaddress.ip_address(result["host"])
            problem = self._policy.permits(address)
            if problem is not None:
                raise AddressRefused(f"refused: {host} resolves to {problem} {address}")
        return results

    async def close(self) -> None:
        if self._owns_inner:
            await self._inner.close()


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str | URL) -> URL:
    """Parse and vet a URL before connecting; raise FetchError if it must not be fetched."""
    try:
        parsed = url if isinstance(url, URL) else URL(url.strip())
    except (ValueError, TypeError) as exc:
        raise FetchError(f"malformed URL: {exc}", retryable=False) from exc
    scheme = parsed.scheme.lower()
    if not scheme:
        raise FetchError("malformed URL: it is not absolute (no scheme)", retryable=False)
    if scheme not in ALLOWED_SCHEMES:
        raise FetchError(f"refused: scheme {scheme!r} is not http or https", retryable=False)
    host = parsed.raw_host
    if not host:
        raise FetchError("malformed URL: it has no host", retryable=False)
    return parsed


def check_literal_host(parsed: URL, policy: FetchPolicy) -> None:
    """Vet a host written as an IP, which aiohttp connects to without resolving."""
    host = parsed.raw_host or ""
    address = _literal_address(host)
    if address is None:
        if not _HOST_CHARS.fullmatch(host):
            raise FetchError(f"malformed URL: invalid host {host!r}", retryable=False)
        if _LEGACY_NUMERIC_HOST.fullmatch(host) and _is_legacy_ipv4(host):
            # 0x7f.1 or 2130706433: the C resolver would read these as 127.0.0.1.
            raise FetchError(f"refused: {host} is an IPv4 address in an unusual form", retryable=False)
        return
    problem = policy.permits(address)
    if problem is not None:
        raise FetchError(f"refused: {host} is {problem}", retryable=False)


def _is_legacy_ipv4(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


# --- fetching -----------------------------------------------------------------------


class Fetcher:
    """Fetches URLs under one policy, sharing one aiohttp session.

    Use as ``async with Fetcher(policy) as fetcher`` or call ``close()``. The session is
    created on first use. ``resolver`` replaces the system resolver (tests map names
    to addresses with it); the address guard wraps it either way.
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        resolver: AbstractResolver | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        self.policy = policy or FetchPolicy()
        self._resolver = resolver
        self._trace_configs = list(trace_configs)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("Fetcher is closed")
        if self._session is None:
            inner = self._resolver or aiohttp.ThreadedResolver()
            resolver = GuardedResolver(inner, self.policy, owns_inner=self._resolver is None)
            connector = aiohttp.TCPConnector(resolver=resolver, limit=20, limit_per_host=4)
            timeout = aiohttp.ClientTimeout(
                total=None, connect=self.policy.connect_timeout, sock_read=self.policy.read_timeout
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=timeout,
                headers={"User-Agent": self.policy.user_agent, "Accept": self.policy.accept},
                # No cookies carried between sites, and no proxy from the environment
                # that would connect on our behalf past the address guard.
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                trace_configs=self._trace_configs or None,
            )
        return self._session

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET ``url``, following redirects; conditional when validators are given."""
        start = check_url(url)
        session = self._get_session()
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self.policy.total_timeout):
                result = await self._follow(session, url, start, headers)
        except TimeoutError as exc:
            raise _timeout_error(exc, start.host or "", self.policy) from exc
        if result.not_modified:
            # A 304 may omit the validators; the ones we sent still hold.
            result = replace(result, etag=result.etag or etag, last_modified=result.last_modified or last_modified)
        logger.debug("fetched %s: %s, %d bytes", _redact(start), result.status, len(result.body))
        return result

    async def _follow(
        self, session: aiohttp.ClientSession, requested: str, start: URL, headers: dict[str, str]
    ) -> FetchResult:
        current = start
        seen = {str(start.with_fragment(None))}
        permanent = True
        hops = 0
        while True:
            try:
                outcome = await self._hop(session, current, headers)
            except FetchError as exc:
                if hops == 0:
                    raise
                raise FetchError(
                    f"{exc.reason} (after a redirect from {start.host})",
                    retryable=exc.retryable,
                    status=exc.status,
                    retry_after=exc.retry_after,
                ) from exc
            if isinstance(outcome, _Response):
                return await self._finish(outcome, requested, hops > 0 and permanent)
            target, status = outcome
            permanent = permanent and status in PERMANENT_REDIRECT_STATUSES
            hops += 1
            key = str(target.with_fragment(None))
            if key in seen:
                raise FetchError(f"redirect loop at {target.host} (from {start.host})", retryable=False)
            if hops > self.policy.max_redirects:
                raise FetchError(
                    f"too many redirects (more than {self.policy.max_redirects}) from {start.host}",
                    retryable=False,
                )
            seen.add(key)
            current = target

    async def _hop(
        self, session: aiohttp.ClientSession, url: URL, headers: dict[str, str]
    ) -> _Response | tuple[URL, int]:
        """One request: the redirect target and status, or the final response read in full."""
        check_literal_host(check_url(url), self.policy)
        try:
            async with session.get(url, headers=headers, allow_redirects=False) as response:
                location = response.headers.get("Location")
                if response.status in REDIRECT_STATUSES and location is not None:
                    return _redirect_target(url, location), response.status
                return await _Response.read(response, self.policy.max_body_bytes)
        except aiohttp.ServerTimeoutError as exc:
            # Per-read and connect timeouts; the total one is handled around all hops.
            raise _timeout_error(exc, url.host or "", self.policy) from exc
        except aiohttp.ClientError as exc:
            raise _client_error(exc, url.host or "") from exc

    async def _finish(self, response: _Response, requested: str, moved_permanently: bool) -> FetchResult:
        if not (200 <= response.status < 300 or response.status == 304):
            raise _status_error(response.status, response.url.host or "", response.headers.get("Retry-After"))
        return FetchResult(
            url=requested,
            final_url=str(response.url),
            status=response.status,
            body=response.body,
            content_type=response.content_type,
            charset=response.charset,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            not_modified=response.status == 304,
            moved_permanently=moved_permanently,
        )


@dataclass(frozen=True, slots=True)
class _Response:
    """A final (non-redirect) response, its body read only when it is a success."""

    url: URL
    status: int
    headers: CIMultiDictProxy[str]
    content_type: str | None
    charset: str | None
    body: bytes

    @classmethod
    async def read(cls, response: aiohttp.ClientResponse, cap: int) -> _Response:
        body = await _read_capped(response, cap) if 200 <= response.status < 300 else b""
        return cls(
            url=response.url,
            status=response.status,
            headers=response.headers,
            content_type=response.content_type if "Content-Type" in response.headers else None,
            charset=response.charset.lower() if response.charset else None,
            body=body,
        )


def _redirect_target(current: URL, location: str) -> URL:
    try:
        return current.join(URL(location.strip()))
    except (ValueError, TypeError) as exc:
        raise FetchError(f"malformed redirect from {current.host}: {exc}", retryable=False) from exc


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    """Read the (decompressed) body, giving up as soon as it passes ``cap`` bytes."""
    host = response.url.host or ""
    declared = response.content_length
    encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    if declared is not None and declared > cap and not encoded:
        raise _too_large(host, cap, response.status)
    body = bytearray()
    async for chunk in response.content.iter_chunked(_READ_CHUNK):
        if len(body) + len(chunk) > cap:
            # Drop the connection rather than drain the rest of a huge body.
            response.close()
            raise _too_large(host, cap, response.status)
        body += chunk
    return bytes(body)


def _too_large(host: str, cap: int, status: int) -> FetchError:
    return FetchError(
        f"response from {host} is larger than the {format_size(cap)} limit",
        retryable=False,
        status=status,
    )


def _status_error(status: int, host: str, retry_after_header: str | None) -> FetchError:
    retry_after = parse_retry_after(retry_after_header, now=datetime.now(UTC))
    if status in (404, 410):
        gone = "gone (410)" if status == 410 else "not found (404)"
        return FetchError(f"{host} says the page is {gone}", retryable=False, status=status)
    if status == 429:
        return FetchError(f"{host} is rate limiting us (429)", retryable=True, status=status, retry_after=retry_after)
    if status >= 500 or status == 408:
        return FetchError(
            f"{host} answered with a server error ({status})",
            retryable=True,
            status=status,
            retry_after=retry_after,
        )
    if 300 <= status < 400:
        return FetchError(f"{host} sent a redirect ({status}) without a Location", retryable=False, status=status)
    return FetchError(f"{host} refused the request ({status})", retryable=False, status=status)


def _timeout_error(exc: TimeoutError, host: str, policy: FetchPolicy) -> FetchError:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        reason = f"timed out connecting to {host} (after {policy.connect_timeout:g} s)"
    elif isinstance(exc, aiohttp.SocketTimeoutError):
        reason = f"timed out waiting for {host} to send data (nothing for {policy.read_timeout:g} s)"
    else:
        reason = f"timed out fetching from {host} (took longer than {policy.total_timeout:g} s)"
    return FetchError(reason, retryable=True)


def _client_error(exc: aiohttp.ClientError, host: str) -> FetchError:
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, AddressRefused):
            return FetchError(exc.os_error.reason, retryable=False)
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return FetchError(f"could not resolve {exc.host}", retryable=True)
        if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
            return FetchError(f"TLS problem with {exc.host}", retryable=True)
        cause = exc.os_error.strerror or type(exc.os_error).__name__
        return FetchError(f"could not connect to {exc.host}: {cause}", retryable=True)
    if isinstance(exc, aiohttp.InvalidURL):
        return FetchError(f"malformed URL for {host}", retryable=False)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return FetchError(f"the response from {host} was cut off or corrupt", retryable=True)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return FetchError(f"{host} closed the connection", retryable=True)
    return FetchError(f"fetching from {host} failed: {type(exc).__name__}", retryable=True)


def _redact(url: URL) -> str:
    """Scheme, host and path only: query strings and user info may hold tokens."""
    return str(url.with_user(None).with_query(None).with_fragment(None))


def format_size(size: int) -> str:
    if size % MIB == 0:
        return f"{size // MIB} MiB"
    if size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


# --- retry timing -------------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date).

    None when absent or unreadable; dates in the past give 0; capped at a day.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = max(0.0, (when - now).total_seconds())
    return min(seconds, MAX_RETRY_AFTER_SECONDS)


def next_poll_delay(
    base_interval: float,
    consecutive_failures: int,
    *,
    retry_after: float | None,
    rng: random.Random,
) -> float:
    """Seconds until the next poll of a source.

    Doubles the interval per consecutive failure, up to the smaller of 6 h and
    24 × base (never below the base itself), then jitters ±10 % so sources polled
    together drift apart. A server's Retry-After is a floor, applied after jitter.
    """
    if base_interval <= 0:
        raise ValueError("base_interval must be positive")
    if consecutive_failures < 0:
        raise ValueError("consecutive_failures must not be negative")
    cap = max(base_interval, min(MAX_BACKOFF_SECONDS, BACKOFF_CAP_FACTOR * base_interval))
    # The exponent is bounded so a long outage cannot overflow the float.
    delay = min(cap, base_interval * 2.0 ** min(consecutive_failures, 64))
    delay *= rng.uniform(1.0 - JITTER, 1.0 + JITTER)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


# --- URL identity -------------------------------------------------------------------

_TRACKING_PARAMS = frozenset({"fbclid", "gclid", "ref", "mc_cid", "mc_eid"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def normalise_url(url: str) -> str:
    """The canonical form of an http(s) URL, used as an essay's identity.

    Lowercases scheme and host, drops a trailing dot on the host, user info, the
    default port and the fragment; removes dot segments; decodes escaped unreserved
    characters and uppercases other escapes; drops tracking parameters (utm_*,
    fbclid, gclid, ref, mc_cid, mc_eid) and sorts the rest (so repeated keys lose
    their order); strips trailing slashes except for the root path.
    Deliberately kept: the scheme (http is not rewritten to https, as the two may
    serve different things), ``www.``, and the case of the path and query.
    Raises ValueError for anything but an absolute http or https URL.
    """
    parts = urlsplit(_strip_url_whitespace(url))
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname.rstrip(".")  # urlsplit already lowercases it
    if ":" in host:
        host = f"[{host}]"
    port = parts.port  # raises ValueError on a bad port
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _normalise_escapes(_remove_dot_segments(parts.path or "/"))
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, _normalise_query(parts.query), ""))


def resolve_url(base: str, href: str) -> str:
    """Resolve a link as a browser would, relative to the page it appears on."""
    return urljoin(_strip_url_whitespace(base), _strip_url_whitespace(href))


def _strip_url_whitespace(url: str) -> str:
    # Browsers ignore leading/trailing spaces and any tab or newline inside a URL.
    return re.sub(r"[\t\n\r]", "", url).strip()


def _normalise_query(query: str) -> str:
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        key = pair.split("=", 1)[0].lower()
        if key.startswith("utm_") or key in _TRACKING_PARAMS:
            continue
        kept.append(_normalise_escapes(pair))
    return "&".join(sorted(kept))


def _normalise_escapes(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PERCENT_ESCAPE.sub(fix, text)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on whole segments."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result
