"""Preview: the exact plan of one essay in one destination, as a moderator reads it; stores nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.errors import NotFoundError, UserError
from bot.fetch import Fetcher
from bot.intake import analyse_for_store, is_url
from bot.operations.common import fit_lines
from bot.operations.destinations import get_destination
from bot.operations.posting import fetch_essay_page, find_stored_essay
from bot.publishing.execution import plan_destination
from bot.publishing.plan import PREVIEW_ID_BASE, Destination, PlanError, PreviewItem, preview
from bot.store import Store


@dataclass(frozen=True, slots=True)
class PreviewReport:
    """What a post will produce: the final card (or first forum post's) embed and the thread names."""

    title: str
    destination: Destination
    default_layout: bool
    stored: bool
    items: list[PreviewItem]
    thread_names: list[str]
    card: dict[str, Any] | None
    card_content: str | None
    messages_per_section: dict[int, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.items)


async def preview_essay(
    store: Store,
    fetcher: Fetcher,
    ref: str,
    *,
    guild_id: int,
    channel_id: int | None = None,
    max_sections: int,
) -> PreviewReport:
    """The exact plan for one essay in one destination of the server (or a default text layout); stores nothing."""
    destination, default = await _preview_destination(store, guild_id, channel_id)
    row = await find_stored_essay(store, ref, guild_id=guild_id)
    if row is not None:
        essay = row.essay
        analysis = await store.load_analysis(row.id)
    else:
        if not is_url(ref.strip()):
            raise NotFoundError(f"No stored essay has the key `{ref.strip()[:200]}`; give the essay's URL.")
        essay = await fetch_essay_page(fetcher, ref.strip())
        # The same analysis a post would store (the store is only read here).
        analysis = await analyse_for_store(store, essay, max_sections=max_sections)
    try:
        items = preview(essay, analysis, destination)
    except PlanError as exc:
        raise UserError(f"This essay cannot be posted as it is: {exc}") from exc
    return summarise_preview(essay.title, destination, items, default=default, stored=row is not None)


async def _preview_destination(store: Store, guild_id: int, channel_id: int | None) -> tuple[Destination, bool]:
    if channel_id is not None:
        return plan_destination(await get_destination(store, guild_id, channel_id)), False
    destinations = await store.list_destinations(guild_id=guild_id)
    if destinations:
        return plan_destination(destinations[0]), False
    return Destination(guild_id=guild_id, channel_id=PREVIEW_ID_BASE, kind="text"), True


def summarise_preview(
    title: str, destination: Destination, items: list[PreviewItem], *, default: bool, stored: bool
) -> PreviewReport:
    thread_names: list[str] = []
    card: dict[str, Any] | None = None
    card_content: str | None = None
    per_section: dict[int, int] = {}
    for item in items:
        body = item.request.json or {}
        action = item.step.action
        if action in ("thread", "forum_post"):
            thread_names.append(str(body["name"]))
        if action in ("thread_text", "forum_text", "forum_post") and item.step.section is not None:
            per_section[item.step.section] = per_section.get(item.step.section, 0) + 1
        if action == "card":
            card_content = body.get("content")
            card = body["embeds"][0]
        elif action == "card_links":
            card = body["embeds"][0]  # the card as it ends up, linking the anchors
        elif action == "forum_links" and card is None:
            card = body["embeds"][0]  # the first post's embed as it ends up
    return PreviewReport(
        title=title,
        destination=destination,
        default_layout=default,
        stored=stored,
        items=items,
        thread_names=thread_names,
        card=card,
        card_content=card_content,
        messages_per_section=per_section,
    )


def format_preview(report: PreviewReport, *, channel: str, limit: int = 1900) -> str:
    """The text part of the preview; the card itself goes in an embed."""
    layout = f"{report.destination.kind} layout"
    where = "a text channel (no destination set yet)" if report.default_layout else f"{channel} ({layout})"
    lines = [f"Preview for {where}; nothing is posted."]
    if report.card_content:
        lines.append(f"The card mentions {report.card_content}.")
    if not report.stored:
        lines.append("The essay is not stored yet: posting it will fetch and store it.")
    noun = "forum posts" if report.destination.kind == "forum" else "threads"
    if report.destination.kind != "forum":
        lines.append(
            "The card below, then " + (f"{len(report.thread_names)} {noun}:" if report.thread_names else "no threads.")
        )
    else:
        lines.append(f"{len(report.thread_names)} {noun} (the first one's embed below):")
    for name in report.thread_names:
        lines.append(f"• {name}")
    lines.append(f"{report.requests} Discord requests in all.")
    return fit_lines(lines, limit)
