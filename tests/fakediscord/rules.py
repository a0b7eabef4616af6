"""Discord's own rules, as the fake enforces them.

The OpenAPI description does not carry these limits; they come from Discord's documentation and
from what the live API answers.  Every check returns an `ApiError` (or None) so the server can
turn it into the same status and JSON body Discord sends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1

PERMISSION_NAMES = {
    "VIEW_CHANNEL": VIEW_CHANNEL,
    "SEND_MESSAGES": SEND_MESSAGES,
    "MANAGE_MESSAGES": MANAGE_MESSAGES,
    "EMBED_LINKS": EMBED_LINKS,
    "ATTACH_FILES": ATTACH_FILES,
    "READ_MESSAGE_HISTORY": READ_MESSAGE_HISTORY,
    "MENTION_EVERYONE": MENTION_EVERYONE,
    "MANAGE_THREADS": MANAGE_THREADS,
    "CREATE_PUBLIC_THREADS": CREATE_PUBLIC_THREADS,
    "CREATE_PRIVATE_THREADS": CREATE_PRIVATE_THREADS,
    "SEND_MESSAGES_IN_THREADS": SEND_MESSAGES_IN_THREADS,
    "ADMINISTRATOR": ADMINISTRATOR,
    "MANAGE_CHANNELS": MANAGE_CHANNELS,
    "ADD_REACTIONS": ADD_REACTIONS,
    "USE_APPLICATION_COMMANDS": USE_APPLICATION_COMMANDS,
    "USE_EXTERNAL_EMOJIS": USE_EXTERNAL_EMOJIS,
}

# What a freshly invited bot of this project would be granted.
DEFAULT_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | CREATE_PUBLIC_THREADS
    | MANAGE_THREADS
    | MANAGE_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
)
# @everyone in a default community server.
DEFAULT_EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | CREATE_PUBLIC_THREADS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_APPLICATION_COMMANDS
)

MAX_BOT_CONTENT = 2000  # the spec says 4000: that is the Nitro user limit, not a bot's
AUTO_ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})
MAX_APPLIED_TAGS = 5
NONCE_WINDOW_SECONDS = 300.0  # Discord keeps enforced nonces "for a few minutes"

# Channel types.
TEXT = 0
ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
FORUM = 15
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})


@dataclass
class ApiError(Exception):
    """An error body exactly as Discord shapes it: {"code", "message", "errors"?}."""

    status: int
    code: int
    message: str
    errors: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors is not None:
            out["errors"] = self.errors
        return out


def form_error(path: Sequence[str | int], code: str, message: str) -> ApiError:
    """A 50035 Invalid Form Body error with the nested `errors` tree Discord uses."""
    errors: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {str(key): errors}
    return ApiError(400, 50035, "Invalid Form Body", errors)


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def missing_access() -> ApiError:
    return ApiError(403, 50001, "Missing Access")


def unknown_channel() -> ApiError:
    return ApiError(404, 10003, "Unknown Channel")


def unknown_message() -> ApiError:
    return ApiError(404, 10008, "Unknown Message")


def unknown_interaction() -> ApiError:
    return ApiError(404, 10062, "Unknown interaction")


def unknown_webhook() -> ApiError:
    return ApiError(404, 10015, "Unknown Webhook")


def already_acknowledged() -> ApiError:
    return ApiError(400, 40060, "Interaction has already been acknowledged.")


def thread_already_exists() -> ApiError:
    return ApiError(400, 160004, "A thread has already been created for this message")


def empty_message() -> ApiError:
    return ApiError(400, 50006, "Cannot send an empty message")


# --- permissions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


def base_permissions(
    guild_id: int, owner_id: int, user_id: int, role_ids: Iterable[int], role_perms: Mapping[int, int]
) -> int:
    """Guild-level permissions: @everyone (id == guild id) OR every role of the member."""
    if user_id == owner_id:
        return ALL_PERMISSIONS
    perms = role_perms.get(guild_id, 0)
    for role_id in role_ids:
        perms |= role_perms.get(role_id, 0)
    if perms & ADMINISTRATOR:
        return ALL_PERMISSIONS
    return perms


def channel_permissions(
    base: int, guild_id: int, user_id: int, role_ids: Iterable[int], overwrites: Sequence[Overwrite]
) -> int:
    """Apply overwrites in Discord's order: @everyone, then all roles together, then the member."""
    if base & ADMINISTRATOR:
        return ALL_PERMISSIONS
    perms = base
    by_id = {ow.id: ow for ow in overwrites}
    everyone = by_id.get(guild_id)
    if everyone is not None:
        perms &= ~everyone.deny
        perms |= everyone.allow
    allow = deny = 0
    for role_id in role_ids:
        ow = by_id.get(role_id)
        if ow is not None and ow.type == 0:
            allow |= ow.allow
            deny |= ow.deny
    perms &= ~deny
    perms |= allow
    member = by_id.get(user_id)
    if member is not None and member.type == 1:
        perms &= ~member.deny
        perms |= member.allow
    # Implicit rules: no VIEW_CHANNEL means nothing; no SEND_MESSAGES removes what rides on sending.
    if not perms & VIEW_CHANNEL:
        return 0
    if not perms & SEND_MESSAGES:
        perms &= ~(SEND_TTS_MESSAGES | MENTION_EVERYONE | EMBED_LINKS | ATTACH_FILES)
    return perms


def has(perms: int, *needed: int) -> bool:
    return all(perms & bit == bit for bit in needed)


# --- message content ----------------------------------------------------------------------------

EMBED_LIMITS: dict[str, int] = {"title": 256, "description": 4096}
MAX_EMBEDS = 10
MAX_EMBED_FIELDS = 25
MAX_EMBED_TOTAL = 6000


def embed_size(embed: Mapping[str, Any]) -> int:
    """Characters that count towards Discord's 6000 limit."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for f in embed.get("fields") or []:
        total += len(f.get("name") or "") + len(f.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def _too_long(path: list[str | int], limit: int) -> ApiError:
    return form_error(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def check_embeds(embeds: Sequence[Mapping[str, Any]], prefix: str = "embeds") -> ApiError | None:
    if len(embeds) > MAX_EMBEDS:
        return _too_long([prefix], MAX_EMBEDS)
    for i, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            if len(embed.get(key) or "") > limit:
                return _too_long([prefix, i, key], limit)
        fields = embed.get("fields") or []
        if len(fields) > MAX_EMBED_FIELDS:
            return _too_long([prefix, i, "fields"], MAX_EMBED_FIELDS)
        for j, f in enumerate(fields):
            if not f.get("name") or len(f["name"]) > 256:
                return _too_long([prefix, i, "fields", j, "name"], 256)
            if not f.get("value") or len(f["value"]) > 1024:
                return _too_long([prefix, i, "fields", j, "value"], 1024)
        if len((embed.get("footer") or {}).get("text") or "") > 2048:
            return _too_long([prefix, i, "footer", "text"], 2048)
        if len((embed.get("author") or {}).get("name") or "") > 256:
            return _too_long([prefix, i, "author", "name"], 256)
    if sum(embed_size(e) for e in embeds) > MAX_EMBED_TOTAL:
        return form_error([prefix], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    return None


def check_message_body(body: Mapping[str, Any], *, has_files: bool, require_content: bool = True) -> ApiError | None:
    """Content/embeds rules shared by channel messages, interaction replies and followups."""
    content = body.get("content")
    if content is not None and len(content) > MAX_BOT_CONTENT:
        return _too_long(["content"], MAX_BOT_CONTENT)
    embeds = body.get("embeds") or []
    error = check_embeds(embeds)
    if error is not None:
        return error
    if require_content and not (
        content or embeds or has_files or body.get("components") or body.get("sticker_ids") or body.get("poll")
    ):
        return empty_message()
    return None


def check_thread_name(name: Any, key: str = "name") -> ApiError | None:
    if not isinstance(name, str) or not name.strip():
        return form_error([key], "BASE_TYPE_REQUIRED", "This field is required")
    if len(name) > 100:
        return form_error([key], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    return None


def check_auto_archive(value: Any) -> ApiError | None:
    if value is not None and value not in AUTO_ARCHIVE_DURATIONS:
        return form_error(
            ["auto_archive_duration"], "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}."
        )
    return None


def check_applied_tags(tags: Sequence[Any], available: Iterable[int]) -> ApiError | None:
    if len(tags) > MAX_APPLIED_TAGS:
        return _too_long(["applied_tags"], MAX_APPLIED_TAGS)
    known = set(available)
    for i, tag in enumerate(tags):
        if int(tag) not in known:
            return form_error(["applied_tags", i], "TAG_INVALID", "Tag is not available in this channel")
    return None


# --- mentions -----------------------------------------------------------------------------------

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_EVERYONE = re.compile(r"@(everyone|here)")


@dataclass(frozen=True)
class Pings:
    """Who a message would notify."""

    users: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[int] = field(default_factory=frozenset)
    everyone: bool = False
    replied_user: bool = False

    @property
    def any(self) -> bool:
        return bool(self.users or self.roles or self.everyone or self.replied_user)


def would_ping(
    content: str | None,
    allowed_mentions: Mapping[str, Any] | None,
    *,
    replied_user_id: int | None = None,
    mentionable_roles: Iterable[int] | None = None,
    can_mention_everyone: bool = True,
) -> Pings:
    """Which mentions Discord would turn into notifications, following the allowed_mentions rules.

    Without allowed_mentions everything parsed from the content pings. With it, only the types
    listed in `parse`, plus the explicit `users`/`roles` lists, ping; `replied_user` decides the reply
    ping. Role pings also need the role to be mentionable (or the sender to hold MENTION_EVERYONE).
    """
    text = content or ""
    users = {int(u) for u in _USER_MENTION.findall(text)}
    roles = {int(r) for r in _ROLE_MENTION.findall(text)}
    everyone = bool(_EVERYONE.search(text))
    if mentionable_roles is not None and not can_mention_everyone:
        roles &= {int(r) for r in mentionable_roles}
    if allowed_mentions is None:
        return Pings(frozenset(users), frozenset(roles), everyone and can_mention_everyone, replied_user_id is not None)
    parse = set(allowed_mentions.get("parse") or [])
    allowed_users = {int(u) for u in allowed_mentions.get("users") or []}
    allowed_roles = {int(r) for r in allowed_mentions.get("roles") or []}
    pinged_users = users if "users" in parse else users & allowed_users
    pinged_roles = roles if "roles" in parse else roles & allowed_roles
    return Pings(
        frozenset(pinged_users),
        frozenset(pinged_roles),
        everyone and "everyone" in parse and can_mention_everyone,
        replied_user_id is not None and bool(allowed_mentions.get("replied_user", False)),
    )


def strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def markdown_texts(message: Mapping[str, Any]) -> Iterator[str]:
    """The parts of a message where Discord renders markdown: content, descriptions, field values."""
    if message.get("content"):
        yield message["content"]
    for embed in message.get("embeds") or []:
        if embed.get("description"):
            yield embed["description"]
        for item in embed.get("fields") or []:
            yield item["value"]
