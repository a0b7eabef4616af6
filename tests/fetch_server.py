"""A programmable HTTP server on 127.0.0.1 for tests that fetch feeds and pages.

    async with FetchServer() as server:
        server.route("/feed.xml", Route(body=atom, headers={"Content-Type": "application/atom+xml"}))
        server.route("/old", redirect("/feed.xml", status=301))
        result = await fetcher.fetch(server.url("/feed.xml"))
        assert server.requests[0].headers["User-Agent"].startswith("Marginalia")

A route answers with a status, headers and a body, optionally after a delay, gzip
compressed, dripped one byte at a time, or streamed from a generator. Routes with an
``etag`` or ``last_modified`` answer conditional requests with 304. Unknown paths get 404.
Every request is recorded in ``server.requests``.
"""

from __future__ import annotations

import asyncio
import gzip
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy


@dataclass
class Route:
    """How the server answers one path.

    ``delay``: seconds to wait before sending anything (slow headers).
    ``drip``: seconds between single bytes of the body (a slow body).
    ``gzip``: compress ``body`` and send Content-Encoding: gzip. With ``stream``, the
    chunks are taken to be gzip data already and only the header is added.
    ``stream``: a factory of body chunks sent as they are produced, so a huge body
    is generated only as far as the client reads it.
    ``etag`` / ``last_modified``: validators sent with the response; a request whose
    If-None-Match / If-Modified-Since matches them gets an empty 304.
    """

    status: int = 200
    body: bytes | str = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float | None = None
    gzip: bool = False
    stream: Callable[[], Iterable[bytes]] | None = None
    etag: str | None = None
    last_modified: str | None = None


def redirect(location: str, *, status: int = 302) -> Route:
    """A route that redirects to ``location`` (a path or a full URL)."""
    return Route(status=status, headers={"Location": location})


def gzip_stream(total_bytes: int, *, chunk_size: int = 1 << 20, fill: bytes = b"\0") -> Iterator[bytes]:
    """Valid gzip data for ``total_bytes`` of ``fill``, produced lazily.

    Each full chunk is deflated once, ending in a full flush (which resets the
    compressor's history and aligns to a byte), so the same compressed piece can be
    repeated: a gigabyte of zeros is about a megabyte on the wire and costs almost
    nothing to make. The CRC in the trailer is computed as the pieces go out.
    """
    block = fill * max(1, chunk_size // len(fill))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # gzip header: deflate, no name, mtime 0
    crc = 0
    full, rest = divmod(total_bytes, len(block))
    for _ in range(full):
        crc = zlib.crc32(block, crc)
        yield piece
    tail = block[:rest]
    crc = zlib.crc32(tail, crc)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    yield last.compress(tail) + last.flush()
    yield struct.pack("<II", crc, total_bytes & 0xFFFFFFFF)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query_string: str
    headers: CIMultiDictProxy[str]


class FetchServer:
    """An aiohttp server on 127.0.0.1, on a free port, with programmable routes."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def route(self, path: str, route: Route) -> None:
        self.routes[path] = route

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    def url(self, path: str = "/", *, host: str = "127.0.0.1") -> str:
        """A URL on this server; ``host`` for a name that a test resolver maps here."""
        return f"http://{host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for request in self.requests if request.path == path)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FetchServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query_string=request.query_string,
                headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            )
        )
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="no such route")
        if route.delay:
            await asyncio.sleep(route.delay)
        headers = CIMultiDict(route.headers)
        if route.etag is not None:
            headers["ETag"] = route.etag
        if route.last_modified is not None:
            headers["Last-Modified"] = route.last_modified
        if _not_modified(request, route):
            return web.Response(status=304, headers=headers)
        body = route.body.encode() if isinstance(route.body, str) else route.body
        if route.gzip:
            headers["Content-Encoding"] = "gzip"
            if route.stream is None:
                body = gzip.compress(body)
        if route.stream is not None:
            return await _send_chunks(request, route.status, headers, route.stream())
        if route.drip is not None:
            return await _send_chunks(request, route.status, headers, _drip(body, route.drip))
        return web.Response(status=route.status, headers=headers, body=body)


def _not_modified(request: web.Request, route: Route) -> bool:
    if route.etag is not None and "If-None-Match" in request.headers:
        return route.etag in [tag.strip() for tag in request.headers["If-None-Match"].split(",")]
    if route.last_modified is not None:
        return request.headers.get("If-Modified-Since") == route.last_modified
    return False


@dataclass(frozen=True)
class _Pause:
    seconds: float


def _drip(body: bytes, interval: float) -> Iterator[bytes | _Pause]:
    for index in range(len(body)):
        yield body[index : index + 1]
        yield _Pause(interval)


async def _send_chunks(
    request: web.Request, status: int, headers: CIMultiDict[str], chunks: Iterable[bytes | _Pause]
) -> web.StreamResponse:
    response = web.StreamResponse(status=status, headers=headers)
    await response.prepare(request)
    try:
        for chunk in chunks:
            if isinstance(chunk, _Pause):
                await asyncio.sleep(chunk.seconds)
                continue
            await response.write(chunk)
        await response.write_eof()
    except ConnectionError:
        pass  # the client gave up, which is what these routes are for
    return response
