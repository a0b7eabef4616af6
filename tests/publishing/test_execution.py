"""Exactly-once execution decisions: remaining steps, bodies, results, errors, crash recovery."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.essays.model import Analysis, Block, Essay, Section
from bot.publishing.execution import (
    backoff,
    decide,
    earliest_id,
    find_forum_post,
    find_message,
    permission_label,
    planned_steps,
    problem_text,
    remaining,
    request_body,
    result_from_response,
    results_of,
    same_shape,
    snowflake_at,
    stop_message,
)
from bot.publishing.layout import PostedMessages, posted_messages
from bot.publishing.plan import Destination, Request, Step, StepResult, plan_publication
from bot.store import StepRow

BOT = 42


def essay_and_analysis() -> tuple[Essay, Analysis]:
    blocks = (
        Block("heading", "First part"),
        Block("paragraph", "The ferry ran twice a day until the council cut the second run."),
        Block("heading", "Second part"),
        Block("paragraph", "Nobody asked the people who used the evening boat what they thought."),
    )
    essay = Essay(key="k", title="The Ferry", blocks=blocks, url="https://example.org/ferry")
    sections = [
        Section(1, "First part", blocks[:2], 0, 2, True),
        Section(2, "Second part", blocks[2:], 2, 4, True),
    ]
    return essay, Analysis(sections=sections)


def row(step: Step, state: str = "pending", **ids: int | None) -> StepRow:
    return StepRow(
        publication_id=1,
        seq=step.seq,
        action=step.action,
        section=step.section,
        chunk=step.chunk,
        nonce=f"n{step.seq}",
        state=state,  # type: ignore[arg-type]
        channel_id=ids.get("channel_id"),
        message_id=ids.get("message_id"),
        thread_id=ids.get("thread_id"),
    )


def test_remaining_skips_done_steps_and_results_feed_later_ones() -> None:
    essay, analysis = essay_and_analysis()
    plan = plan_publication(essay, analysis, Destination(1, 2, "text"))
    stored = [row(plan[0], "done", message_id=100, channel_id=2), row(plan[1], "attempted")]
    stored += [row(step) for step in plan[2:]]
    assert same_shape(plan, stored)
    assert [s.seq for s in remaining(plan, stored)] == [s.seq for s in plan[1:]]
    assert results_of(stored) == {1: StepResult(message_id=100, channel_id=2)}
    assert not same_shape(plan[:-1], stored)


def test_planned_steps_get_distinct_short_nonces() -> None:
    essay, analysis = essay_and_analysis()
    planned = planned_steps(plan_publication(essay, analysis, Destination(1, 2, "forum")))
    nonces = [p.nonce for p in planned]
    assert len(set(nonces)) == len(nonces)
    assert all(len(n) <= 25 for n in nonces)


def test_only_message_requests_carry_the_nonce() -> None:
    anchor = Step(2, "anchor", 1, None, {"content": "x"})
    thread = Step(3, "thread", 1, None, {"name": "§1"}, ref=2)
    assert request_body(anchor, {"content": "x"}, "abc") == {"content": "x", "nonce": "abc", "enforce_nonce": True}
    assert request_body(thread, {"name": "§1"}, "abc") == {"name": "§1"}
    assert request_body(Step(2, "crosspost", None, None, {}, ref=1), None, "abc") is None


def test_results_from_responses() -> None:
    results = {2: StepResult(message_id=500, channel_id=9)}
    thread = Step(3, "thread", 1, None, {}, ref=2)
    got = result_from_response(thread, Request("POST", "/x", 9, {}), {"id": "500"}, results)
    assert got == StepResult(message_id=500, thread_id=500, channel_id=9)
    post = Step(1, "forum_post", 1, 1, {})
    got = result_from_response(post, Request("POST", "/x", 9, {}), {"id": "700", "message": {"id": "700"}}, {})
    assert got == StepResult(message_id=700, thread_id=700, channel_id=9)
    links = Step(9, "card_links", None, None, {}, ref=2)
    assert result_from_response(links, Request("PATCH", "/x", 9, {}), {"id": "500"}, results).message_id == 500


@pytest.mark.parametrize(
    ("action", "status", "code", "expected"),
    [
        ("anchor", 500, 0, "retry"),
        ("anchor", 503, 0, "retry"),
        ("anchor", 429, 0, "retry"),
        ("thread", 400, 160004, "done"),
        ("crosspost", 400, 40033, "done"),
        ("thread", 403, 50013, "stop_destination"),
        ("card", 403, 50001, "stop_destination"),
        ("anchor", 404, 10003, "stop_destination"),
        ("thread", 404, 10008, "stop_destination"),
        ("anchor", 400, 50035, "stop_publication"),
        ("anchor", 400, 160004, "stop_publication"),
    ],
)
def test_decide(action: str, status: int, code: int, expected: str) -> None:
    assert decide(action, status, code) == expected


@pytest.mark.parametrize(
    ("action", "status", "code", "missing", "named"),
    [
        ("thread", 403, 50013, ["create_public_threads"], "Create Public Threads permission"),
        ("thread", 403, 50013, [], "Read Message History"),
        ("anchor", 404, 10003, [], "the channel was deleted"),
        ("thread_text", 404, 10003, [], "a section thread was deleted"),
    ],
)
def test_problem_texts_name_what_to_fix(action: str, status: int, code: int, missing: list[str], named: str) -> None:
    assert named in problem_text(action, status, code, missing)


def test_stop_messages_say_how_to_resume() -> None:
    assert problem_text("anchor", 404, 10003) == "the channel was deleted"
    assert problem_text("thread_text", 404, 10003) == "a section thread was deleted"
    assert permission_label("send_messages_in_threads") == "Send Messages in Threads"
    notice = stop_message("The Ferry", "<#5>", "the channel was deleted")
    assert "/marginalia destinations resume" in notice and "<#5>" in notice


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n, base=1.0, cap=5.0) for n in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_find_message_by_nonce_or_by_content_after_the_attempt() -> None:
    attempted = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    fresh = snowflake_at(attempted)
    old = snowflake_at(datetime(2025, 5, 1, tzinfo=UTC))
    body = {"content": "§1 · First part", "embeds": []}
    bot = {"id": str(BOT)}
    listing = [
        {"id": str(fresh + 3), "author": {"id": "7"}, "content": body["content"]},  # a user's copy
        {"id": str(fresh + 2), "author": bot, "content": "something else"},
        {"id": str(old), "author": bot, "content": body["content"]},  # an earlier re-post
    ]
    min_id = earliest_id(attempted)
    assert find_message(body, listing, bot_id=BOT, nonce="n1", min_id=min_id) is None
    listing.append({"id": str(fresh + 1), "author": bot, "content": body["content"]})
    assert find_message(body, listing, bot_id=BOT, nonce="n1", min_id=min_id) == fresh + 1
    # A message already recorded for another step is not this one.
    assert find_message(body, listing, bot_id=BOT, nonce="n1", min_id=min_id, taken=frozenset({fresh + 1})) is None
    # When Discord echoes the nonce, it decides.
    echoed = [{"id": str(fresh + 5), "author": bot, "content": body["content"], "nonce": "other"}]
    assert find_message(body, echoed, bot_id=BOT, nonce="n1") is None
    echoed[0]["nonce"] = "n1"
    assert find_message(body, echoed, bot_id=BOT, nonce="n1") == fresh + 5


def test_find_forum_post_by_forum_owner_and_name() -> None:
    threads = [
        {"id": "10", "parent_id": "5", "owner_id": str(BOT), "name": "The Ferry · §1 First part"},
        {"id": "11", "parent_id": "6", "owner_id": str(BOT), "name": "The Ferry · §1 First part"},
        {"id": "12", "parent_id": "5", "owner_id": "7", "name": "The Ferry · §1 First part"},
        {"id": "13", "parent_id": "5", "owner_id": str(BOT), "name": "The Ferry · §2 Second part"},
    ]
    body = {"name": "The Ferry · §1 First part"}
    assert find_forum_post(body, threads, forum_id=5, bot_id=BOT) == [10]
    assert find_forum_post(body, threads, forum_id=5, bot_id=BOT, taken=frozenset({10})) == []


def test_posted_messages_collects_what_corrections_edit() -> None:
    card = Step(1, "card", None, None, {})
    anchor = Step(2, "anchor", 1, None, {})
    thread = Step(3, "thread", 1, None, {}, ref=2)
    text = Step(4, "thread_text", 1, 1, {}, ref=3)
    post = Step(5, "forum_post", 2, 1, {})
    more = Step(6, "forum_text", 2, 2, {}, ref=5)
    stored = [
        row(card, "done", message_id=100),
        row(anchor, "done", message_id=200),
        row(thread, "done", message_id=200, thread_id=200),
        row(text, "done", message_id=201),
        row(post, "done", message_id=300, thread_id=300),
        row(more, "done", message_id=301),
    ]
    assert posted_messages(stored) == PostedMessages(
        card=100, anchors={1: 200}, threads={1: 200, 2: 300}, chunks={1: {1: 201}, 2: {1: 300, 2: 301}}
    )
    assert posted_messages([row(card, "attempted")]).card is None


def test_settle_wait_counts_from_the_latest_abandoned_attempt() -> None:
    from datetime import timedelta

    from bot.publishing.execution import UnsettledPost, settle_wait

    step = Step(seq=1, action="forum_post", section=1, chunk=None, payload={})
    start = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    early = UnsettledPost(step, {}, first_attempt=start, last_abandoned=start + timedelta(seconds=5))
    late = UnsettledPost(step, {}, first_attempt=start, last_abandoned=start + timedelta(seconds=20))
    assert settle_wait([], 30.0, start) == 0.0
    assert settle_wait([early, late], 30.0, start + timedelta(seconds=20)) == 30.0
    assert settle_wait([early, late], 30.0, start + timedelta(seconds=45)) == 5.0
    assert settle_wait([early], 30.0, start + timedelta(seconds=60)) == 0.0
