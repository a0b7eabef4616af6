"""Corrections, the pure part: layouts, identity by content, notices, and the correction plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.essays.model import Analysis, Block, Essay, Section
from bot.publishing.corrections import (
    ANNOUNCE_EVERY,
    CONTINUED,
    build_correction_request,
    finished_layout,
    fit_texts,
    plan_correction,
    plan_from_json,
    plan_json,
    section_map,
)
from bot.publishing.layout import Layout, initial_layout, layout_from_json, layout_json, legacy_layout
from bot.publishing.matching import align, lay_out
from bot.publishing.notices import change_lines, removed_notice, revised_notice
from bot.publishing.plan import Destination, StepResult
from bot.publishing.render import MESSAGE_LIMIT, section_messages
from bot.store import StepRow

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TEXT = Destination(7, 8, "text")
FORUM = Destination(7, 9, "forum")

PARAGRAPHS = [
    "The mill on the river closed in the winter of 1931, and the town was quiet for a year.",
    "Its owners blamed the price of cotton, which had fallen by a third since the war.",
    "The workers blamed the owners, who had spent the reserve on a new house by the lake.",
    "A cooperative of forty families bought the mill in 1933 for $76 billion in old notes.",
    "They ran it for eleven years, paying themselves the same wage whatever the job.",
    "The books survive, kept in a tin box in the town library, and they balance to the penny.",
]


def essay_of(paragraphs: list[str], title: str = "The Mill") -> Essay:
    return Essay(
        key="k", title=title, blocks=tuple(Block("paragraph", p) for p in paragraphs), url="https://x.org/mill"
    )


def analysis_of(essay: Essay, cuts: list[int], titles: list[str] | None = None) -> Analysis:
    """Sections of ``essay`` starting at the block indexes ``cuts`` (generated names)."""
    bounds = [*cuts, len(essay.blocks)]
    # By default a section is named by its first words, as a generated name uses its own words.
    names = titles or [" ".join(essay.blocks[cut].text.split()[:3]) for cut in cuts]
    return Analysis(
        sections=[
            Section(n + 1, names[n], essay.blocks[bounds[n] : bounds[n + 1]], bounds[n], bounds[n + 1])
            for n in range(len(cuts))
        ]
    )


def steps_for(analysis: Analysis, destination: Destination) -> list[StepRow]:
    """Done steps as a finished publication records them, with made-up ids."""
    rows: list[StepRow] = []

    def row(action: str, section: int | None, chunk: int | None, message: int, thread: int | None = None) -> None:
        rows.append(StepRow(1, len(rows) + 1, action, section, chunk, "n", "done", 1, message, thread))

    if destination.kind != "forum":
        row("card", None, None, 1000)
    for section in analysis.sections:
        base = 2000 + 100 * section.index
        chunks = section_messages(section)
        if destination.kind == "forum":
            row("forum_post", section.index, 1, base, base)
            for number in range(2, len(chunks) + 1):
                row("forum_text", section.index, number, base + number)
        else:
            row("anchor", section.index, None, base)
            row("thread", section.index, None, base, base)
            for number in range(1, len(chunks) + 1):
                row("thread_text", section.index, number, base + number)
    return rows


def posted(essay: Essay, analysis: Analysis, destination: Destination = TEXT) -> Layout:
    return initial_layout(essay, analysis, destination, steps_for(analysis, destination))


# --- layouts and identity -----------------------------------------------------------------------


def test_layout_round_trips_through_json_and_old_snapshots_read_as_none() -> None:
    essay = essay_of(PARAGRAPHS)
    layout = posted(essay, analysis_of(essay, [0, 3]))
    assert layout_from_json(layout_json(layout)) == layout
    assert [s.anchor for s in layout.slots] == [2100, 2200] and layout.card == 1000
    assert layout_from_json('[{"index": 1, "title": "x", "hash": "y"}]') is None
    assert layout_from_json(None) is None


def test_align_pairs_equal_and_edited_paragraphs_in_order() -> None:
    old = ["a b c d e f", "g h i j k l", "m n o p q r"]
    new = ["a b c d e f", "g h i j k LL", "brand new words here", "m n o p q r"]
    assert align(old, new) == [0, 1, None, 2]
    assert align(old, ["x y z"]) == [None]


def test_revision_keeps_posted_sections_when_the_segmentation_moves() -> None:
    essay = essay_of(PARAGRAPHS)
    layout = posted(essay, analysis_of(essay, [0, 3]))
    # One word changed in the last paragraph, and the new analysis cuts elsewhere with other names.
    changed = [*PARAGRAPHS[:5], PARAGRAPHS[5].replace("penny", "cent")]
    new_essay = essay_of(changed)
    revision = lay_out(layout, analysis_of(new_essay, [0, 2], ["Owners", "Families"]))
    assert [p.slot for p in revision.parts] == [1, 2]
    assert [len(p.blocks) for p in revision.parts] == [3, 3]  # each slot keeps its own paragraphs
    assert [p.title for p in revision.parts] == ["The mill on", "A cooperative of"]  # the posted names stay
    assert revision.parts[1].blocks[-1].text.endswith("cent.")


def test_removed_section_leaves_the_others_and_their_generated_names_alone() -> None:
    essay = essay_of(PARAGRAPHS)
    layout = posted(essay, analysis_of(essay, [0, 2, 4]))
    new_essay = essay_of(PARAGRAPHS[:2] + PARAGRAPHS[4:])
    revision = lay_out(layout, analysis_of(new_essay, [0, 2], ["Renamed one", "Renamed two"]))
    assert [(p.slot, p.title, p.removed) for p in revision.parts] == [
        (1, "The mill on", False),
        (2, "The workers blamed", True),
        (3, "They ran it", False),
    ]


def test_added_sections_are_appended_at_the_end_and_only_listed_in_the_middle() -> None:
    essay = essay_of(PARAGRAPHS)
    layout = posted(essay, analysis_of(essay, [0, 3]))
    extra = ["A letter came from the county in 1950 asking to buy the mill for a car park.", "Nobody answered it."]
    at_end = essay_of(PARAGRAPHS + extra)
    revision = lay_out(layout, analysis_of(at_end, [0, 3, 6], ["A", "B", "The letter"]))
    assert [(p.slot, p.added) for p in revision.parts] == [(1, False), (2, False), (3, True)]
    assert revision.parts[2].title == "The letter" and revision.unplaced == ()

    middle = essay_of(PARAGRAPHS[:3] + extra + PARAGRAPHS[3:])
    revision = lay_out(layout, analysis_of(middle, [0, 3, 5], ["A", "The letter", "B"]))
    assert [p.slot for p in revision.parts] == [1, 2] and revision.unplaced == ("The letter",)
    assert [len(p.blocks) for p in revision.parts] == [3, 3]


def test_generated_name_changes_only_when_the_text_no_longer_has_its_words() -> None:
    essay = essay_of(PARAGRAPHS)
    layout = posted(essay, analysis_of(essay, [0, 3], ["Cotton prices", "The cooperative books"]))
    small = essay_of([*PARAGRAPHS[:5], PARAGRAPHS[5].replace("penny", "cent")])
    assert lay_out(layout, analysis_of(small, [0, 3])).parts[1].title == "The cooperative books"
    rewritten = essay_of(PARAGRAPHS[:3] + [p.replace("cooperative", "group") for p in PARAGRAPHS[3:]])
    renamed = lay_out(layout, analysis_of(rewritten, [0, 3])).parts[1].title
    assert renamed and renamed != "The cooperative books"


def test_whitespace_only_change_shows_the_text_as_posted() -> None:
    essay = essay_of(PARAGRAPHS)
    layout = posted(essay, analysis_of(essay, [0, 3]))
    spaced = essay_of([p.replace(" ", "  ") + " " for p in PARAGRAPHS])
    plan = plan_correction(layout, spaced, analysis_of(spaced, [0, 3]), TEXT, NOW)
    assert plan.empty and plan.due is None


# --- notices ------------------------------------------------------------------------------------


def blocks(*paragraphs: str) -> list[Block]:
    return [Block("paragraph", p) for p in paragraphs]


def test_notice_shows_the_sentence_before_and_after_around_the_change() -> None:
    long = " ".join(["The committee met"] + ["again and again"] * 20 + ["and approved $76 billion for the works."])
    lines = change_lines(blocks(long), blocks(long.replace("$76 billion", "$81 billion")))
    assert len(lines) == 1
    assert "$76 billion" in lines[0] and "$81 billion" in lines[0] and "now reads" in lines[0]
    assert lines[0].count("again and again") < 8  # cut to the stretch around the change


def test_notice_names_added_and_removed_sentences_and_counts_many_changes() -> None:
    lines = change_lines(blocks("One thing happened. Then another."), blocks("One thing happened."))
    assert lines == ["- Removed: “Then another.”"]
    old = blocks(*PARAGRAPHS)
    new = blocks(*[p.replace("the", "a") for p in PARAGRAPHS[:4]], "An entirely new closing paragraph of words.")
    (summary,) = change_lines(old, new)
    assert "paragraphs rewritten" in summary and "1 paragraph added" in summary and "removed" in summary
    assert change_lines(old, blocks(*(p + "  " for p in PARAGRAPHS))) == []


def test_notices_are_sanitised_and_within_the_limit() -> None:
    text = revised_notice(
        "The Mill <@&99> @everyone",
        blocks("It cost $40,000."),
        blocks("It cost $45,000 @here " + "and more " * 400),
        old_heading="Old *name*",
        new_heading="New _name_",
    )
    assert text is not None and len(text) <= MESSAGE_LIMIT
    assert "@everyone" not in text and "@here" not in text and "<@&" not in text
    assert "“Old \\*name\\*” is now “New \\_name\\_”" in text
    assert "archived" in removed_notice("The Mill")
    assert revised_notice("The Mill", blocks("Same."), blocks("Same.")) is None


# --- the plan -----------------------------------------------------------------------------------


def test_edit_in_one_section_plans_its_chunk_anchor_and_notice_only() -> None:
    essay = essay_of(PARAGRAPHS)
    layout = posted(essay, analysis_of(essay, [0, 3]))
    new_essay = essay_of([p.replace("$76 billion", "$81 billion") for p in PARAGRAPHS])
    plan = plan_correction(layout, new_essay, analysis_of(new_essay, [0, 3]), TEXT, NOW)
    assert [(s.action, s.slot, s.chunk) for s in plan.steps] == [("edit", 2, 1), ("edit", 2, None), ("notice", 2, None)]
    assert plan.steps[0].message == 2201 and plan.steps[1].message == 2200 and plan.steps[2].channel == 2200
    assert "$81 billion" in str(plan.steps[2].payload)
    assert plan.target.slots[1].notice_at == NOW and plan.due is None


def test_second_edit_within_the_hour_defers_the_notice_and_says_when() -> None:
    essay = essay_of(PARAGRAPHS)
    layout = posted(essay, analysis_of(essay, [0, 3]))
    layout = replace(layout, slots=(layout.slots[0], replace(layout.slots[1], notice_at=NOW - timedelta(minutes=10))))
    new_essay = essay_of([p.replace("$76 billion", "$81 billion") for p in PARAGRAPHS])
    plan = plan_correction(layout, new_essay, analysis_of(new_essay, [0, 3]), TEXT, NOW)
    assert [s.action for s in plan.steps] == ["edit", "edit"]
    assert plan.due == NOW - timedelta(minutes=10) + ANNOUNCE_EVERY
    assert plan.target.slots[1].announced == layout.slots[1].announced  # the next notice covers this edit


def test_growing_text_uses_the_room_left_in_each_message_before_adding_one() -> None:
    paragraph = ("word " * 124).strip() + "."  # 620 characters: three fit the usual chunk size
    section = Section(1, "Minutes", tuple(Block("paragraph", paragraph) for _ in range(6)), 0, 6)
    assert len(section_messages(section)) == 2
    grown = replace(section, blocks=(*section.blocks, Block("paragraph", "A short closing paragraph. " * 3)))
    assert len(section_messages(grown)) == 3
    fitted = fit_texts(grown, 2)
    assert len(fitted) == 2 and all(len(t) <= MESSAGE_LIMIT for t in fitted)
    assert len(fit_texts(replace(grown, blocks=grown.blocks * 2), 2)) > 2


def test_added_section_steps_link_by_step_number_and_resolve_from_results() -> None:
    essay = essay_of(PARAGRAPHS)
    layout = posted(essay, analysis_of(essay, [0, 3]))
    new_essay = essay_of([*PARAGRAPHS, "A letter came from the county in 1950 asking to buy the mill."])
    plan = plan_correction(layout, new_essay, analysis_of(new_essay, [0, 3, 6], ["A", "B", "Letter"]), TEXT, NOW)
    actions = [s.action for s in plan.steps]
    assert actions == ["anchor", "thread", "thread_text", "card"]
    results = {
        1: StepResult(message_id=5001, channel_id=8),
        2: StepResult(message_id=5001, thread_id=5001, channel_id=8),
        3: StepResult(message_id=5002, channel_id=5001),
    }
    thread = build_correction_request(plan.steps[1], results)
    assert thread.path == "/channels/8/messages/5001/threads"
    assert build_correction_request(plan.steps[2], results).path == "/channels/5001/messages"
    card = build_correction_request(plan.steps[3], results)
    assert "https://discord.com/channels/7/8/5001)" in card.json["embeds"][0]["description"]  # type: ignore[index]
    done = finished_layout(plan_from_json(plan_json(plan)), results)
    assert (done.slots[2].anchor, done.slots[2].thread, done.slots[2].chunks) == (5001, 5001, (5002,))
    assert section_map(done, analysis_of(new_essay, [0, 3, 6])) == {1: 1, 2: 2, 3: 3}


def test_removed_section_in_a_forum_edits_its_post_renames_and_archives_it() -> None:
    essay = essay_of(PARAGRAPHS)
    layout = posted(essay, analysis_of(essay, [0, 3]), FORUM)
    new_essay = essay_of(PARAGRAPHS[:3])
    plan = plan_correction(layout, new_essay, analysis_of(new_essay, [0]), FORUM, NOW)
    by_action = {(s.action, s.slot) for s in plan.steps}
    assert ("notice", 2) in by_action and ("thread_patch", 2) in by_action and ("starter", 2) in by_action
    patch = next(s for s in plan.steps if s.action == "thread_patch")
    assert patch.payload == {"name": "The Mill · §2 (removed) A cooperative of", "archived": True}
    assert plan.target.slots[1].removed


def test_continued_chunk_says_so() -> None:
    essay = essay_of(PARAGRAPHS)
    layout = posted(essay, analysis_of(essay, [0, 3]))
    long = "The accounts of the cooperative were audited every spring by a man from the bank. " * 60
    new_essay = essay_of([*PARAGRAPHS, long])
    plan = plan_correction(layout, new_essay, analysis_of(new_essay, [0, 3]), TEXT, NOW)
    posts = [s for s in plan.steps if s.action == "post_text"]
    assert posts and all(str(s.payload["content"]).startswith(CONTINUED) for s in posts if s.payload)
    assert all(
        len(str(s.payload["content"])) <= MESSAGE_LIMIT for s in plan.steps if s.payload and "content" in s.payload
    )


@pytest.mark.parametrize("destination", [TEXT, FORUM])
def test_nothing_changed_plans_nothing(destination: Destination) -> None:
    essay = essay_of(PARAGRAPHS)
    analysis = analysis_of(essay, [0, 3])
    plan = plan_correction(posted(essay, analysis, destination), essay, analysis, destination, NOW)
    assert plan.empty


def test_publication_posted_before_layouts_is_rewritten_once_without_notices() -> None:
    essay = essay_of(PARAGRAPHS)
    analysis = analysis_of(essay, [0, 3])
    layout = legacy_layout(essay, analysis, TEXT, steps_for(analysis, TEXT))
    plan = plan_correction(layout, essay, analysis, TEXT, NOW)
    assert sorted({s.action for s in plan.steps}) == ["card", "edit"]
    assert len(plan.steps) == 1 + 2 + 2  # the card, each anchor, each thread's one text message
    again = plan_correction(finished_layout(plan, {}), essay, analysis, TEXT, NOW)
    assert again.empty


def test_removal_within_the_hour_is_announced_when_due() -> None:
    essay = essay_of(PARAGRAPHS)
    layout = posted(essay, analysis_of(essay, [0, 3]))
    recent = NOW - timedelta(minutes=5)
    layout = replace(layout, slots=(layout.slots[0], replace(layout.slots[1], notice_at=recent)))
    shorter = essay_of(PARAGRAPHS[:3])
    plan = plan_correction(layout, shorter, analysis_of(shorter, [0]), TEXT, NOW)
    assert [s.action for s in plan.steps] == ["edit", "card"]  # the anchor says so at once
    assert plan.due == recent + ANNOUNCE_EVERY
    later = plan_correction(plan.target, shorter, analysis_of(shorter, [0]), TEXT, NOW + ANNOUNCE_EVERY)
    assert [(s.action, s.slot) for s in later.steps] == [("notice", 2), ("thread_patch", 2)]
    done = plan_correction(later.target, shorter, analysis_of(shorter, [0]), TEXT, NOW + 3 * ANNOUNCE_EVERY)
    assert done.empty and done.due is None
