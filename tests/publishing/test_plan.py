"""The posting plan: steps, payloads, names, links and limits for each layout."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.essays.model import Analysis, Block, Essay, Section
from bot.publishing import (
    Destination,
    PlanError,
    Step,
    StepResult,
    build_request,
    count_requests,
    plan_publication,
    preview,
    render_step,
    target,
)
from bot.publishing.plan import forum_post_name, thread_name
from bot.publishing.render import discord_length, payload_violations, section_messages
from tests.fakediscord import rules
from tests.fakediscord.rules import markdown_texts, strings
from tests.fakediscord.spec import load_spec
from tests.publishing.test_render import HEADER_LINE, masked_links

GUILD = 111
CHANNEL = 222
ROLE = 333
PINGS = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")

INTRO = (
    "The harbour board met on a wet Thursday and voted to sell the old ferry pier. "
    "Nobody in the room seemed to have read the survey. This essay asks why."
)
MONEY = (
    "The pier costs the board about four thousand a year to keep standing. "
    "A buyer has offered a sum that covers a decade of that upkeep, and then some."
)
HISTORY = (
    "The pier was built by a fishing cooperative that no longer exists. "
    "Its members paid for the timber themselves and never asked the board for anything."
)
NEXT = "What happens next depends on a second vote in the spring. Readers should write to the board."


def make_essay(**changes: Any) -> tuple[Essay, Analysis]:
    blocks = (
        Block("paragraph", INTRO),
        Block("heading", "The money"),
        Block("paragraph", MONEY),
        Block("quote", "We cannot afford sentiment, the chair said."),
        Block("heading", "The history"),
        Block("paragraph", HISTORY),
        Block("item", "timber from the hills"),
        Block("item", "labour from the cooperative"),
        Block("paragraph", NEXT),
    )
    fields: dict[str, Any] = {
        "key": "pier-sale",
        "title": "Selling the pier",
        "blocks": blocks,
        "url": "https://harbour.example/2024/03/selling-the-pier.html",
        "author": "R. Quill",
        "published": datetime(2024, 3, 14, 8, 0, tzinfo=UTC),
        "labels": ("harbour", "budget"),
    }
    fields.update(changes)
    essay = Essay(**fields)
    sections = [
        Section(1, "The vote", blocks[0:1], 0, 1),
        Section(2, "The money", blocks[1:4], 1, 4, from_heading=True),
        Section(3, "The history", blocks[4:9], 4, 9, from_heading=True),
    ]
    return essay, Analysis(sections=sections)


def text_destination(**changes: Any) -> Destination:
    return Destination(GUILD, CHANNEL, "text", **changes)


def actions(steps: list[Step]) -> list[str]:
    return [step.action for step in steps]


# --- layouts --------------------------------------------------------------------------------


def test_text_layout_steps_in_order() -> None:
    essay, analysis = make_essay()
    steps = plan_publication(essay, analysis, text_destination())
    per_section = ["anchor", "thread", "thread_text"]
    assert actions(steps) == ["card", *per_section * 3, "card_links"]
    assert [step.seq for step in steps] == list(range(1, len(steps) + 1))
    assert [step.section for step in steps] == [None, 1, 1, 1, 2, 2, 2, 3, 3, 3, None]
    thread_steps = [step for step in steps if step.action == "thread"]
    assert [step.ref for step in thread_steps] == [2, 5, 8]
    assert [step.ref for step in steps if step.action == "thread_text"] == [3, 6, 9]


def test_announcement_layout_crossposts_right_after_the_card() -> None:
    essay, analysis = make_essay()
    steps = plan_publication(essay, analysis, Destination(GUILD, CHANNEL, "announcement"))
    assert actions(steps)[:3] == ["card", "crosspost", "anchor"]
    assert steps[1].ref == 1
    assert actions(steps)[-1] == "card_links"
    assert len(steps) == len(plan_publication(essay, analysis, text_destination())) + 1


def test_forum_layout_posts_then_links() -> None:
    essay, analysis = make_essay()
    steps = plan_publication(essay, analysis, Destination(GUILD, CHANNEL, "forum"))
    assert actions(steps) == ["forum_post"] * 3 + ["forum_links"] * 3
    assert [step.ref for step in steps[3:]] == [1, 2, 3]
    assert all(step.needs == (1, 2, 3) for step in steps[3:])


def test_long_sections_continue_in_further_messages() -> None:
    long_text = "A sentence about the harbour board and its many decisions. " * 100
    essay, analysis = make_essay()
    analysis.sections[0] = Section(1, "The vote", (Block("paragraph", long_text),), 0, 1)
    chunks = len(section_messages(analysis.sections[0]))
    assert chunks == 4
    steps = plan_publication(essay, analysis, Destination(GUILD, CHANNEL, "forum"))
    assert actions(steps)[:5] == ["forum_post", "forum_text", "forum_text", "forum_text", "forum_post"]
    assert [step.chunk for step in steps[:4]] == [1, 2, 3, 4]
    assert all(step.ref == 1 for step in steps[1:4])
    text_steps = plan_publication(essay, analysis, text_destination())
    assert [step.chunk for step in text_steps if step.action == "thread_text" and step.section == 1] == [1, 2, 3, 4]


def test_an_essay_without_sections() -> None:
    essay, _ = make_essay()
    assert actions(plan_publication(essay, Analysis(), text_destination())) == ["card"]
    assert plan_publication(essay, Analysis(), Destination(GUILD, CHANNEL, "forum")) == []


def test_count_requests_is_one_per_step() -> None:
    essay, analysis = make_essay()
    assert count_requests(essay, analysis, text_destination()) == 11
    assert count_requests(essay, analysis, Destination(GUILD, CHANNEL, "announcement")) == 12
    assert count_requests(essay, analysis, Destination(GUILD, CHANNEL, "forum")) == 6


def test_destination_rejects_settings_discord_would_refuse() -> None:
    with pytest.raises(ValueError, match="archive_minutes"):
        Destination(GUILD, CHANNEL, "text", archive_minutes=30)
    with pytest.raises(ValueError, match="slowmode"):
        Destination(GUILD, CHANNEL, "text", slowmode=21601)
    with pytest.raises(ValueError, match="kind"):
        Destination(GUILD, CHANNEL, "voice")  # type: ignore[arg-type]


# --- payloads -------------------------------------------------------------------------------


def test_card_payload_without_links() -> None:
    essay, analysis = make_essay()
    card = plan_publication(essay, analysis, text_destination())[0].payload
    assert "content" not in card
    assert card["allowed_mentions"] == {"parse": []}
    (embed,) = card["embeds"]
    assert embed["title"] == "Selling the pier"
    assert embed["url"] == "https://harbour.example/2024/03/selling-the-pier.html"
    assert embed["author"] == {"name": "R. Quill"}
    assert embed["timestamp"] == "2024-03-14T08:00:00+00:00"
    assert embed["description"].startswith(
        "The harbour board met on a wet Thursday and voted to sell the old ferry pier. "
        "Nobody in the room seemed to have read the survey."
    )
    assert embed["description"].endswith("**Contents**\n§1 · The vote\n§2 · The money\n§3 · The history")
    assert {"name": "Labels", "value": "harbour · budget", "inline": False} in embed["fields"]


@pytest.mark.parametrize(
    ("changes", "author", "footer", "image"),
    [
        (
            {"image": "https://harbour.example/pier.jpg", "site_name": "Harbour Notes",
             "site_icon": "https://harbour.example/icon.png"},
            {"name": "R. Quill", "icon_url": "https://harbour.example/icon.png"},
            "Harbour Notes · Discuss each section in its thread below.",
            {"url": "https://harbour.example/pier.jpg"},
        ),
        # A feed naming no writer: the blog's name stands in the author line, not twice.
        ({"author": None, "site_name": "Harbour Notes"}, {"name": "Harbour Notes"},
         "Discuss each section in its thread below.", None),
        ({"image": "javascript:alert(1)"}, {"name": "R. Quill"}, "Discuss each section in its thread below.", None),
    ],
)  # fmt: skip
def test_the_card_shows_the_lead_image_the_author_and_the_blog(
    changes: dict[str, Any], author: dict[str, str], footer: str, image: dict[str, str] | None
) -> None:
    essay, analysis = make_essay(**changes)
    (embed,) = plan_publication(essay, analysis, text_destination())[0].payload["embeds"]
    assert embed["author"] == author
    assert embed["footer"] == {"text": footer}
    assert embed.get("image") == image


def test_anchor_content() -> None:
    essay, analysis = make_essay()
    anchor = plan_publication(essay, analysis, text_destination())[4].payload
    assert anchor["content"] == (
        "**§2 · The money**\n" + MONEY + " We cannot afford sentiment, the chair said.\n"
        "Full text: <https://harbour.example/2024/03/selling-the-pier.html>"
    )
    assert anchor["allowed_mentions"] == {"parse": []}


def test_anchor_excerpt_is_cut_on_a_sentence_boundary() -> None:
    essay, analysis = make_essay()
    long_text = " ".join(f"Sentence number {n} says something about the pier." for n in range(40))
    analysis.sections[0] = Section(1, "The vote", (Block("paragraph", long_text),), 0, 1)
    content = plan_publication(essay, analysis, text_destination())[1].payload["content"]
    excerpt_line = content.split("\n")[1]
    assert excerpt_line.endswith("about the pier. …")
    assert 200 <= discord_length(excerpt_line) <= 300


def test_thread_payload_uses_the_destination_settings() -> None:
    essay, analysis = make_essay()
    steps = plan_publication(essay, analysis, text_destination(archive_minutes=1440, slowmode=30))
    assert steps[2].payload == {"name": "§1 · The vote", "auto_archive_duration": 1440, "rate_limit_per_user": 30}


def test_thread_text_renders_quotes_items_and_headings() -> None:
    essay, analysis = make_essay()
    steps = plan_publication(essay, analysis, text_destination())
    assert steps[9].payload["content"] == (
        "**The history**\n\n" + HISTORY + "\n\n- timber from the hills\n- labour from the cooperative\n\n" + NEXT
    )
    assert steps[6].payload["content"].endswith("\n\n> We cannot afford sentiment, the chair said.")


def test_forum_post_payload() -> None:
    essay, analysis = make_essay()
    destination = Destination(GUILD, CHANNEL, "forum", archive_minutes=4320, slowmode=5, forum_tags=(7, 8))
    post = plan_publication(essay, analysis, destination)[1].payload
    assert post["name"] == "Selling the pier · §2 The money"
    assert post["auto_archive_duration"] == 4320
    assert post["rate_limit_per_user"] == 5
    assert post["applied_tags"] == ["7", "8"]
    message = post["message"]
    assert message["content"].startswith("**The money**\n\n" + MONEY)
    assert message["allowed_mentions"] == {"parse": []}
    (embed,) = message["embeds"]
    assert embed["url"] == essay.url
    assert embed["description"] == "Section 2 of 3 of the essay."


def test_forum_tags_are_capped_at_five_without_repeats() -> None:
    essay, analysis = make_essay()
    destination = Destination(GUILD, CHANNEL, "forum", forum_tags=(1, 2, 2, 3, 4, 5, 6, 7))
    for step in plan_publication(essay, analysis, destination):
        if step.action == "forum_post":
            assert step.payload["applied_tags"] == ["1", "2", "3", "4", "5"]


def test_role_mention_only_in_the_card() -> None:
    essay, analysis = make_essay()
    items = preview(essay, analysis, text_destination(mention_role_id=ROLE))
    card = items[0].request.json
    assert card is not None
    assert card["content"] == f"<@&{ROLE}>"
    assert card["allowed_mentions"] == {"parse": [], "roles": [str(ROLE)]}
    for item in items[1:]:
        body = item.request.json or {}
        assert "roles" not in body.get("allowed_mentions", {})
        assert all(str(ROLE) not in text for text in strings(body))
    # A forum has no card, so the role is never mentioned there.
    forum = preview(essay, analysis, Destination(GUILD, CHANNEL, "forum", mention_role_id=ROLE))
    assert all(str(ROLE) not in text for item in forum for text in strings(item.request.json))


def test_every_message_payload_disables_mention_parsing() -> None:
    essay, analysis = make_essay()
    for kind in ("text", "announcement", "forum"):
        for item in preview(essay, analysis, Destination(GUILD, CHANNEL, kind)):
            body = item.request.json
            if body is None:
                assert item.step.action == "crosspost"
                continue
            message = body.get("message", body)
            if "name" in body and "message" not in body:
                continue  # a thread from a message has no message body
            assert message["allowed_mentions"] == {"parse": []}


def test_mentions_in_the_essay_are_neutralised_everywhere() -> None:
    hostile = "@everyone <@12345> <@&67890> <#13579> @here"
    essay, analysis = make_essay(title=f"Ping {hostile}", author=hostile, labels=(hostile, "@here"))
    analysis.sections[1] = Section(
        2, hostile, (Block("heading", hostile), Block("paragraph", hostile), Block("quote", hostile)), 1, 4
    )
    for kind in ("text", "announcement", "forum"):
        for item in preview(essay, analysis, Destination(GUILD, CHANNEL, kind)):
            for text in strings(item.request.json):
                assert not PINGS.search(text), (item.step.action, text)


# --- names ----------------------------------------------------------------------------------


def test_thread_name_of_exactly_100_characters_is_kept() -> None:
    title = " ".join(["harbour"] * 11) + " boards!"  # 95 characters; "§1 · " makes 100
    assert len(thread_name(1, title)) == 100
    assert thread_name(1, title) == "§1 · " + title
    cut = thread_name(1, title + "x")
    assert cut == "§1 · " + " ".join(["harbour"] * 11) + "…"


def test_thread_name_over_100_is_cut_at_a_word_boundary() -> None:
    title = ("harbour " * 13).strip()  # 103 characters
    name = thread_name(3, title)
    assert len(name) <= 100
    assert name.startswith("§3 · harbour")
    assert name.endswith("harbour…")


def test_thread_name_with_emoji_and_without_a_title() -> None:
    assert thread_name(2, "🌊 Tides ⚓") == "§2 · 🌊 Tides ⚓"
    assert discord_length(thread_name(2, "🌊" * 120)) <= 100
    assert thread_name(4, "   ") == "§4"
    assert thread_name(4, "") == "§4"


def test_forum_post_name_keeps_the_section_part() -> None:
    long_essay = "A very long essay title about the harbour board and every one of its decisions since 1934"
    name = forum_post_name(long_essay, 12, "Who pays for the timber")
    assert len(name) <= 100
    assert name.endswith("· §12 Who pays for the timber")
    name = forum_post_name("Short", 2, "x" * 300)
    assert name.startswith("Short · §2 ")
    assert len(name) <= 100
    assert forum_post_name("", 1, "Only the section") == "§1 Only the section"


# --- limits ---------------------------------------------------------------------------------


def test_card_within_limits_for_a_300_character_title_and_50_labels() -> None:
    labels = tuple(f"label number {n} about harbours" for n in range(50))
    essay, analysis = make_essay(title="T" * 150 + " " + "itle " * 30, labels=labels)
    for item in preview(essay, analysis, text_destination()):
        if item.step.action in ("card", "card_links"):
            body = item.request.json
            assert body is not None
            assert payload_violations(body) == []
            assert rules.check_message_body(body, has_files=False) is None
            embed = body["embeds"][0]
            assert len(embed["title"]) <= 256
            assert embed["title"].endswith("…")
            labels_field = next(field for field in embed["fields"] if field["name"] == "Labels")
            assert len(labels_field["value"]) <= 1024
            assert re.search(r"…and \d+ more$", labels_field["value"])


def test_many_sections_fit_the_card_and_forum_embeds() -> None:
    essay, _ = make_essay()
    sections = [
        Section(n, f"Section title number {n} " + "long " * 14, (Block("paragraph", f"Text {n}."),), n, n + 1)
        for n in range(1, 41)
    ]
    analysis = Analysis(sections=sections)
    for kind in ("text", "forum"):
        for item in preview(essay, analysis, Destination(GUILD, CHANNEL, kind)):
            assert payload_violations(item.request.json or {}) == []
    card_links = preview(essay, analysis, text_destination())[-1].request.json
    assert card_links is not None
    assert "more sections" in card_links["embeds"][0]["description"]


# --- results and links ----------------------------------------------------------------------


def fake_results(steps: list[Step]) -> dict[int, StepResult]:
    """Distinct ids unrelated to seq, shaped like Discord's answers."""
    results: dict[int, StepResult] = {}
    for step in steps:
        new_id = 5000 + 7 * step.seq
        if step.action == "thread":
            assert step.ref is not None
            anchor = results[step.ref].message_id
            results[step.seq] = StepResult(message_id=anchor, thread_id=anchor, channel_id=CHANNEL)
        elif step.action == "forum_post":
            results[step.seq] = StepResult(message_id=new_id, thread_id=new_id, channel_id=CHANNEL)
        else:
            results[step.seq] = StepResult(message_id=new_id, channel_id=CHANNEL)
    return results


def test_card_links_point_at_each_anchor() -> None:
    essay, analysis = make_essay()
    destination = text_destination()
    steps = plan_publication(essay, analysis, destination)
    results = fake_results(steps)
    card_links = steps[-1]
    request = build_request(card_links, essay, analysis, destination, results)
    assert request.method == "PATCH"
    assert request.path == f"/channels/{CHANNEL}/messages/{results[1].message_id}"
    assert request.json is not None
    description = request.json["embeds"][0]["description"]
    anchors = [step for step in steps if step.action == "anchor"]
    for anchor, section in zip(anchors, analysis.sections, strict=True):
        url = f"https://discord.com/channels/{GUILD}/{CHANNEL}/{results[anchor.seq].message_id}"
        assert f"[§{section.index} · {section.title}]({url})" in description
    assert "content" not in request.json  # the edit leaves the role mention alone and pings nobody


def test_forum_links_point_at_the_other_posts() -> None:
    essay, analysis = make_essay()
    destination = Destination(GUILD, CHANNEL, "forum")
    steps = plan_publication(essay, analysis, destination)
    results = fake_results(steps)
    posts = {step.section: results[step.seq].thread_id for step in steps if step.action == "forum_post"}
    second_links = steps[4]
    request = build_request(second_links, essay, analysis, destination, results)
    assert request.method == "PATCH"
    assert request.channel_id == posts[2]
    assert request.path == f"/channels/{posts[2]}/messages/{results[2].message_id}"
    assert request.json is not None
    description = request.json["embeds"][0]["description"]
    assert f"[§1 · The vote](https://discord.com/channels/{GUILD}/{posts[1]})" in description
    assert f"[§3 · The history](https://discord.com/channels/{GUILD}/{posts[3]})" in description
    assert "**§2 · The money** (this post)" in description
    assert f"/{posts[2]})" not in description


def test_requests_target_the_threads_created_earlier() -> None:
    essay, analysis = make_essay()
    destination = text_destination()
    steps = plan_publication(essay, analysis, destination)
    results = fake_results(steps)
    thread_request = build_request(steps[2], essay, analysis, destination, results)
    assert thread_request.path == f"/channels/{CHANNEL}/messages/{results[2].message_id}/threads"
    assert target(steps[3], destination, results) == results[3].thread_id
    text_request = build_request(steps[3], essay, analysis, destination, results)
    assert text_request.path == f"/channels/{results[3].thread_id}/messages"


def test_crosspost_request_has_no_body() -> None:
    essay, analysis = make_essay()
    destination = Destination(GUILD, CHANNEL, "announcement")
    steps = plan_publication(essay, analysis, destination)
    request = build_request(steps[1], essay, analysis, destination, {1: StepResult(message_id=42)})
    assert (request.method, request.path, request.json) == ("POST", f"/channels/{CHANNEL}/messages/42/crosspost", None)


def test_a_missing_result_is_an_error_not_a_guess() -> None:
    essay, analysis = make_essay()
    destination = text_destination()
    steps = plan_publication(essay, analysis, destination)
    with pytest.raises(PlanError, match="step 2"):
        build_request(steps[2], essay, analysis, destination, {})
    with pytest.raises(PlanError):
        render_step(steps[-1], essay, analysis, destination, {1: StepResult(message_id=1)})


def test_render_step_returns_a_fresh_copy() -> None:
    essay, analysis = make_essay()
    destination = text_destination()
    step = plan_publication(essay, analysis, destination)[0]
    payload = render_step(step, essay, analysis, destination, {})
    payload["nonce"] = "added by the executor"
    assert "nonce" not in step.payload


# --- determinism and the real limits --------------------------------------------------------


def dump(items: list[Any]) -> str:
    return json.dumps(
        [
            (item.step.seq, item.step.action, item.request.method, item.request.path, item.request.json)
            for item in items
        ],
        ensure_ascii=False,
    )


def test_plans_are_deterministic() -> None:
    for kind in ("text", "announcement", "forum"):
        destination = Destination(GUILD, CHANNEL, kind, forum_tags=(3, 1), mention_role_id=ROLE)
        first = dump(preview(*make_essay(), destination))
        second = dump(preview(*make_essay(), destination))
        assert first == second
        assert plan_publication(*make_essay(), destination) == plan_publication(*make_essay(), destination)


def test_requests_match_discords_openapi_description() -> None:
    spec = load_spec()
    if spec is None:
        pytest.skip("Discord's OpenAPI description is not available")
    essay, analysis = make_essay()
    for kind in ("text", "announcement", "forum"):
        destination = Destination(GUILD, CHANNEL, kind, forum_tags=(9,), mention_role_id=ROLE)
        for item in preview(essay, analysis, destination):
            operation = spec.find(item.request.method, item.request.path)
            assert operation is not None, item.request.path
            if item.request.json is not None:
                assert spec.request_errors(operation, "application/json", item.request.json) == []


_TEXT = st.text(max_size=400) | st.sampled_from(
    ["", " ", "@everyone", "<@&1> <#2> @here", "# Head", "[x](https://e.example)", "مرحبا بالعالم", "🌊" * 200]
)


@st.composite
def essays(draw: st.DrawFn) -> tuple[Essay, Analysis]:
    section_count = draw(st.integers(min_value=0, max_value=6))
    sections: list[Section] = []
    all_blocks: list[Block] = []
    for number in range(1, section_count + 1):
        blocks = draw(
            st.lists(
                st.builds(
                    Block,
                    st.sampled_from(["paragraph", "heading", "quote", "item"]),
                    _TEXT | st.text(min_size=1000, max_size=4500),
                ),
                max_size=4,
            )
        )
        title = draw(_TEXT | st.text(min_size=90, max_size=300))
        sections.append(Section(number, title, tuple(blocks), len(all_blocks), len(all_blocks) + len(blocks)))
        all_blocks.extend(blocks)
    essay = Essay(
        key="k",
        title=draw(_TEXT | st.text(min_size=250, max_size=600)),
        blocks=tuple(all_blocks),
        url=draw(st.sampled_from([None, "https://blog.example/post", "not a url"])),
        author=draw(st.none() | _TEXT),
        published=draw(st.none() | st.datetimes()),
        labels=tuple(draw(st.lists(_TEXT, max_size=60))),
    )
    return essay, Analysis(sections=sections)


@settings(max_examples=120, deadline=None)
@given(
    essay_and_analysis=essays(),
    kind=st.sampled_from(["text", "announcement", "forum"]),
    tags=st.lists(st.integers(min_value=1, max_value=10**18), max_size=8),
)
def test_any_essay_gives_payloads_within_limits_that_ping_nobody(
    essay_and_analysis: tuple[Essay, Analysis], kind: str, tags: list[int]
) -> None:
    essay, analysis = essay_and_analysis
    destination = Destination(GUILD, CHANNEL, kind, forum_tags=tuple(tags), mention_role_id=ROLE)  # type: ignore[arg-type]
    for item in preview(essay, analysis, destination):
        body = item.request.json
        if body is None:
            continue
        assert payload_violations(body) == []
        message = body.get("message", body)
        if "name" in body:
            assert rules.check_thread_name(body["name"]) is None
            assert len(body.get("applied_tags", [])) <= 5
        if "content" in message or "embeds" in message:
            assert rules.check_message_body(message, has_files=False, require_content=False) is None
            pings = rules.would_ping(message.get("content"), message.get("allowed_mentions"))
            assert pings.roles == (frozenset({ROLE}) if item.step.action == "card" else frozenset())
            assert not pings.users and not pings.everyone
        for text in strings(body):
            if item.step.action == "card" and text == f"<@&{ROLE}>":
                continue
            assert not PINGS.search(text)
        for text in markdown_texts(message):
            # The only masked links are the bot's own jump links; essay text opens no header.
            assert all("](https://discord.com/channels/" in link for link in masked_links(text))
            assert HEADER_LINE.search(text) is None
