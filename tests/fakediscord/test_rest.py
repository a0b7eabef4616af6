"""The fake at the wire level (plain aiohttp client): Discord's rules, faults, gateway protocol."""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import zstandard

from tests.fakediscord import FakeDiscord, rules, spec
from tests.fakediscord.state import Channel, Guild


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Api:
    def __init__(self, fake: FakeDiscord, session: aiohttp.ClientSession) -> None:
        self.fake = fake
        self.session = session

    async def __call__(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> tuple[int, Any]:
        headers = {"Authorization": f"Bot {self.fake.token}"} if auth else {}
        async with self.session.request(method, self.fake.api_base + path, json=body, headers=headers) as resp:
            self.last_headers = resp.headers
            text = await resp.text()
            return resp.status, json.loads(text) if text else None


@pytest.fixture
def api(fake_discord: FakeDiscord, http: aiohttp.ClientSession) -> Api:
    return Api(fake_discord, http)


@pytest.fixture
def world(fake_discord: FakeDiscord) -> tuple[Guild, Channel]:
    guild = fake_discord.add_guild()
    return guild, fake_discord.add_channel(guild, "essays")


async def test_json_content_type_is_exact(api: Api, world: tuple[Guild, Channel]) -> None:
    status, me = await api("GET", "/users/@me")
    assert status == 200 and me["bot"] is True
    assert api.last_headers["Content-Type"] == "application/json"
    status, app = await api("GET", "/oauth2/applications/@me")
    assert status == 200 and app["id"] == me["id"]


async def test_bad_token_is_401(api: Api) -> None:
    status, body = await api("GET", "/users/@me", auth=False)
    assert status == 401 and body["code"] == 0


async def test_content_over_2000_chars_is_rejected(api: Api, world: tuple[Guild, Channel]) -> None:
    _guild, channel = world
    status, body = await api("POST", f"/channels/{channel.id}/messages", {"content": "x" * 2001})
    assert status == 400 and body["code"] == 50035 and "content" in body["errors"]
    status, body = await api("POST", f"/channels/{channel.id}/messages", {"content": "x" * 2000})
    assert status == 200 and len(body["content"]) == 2000


async def test_empty_message_is_rejected(api: Api, world: tuple[Guild, Channel]) -> None:
    status, body = await api("POST", f"/channels/{world[1].id}/messages", {"content": ""})
    assert (status, body["code"]) == (400, 50006)


async def test_unknown_channel_and_message(api: Api, world: tuple[Guild, Channel]) -> None:
    status, body = await api("POST", "/channels/123456789012/messages", {"content": "hi"})
    assert (status, body["code"]) == (404, 10003)
    status, body = await api("GET", f"/channels/{world[1].id}/messages/123456789012")
    assert (status, body["code"]) == (404, 10008)


async def test_missing_permission_is_403_50013(
    fake_discord: FakeDiscord, api: Api, world: tuple[Guild, Channel]
) -> None:
    guild, channel = world
    fake_discord.set_overwrite(channel, fake_discord.bot.id, deny=rules.SEND_MESSAGES, member=True)
    status, body = await api("POST", f"/channels/{channel.id}/messages", {"content": "hi"})
    assert (status, body["code"]) == (403, 50013)
    # Embeds need EMBED_LINKS even where sending is allowed.
    other = fake_discord.add_channel(guild, "other")
    fake_discord.revoke_bot_permission(guild, rules.EMBED_LINKS, channel=other)
    status, body = await api("POST", f"/channels/{other.id}/messages", {"embeds": [{"title": "t"}]})
    assert (status, body["code"]) == (403, 50013)
    # Without VIEW_CHANNEL it is Missing Access.
    fake_discord.set_overwrite(other, guild.id, deny=rules.VIEW_CHANNEL)
    status, body = await api("GET", f"/channels/{other.id}")
    assert (status, body["code"]) == (403, 50001)


async def test_thread_rules(fake_discord: FakeDiscord, api: Api, world: tuple[Guild, Channel]) -> None:
    channel = world[1]
    _status, message = await api("POST", f"/channels/{channel.id}/messages", {"content": "essay"})
    path = f"/channels/{channel.id}/messages/{message['id']}/threads"
    status, body = await api("POST", path, {"name": "x" * 101})
    assert (status, body["code"]) == (400, 50035)
    status, body = await api("POST", path, {"name": "Section", "auto_archive_duration": 30})
    assert (status, body["code"]) == (400, 50035)
    status, thread = await api("POST", path, {"name": "Section", "auto_archive_duration": 10080})
    assert status == 201 and thread["id"] == message["id"] and thread["type"] == rules.PUBLIC_THREAD
    status, body = await api("POST", path, {"name": "Again"})
    assert (status, body["code"]) == (400, 160004)
    # The OpenAPI description knows these two limits too: both bad requests were flagged (when it is here).
    flagged = fake_discord.take_failures(r"bot's request POST .*/threads")
    assert len(flagged) == (2 if spec.load_spec() is not None else 0)


async def test_forum_post_tags(fake_discord: FakeDiscord, api: Api, world: tuple[Guild, Channel]) -> None:
    forum = fake_discord.add_channel(world[0], "sections", kind="forum", tags=["essay", "quote"])
    tag = str(fake_discord.tag_id(forum, "quote"))
    status, body = await api(
        "POST",
        f"/channels/{forum.id}/threads",
        {"name": "Post", "applied_tags": ["42"], "message": {"content": "x"}},
    )
    assert (status, body["code"]) == (400, 50035)
    status, post = await api(
        "POST",
        f"/channels/{forum.id}/threads",
        {"name": "Post", "applied_tags": [tag], "message": {"content": "x"}},
    )
    assert status == 201 and post["message"]["id"] == post["id"] and post["applied_tags"] == [tag]
    assert [t.name for t in fake_discord.threads(forum)] == ["Post"]
    status, body = await api("POST", f"/channels/{forum.id}/messages", {"content": "direct"})
    assert (status, body["code"]) == (400, 50008)


async def test_nonce_is_enforced(fake_discord: FakeDiscord, api: Api, world: tuple[Guild, Channel]) -> None:
    channel = world[1]
    body = {"content": "once", "nonce": "12345", "enforce_nonce": True}
    _s, first = await api("POST", f"/channels/{channel.id}/messages", body)
    _s, second = await api("POST", f"/channels/{channel.id}/messages", body)
    assert first["id"] == second["id"] and len(fake_discord.messages(channel)) == 1
    _s, third = await api("POST", f"/channels/{channel.id}/messages", {"content": "once", "nonce": "12345"})
    assert third["id"] != first["id"]


async def test_list_messages_paging(api: Api, world: tuple[Guild, Channel]) -> None:
    channel = world[1]
    ids = [(await api("POST", f"/channels/{channel.id}/messages", {"content": str(i)}))[1]["id"] for i in range(5)]
    _s, newest = await api("GET", f"/channels/{channel.id}/messages?limit=2")
    assert [m["id"] for m in newest] == [ids[4], ids[3]]
    _s, older = await api("GET", f"/channels/{channel.id}/messages?limit=2&before={ids[3]}")
    assert [m["id"] for m in older] == [ids[2], ids[1]]
    _s, after = await api("GET", f"/channels/{channel.id}/messages?after={ids[2]}")
    assert [m["id"] for m in after] == [ids[4], ids[3]]


async def _slash(fake: FakeDiscord, api: Api, channel: Channel) -> Any:
    status, _ = await api("PUT", f"/applications/{fake.application_id}/commands", [{"name": "ask", "description": "d"}])
    assert status == 200
    return await fake.invoke_slash("ask", channel=channel)


async def test_interaction_rules(fake_discord: FakeDiscord, api: Api, world: tuple[Guild, Channel]) -> None:
    interaction = await _slash(fake_discord, api, world[1])
    token = interaction.record.token
    followup = f"/webhooks/{fake_discord.application_id}/{token}?wait=true"
    status, body = await api("POST", followup, {"content": "too early"}, auth=False)
    assert (status, body["code"]) == (404, 10015)
    callback = f"/interactions/{interaction.id}/{token}/callback?with_response=1"
    status, body = await api("POST", callback, {"type": 4, "data": {"content": "answer"}}, auth=False)
    assert status == 200 and body["resource"]["message"]["content"] == "answer"
    assert body["interaction"]["response_message_id"] == body["resource"]["message"]["id"]
    status, body = await api("POST", callback, {"type": 4, "data": {"content": "again"}}, auth=False)
    assert (status, body["code"]) == (400, 40060)
    status, body = await api("POST", followup, {"content": "later"}, auth=False)
    assert status == 200 and body["content"] == "later"
    assert [m.content for m in interaction.followups] == ["later"]


async def test_interaction_deadline(fake_discord: FakeDiscord, api: Api, world: tuple[Guild, Channel]) -> None:
    fake_discord.ack_deadline = 0.0
    interaction = await _slash(fake_discord, api, world[1])
    path = f"/interactions/{interaction.id}/{interaction.record.token}/callback?with_response=1"
    status, body = await api("POST", path, {"type": 5}, auth=False)
    assert (status, body["code"]) == (404, 10062)


async def test_unimplemented_endpoint_is_recorded(fake_discord: FakeDiscord, api: Api) -> None:
    status, _ = await api("GET", "/guilds/1/audit-logs")
    assert status == 404
    assert fake_discord.failures == ["unimplemented endpoint: GET /api/v10/guilds/1/audit-logs"]
    fake_discord.failures.clear()  # this test wanted it; the fixture would fail otherwise


async def test_spec_violation_in_request_is_recorded(
    fake_discord: FakeDiscord, api: Api, world: tuple[Guild, Channel]
) -> None:
    if fake_discord.spec is None:
        pytest.skip("no OpenAPI spec available")
    await api("POST", f"/channels/{world[1].id}/messages", {"content": "hi", "tts": "yes"})
    assert len(fake_discord.failures) == 1
    assert "create_message" in fake_discord.failures[0] and "$.tts" in fake_discord.failures[0]
    fake_discord.failures.clear()


async def test_rate_limit_fault(fake_discord: FakeDiscord, api: Api, world: tuple[Guild, Channel]) -> None:
    fault = fake_discord.rate_limit("POST", r"/messages$", nth=2, retry_after=0.25)
    path = f"/channels/{world[1].id}/messages"
    assert (await api("POST", path, {"content": "1"}))[0] == 200
    status, body = await api("POST", path, {"content": "2"})
    assert status == 429 and body["retry_after"] == 0.25 and body["global"] is False
    assert api.last_headers["X-RateLimit-Remaining"] == "0" and api.last_headers["Via"]
    assert (await api("POST", path, {"content": "3"}))[0] == 200
    assert fault.fired == 1
    fake_discord.rate_limit(None, r"/users/@me", is_global=True)
    status, body = await api("GET", "/users/@me")
    assert status == 429 and body["global"] is True and api.last_headers["X-RateLimit-Global"] == "true"


async def test_server_error_fault(fake_discord: FakeDiscord, api: Api, world: tuple[Guild, Channel]) -> None:
    fake_discord.server_error("GET", r"^/channels/\d+$", times=2, status=502)
    path = f"/channels/{world[1].id}"
    assert [(await api("GET", path))[0] for _ in range(3)] == [502, 502, 200]


# --- gateway at the protocol level ------------------------------------------------------------------


class Gateway:
    """A minimal gateway client speaking JSON, zlib-stream or zstd-stream."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.zlib = zlib.decompressobj()
        self.zstd = zstandard.ZstdDecompressor().decompressobj()
        self.compress = compress

    async def recv(self) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=5)
        if msg.type == aiohttp.WSMsgType.BINARY:
            assert msg.data.endswith(b"\x00\x00\xff\xff") or self.compress == "zstd-stream"
            raw = self.zlib.decompress(msg.data) if self.compress == "zlib-stream" else self.zstd.decompress(msg.data)
            return json.loads(raw)  # type: ignore[no-any-return]
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        return json.loads(msg.data)  # type: ignore[no-any-return]

    async def send(self, op: int, d: Any) -> None:
        await self.ws.send_str(json.dumps({"op": op, "d": d}))


async def _open(http: aiohttp.ClientSession, url: str, compress: str | None) -> Gateway:
    query = "?v=10&encoding=json" + (f"&compress={compress}" if compress else "")
    return Gateway(await http.ws_connect(url + query), compress)


@pytest.mark.parametrize("compress", [None, "zlib-stream", "zstd-stream"])
async def test_gateway_identify_ready_guild_create(
    fake_discord: FakeDiscord, http: aiohttp.ClientSession, world: tuple[Guild, Channel], compress: str | None
) -> None:
    guild, _channel = world
    fake_discord.add_channel(guild, "sections", kind="forum", tags=["essay"])
    gw = await _open(http, fake_discord.gateway_url, compress)
    hello = await gw.recv()
    assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
    await gw.send(1, None)
    assert (await gw.recv())["op"] == 11
    await gw.send(2, {"token": fake_discord.token, "intents": 513, "properties": {}})
    ready = await gw.recv()
    assert ready["t"] == "READY" and ready["d"]["resume_gateway_url"].startswith("ws://127.0.0.1:")
    assert ready["d"]["application"] == {
        "id": str(fake_discord.application_id),
        "flags": fake_discord.application_flags,
    }
    created = (await gw.recv())["d"]
    assert created["member_count"] == len(created["members"])
    everyone = [r for r in created["roles"] if r["id"] == created["id"]]
    assert everyone and everyone[0]["name"] == "@everyone"
    forum = next(c for c in created["channels"] if c["type"] == 15)
    assert forum["available_tags"][0]["name"] == "essay"


async def test_gateway_resume_replays_missed_events_and_blanks_content(
    fake_discord: FakeDiscord, http: aiohttp.ClientSession, world: tuple[Guild, Channel]
) -> None:
    _guild, channel = world
    gw = await _open(http, fake_discord.gateway_url, None)
    await gw.recv()
    await gw.send(2, {"token": fake_discord.token, "intents": 513, "properties": {}})
    ready = (await gw.recv())["d"]
    seq = (await gw.recv())["s"]  # GUILD_CREATE
    await fake_discord.drop_gateway()
    assert (await gw.ws.receive(timeout=5)).type == aiohttp.WSMsgType.CLOSE
    assert gw.ws.close_code == 4000
    fake_discord.post_message(channel, "while you were away")  # missed
    gw2 = await _open(http, ready["resume_gateway_url"], None)
    await gw2.recv()
    await gw2.send(6, {"token": fake_discord.token, "session_id": ready["session_id"], "seq": seq})
    missed = await gw2.recv()
    assert missed["t"] == "MESSAGE_CREATE" and missed["s"] == seq + 1
    assert missed["d"]["content"] == ""  # no MESSAGE_CONTENT intent (1 << 15) in 513
    assert (await gw2.recv())["t"] == "RESUMED"
    await gw2.send(6, {"token": fake_discord.token, "session_id": "nope", "seq": 1})
    assert await gw2.recv() == {"op": 9, "d": False, "s": None, "t": None}


async def test_a_sharded_identify_gets_its_shard_s_guilds_and_events_only(
    fake_discord: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    # Guild ids on shard 0 and shard 1 of 2: Discord's rule is (guild_id >> 22) % shard_count.
    even = fake_discord.add_guild("Even", guild_id=(1_600_000_000_000 << 22) | 5)
    odd = fake_discord.add_guild("Odd", guild_id=(1_600_000_000_001 << 22) | 5)
    even_channel = fake_discord.add_channel(even, "essays")
    odd_channel = fake_discord.add_channel(odd, "essays")
    gw = await _open(http, fake_discord.gateway_url, None)
    await gw.recv()
    await gw.send(2, {"token": fake_discord.token, "intents": 513, "properties": {}, "shard": [1, 2]})
    ready = (await gw.recv())["d"]
    assert ready["shard"] == [1, 2]
    assert [g["id"] for g in ready["guilds"]] == [str(odd.id)]
    assert (await gw.recv())["d"]["id"] == str(odd.id)  # GUILD_CREATE of its one guild
    fake_discord.post_message(even_channel, "for shard 0")
    fake_discord.post_message(odd_channel, "for shard 1")
    event = await gw.recv()
    assert event["t"] == "MESSAGE_CREATE" and event["d"]["channel_id"] == str(odd_channel.id)

    wrong = await _open(http, fake_discord.gateway_url, None)
    await wrong.recv()
    await wrong.send(2, {"token": fake_discord.token, "intents": 513, "properties": {}, "shard": [2, 2]})
    assert (await wrong.ws.receive(timeout=5)).type == aiohttp.WSMsgType.CLOSE
    assert wrong.ws.close_code == 4010  # Invalid shard


async def test_edit_delete_crosspost(fake_discord: FakeDiscord, api: Api, world: tuple[Guild, Channel]) -> None:
    guild, channel = world
    news = fake_discord.add_channel(guild, "news", kind="announcement")
    _s, sent = await api("POST", f"/channels/{news.id}/messages", {"content": "new essay"})
    status, posted = await api("POST", f"/channels/{news.id}/messages/{sent['id']}/crosspost")
    assert status == 200 and posted["flags"] & 1
    status, body = await api("POST", f"/channels/{news.id}/messages/{sent['id']}/crosspost")
    assert (status, body["code"]) == (400, 40033)
    status, edited = await api("PATCH", f"/channels/{news.id}/messages/{sent['id']}", {"content": "fixed"})
    assert status == 200 and edited["content"] == "fixed" and edited["edited_timestamp"]
    theirs = fake_discord.post_message(channel, "a reader's words")
    status, body = await api("PATCH", f"/channels/{channel.id}/messages/{theirs.id}", {"content": "changed"})
    assert (status, body["code"]) == (403, 50005)
    assert (await api("DELETE", f"/channels/{news.id}/messages/{sent['id']}"))[0] == 204
    assert fake_discord.messages(news) == []


async def test_thread_patch_and_delete(fake_discord: FakeDiscord, api: Api, world: tuple[Guild, Channel]) -> None:
    channel = world[1]
    status, thread = await api("POST", f"/channels/{channel.id}/threads", {"name": "Loose", "type": 11})
    assert status == 201
    status, body = await api("PATCH", f"/channels/{thread['id']}", {"archived": True, "locked": True, "name": "Done"})
    assert status == 200 and body["thread_metadata"]["locked"] and body["name"] == "Done"
    assert (await api("DELETE", f"/channels/{thread['id']}"))[0] == 200
    assert fake_discord.threads(channel) == []
    status, body = await api("GET", f"/channels/{thread['id']}")
    assert (status, body["code"]) == (404, 10003)
