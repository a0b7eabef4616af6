"""The scenario API tests drive: build a world, run a discord.py client against it, act as users."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import re
import secrets
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import discord.gateway
import discord.http
import discord.utils
import yarl
from aiohttp import web

from tests.fakediscord import rules
from tests.fakediscord.faults import Fault, make_fault
from tests.fakediscord.server import InteractionRecord, RecordedRequest, Server
from tests.fakediscord.state import Channel, Guild, Member, Message, Role, Tag, User, snowflake

KINDS = {"text": rules.TEXT, "announcement": rules.ANNOUNCEMENT, "forum": rules.FORUM}
COMPRESSIONS = ("zstd-stream", "zlib-stream", "none")


class Interaction:
    """An interaction the fake sent to the bot; read what the bot answered, or wait for it."""

    def __init__(self, fake: FakeDiscord, record: InteractionRecord) -> None:
        self._fake = fake
        self.record = record

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def response_type(self) -> int | None:
        """The callback type the bot used (4 reply, 5 defer, 6 deferred update, 7 update, 8, 9)."""
        return self.record.response_type

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        return self.record.callbacks

    @property
    def original(self) -> Message | None:
        """The @original message (reply, deferred message, or the component's message)."""
        rid = self.record.original_id
        return self._fake.find_message(rid) if rid is not None else None

    @property
    def followups(self) -> list[Message]:
        found = (self._fake.find_message(mid) for mid in self.record.followup_ids)
        return [m for m in found if m is not None]

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        return self.record.choices

    @property
    def modal(self) -> dict[str, Any] | None:
        return self.record.modal

    async def wait_response(self, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109 -- a test helper's deadline
        """Wait for the interaction callback; return its JSON body ({"type", "data"})."""
        await self._fake.wait_until(lambda: self.record.callbacks, timeout, f"a response to interaction {self.id}")
        return self.record.callbacks[0]

    async def wait_followups(self, count: int = 1, timeout: float = 5.0) -> list[Message]:  # noqa: ASYNC109 -- a test helper's deadline
        await self._fake.wait_until(lambda: len(self.followups) >= count, timeout, f"{count} followup(s)")
        return self.followups

    async def wait_original(self, predicate: Any = None, timeout: float = 5.0) -> Message:  # noqa: ASYNC109 -- a test helper's deadline
        """Wait until @original exists and, optionally, predicate(message) holds (e.g. after an edit)."""

        def ready() -> Message | None:
            message = self.original
            if message is None or message.flags & 128:  # still "thinking…"
                return None
            return message if predicate is None or predicate(message) else None

        result: Message = await self._fake.wait_until(ready, timeout, "the original response")
        return result


@dataclass
class _Running:
    client: discord.Client
    task: asyncio.Task[None]


@dataclass
class _Patched:
    base: str
    gateway: yarl.URL
    decompression: Any
    from_client: Any
    extra: list[Any] = field(default_factory=list)


class FakeDiscord(Server):
    """A local Discord.  Use `async with FakeDiscord.start() as fake:` or the `fake_discord` fixture."""

    def __init__(self, *, token: str = "fake-bot-token", ack_deadline: float = 3.0) -> None:
        super().__init__(token=token, ack_deadline=ack_deadline)
        self._runner: web.AppRunner | None = None
        self._running: list[_Running] = []
        self._patched: _Patched | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls, **kwargs: Any) -> AsyncIterator[FakeDiscord]:
        fake = cls(**kwargs)
        await fake.serve()
        try:
            yield fake
        finally:
            await fake.close()

    async def serve(self) -> None:
        self._runner = web.AppRunner(self.make_app(), handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)  # port 0: a free port
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        for running in list(self._running):
            await self.disconnect(running.client)
        for conn in list(self.connections):
            await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._restore()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def assert_clean(self) -> None:
        """Fail with every unimplemented endpoint, spec violation or fake crash recorded so far."""
        if self.failures:
            raise AssertionError("fake Discord recorded failures:\n" + "\n".join(self.failures))

    # --- world building -------------------------------------------------------------------------

    def add_guild(
        self,
        name: str = "Essay Club",
        *,
        bot_permissions: int = rules.DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = rules.DEFAULT_EVERYONE_PERMISSIONS,
        guild_id: int | None = None,
    ) -> Guild:
        """A guild with @everyone (id == guild id), an owner, the bot (own role) and a member "reader".

        ``guild_id`` picks the id (a sharded test puts guilds on chosen shards: ``(id >> 22) % count``).
        """
        guild_id = guild_id or snowflake()
        owner = User(snowflake(), "owner")
        guild = Guild(id=guild_id, name=name, owner_id=owner.id)
        guild.roles[guild_id] = Role(guild_id, "@everyone", everyone_permissions, position=0)
        bot_role = Role(snowflake(), "Marginalia", bot_permissions, position=1)
        guild.roles[bot_role.id] = bot_role
        guild.members[owner.id] = Member(owner)
        guild.members[self.bot.id] = Member(self.bot, roles=[bot_role.id])
        self.guilds[guild_id] = guild
        self.add_member(guild, "reader")
        return guild

    def bot_role(self, guild: Guild) -> Role:
        return guild.roles[guild.members[self.bot.id].roles[0]]

    def add_role(self, guild: Guild, name: str, permissions: int = 0, *, mentionable: bool = False) -> Role:
        role = Role(snowflake(), name, permissions, position=len(guild.roles), mentionable=mentionable)
        guild.roles[role.id] = role
        if self._has_sessions():
            self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_json()})
        return role

    def add_member(
        self,
        guild: Guild,
        name: str = "reader",
        *,
        permissions: int | None = None,
        roles: Sequence[Role] = (),
    ) -> Member:
        """Add a user; `permissions` gives them a personal role with exactly those extra bits."""
        user = User(snowflake(), name, global_name=name.title())
        role_ids = [r.id for r in roles]
        if permissions is not None:
            role_ids.append(self.add_role(guild, f"{name}-role", permissions).id)
        member = Member(user, roles=role_ids)
        guild.members[user.id] = member
        if self._has_sessions():
            self.dispatch("GUILD_MEMBER_ADD", member.to_json() | {"guild_id": str(guild.id)}, intent=1 << 1)
        return member

    def default_member(self, guild: Guild) -> Member:
        return next(m for m in guild.members.values() if m.user.username == "reader")

    def add_channel(
        self,
        guild: Guild,
        name: str = "essays",
        *,
        kind: str = "text",
        tags: Sequence[str] = (),
        overwrites: Sequence[rules.Overwrite] = (),
        topic: str | None = None,
    ) -> Channel:
        channel = Channel(
            id=snowflake(),
            guild_id=guild.id,
            type=KINDS[kind],
            name=name,
            position=len(guild.channels),
            topic=topic,
            overwrites=list(overwrites),
            tags=[Tag(snowflake(), t) for t in tags],
        )
        guild.channels[channel.id] = channel
        if self._has_sessions():
            self.dispatch("CHANNEL_CREATE", channel.to_json())
        return channel

    def tag_id(self, forum: Channel, name: str) -> int:
        return next(t.id for t in forum.tags if t.name == name)

    def _has_sessions(self) -> bool:
        return bool(self.sessions)

    # --- faults on the world --------------------------------------------------------------------

    def delete_channel(self, channel: Channel) -> None:
        """Delete a channel mid-run: CHANNEL_DELETE (THREAD_DELETE) goes out, later requests get 10003."""
        self.remove_channel(channel)

    def set_overwrite(
        self, channel: Channel, target_id: int, *, allow: int = 0, deny: int = 0, member: bool = False
    ) -> None:
        """Replace one permission overwrite and send CHANNEL_UPDATE (e.g. deny SEND_MESSAGES to the bot)."""
        kept = [ow for ow in channel.overwrites if ow.id != target_id]
        channel.overwrites = [*kept, rules.Overwrite(target_id, 1 if member else 0, allow, deny)]
        self.dispatch("CHANNEL_UPDATE", channel.to_json())

    def revoke_bot_permission(self, guild: Guild, bits: int, channel: Channel | None = None) -> None:
        """Take permission bits from the bot: per channel (member overwrite) or guild-wide (its role)."""
        if channel is not None:
            self.set_overwrite(channel, self.bot.id, deny=bits, member=True)
            return
        self.set_role_permissions(guild, self.bot_role(guild), self.bot_role(guild).permissions & ~bits)

    def set_role_permissions(self, guild: Guild, role: Role, permissions: int) -> None:
        role.permissions = permissions
        self.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.to_json()})

    def remove_bot(self, guild: Guild) -> None:
        """The bot is kicked: GUILD_DELETE without `unavailable`, then its requests there get 50001."""
        guild.bot_present = False
        self.dispatch("GUILD_DELETE", {"id": str(guild.id)})

    # --- REST faults ----------------------------------------------------------------------------

    def rate_limit(
        self,
        method: str | None,
        path_regex: str,
        *,
        nth: int = 1,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> Fault:
        """Answer 429 (retry_after seconds, X-RateLimit-* headers, `global` flag) to matching requests."""
        fault = make_fault(
            "ratelimit",
            method,
            path_regex,
            nth=nth,
            times=times,
            retry_after=retry_after,
            is_global=is_global,
        )
        self.faults.append(fault)
        return fault

    def server_error(
        self, method: str | None, path_regex: str, *, nth: int = 1, times: int = 1, status: int = 500
    ) -> Fault:
        """Answer `status` (5xx) to matching requests.  discord.py retries 500/502/504 after 1 s, 3 s..."""
        fault = make_fault("error", method, path_regex, nth=nth, times=times, status=status)
        self.faults.append(fault)
        return fault

    def slow(self, method: str | None, path_regex: str, delay: float, *, nth: int = 1, times: int = 1) -> Fault:
        fault = make_fault("delay", method, path_regex, nth=nth, times=times, delay=delay)
        self.faults.append(fault)
        return fault

    # --- gateway faults -------------------------------------------------------------------------

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close every gateway connection with a resumable code; the session stays resumable."""
        for conn in list(self.connections):
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            await conn.ws.close(code=code, message=b"fake drop")

    async def invalidate_session(self) -> None:
        """Send op 9 (d=false): the client must IDENTIFY again from scratch."""
        for conn in list(self.connections):
            if conn.session is not None:
                self.sessions.pop(conn.session.id, None)
                conn.session.conn = None
                conn.session = None
            conn.queue.put_nowait({"op": 9, "d": False, "s": None, "t": None})

    async def wait_connected(self, count: int = 1, *, op: str = "", timeout: float = 5.0) -> None:  # noqa: ASYNC109 -- a test helper's deadline
        """Wait until `count` gateway connections (optionally of op "identify"/"resume") completed."""

        def done() -> bool:
            logs = [g for g in self.gateway_log if (g.op == op if op else g.op)]
            if op == "resume":
                logs = [g for g in logs if g.resumed]
            return len(logs) >= count

        await self.wait_until(done, timeout, f"{count} gateway {op or 'connection'}(s)")

    # --- running a discord.py client -----------------------------------------------------------

    async def connect(
        self,
        client: discord.Client,
        *,
        token: str | None = None,
        compression: str = "zstd-stream",
        timeout: float = 5.0,  # noqa: ASYNC109 -- a test helper's deadline
        fast_reidentify: bool = True,
    ) -> None:
        """Log `client` (any discord.Client subclass) in against this fake and wait for on_ready.

        Sets discord.http.Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY (restored on disconnect/close)
        and shortens guild_ready_timeout.  compression: "zstd-stream", "zlib-stream" or "none".
        fast_reidentify drops discord.py's 5 s sleep before a non-initial IDENTIFY (after op 9), on this
        instance only, so invalid-session tests stay fast.
        """
        if compression not in COMPRESSIONS:
            raise ValueError(f"compression must be one of {COMPRESSIONS}")
        self._patch(compression)
        client._connection.guild_ready_timeout = min(client._connection.guild_ready_timeout, 0.05)
        if fast_reidentify:

            async def no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
                return None

            client.before_identify_hook = no_identify_delay  # type: ignore[method-assign]
        await client.login(token or self.token)
        task = asyncio.create_task(client.connect(reconnect=True))
        self._running.append(_Running(client, task))
        ready = asyncio.create_task(client.wait_until_ready())
        done, _pending = await asyncio.wait({ready, task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()  # re-raise the connection error
            raise TimeoutError("the client did not become ready against the fake Discord")

    async def disconnect(self, client: discord.Client) -> None:
        for running in list(self._running):
            if running.client is client:
                self._running.remove(running)
                await client.close()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(running.task, 5.0)
        if not self._running:
            self._restore()

    def _patch(self, compression: str) -> None:
        ws_cls = discord.gateway.DiscordWebSocket
        if self._patched is None:
            self._patched = _Patched(
                base=discord.http.Route.BASE,
                gateway=ws_cls.DEFAULT_GATEWAY,
                decompression=discord.utils._ActiveDecompressionContext,
                from_client=ws_cls.__dict__["from_client"],
            )
        discord.http.Route.BASE = self.api_base
        ws_cls.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        original = self._patched
        discord.utils._ActiveDecompressionContext = original.decompression
        ws_cls.from_client = original.from_client  # type: ignore[method-assign]
        if compression == "zlib-stream":
            discord.utils._ActiveDecompressionContext = zlib_decompression_context()
        elif compression == "none":
            inner = original.from_client.__func__

            async def uncompressed(cls: Any, /, client: Any, **kwargs: Any) -> Any:
                return await inner(cls, client, **(kwargs | {"compress": False}))

            ws_cls.from_client = classmethod(uncompressed)  # type: ignore[method-assign, assignment]

    def _restore(self) -> None:
        if self._patched is None:
            return
        ws_cls = discord.gateway.DiscordWebSocket
        discord.http.Route.BASE = self._patched.base
        ws_cls.DEFAULT_GATEWAY = self._patched.gateway
        discord.utils._ActiveDecompressionContext = self._patched.decompression
        ws_cls.from_client = self._patched.from_client  # type: ignore[method-assign]
        self._patched = None

    # --- acting as users ----------------------------------------------------------------------

    def post_message(self, channel: Channel, content: str, *, author: Member | None = None, **body: Any) -> Message:
        """A user posts a message (MESSAGE_CREATE goes to the bot, content blanked without the intent)."""
        guild = self.guilds[channel.guild_id]
        member = author or self.default_member(guild)
        return self.add_message(channel, member.user, {"content": content, **body})

    def user_edits(self, message: Message, content: str) -> None:
        """A user edits their message: MESSAGE_UPDATE goes to the bot."""
        self._apply_edit(message, {"content": content}, [], None)

    def user_deletes(self, message: Message) -> None:
        """A user (or a moderator) deletes a message: MESSAGE_DELETE goes to the bot."""
        self._delete(message)

    def find_command(self, name: str, guild: Guild | None) -> dict[str, Any]:
        pools = ([*self.guild_commands.get(guild.id, [])] if guild else []) + self.global_commands
        for command in pools:
            if command["name"] == name and command["type"] == 1:
                return command
        synced = sorted(c["name"] for c in pools)
        raise LookupError(f"slash command {name!r} was not synced (synced: {synced})")

    def _resolve_options(
        self,
        guild: Guild,
        command: dict[str, Any],
        path: Sequence[str],
        options: dict[str, Any],
        focused: str | None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        definitions = command.get("options") or []
        chain: list[dict[str, Any]] = []
        for name in path:
            sub = next((o for o in definitions if o["name"] == name and o["type"] in (1, 2)), None)
            if sub is None:
                raise LookupError(f"no subcommand {name!r} in {command['name']!r}")
            chain.append({"type": sub["type"], "name": name, "options": []})
            definitions = sub.get("options") or []
        resolved: dict[str, dict[str, Any]] = {}
        leaf: list[dict[str, Any]] = []
        for name, value in options.items():
            spec = next((o for o in definitions if o["name"] == name), None)
            if spec is None:
                raise LookupError(f"option {name!r} is not declared (declared: {[o['name'] for o in definitions]})")
            leaf.append(self._option(guild, spec, value, resolved, focused == name))
        for name in (o["name"] for o in definitions if o.get("required")):
            if name not in options:
                raise LookupError(f"required option {name!r} missing")
        if chain:
            chain[-1]["options"] = leaf
            for outer, inner in zip(reversed(chain[:-1]), reversed(chain[1:]), strict=True):
                outer["options"] = [inner]
            return [chain[0]], resolved
        return leaf, resolved

    def _option(
        self,
        guild: Guild,
        spec: dict[str, Any],
        value: Any,
        resolved: dict[str, dict[str, Any]],
        focused: bool,
    ) -> dict[str, Any]:
        kind = spec["type"]
        option: dict[str, Any] = {"name": spec["name"], "type": kind}
        if kind in (6, 9) and isinstance(value, Member):
            resolved.setdefault("users", {})[str(value.id)] = value.user.to_json()
            resolved.setdefault("members", {})[str(value.id)] = value.to_json(with_user=False) | {"permissions": "0"}
            value = str(value.id)
        elif kind in (7,) and isinstance(value, Channel):
            data = value.to_json() | {"permissions": str(self.permissions(value, self.bot.id))}
            resolved.setdefault("channels", {})[str(value.id)] = data
            value = str(value.id)
        elif kind in (8, 9) and isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = value.to_json()
            value = str(value.id)
        option["value"] = value
        if focused:
            option["focused"] = True
        return option

    async def _send_interaction(
        self,
        kind: int,
        channel: Channel,
        member: Member | None,
        data: dict[str, Any],
        *,
        message: Message | None = None,
        permissions: int | None = None,
    ) -> Interaction:
        guild = self.guilds[channel.guild_id]
        member = member or self.default_member(guild)
        record = InteractionRecord(
            id=snowflake(),
            token=secrets.token_urlsafe(48),
            type=kind,
            guild_id=guild.id,
            channel_id=channel.id,
            user_id=member.id,
            data=data,
            message_id=message.id if message else None,
        )
        self.interactions[record.id] = record
        perms = self.permissions(channel, member.id) if permissions is None else permissions
        payload: dict[str, Any] = {
            "id": str(record.id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel.id),
            "channel": channel.to_json(),
            "member": member.to_json() | {"permissions": str(perms)},
            "token": record.token,
            "version": 1,
            "app_permissions": str(self.permissions(channel, self.bot.id)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = self.message_json(message)
        self.dispatch("INTERACTION_CREATE", payload, intent=None)
        await asyncio.sleep(0)
        return Interaction(self, record)

    async def invoke_slash(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        channel: Channel,
        subcommand: str | Sequence[str] = (),
        member: Member | None = None,
        permissions: int | None = None,
    ) -> Interaction:
        """A user runs /name [subcommand path] with options; returns at once (await .wait_response()).

        Option values: str/int/float/bool as is; a Member, Channel or Role for user/channel/role options
        (the fake fills `data.resolved`).  `permissions` overrides the member's computed permissions.
        """
        guild = self.guilds[channel.guild_id]
        command = self.find_command(name, guild)
        path = subcommand.split() if isinstance(subcommand, str) else list(subcommand)
        opts, resolved = self._resolve_options(guild, command, path, options or {}, None)
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": opts}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return await self._send_interaction(2, channel, member, data, permissions=permissions)

    async def autocomplete(
        self,
        name: str,
        focused: str,
        options: dict[str, Any],
        *,
        channel: Channel,
        subcommand: str | Sequence[str] = (),
        member: Member | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 -- a test helper's deadline
    ) -> list[dict[str, Any]]:
        """A user types into option `focused` of /name; returns the bot's choices ([{name, value}])."""
        guild = self.guilds[channel.guild_id]
        command = self.find_command(name, guild)
        path = subcommand.split() if isinstance(subcommand, str) else list(subcommand)
        opts, _resolved = self._resolve_options(guild, command, path, options, focused)
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": opts}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        interaction = await self._send_interaction(4, channel, member, data)
        await interaction.wait_response(timeout)
        return interaction.choices or []

    async def click(self, message: Message, custom_id: str, *, member: Member | None = None) -> Interaction:
        """A user presses the button `custom_id` on `message`."""
        return await self._component(message, custom_id, 2, member, None)

    async def select(
        self, message: Message, custom_id: str, values: Sequence[str], *, member: Member | None = None
    ) -> Interaction:
        """A user picks `values` in the string select `custom_id` on `message`."""
        return await self._component(message, custom_id, 3, member, list(values))

    async def _component(
        self,
        message: Message,
        custom_id: str,
        component_type: int,
        member: Member | None,
        values: list[str] | None,
    ) -> Interaction:
        if custom_id not in _custom_ids(message.components):
            raise LookupError(f"no component {custom_id!r} on message {message.id} ({_custom_ids(message.components)})")
        channel = self.find_channel(message.channel_id)
        if channel is None:
            raise LookupError("the message's channel is gone")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        return await self._send_interaction(3, channel, member, data, message=message)

    # --- reading the world ----------------------------------------------------------------------

    def find_message(self, message_id: int) -> Message | None:
        return self._find_message(message_id)

    def messages(self, channel: Channel | int, *, include_ephemeral: bool = False) -> list[Message]:
        """Messages in a channel or thread, oldest first, deleted ones left out."""
        cid = channel if isinstance(channel, int) else channel.id
        found = [
            m for m in self.store.get(cid, {}).values() if not m.deleted and (include_ephemeral or not m.ephemeral)
        ]
        return sorted(found, key=lambda m: m.id)

    def bot_messages(self, channel: Channel | int) -> list[Message]:
        return [m for m in self.messages(channel) if m.author.id == self.bot.id]

    def threads(self, parent: Channel | int) -> list[Channel]:
        """Threads (and forum posts) under a channel, in creation order."""
        pid = parent if isinstance(parent, int) else parent.id
        found = [c for g in self.guilds.values() for c in g.channels.values() if c.is_thread and c.parent_id == pid]
        return sorted(found, key=lambda c: c.id)

    def starter_message(self, thread: Channel) -> Message | None:
        """A forum post's first message, or the parent message a thread was started from."""
        own = self.store.get(thread.id, {}).get(thread.id)
        if own is not None:
            return own
        return self.store.get(thread.parent_id or 0, {}).get(thread.id)

    def pings(self, message: Message) -> rules.Pings:
        """Who `message` would notify, given its content and recorded allowed_mentions."""
        channel = self.find_channel(message.channel_id)
        guild = self.guilds[message.guild_id] if message.guild_id else None
        replied = None
        if message.message_reference:
            target = self.find_message(int(message.message_reference["message_id"]))
            replied = target.author.id if target else None
        can_everyone = bool(channel and self.permissions(channel, message.author.id) & rules.MENTION_EVERYONE)
        return rules.would_ping(
            message.content,
            message.allowed_mentions,
            replied_user_id=replied,
            mentionable_roles=[r.id for r in guild.roles.values() if r.mentionable] if guild else [],
            can_mention_everyone=can_everyone,
        )

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method.upper() and pattern.search(r.path)]

    async def wait_for_request(
        self,
        method: str,
        path_regex: str,
        timeout: float = 5.0,  # noqa: ASYNC109 -- a test helper's deadline
        *,
        since: int = 0,
    ) -> RecordedRequest:
        """The first answered request (index >= since) with this method and path (after /api/v10) regex."""
        pattern = re.compile(path_regex)

        def found() -> RecordedRequest | None:
            for r in self.requests[since:]:
                if r.method == method.upper() and pattern.search(r.path) and r.status:
                    return r
            return None

        result: RecordedRequest = await self.wait_until(found, timeout, f"{method} {path_regex}")
        return result


def _custom_ids(components: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for component in components:
        if "custom_id" in component:
            out.append(component["custom_id"])
        out.extend(_custom_ids(component.get("components") or []))
    return out


_ZLIB_CONTEXT: Any = None


def zlib_decompression_context() -> Any:
    """discord.py's own `_ZlibDecompressionContext`, which it only defines when zstd is unavailable.

    discord/utils.py is executed once more, as a private module, with the zstd imports blocked, so the
    test runs the library's real zlib-stream code rather than a copy of it.
    """
    global _ZLIB_CONTEXT
    if _ZLIB_CONTEXT is not None:
        return _ZLIB_CONTEXT
    path = Path(discord.utils.__file__)
    spec = importlib.util.spec_from_file_location("discord._fakediscord_zlib_utils", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    blocked = {name: sys.modules.get(name) for name in ("zstandard", "compression.zstd")}
    try:
        for name in blocked:
            sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` raise ImportError
        spec.loader.exec_module(module)
    finally:
        for name, previous in blocked.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
    _ZLIB_CONTEXT = module._ZlibDecompressionContext
    return _ZLIB_CONTEXT
