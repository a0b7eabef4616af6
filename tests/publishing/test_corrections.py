"""Corrections: snapshots, diffs between revisions, notices and the edits of posted messages."""

from __future__ import annotations

from bot.essays.model import Analysis, Block, Essay, Figure, Quote, Section
from bot.publishing.corrections import (
    correction_edits,
    diff,
    notice_nonce,
    notice_payload,
    notice_text,
    notices,
    snapshot_from_json,
    snapshot_json,
    take_snapshot,
)
from bot.publishing.execution import Posted
from bot.publishing.plan import Destination
from bot.publishing.render import MESSAGE_LIMIT


def analysis(second: str, *, quotes: list[Quote], figures: list[Figure]) -> tuple[Essay, Analysis]:
    blocks = (
        Block("heading", "Before"),
        Block("paragraph", "The mill closed in the winter, and the town was quiet for a year."),
        Block("heading", "After"),
        Block("paragraph", second),
    )
    essay = Essay(key="k", title="The Mill", blocks=blocks, url="https://example.org/mill")
    sections = [Section(1, "Before", blocks[:2], 0, 2, True), Section(2, "After", blocks[2:], 2, 4, True)]
    return essay, Analysis(sections=sections, quotes=quotes, figures=figures)


OLD_QUOTE = Quote("We will reopen by spring", "direct", 2, speaker="Ada Roe")
NEW_QUOTE = Quote("Spring was never realistic @everyone", "direct", 2, speaker="Ada Roe")
FIGURE = Figure("$40,000", "money", 2, context="It cost $40,000.")


def test_snapshot_round_trips_through_json() -> None:
    _, old = analysis("It cost $40,000 to restart.", quotes=[OLD_QUOTE], figures=[FIGURE])
    snapshot = take_snapshot(old)
    assert snapshot_from_json(snapshot_json(snapshot)) == snapshot
    assert snapshot_from_json(None) is None


def test_diff_reports_only_changed_sections() -> None:
    _, old = analysis("It cost $40,000 to restart.", quotes=[OLD_QUOTE], figures=[FIGURE])
    _, new = analysis("Restarting it was costly.", quotes=[NEW_QUOTE], figures=[])
    changes = diff(take_snapshot(old), take_snapshot(new))
    assert [c.index for c in changes] == [2]
    change = changes[0]
    assert change.text_changed
    assert change.quotes_added == ("Spring was never realistic @everyone",)
    assert change.quotes_removed == ("We will reopen by spring",)
    assert change.figures_removed == ("$40,000",) and change.figures_added == ()
    assert diff(take_snapshot(old), take_snapshot(old)) == []


def test_notice_is_sanitised_and_within_limits() -> None:
    _, old = analysis("It cost $40,000 to restart.", quotes=[OLD_QUOTE], figures=[FIGURE])
    _, new = analysis("Restarting it was costly.", quotes=[NEW_QUOTE], figures=[])
    change = diff(take_snapshot(old), take_snapshot(new))[0]
    text = notice_text(change, "The Mill <@&99>")
    assert "@everyone" not in text and "<@&" not in text
    assert "Quotes added" in text and "Figures removed" in text
    assert len(text) <= MESSAGE_LIMIT
    payload = notice_payload(text, notice_nonce(1, 2, 2))
    assert payload["allowed_mentions"] == {"parse": []} and payload["nonce"] == "c1r2s2"
    found = notices([change], {2: 555}, "The Mill")
    assert [(section, thread) for section, thread, _ in found] == [(2, 555)]


def test_removed_section_gets_a_notice_saying_so() -> None:
    _, old = analysis("It cost $40,000 to restart.", quotes=[], figures=[])
    shrunk = Analysis(sections=old.sections[:1])
    change = diff(take_snapshot(old), take_snapshot(shrunk))[0]
    assert change.gone and "no longer part" in notice_text(change, "The Mill")


def test_edits_target_the_posted_card_anchors_and_forum_starters() -> None:
    essay, new = analysis("Restarting it was costly.", quotes=[], figures=[])
    posted = Posted(card=100, anchors={1: 201, 2: 202}, threads={1: 201, 2: 202}, starters={})
    edits = correction_edits(essay, new, Destination(7, 8, "text"), posted)
    assert [(e.channel_id, e.message_id) for e in edits] == [(8, 100), (8, 201), (8, 202)]
    assert "https://discord.com/channels/7/8/201" in edits[0].payload["embeds"][0]["description"]
    assert "Restarting it was costly." in edits[2].payload["content"]
    forum = Posted(card=None, anchors={}, threads={1: 301, 2: 302}, starters={1: 301, 2: 302})
    edits = correction_edits(essay, new, Destination(7, 9, "forum"), forum)
    assert [(e.channel_id, e.message_id) for e in edits] == [(301, 301), (302, 302)]
    assert "Restarting it was costly." in edits[1].payload["content"]
