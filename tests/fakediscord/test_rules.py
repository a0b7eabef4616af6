"""Discord's rules as pure functions: permissions, limits, mentions."""

from tests.fakediscord import rules
from tests.fakediscord.rules import Overwrite, would_ping

GUILD = 100
ROLE_A = 200
ROLE_B = 300
USER = 400


def _perms(everyone: int, roles: dict[int, int], member_roles: list[int], overwrites: list[Overwrite]) -> int:
    role_perms = {GUILD: everyone, **roles}
    base = rules.base_permissions(GUILD, owner_id=1, user_id=USER, role_ids=member_roles, role_perms=role_perms)
    return rules.channel_permissions(base, GUILD, USER, member_roles, overwrites)


def test_base_permissions_combine_everyone_and_roles() -> None:
    perms = _perms(rules.VIEW_CHANNEL, {ROLE_A: rules.SEND_MESSAGES}, [ROLE_A], [])
    assert rules.has(perms, rules.VIEW_CHANNEL, rules.SEND_MESSAGES)
    assert not perms & rules.MANAGE_MESSAGES


def test_administrator_short_circuits_overwrites() -> None:
    deny_all = [Overwrite(GUILD, 0, deny=rules.VIEW_CHANNEL), Overwrite(USER, 1, deny=rules.SEND_MESSAGES)]
    perms = _perms(0, {ROLE_A: rules.ADMINISTRATOR}, [ROLE_A], deny_all)
    assert perms == rules.ALL_PERMISSIONS


def test_overwrite_order_everyone_then_roles_then_member() -> None:
    everyone = rules.VIEW_CHANNEL | rules.SEND_MESSAGES
    # @everyone loses SEND, one role gives it back, another role's deny loses to the allow (roles aggregate),
    # then the member overwrite denies it again: the member overwrite wins.
    overwrites = [
        Overwrite(GUILD, 0, deny=rules.SEND_MESSAGES),
        Overwrite(ROLE_A, 0, allow=rules.SEND_MESSAGES),
        Overwrite(ROLE_B, 0, deny=rules.SEND_MESSAGES),
    ]
    assert _perms(everyone, {}, [ROLE_A, ROLE_B], overwrites) & rules.SEND_MESSAGES
    with_member = [*overwrites, Overwrite(USER, 1, deny=rules.SEND_MESSAGES)]
    assert not _perms(everyone, {}, [ROLE_A, ROLE_B], with_member) & rules.SEND_MESSAGES


def test_no_view_channel_means_no_permission_at_all() -> None:
    perms = _perms(rules.VIEW_CHANNEL | rules.SEND_MESSAGES, {}, [], [Overwrite(GUILD, 0, deny=rules.VIEW_CHANNEL)])
    assert perms == 0


def test_no_send_messages_removes_embed_links() -> None:
    perms = _perms(rules.VIEW_CHANNEL | rules.EMBED_LINKS, {}, [], [])
    assert not perms & rules.EMBED_LINKS


def test_message_body_limits() -> None:
    assert rules.check_message_body({"content": "x" * 2000}, has_files=False) is None
    too_long = rules.check_message_body({"content": "x" * 2001}, has_files=False)
    assert too_long is not None and too_long.code == 50035 and "content" in (too_long.errors or {})
    empty = rules.check_message_body({"content": ""}, has_files=False)
    assert empty is not None and empty.code == 50006
    assert rules.check_message_body({"content": ""}, has_files=True) is None


def test_embed_limits() -> None:
    assert rules.check_embeds([{"title": "t" * 256, "description": "d" * 4096}]) is None
    title = rules.check_embeds([{"title": "t" * 257}])
    assert title is not None and title.errors == {
        "embeds": {
            "0": {
                "title": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 256 or fewer in length."}]}
            }
        }
    }
    field = rules.check_embeds([{"fields": [{"name": "n", "value": "v" * 1025}]}])
    assert field is not None and "fields" in field.errors["embeds"]["0"]  # type: ignore[index]
    assert rules.check_embeds([{"title": "x"}] * 11) is not None
    total = rules.check_embeds([{"description": "d" * 4000}, {"description": "d" * 2001}])
    assert total is not None and total.code == 50035
    footer = rules.check_embeds([{"footer": {"text": "f" * 2049}}])
    assert footer is not None


def test_thread_rules() -> None:
    assert rules.check_thread_name("x" * 100) is None
    assert rules.check_thread_name("x" * 101) is not None
    assert rules.check_thread_name("") is not None
    assert rules.check_auto_archive(1440) is None
    assert rules.check_auto_archive(30) is not None
    assert rules.check_applied_tags(["1", "2"], [1, 2, 3]) is None
    assert rules.check_applied_tags(["9"], [1, 2, 3]) is not None
    assert rules.check_applied_tags([1, 2, 3, 4, 5, 6], range(10)) is not None


def test_would_ping_without_allowed_mentions_pings_everything() -> None:
    pings = would_ping("hey <@5> <@&6> @everyone", None, replied_user_id=7)
    assert pings.users == {5} and pings.roles == {6} and pings.everyone and pings.replied_user


def test_would_ping_with_empty_parse_pings_nothing() -> None:
    pings = would_ping("hey <@5> <@&6> @everyone", {"parse": []}, replied_user_id=7)
    assert not pings.any


def test_would_ping_explicit_lists_and_parse() -> None:
    pings = would_ping(
        "<@5> <@!8> <@&6>", {"parse": ["roles"], "users": ["8"], "replied_user": True}, replied_user_id=7
    )
    assert pings.users == {8} and pings.roles == {6} and pings.replied_user and not pings.everyone


def test_would_ping_everyone_needs_permission() -> None:
    assert not would_ping("@here", {"parse": ["everyone"]}, can_mention_everyone=False).everyone
