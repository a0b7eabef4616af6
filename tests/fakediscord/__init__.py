"""A local fake Discord (REST + gateway) that the real discord.py runs against in tests."""

from tests.fakediscord.faults import Fault
from tests.fakediscord.rules import ApiError, Overwrite, Pings, would_ping
from tests.fakediscord.scenario import FakeDiscord, Interaction
from tests.fakediscord.server import RecordedRequest
from tests.fakediscord.state import Channel, Guild, Member, Message, Role, User

__all__ = [
    "ApiError",
    "Channel",
    "FakeDiscord",
    "Fault",
    "Guild",
    "Interaction",
    "Member",
    "Message",
    "Overwrite",
    "Pings",
    "RecordedRequest",
    "Role",
    "User",
    "would_ping",
]
