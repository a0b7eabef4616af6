"""The fake Discord server: world state, REST under /api/v10 and the gateway websocket.

It speaks the real wire protocol so the unmodified discord.py runs against it.  Everything the
bot sends is recorded; anything the fake does not implement, and anything that breaks Discord's
OpenAPI description, is recorded in `failures` so the test fails at teardown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import zstandard
from aiohttp import BodyPartReader, WSMsgType, web

from tests.fakediscord import rules
from tests.fakediscord.faults import Fault
from tests.fakediscord.rules import ApiError
from tests.fakediscord.spec import Spec, load_spec
from tests.fakediscord.state import Attachment, Channel, Guild, Message, User, iso_now, snowflake

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
MESSAGE_CONTENT_INTENT = 1 << 15
GUILDS_INTENT = 1 << 0
GUILD_MESSAGES_INTENT = 1 << 9
EPHEMERAL = 1 << 6
LOADING = 1 << 7
CROSSPOSTED = 1 << 0
SUPPRESS_EMBEDS = 1 << 2

Handler = Callable[["Req"], Awaitable[tuple[int, Any]]]


@dataclass
class Req:
    """One REST request as the handlers see it."""

    method: str
    path: str
    query: dict[str, str]
    params: dict[str, str]
    json: Any
    files: list[Attachment]
    authorized: bool


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int = 0
    response: Any = None
    content_type: str | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class InteractionRecord:
    """One interaction the fake sent, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    guild_id: int
    channel_id: int
    user_id: int
    data: dict[str, Any]
    message_id: int | None = None  # the message a component sits on
    created: float = field(default_factory=time.monotonic)
    response_type: int | None = None
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    modal: dict[str, Any] | None = None

    @property
    def acked(self) -> bool:
        return self.response_type is not None


@dataclass
class Session:
    id: str
    intents: int
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # sent and buffered, for RESUME
    conn: Connection | None = None
    shard: tuple[int, int] | None = None  # [shard id, shard count] from IDENTIFY; None: unsharded

    def holds(self, guild_id: int | None) -> bool:
        """Whether this session receives a guild's events: Discord sends them to the shard
        ``(guild_id >> 22) % shard_count`` only (events of no guild go to shard 0)."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id if guild_id is not None else shard_id == 0


@dataclass
class Connection:
    ws: web.WebSocketResponse
    path: str
    compress: str | None
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=asyncio.Queue)
    session: Session | None = None
    zlib_ctx: Any = None
    zstd_ctx: Any = None

    def encode(self, payload: dict[str, Any]) -> bytes | str:
        raw = json.dumps(payload, separators=(",", ":"))
        if self.compress == "zlib-stream":
            if self.zlib_ctx is None:
                self.zlib_ctx = zlib.compressobj()  # one stream per connection
            return bytes(self.zlib_ctx.compress(raw.encode()) + self.zlib_ctx.flush(zlib.Z_SYNC_FLUSH))
        if self.compress == "zstd-stream":
            if self.zstd_ctx is None:
                self.zstd_ctx = zstandard.ZstdCompressor().compressobj()  # one stream, a block per message
            out: bytes = self.zstd_ctx.compress(raw.encode()) + self.zstd_ctx.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
            return out
        return raw


@dataclass
class GatewayConnect:
    """How the client opened one gateway connection (for resume assertions)."""

    path: str
    compress: str | None
    op: str = ""  # "identify" or "resume"
    resumed: bool = False


class Server:
    """State + REST + gateway.  The scenario API (FakeDiscord) builds on this class."""

    def __init__(self, *, token: str = "fake-bot-token", ack_deadline: float = 3.0) -> None:
        self.token = token
        self.ack_deadline = ack_deadline
        self.heartbeat_interval_ms = 41250
        self.bot = User(snowflake(), "marginalia", bot=True, global_name="Marginalia")
        self.application_id = self.bot.id
        self.application_flags = 1 << 19 | 1 << 23  # GATEWAY_MESSAGE_CONTENT_LIMITED, APPLICATION_COMMAND_BADGE
        self.guilds: dict[int, Guild] = {}
        self.store: dict[int, dict[int, Message]] = {}  # channel id -> message id -> message
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.gateway_log: list[GatewayConnect] = []
        self.requests: list[RecordedRequest] = []
        self.failures: list[str] = []
        self.faults: list[Fault] = []
        self.identify_payloads: list[dict[str, Any]] = []
        self.spec: Spec | None = load_spec()
        self._waiters: list[asyncio.Future[None]] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._register_routes()
        self.port = 0

    # --- change notification ------------------------------------------------------------------

    def _notify(self) -> None:
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "") -> Any:  # noqa: ASYNC109 -- a test helper's deadline
        """Wait until predicate() is truthy (re-checked on every change of the fake); return its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"fake Discord: timed out waiting for {what or predicate}")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, min(remaining, 0.05))

    # --- lookups --------------------------------------------------------------------------------

    def find_channel(self, channel_id: int) -> Channel | None:
        for guild in self.guilds.values():
            channel = guild.channels.get(channel_id)
            if channel is not None:
                return channel
        return None

    def _channel(self, raw_id: str) -> Channel:
        channel = self.find_channel(_int(raw_id))
        if channel is None:
            raise rules.unknown_channel()
        if not self.guilds[channel.guild_id].bot_present:
            raise rules.missing_access()
        return channel

    def _message(self, channel: Channel, raw_id: str) -> Message:
        message = self.store.get(channel.id, {}).get(_int(raw_id))
        if message is None or message.deleted or message.ephemeral:
            raise rules.unknown_message()
        return message

    def permissions(self, channel: Channel, user_id: int) -> int:
        guild = self.guilds[channel.guild_id]
        member = guild.members.get(user_id)
        if member is None:
            return 0
        role_perms = {r.id: r.permissions for r in guild.roles.values()}
        base = rules.base_permissions(guild.id, guild.owner_id, user_id, member.roles, role_perms)
        source = self.find_channel(channel.parent_id) if channel.is_thread and channel.parent_id else channel
        overwrites = source.overwrites if source is not None else []
        return rules.channel_permissions(base, guild.id, user_id, member.roles, overwrites)

    def _bot_perms(self, channel: Channel) -> int:
        return self.permissions(channel, self.bot.id)

    def _require(self, channel: Channel, *bits: int) -> int:
        perms = self._bot_perms(channel)
        if not perms & rules.VIEW_CHANNEL:
            raise rules.missing_access()
        if not rules.has(perms, *bits):
            raise rules.missing_permissions()
        return perms

    # --- gateway dispatch -------------------------------------------------------------------------

    def dispatch(self, event: str, data: dict[str, Any], *, intent: int | None = GUILDS_INTENT) -> None:
        """Queue a DISPATCH for every live or resumable session that subscribed to its intent (None: all)
        and, when sharded, holds the event's guild."""
        guild_id = _event_guild(event, data)
        for session in self.sessions.values():
            if intent is not None and not session.intents & intent:
                continue
            if not session.holds(guild_id):
                continue
            payload = data
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not session.intents & MESSAGE_CONTENT_INTENT:
                payload = self._blank_content(data)
            session.seq += 1
            frame = {"op": 0, "t": event, "s": session.seq, "d": payload}
            session.events.append(frame)
            if session.conn is not None:
                session.conn.queue.put_nowait(frame)
        self._notify()

    def _blank_content(self, data: dict[str, Any]) -> dict[str, Any]:
        """Without MESSAGE_CONTENT, other users' messages arrive empty (unless they mention the bot)."""
        author = data.get("author") or {}
        mentioned = any(u.get("id") == str(self.bot.id) for u in data.get("mentions") or [])
        if author.get("id") == str(self.bot.id) or mentioned:
            return data
        blanked = dict(data)
        for key in ("content",):
            if key in blanked:
                blanked[key] = ""
        for key in ("embeds", "attachments", "components"):
            if key in blanked:
                blanked[key] = []
        return blanked

    def _message_event(self, event: str, message: Message) -> None:
        if message.ephemeral:
            return  # ephemeral replies never reach the gateway
        data = self.message_json(message)
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
            member = self.guilds[message.guild_id].members.get(message.author.id)
            if member is not None and message.webhook_id is None:
                data["member"] = member.to_json(with_user=False)
        self.dispatch(event, data, intent=GUILD_MESSAGES_INTENT)

    def message_json(self, message: Message) -> dict[str, Any]:
        thread = self.find_channel(message.thread_id) if message.thread_id else None
        return message.to_json(thread=thread)

    # --- gateway websocket --------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        compress = request.query.get("compress")
        conn = Connection(ws=ws, path=request.path, compress=compress)
        log = GatewayConnect(path=request.path, compress=compress)
        self.gateway_log.append(log)
        self.connections.append(conn)
        writer = asyncio.create_task(self._writer(conn))
        conn.queue.put_nowait({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                await self._on_gateway_op(conn, log, json.loads(msg.data))
        finally:
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            conn.queue.put_nowait(None)
            await writer
            if conn in self.connections:
                self.connections.remove(conn)
            self._notify()
        return ws

    async def _writer(self, conn: Connection) -> None:
        while True:
            frame = await conn.queue.get()
            if frame is None or conn.ws.closed:
                return
            data = conn.encode(frame)
            try:
                if isinstance(data, bytes):
                    await conn.ws.send_bytes(data)
                else:
                    await conn.ws.send_str(data)
            except (ConnectionError, RuntimeError):
                return

    async def _on_gateway_op(self, conn: Connection, log: GatewayConnect, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        data: dict[str, Any] = payload.get("d") or {}
        if op == 1:
            conn.queue.put_nowait({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            log.op = "identify"
            self.identify_payloads.append(data)
            if data.get("token") != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            shard = data.get("shard")
            if shard is not None and not _valid_shard(shard):
                await conn.ws.close(code=4010, message=b"Invalid shard.")
                return
            self._identify(conn, int(data.get("intents", 0)), (int(shard[0]), int(shard[1])) if shard else None)
        elif op == 6:
            log.op = "resume"
            session = self.sessions.get(data.get("session_id", ""))
            if session is None or data.get("token") != self.token:
                conn.queue.put_nowait({"op": 9, "d": False, "s": None, "t": None})
                return
            self._resume(conn, session, int(data.get("seq") or 0))
            log.resumed = True
        # op 3 (presence), op 4 (voice) and op 8 (member chunks: member_count == len(members)) need no answer.
        self._notify()

    def _identify(self, conn: Connection, intents: int, shard: tuple[int, int] | None = None) -> None:
        session = Session(id=secrets.token_hex(16), intents=intents, conn=conn, shard=shard)
        self.sessions[session.id] = session
        conn.session = session
        present = [g for g in self.guilds.values() if g.bot_present and session.holds(g.id)]
        me = self.bot.to_json() | {"verified": True, "mfa_enabled": False, "email": None}
        ready = {
            "v": 10,
            "user": me,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in present],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": f"ws://127.0.0.1:{self.port}/resume",
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "auth": {},
        }
        if shard is not None:
            ready["shard"] = list(shard)
        self._send_dispatch(session, "READY", ready)
        for guild in present:
            self._send_dispatch(session, "GUILD_CREATE", guild.to_create_json())

    def _send_dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.events.append(frame)
        if session.conn is not None:
            session.conn.queue.put_nowait(frame)

    def _resume(self, conn: Connection, session: Session, seq: int) -> None:
        if session.conn is not None and session.conn is not conn:
            session.conn.queue.put_nowait(None)
        session.conn = conn
        conn.session = session
        for frame in session.events:
            if frame["s"] > seq:
                conn.queue.put_nowait(frame)
        self._send_dispatch(session, "RESUMED", {})

    # --- REST plumbing --------------------------------------------------------------------------

    def _register_routes(self) -> None:
        snow = r"(?P<{}>\d+)"
        tok = r"(?P<token>[^/]+)"
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", self.get_me),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/{app}/commands", self.get_commands),
            ("PUT", "/applications/{app}/commands", self.put_commands),
            ("GET", "/applications/{app}/guilds/{guild}/commands", self.get_commands),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", self.put_commands),
            ("GET", "/channels/{channel}", self.get_channel),
            ("PATCH", "/channels/{channel}", self.patch_channel),
            ("DELETE", "/channels/{channel}", self.api_delete_channel),
            ("POST", "/channels/{channel}/typing", self.typing),
            ("GET", "/channels/{channel}/messages", self.list_messages),
            ("POST", "/channels/{channel}/messages", self.create_message),
            ("GET", "/channels/{channel}/messages/{message}", self.get_message),
            ("PATCH", "/channels/{channel}/messages/{message}", self.edit_message),
            ("DELETE", "/channels/{channel}/messages/{message}", self.delete_message),
            ("POST", "/channels/{channel}/messages/{message}/crosspost", self.crosspost),
            ("PUT", "/channels/{channel}/messages/{message}/reactions/{emoji}/@me", self.add_reaction),
            ("POST", "/channels/{channel}/messages/{message}/threads", self.thread_from_message),
            ("POST", "/channels/{channel}/threads", self.create_thread),
            ("GET", "/guilds/{guild}/threads/active", self.active_threads),
            ("POST", "/interactions/{interaction}/{token}/callback", self.interaction_callback),
            ("POST", "/webhooks/{app}/{token}", self.execute_webhook),
            ("GET", "/webhooks/{app}/{token}/messages/{message}", self.get_webhook_message),
            ("PATCH", "/webhooks/{app}/{token}/messages/{message}", self.edit_webhook_message),
            ("DELETE", "/webhooks/{app}/{token}/messages/{message}", self.delete_webhook_message),
        ]
        for method, template, handler in table:
            pattern = re.escape(template)
            for name in ("app", "guild", "channel", "message", "interaction"):
                pattern = pattern.replace(re.escape("{" + name + "}"), snow.format(name))
            pattern = pattern.replace(re.escape("{token}"), tok)
            pattern = pattern.replace(re.escape("{emoji}"), r"(?P<emoji>[^/]+)")
            if "{message}" in template and "webhooks" in template:
                pattern = pattern.replace(snow.format("message"), r"(?P<message>\d+|@original)")
            self._routes.append((method, re.compile("^" + pattern + "$"), handler))

    def make_app(self, *, extra_routes: Sequence[web.RouteDef] = ()) -> web.Application:
        """The REST API, the gateway, and any ``extra_routes`` (matched before the catch-all)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        app.router.add_get("/", self._gateway)
        app.router.add_get("/resume", self._gateway)
        app.router.add_routes(extra_routes)
        app.router.add_route("*", "/{tail:.*}", self._outside_api)
        return app

    async def _outside_api(self, request: web.Request) -> web.Response:
        self.failures.append(f"request outside {API_PREFIX}: {request.method} {request.path}")
        return _json(404, {"message": "404: Not Found", "code": 0})

    async def _read_body(self, request: web.Request) -> tuple[Any, list[Attachment], str | None]:
        ctype = request.content_type
        if ctype == "multipart/form-data":
            payload: Any = None
            files: list[Attachment] = []
            parts: list[tuple[str, Attachment]] = []
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):
                    continue
                raw = await part.read()
                if part.name == "payload_json":
                    payload = json.loads(raw)
                else:
                    content_type = part.headers.get("Content-Type")
                    attachment = Attachment(snowflake(), part.filename or "file", len(raw), content_type, data=raw)
                    files.append(attachment)
                    parts.append((part.name or "", attachment))
            _describe_files(payload, parts)
            return payload, files, ctype
        raw_body = await request.read()
        if not raw_body:
            return None, [], None
        if ctype != "application/json":
            return raw_body.decode(errors="replace"), [], ctype
        return json.loads(raw_body), [], ctype

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(API_PREFIX) :]
        method = request.method
        body, files, ctype = await self._read_body(request)
        query = dict(request.query)
        record = RecordedRequest(method, path, query, body, content_type=ctype, files=[f.filename for f in files])
        self.requests.append(record)
        index = len(self.requests) - 1
        self._validate_request(method, path, ctype, body)

        status, response_body, headers = await self._answer(request, index, method, path, query, body, files)
        record.status = status
        record.response = response_body
        if not any(index in f.fired_at and f.kind == "error" for f in self.faults):
            self._validate_response(method, path, status, response_body)
        self._notify()
        if status == 204:
            return web.Response(status=204, headers=headers)
        return _json(status, response_body, headers)

    async def _answer(
        self,
        request: web.Request,
        index: int,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        files: list[Attachment],
    ) -> tuple[int, Any, dict[str, str]]:
        for fault in self.faults:
            if not fault.matches(method, path) or not fault.should_fire():
                continue
            fault.fired += 1
            fault.fired_at.append(index)
            if fault.kind == "ratelimit":
                return 429, _ratelimit_body(fault), _ratelimit_headers(fault, path)
            if fault.kind == "error":
                return fault.status, {"message": "Internal Server Error", "code": 0}, {}
            if fault.kind == "delay":
                await asyncio.sleep(fault.delay)

        for route_method, regex, handler in self._routes:
            match = regex.match(path)
            if match is None or route_method != method:
                continue
            auth = request.headers.get("Authorization")
            req = Req(method, path, query, match.groupdict(), body, files, auth == f"Bot {self.token}")
            needs_auth = not path.startswith(("/interactions/", "/webhooks/"))
            if needs_auth and not req.authorized:
                return 401, {"message": "401: Unauthorized", "code": 0}, {}
            try:
                status, out = await handler(req)
            except ApiError as error:
                return error.status, error.body(), _ratelimit_ok(path)
            except Exception as error:  # a bug in the fake must fail the test, not hang it
                logger.exception("fake Discord handler crashed")
                self.failures.append(f"fake Discord crashed on {method} {path}: {error!r}")
                return 500, {"message": "fake crashed", "code": 0}, {}
            return status, out, _ratelimit_ok(path)

        self.failures.append(f"unimplemented endpoint: {method} {API_PREFIX}{path}")
        return 404, {"message": "404: Not Found", "code": 0}, {}

    def take_failures(self, pattern: str) -> list[str]:
        """Remove and return the recorded failures matching a regex (for tests that provoke them)."""
        taken = [f for f in self.failures if re.search(pattern, f)]
        self.failures[:] = [f for f in self.failures if f not in taken]
        return taken

    def _validate_request(self, method: str, path: str, ctype: str | None, body: Any) -> None:
        if self.spec is None or body is None:
            return
        op = self.spec.find(method, path)
        if op is None:
            return
        errors = self.spec.request_errors(op, ctype or "application/json", body)
        if errors:
            self.failures.append(
                f"spec violation in the bot's request {method} {path} ({op.operation_id}):\n  " + "\n  ".join(errors)
            )

    def _validate_response(self, method: str, path: str, status: int, body: Any) -> None:
        if self.spec is None or (status == 404 and body == {"message": "404: Not Found", "code": 0}):
            return
        op = self.spec.find(method, path)
        if op is None:
            return
        errors = self.spec.response_errors(op, status, None if status == 204 else body)
        if errors:
            self.failures.append(
                f"spec violation in the fake's response {status} to {method} {path} ({op.operation_id}):\n  "
                + "\n  ".join(errors)
            )

    # --- REST: identity and commands -----------------------------------------------------------

    async def get_me(self, req: Req) -> tuple[int, Any]:
        me = self.bot.to_json() | {"mfa_enabled": False, "locale": "en-US", "verified": True, "email": None}
        return 200, me

    async def get_application(self, req: Req) -> tuple[int, Any]:
        owner = User(self.application_id + 1, "owner")
        return 200, {
            "id": str(self.application_id),
            "name": self.bot.username,
            "icon": None,
            "description": "",
            "type": None,
            "bot": self.bot.to_json(),
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.application_flags,
            "flags_new": str(self.application_flags),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": owner.to_json(),
            "approximate_guild_count": len(self.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": [],
            "summary": "",
            "rpc_origins": [],
        }

    def _command_list(self, req: Req) -> list[dict[str, Any]]:
        if _int(req.params["app"]) != self.application_id:
            raise ApiError(403, 50001, "Missing Access")
        guild = req.params.get("guild")
        if guild is None:
            return self.global_commands
        if _int(guild) not in self.guilds or not self.guilds[_int(guild)].bot_present:
            raise rules.missing_access()
        return self.guild_commands.setdefault(_int(guild), [])

    async def get_commands(self, req: Req) -> tuple[int, Any]:
        return 200, list(self._command_list(req))

    async def put_commands(self, req: Req) -> tuple[int, Any]:
        current = self._command_list(req)
        by_key = {(c["name"], c["type"]): c for c in current}
        stored: list[dict[str, Any]] = []
        for i, raw in enumerate(req.json or []):
            kind = raw.get("type", 1)
            name = raw.get("name", "")
            if not re.fullmatch(r"[-_\w]{1,32}", name) or (kind == 1 and name != name.lower()):
                raise rules.form_error([i, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            if kind == 1 and not 1 <= len(raw.get("description", "")) <= 100:
                raise rules.form_error(
                    [i, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
                )
            previous = by_key.get((name, kind))
            command = {
                "id": previous["id"] if previous else str(snowflake()),
                "application_id": str(self.application_id),
                "version": str(snowflake()),
                "type": kind,
                "name": name,
                "description": raw.get("description", ""),
                # Discord answers with a string whatever the request held (discord.py sends a number).
                "default_member_permissions": (
                    str(raw["default_member_permissions"])
                    if raw.get("default_member_permissions") is not None
                    else None
                ),
                "options": raw.get("options") or [],
                "nsfw": raw.get("nsfw", False),
                "contexts": raw.get("contexts"),
                "integration_types": raw.get("integration_types") or [0],
            }
            if "guild" in req.params:
                command["guild_id"] = req.params["guild"]
            else:
                command["dm_permission"] = raw.get("dm_permission", True)
            stored.append(command)
        current[:] = stored
        self._notify()
        return 200, stored

    # --- REST: channels -----------------------------------------------------------------------

    async def get_channel(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        self._require(channel, rules.VIEW_CHANNEL)
        return 200, channel.to_json()

    async def patch_channel(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        body = req.json or {}
        perms = self._require(channel, rules.VIEW_CHANNEL)
        if channel.is_thread:
            self._patch_thread(channel, body, perms)
            self.dispatch("THREAD_UPDATE", channel.to_json())
        else:
            if not perms & rules.MANAGE_CHANNELS:
                raise rules.missing_permissions()
            self._patch_plain_channel(channel, body)
            self.dispatch("CHANNEL_UPDATE", channel.to_json())
        return 200, channel.to_json()

    def _patch_thread(self, thread: Channel, body: dict[str, Any], perms: int) -> None:
        manage = bool(perms & rules.MANAGE_THREADS)
        owner = thread.owner_id == self.bot.id
        only_unarchive = set(body) == {"archived"} and body["archived"] is False
        if "locked" in body or "rate_limit_per_user" in body:
            if not manage:
                raise rules.missing_permissions()
        elif not (manage or owner or only_unarchive):
            raise rules.missing_permissions()
        if thread.locked and thread.archived and not manage:
            raise ApiError(400, 50083, "Thread is archived")
        if "name" in body:
            error = rules.check_thread_name(body["name"])
            if error:
                raise error
        error = rules.check_auto_archive(body.get("auto_archive_duration"))
        if error:
            raise error
        if "applied_tags" in body:
            parent = self.find_channel(thread.parent_id or 0)
            error = rules.check_applied_tags(body["applied_tags"], [t.id for t in parent.tags] if parent else [])
            if error:
                raise error
            thread.applied_tags = [int(t) for t in body["applied_tags"]]
        rate = body.get("rate_limit_per_user")
        if rate is not None and not 0 <= rate <= 21600:
            raise rules.form_error(["rate_limit_per_user"], "NUMBER_TYPE_MAX", "Must be between 0 and 21600.")
        if "name" in body:
            thread.name = body["name"]
        if "archived" in body and body["archived"] != thread.archived:
            thread.archived = bool(body["archived"])
            thread.archive_timestamp = iso_now()
        if "locked" in body:
            thread.locked = bool(body["locked"])
        if body.get("auto_archive_duration") is not None:
            thread.auto_archive_duration = body["auto_archive_duration"]
        if rate is not None:
            thread.rate_limit_per_user = rate

    def _patch_plain_channel(self, channel: Channel, body: dict[str, Any]) -> None:
        if "name" in body:
            if not 1 <= len(body["name"] or "") <= 100:
                raise rules.form_error(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            channel.name = body["name"]
        if "topic" in body:
            channel.topic = body["topic"]
        if "rate_limit_per_user" in body:
            channel.rate_limit_per_user = int(body["rate_limit_per_user"] or 0)
        if "available_tags" in body and channel.type == rules.FORUM:
            from tests.fakediscord.state import Tag

            channel.tags = [
                Tag(_int(t["id"]) if t.get("id") else snowflake(), t["name"]) for t in body["available_tags"]
            ]
        if "permission_overwrites" in body:
            channel.overwrites = [
                rules.Overwrite(_int(o["id"]), int(o["type"]), int(o.get("allow") or 0), int(o.get("deny") or 0))
                for o in body["permission_overwrites"]
            ]

    async def api_delete_channel(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        needed = rules.MANAGE_THREADS if channel.is_thread else rules.MANAGE_CHANNELS
        self._require(channel, needed)
        payload = channel.to_json()
        self.remove_channel(channel)
        return 200, payload

    def remove_channel(self, channel: Channel) -> None:
        """Delete a channel (and its threads) and tell the gateway, as Discord does."""
        guild = self.guilds[channel.guild_id]
        for child in [c for c in guild.channels.values() if c.parent_id == channel.id and c.is_thread]:
            self.remove_channel(child)
        guild.channels.pop(channel.id, None)
        event = "THREAD_DELETE" if channel.is_thread else "CHANNEL_DELETE"
        data = channel.to_json()
        if channel.is_thread:
            data = {
                "id": str(channel.id),
                "guild_id": str(guild.id),
                "parent_id": str(channel.parent_id),
                "type": channel.type,
            }
        self.dispatch(event, data)

    async def typing(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        self._require(channel, rules.VIEW_CHANNEL)
        return 204, None

    # --- REST: messages -----------------------------------------------------------------------

    def _send_permission(self, channel: Channel) -> int:
        if channel.is_thread:
            perms = self._require(channel, rules.SEND_MESSAGES_IN_THREADS)
            if channel.locked and not perms & rules.MANAGE_THREADS:
                raise (ApiError(400, 50083, "Thread is archived") if channel.archived else rules.missing_permissions())
            return perms
        return self._require(channel, rules.SEND_MESSAGES)

    async def create_message(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        body = req.json or {}
        if channel.type not in (rules.TEXT, rules.ANNOUNCEMENT) and not channel.is_thread:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        error = rules.check_message_body(body, has_files=bool(req.files))
        if error:
            raise error
        perms = self._send_permission(channel)
        self._check_content_perms(perms, body, req.files)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            original = self._nonce_original(channel.id, str(nonce))
            if original is not None:
                return 200, self.message_json(original)
        reference = body.get("message_reference")
        if reference is not None:
            target = self.store.get(channel.id, {}).get(_int(reference.get("message_id", "0")))
            if target is None and reference.get("fail_if_not_exists", True):
                raise rules.form_error(["message_reference"], "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")
        message = self.add_message(channel, self.bot, body, req.files)
        return 200, self.message_json(message)

    def _check_content_perms(self, perms: int, body: dict[str, Any], files: list[Attachment]) -> None:
        if body.get("embeds") and not perms & rules.EMBED_LINKS:
            raise rules.missing_permissions()
        if files and not perms & rules.ATTACH_FILES:
            raise rules.missing_permissions()

    def _nonce_original(self, channel_id: int, nonce: str) -> Message | None:
        now = time.monotonic()
        for message in self.store.get(channel_id, {}).values():
            if message.nonce == nonce and now - message.created_monotonic < rules.NONCE_WINDOW_SECONDS:
                return message
        return None

    def add_message(
        self,
        channel: Channel,
        author: User,
        body: dict[str, Any],
        files: list[Attachment] | None = None,
        *,
        message_id: int | None = None,
        dispatch: bool = True,
        **extra: Any,
    ) -> Message:
        """Store a message (sent by the bot or simulated for a user) and dispatch MESSAGE_CREATE."""
        guild = self.guilds[channel.guild_id]
        reference = body.get("message_reference")
        replied_user = None
        if reference is not None:
            target = self.store.get(channel.id, {}).get(_int(reference.get("message_id", "0")))
            replied_user = target.author.id if target else None
        pings = rules.would_ping(
            body.get("content"),
            body.get("allowed_mentions"),
            replied_user_id=replied_user,
            mentionable_roles=[r.id for r in guild.roles.values() if r.mentionable],
            can_mention_everyone=bool(self.permissions(channel, author.id) & rules.MENTION_EVERYONE),
        )
        mentioned = [guild.members[u].user for u in pings.users if u in guild.members]
        if pings.replied_user and replied_user in guild.members and replied_user not in pings.users:
            mentioned.append(guild.members[replied_user].user)
        message = Message(
            id=message_id or snowflake(),
            channel_id=channel.id,
            guild_id=guild.id,
            author=author,
            content=body.get("content") or "",
            embeds=list(body.get("embeds") or []),
            components=normalize_components(body.get("components") or []),
            attachments=list(files or []),
            flags=int(body.get("flags") or 0) & (EPHEMERAL | SUPPRESS_EMBEDS | LOADING | 1 << 12 | 1 << 15),
            tts=bool(body.get("tts", False)),
            nonce=str(body["nonce"]) if body.get("nonce") is not None else None,
            allowed_mentions=body.get("allowed_mentions"),
            message_reference=_reference_json(reference, channel) if reference else None,
            mentions=mentioned,
            mention_roles=sorted(pings.roles),
            mention_everyone=pings.everyone,
            type=19 if reference else 0,
            **extra,
        )
        self.store.setdefault(channel.id, {})[message.id] = message
        if not message.ephemeral:
            channel.last_message_id = message.id
            if channel.is_thread:
                channel.message_count += 1
                channel.total_message_sent += 1
                if channel.archived and not channel.locked:
                    # Sending in an archived (not locked) thread unarchives it.
                    channel.archived = False
                    self.dispatch("THREAD_UPDATE", channel.to_json())
        if dispatch:
            self._message_event("MESSAGE_CREATE", message)
        return message

    async def list_messages(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        perms = self._require(channel, rules.VIEW_CHANNEL)
        limit = int(req.query.get("limit", "50"))
        if not 1 <= limit <= 100:
            raise rules.form_error(["limit"], "NUMBER_TYPE_MAX", "int value should be less than or equal to 100.")
        if not perms & rules.READ_MESSAGE_HISTORY:
            return 200, []
        visible = sorted(
            (m for m in self.store.get(channel.id, {}).values() if not m.deleted and not m.ephemeral),
            key=lambda m: m.id,
        )
        if "before" in req.query:
            before = _int(req.query["before"])
            picked = [m for m in visible if m.id < before][-limit:]
        elif "after" in req.query:
            after = _int(req.query["after"])
            picked = [m for m in visible if m.id > after][:limit]
        elif "around" in req.query:
            around = _int(req.query["around"])
            older = [m for m in visible if m.id < around][-(limit // 2) :] if limit > 1 else []
            newer = [m for m in visible if m.id >= around][: limit - len(older)]
            picked = older + newer
        else:
            picked = visible[-limit:]
        return 200, [self.message_json(m) for m in reversed(picked)]

    async def get_message(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        self._require(channel, rules.VIEW_CHANNEL, rules.READ_MESSAGE_HISTORY)
        return 200, self.message_json(self._message(channel, req.params["message"]))

    def _refuse_if_archived(self, channel: Channel) -> None:
        # Discord refuses to edit or delete a message in an archived thread until it is reopened.
        if channel.is_thread and channel.archived:
            raise ApiError(400, 50083, "Thread is archived")

    async def edit_message(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        perms = self._require(channel, rules.VIEW_CHANNEL)
        message = self._message(channel, req.params["message"])
        self._refuse_if_archived(channel)
        body = req.json or {}
        if message.author.id != self.bot.id:
            if set(body) - {"flags"}:
                raise ApiError(403, 50005, "Cannot edit a message authored by another user")
            if not perms & rules.MANAGE_MESSAGES:
                raise rules.missing_permissions()
        self._apply_edit(message, body, req.files, perms)
        return 200, self.message_json(message)

    def _apply_edit(self, message: Message, body: dict[str, Any], files: list[Attachment], perms: int | None) -> None:
        merged = {
            "content": body.get("content", message.content),
            "embeds": body.get("embeds", message.embeds),
            "components": body.get("components", message.components),
        }
        has_files = bool(files or (message.attachments and body.get("attachments", True)))
        error = rules.check_message_body(merged, has_files=has_files)
        if error:
            raise error
        if perms is not None:
            self._check_content_perms(perms, body, files)
        if "content" in body:
            message.content = body["content"] or ""
        if "embeds" in body:
            message.embeds = list(body["embeds"] or [])
        if "components" in body:
            message.components = normalize_components(body["components"] or [])
        if "allowed_mentions" in body:
            message.allowed_mentions = body["allowed_mentions"]
        if "flags" in body and body["flags"] is not None:
            message.flags = (message.flags & ~SUPPRESS_EMBEDS) | (int(body["flags"]) & SUPPRESS_EMBEDS)
        if "attachments" in body:
            keep = {_int(a["id"]) for a in body["attachments"] or [] if "id" in a and str(a["id"]).isdigit()}
            message.attachments = [a for a in message.attachments if a.id in keep]
        message.attachments.extend(files)
        message.flags &= ~LOADING
        message.edited_timestamp = iso_now()
        self._message_event("MESSAGE_UPDATE", message)

    async def delete_message(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        perms = self._require(channel, rules.VIEW_CHANNEL)
        message = self._message(channel, req.params["message"])
        self._refuse_if_archived(channel)
        if message.author.id != self.bot.id and not perms & rules.MANAGE_MESSAGES:
            raise rules.missing_permissions()
        self._delete(message)
        return 204, None

    def _delete(self, message: Message) -> None:
        message.deleted = True
        if not message.ephemeral:
            data = {"id": str(message.id), "channel_id": str(message.channel_id)}
            if message.guild_id is not None:
                data["guild_id"] = str(message.guild_id)
            self.dispatch("MESSAGE_DELETE", data, intent=GUILD_MESSAGES_INTENT)

    async def crosspost(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        if channel.type != rules.ANNOUNCEMENT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        perms = self._require(channel, rules.VIEW_CHANNEL)
        message = self._message(channel, req.params["message"])
        needed = rules.SEND_MESSAGES if message.author.id == self.bot.id else rules.MANAGE_MESSAGES
        if not perms & needed:
            raise rules.missing_permissions()
        if message.flags & CROSSPOSTED:
            raise ApiError(400, 40033, "This message has already been crossposted.")
        message.flags |= CROSSPOSTED
        message.crossposted = True
        self._message_event("MESSAGE_UPDATE", message)
        return 200, self.message_json(message)

    async def add_reaction(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        self._require(channel, rules.VIEW_CHANNEL, rules.READ_MESSAGE_HISTORY, rules.ADD_REACTIONS)
        message = self._message(channel, req.params["message"])
        message.reactions.append(req.params["emoji"])
        return 204, None

    # --- REST: threads ------------------------------------------------------------------------

    def _thread_rules(self, body: dict[str, Any]) -> None:
        for error in (
            rules.check_thread_name(body.get("name")),
            rules.check_auto_archive(body.get("auto_archive_duration")),
        ):
            if error:
                raise error

    def _new_thread(self, parent: Channel, thread_id: int, kind: int, body: dict[str, Any]) -> Channel:
        thread = Channel(
            id=thread_id,
            guild_id=parent.guild_id,
            type=kind,
            name=body["name"],
            parent_id=parent.id,
            owner_id=self.bot.id,
            auto_archive_duration=body.get("auto_archive_duration") or 1440,
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
            applied_tags=[int(t) for t in body.get("applied_tags") or []],
        )
        self.guilds[parent.guild_id].channels[thread.id] = thread
        return thread

    def _thread_created(self, thread: Channel) -> None:
        self.dispatch("THREAD_CREATE", thread.to_json() | {"newly_created": True})

    async def thread_from_message(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        body = req.json or {}
        if channel.type not in (rules.TEXT, rules.ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self._thread_rules(body)
        self._require(channel, rules.VIEW_CHANNEL, rules.CREATE_PUBLIC_THREADS, rules.READ_MESSAGE_HISTORY)
        message = self._message(channel, req.params["message"])
        if message.thread_id is not None:
            raise rules.thread_already_exists()
        kind = rules.ANNOUNCEMENT_THREAD if channel.type == rules.ANNOUNCEMENT else rules.PUBLIC_THREAD
        thread = self._new_thread(channel, message.id, kind, body)  # same id as the message
        message.thread_id = thread.id
        self._thread_created(thread)
        self._message_event("MESSAGE_UPDATE", message)
        return 201, thread.to_json()

    async def create_thread(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req.params["channel"])
        body = req.json or {}
        self._thread_rules(body)
        if channel.type == rules.FORUM:
            return await self._forum_post(channel, body, req.files)
        if channel.type not in (rules.TEXT, rules.ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        kind = int(body.get("type") or rules.PRIVATE_THREAD)
        if channel.type == rules.ANNOUNCEMENT:
            kind = rules.ANNOUNCEMENT_THREAD
        needed = rules.CREATE_PRIVATE_THREADS if kind == rules.PRIVATE_THREAD else rules.CREATE_PUBLIC_THREADS
        self._require(channel, rules.VIEW_CHANNEL, needed)
        thread = self._new_thread(channel, snowflake(), kind, body)
        self._thread_created(thread)
        return 201, thread.to_json()

    async def active_threads(self, req: Req) -> tuple[int, Any]:
        """The guild's unarchived threads the bot can see (forum posts included)."""
        guild = self.guilds.get(_int(req.params["guild"]))
        if guild is None or not guild.bot_present:
            raise rules.missing_access()
        visible = [
            c
            for c in sorted(guild.channels.values(), key=lambda c: c.id)
            if c.is_thread and not c.archived and self._bot_perms(c) & rules.VIEW_CHANNEL
        ]
        return 200, {"threads": [c.to_json() for c in visible], "members": [], "has_more": False}

    async def _forum_post(self, forum: Channel, body: dict[str, Any], files: list[Attachment]) -> tuple[int, Any]:
        starter = body.get("message")
        if not isinstance(starter, dict):
            raise rules.form_error(["message"], "BASE_TYPE_REQUIRED", "This field is required")
        error = rules.check_message_body(starter, has_files=bool(files))
        if error:
            raise ApiError(error.status, error.code, error.message, {"message": error.errors} if error.errors else None)
        error = rules.check_applied_tags(body.get("applied_tags") or [], [t.id for t in forum.tags])
        if error:
            raise error
        perms = self._require(forum, rules.VIEW_CHANNEL, rules.SEND_MESSAGES)
        self._check_content_perms(perms, starter, files)
        thread = self._new_thread(forum, snowflake(), rules.PUBLIC_THREAD, body)
        self._thread_created(thread)
        # The starter message of a forum post has the thread's id.
        message = self.add_message(thread, self.bot, starter, files, message_id=thread.id)
        return 201, thread.to_json() | {"message": self.message_json(message)}

    # --- REST: interactions and webhooks --------------------------------------------------------

    def _interaction_by_token(self, req: Req) -> InteractionRecord:
        if _int(req.params["app"]) != self.application_id:
            raise rules.unknown_webhook()
        for record in self.interactions.values():
            if record.token == req.params["token"]:
                return record
        raise rules.unknown_webhook()

    async def interaction_callback(self, req: Req) -> tuple[int, Any]:
        record = self.interactions.get(_int(req.params["interaction"]))
        if record is None or record.token != req.params["token"]:
            raise rules.unknown_interaction()
        if record.acked:
            raise rules.already_acknowledged()
        if time.monotonic() - record.created > self.ack_deadline:
            raise rules.unknown_interaction()
        body = req.json or {}
        kind = body.get("type")
        data = body.get("data") or {}
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}, 1: {1}}[record.type]
        if kind not in allowed:
            raise rules.form_error(["type"], "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type")
        info: dict[str, Any] = {"id": str(record.id), "type": record.type}
        resource: dict[str, Any] | None = None
        channel = self.find_channel(record.channel_id)
        if kind == 4:
            error = rules.check_message_body(data, has_files=bool(req.files))
            if error:
                raise error
            message = self._interaction_message(record, channel, data, req.files)
            record.original_id = message.id
            resource = {"type": 4, "message": self.message_json(message)}
        elif kind == 5:
            loading = {"content": "", "flags": LOADING | (int(data.get("flags") or 0) & EPHEMERAL)}
            message = self._interaction_message(record, channel, loading, [])
            record.original_id = message.id
            # No `resource`: the spec's callback resources are messages of types 4 and 7 only.
            info["response_message_loading"] = True
        elif kind in (6, 7):
            record.original_id = record.message_id
            if kind == 7 and channel is not None and record.message_id is not None:
                target = self.store.get(channel.id, {}).get(record.message_id)
                if target is not None:
                    self._apply_edit(target, data, req.files, None)
                    resource = {"type": 7, "message": self.message_json(target)}
        elif kind == 8:
            choices = data.get("choices") or []
            if len(choices) > 25:
                raise rules.form_error(["data", "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            record.choices = choices
        elif kind == 9:
            record.modal = data
        if record.original_id is not None:
            original = self._find_message(record.original_id)
            info["response_message_id"] = str(record.original_id)
            info["response_message_ephemeral"] = bool(original and original.ephemeral)
        record.response_type = kind
        record.callbacks.append(body)
        self._notify()
        out: dict[str, Any] = {"interaction": info}
        if resource is not None:
            out["resource"] = resource
        return 200, out

    def _find_message(self, message_id: int) -> Message | None:
        for messages in self.store.values():
            if message_id in messages:
                return messages[message_id]
        return None

    def _interaction_message(
        self,
        record: InteractionRecord,
        channel: Channel | None,
        data: dict[str, Any],
        files: list[Attachment],
    ) -> Message:
        if channel is None:
            raise rules.unknown_channel()
        ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        user = self.guilds[record.guild_id].members[record.user_id].user
        metadata = {
            "id": str(record.id),
            "type": record.type,
            "user": user.to_json(),
            "authorizing_integration_owners": {"0": str(record.guild_id)},
        }
        if record.type == 3 and record.message_id is not None:
            metadata["interacted_message_id"] = str(record.message_id)
        kind = 20 if record.type == 2 else 19 if record.type == 3 else 0
        message = self.add_message(
            channel,
            self.bot,
            data,
            files,
            ephemeral=ephemeral,
            webhook_id=self.application_id,
            application_id=self.application_id,
            interaction_metadata=metadata,
        )
        message.type = kind
        return message

    async def execute_webhook(self, req: Req) -> tuple[int, Any]:
        record = self._interaction_by_token(req)
        if not record.acked or record.response_type in (8, 9):
            raise rules.unknown_webhook()
        body = req.json or {}
        error = rules.check_message_body(body, has_files=bool(req.files))
        if error:
            raise error
        original = self._find_message(record.original_id) if record.original_id else None
        if record.response_type == 5 and original is not None and original.flags & LOADING:
            # The first followup after a deferred reply replaces the "thinking…" message.
            self._apply_edit(original, body, req.files, None)
            message = original
        else:
            channel = self.find_channel(record.channel_id)
            message = self._interaction_message(record, channel, body, req.files)
            record.followup_ids.append(message.id)
        self._notify()
        if req.query.get("wait", "false").lower() not in ("true", "1"):
            return 204, None
        return 200, self.message_json(message)

    def _webhook_message(self, req: Req) -> tuple[InteractionRecord, Message]:
        record = self._interaction_by_token(req)
        raw = req.params["message"]
        if raw == "@original":
            if not record.acked or record.original_id is None:
                raise rules.unknown_webhook() if not record.acked else rules.unknown_message()
            message_id = record.original_id
        else:
            message_id = _int(raw)
            if message_id not in record.followup_ids and message_id != record.original_id:
                raise rules.unknown_message()
        message = self._find_message(message_id)
        if message is None or message.deleted:
            raise rules.unknown_message()
        return record, message

    async def get_webhook_message(self, req: Req) -> tuple[int, Any]:
        _record, message = self._webhook_message(req)
        return 200, self.message_json(message)

    async def edit_webhook_message(self, req: Req) -> tuple[int, Any]:
        _record, message = self._webhook_message(req)
        self._apply_edit(message, req.json or {}, req.files, None)
        self._notify()
        return 200, self.message_json(message)

    async def delete_webhook_message(self, req: Req) -> tuple[int, Any]:
        _record, message = self._webhook_message(req)
        self._delete(message)
        return 204, None


def normalize_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill in what Discord adds to stored components: a numeric `id` each, select defaults."""
    counter = iter(range(1, 1000))

    def fill(component: dict[str, Any]) -> dict[str, Any]:
        out = dict(component)
        out.setdefault("id", next(counter))
        if out.get("type") in (3, 5, 6, 7, 8):
            out.setdefault("min_values", 1)
            out.setdefault("max_values", 1)
        if "components" in out:
            out["components"] = [fill(c) for c in out["components"]]
        return out

    return [fill(c) for c in components]


def _describe_files(payload: Any, parts: list[tuple[str, Attachment]]) -> None:
    """Give each uploaded file ("files[N]") the description (alt text) payload_json lists for attachment N."""
    if not isinstance(payload, dict):
        return
    # A message request lists them at the top; an interaction callback inside its "data".
    inner = payload.get("data")
    listed = payload.get("attachments", inner.get("attachments") if isinstance(inner, dict) else None)
    if not isinstance(listed, list):
        return
    described = {str(a.get("id")): a.get("description") for a in listed if isinstance(a, dict)}
    for name, attachment in parts:
        index = name.removeprefix("files[").removesuffix("]")
        description = described.get(index)
        if isinstance(description, str):
            attachment.description = description


def _int(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise rules.form_error(["id"], "NUMBER_TYPE_COERCE", f"Value {raw!r} is not snowflake.") from None


def _reference_json(reference: dict[str, Any], channel: Channel) -> dict[str, Any]:
    return {
        "type": int(reference.get("type", 0)),
        "message_id": str(reference.get("message_id")),
        "channel_id": str(reference.get("channel_id") or channel.id),
        "guild_id": str(reference.get("guild_id") or channel.guild_id),
    }


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py compares the header verbatim, a charset breaks it.
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(body).encode(), headers=all_headers)


def _bucket(path: str) -> str:
    return re.sub(r"\d{6,}", "0", path).encode().hex()[:32]


def _ratelimit_ok(path: str) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": _bucket(path),
    }


def _ratelimit_body(fault: Fault) -> dict[str, Any]:
    return {
        "message": "You are being rate limited.",
        "retry_after": fault.retry_after,
        "global": fault.is_global,
        "code": 0,
    }


def _ratelimit_headers(fault: Fault, path: str) -> dict[str, str]:
    headers = {
        "Retry-After": str(max(1, round(fault.retry_after))),
        "Via": "1.1 google",  # discord.py treats a 429 without Via as a Cloudflare ban
        "X-RateLimit-Scope": "global" if fault.is_global else "user",
    }
    if fault.is_global:
        headers["X-RateLimit-Global"] = "true"
    else:
        headers |= {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
            "X-RateLimit-Bucket": _bucket(path),
        }
    return headers


def _valid_shard(shard: Any) -> bool:
    """IDENTIFY's ``shard``: [shard id, shard count], 0 <= id < count (else Discord closes with 4010)."""
    if not isinstance(shard, list) or len(shard) != 2 or not all(isinstance(n, int) for n in shard):
        return False
    shard_id, count = int(shard[0]), int(shard[1])
    return count >= 1 and 0 <= shard_id < count


def _event_guild(event: str, data: dict[str, Any]) -> int | None:
    """The guild an event belongs to, which decides the shard that receives it."""
    raw = data.get("id") if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE") else data.get("guild_id")
    return int(raw) if raw is not None else None
