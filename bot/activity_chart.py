"""The /activity picture: a horizontal bar chart of messages per section, as PNG bytes.

Drawn with matplotlib's Agg renderer on a ``Figure`` of its own (no pyplot, so no global figure
state and no display), in matplotlib's bundled DejaVu Sans, loaded from its own file so the result
never depends on the fonts of the machine. Rendering is CPU work of tens of milliseconds: callers
on the event loop run it in a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import functools
import io
import logging
import textwrap
import threading
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, get_font
from matplotlib.textpath import TextToPath

from bot.activity import EssayActivity, SectionActivity
from bot.publishing.render import plain

logger = logging.getLogger(__name__)

# 800 px wide: Discord shows it at full width in an embed on desktop, and scaled down on phones,
# where the bars and two-line labels stay legible. Height grows with the sections.
DPI = 100
WIDTH_IN = 8.0
HEADER_IN = 0.85  # the title and the line under it, above the bars
BAR_IN = 0.62
MIN_HEIGHT_IN = 3.0
LABEL_WIDTH = 28  # characters per label line; two lines at most
TITLE_WIDTH = 64
FONT_SIZE = 11.0

HIGHLIGHT = "#2F5597"  # the most discussed section
BAR = "#A7BBDC"
TEXT = "#1F2328"
MUTED = "#57606A"
GRID = "#C9D1DC"
SUBTITLE = "Messages by members in each section's threads"

_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
REGULAR = FontProperties(fname=_FONTS / "DejaVuSans.ttf", size=FONT_SIZE)
BOLD = FontProperties(fname=_FONTS / "DejaVuSans-Bold.ttf", size=FONT_SIZE + 2)
SMALL = FontProperties(fname=_FONTS / "DejaVuSans.ttf", size=FONT_SIZE - 1)
# matplotlib does not promise thread safety; one chart at a time (each takes tens of milliseconds).
_LOCK = threading.Lock()
MISSING = "□"  # drawn for a character DejaVu Sans lacks (emoji, CJK and some other scripts)


@functools.lru_cache(maxsize=8192)
def _has_glyph(char: str) -> bool:
    return get_font(_FONTS / "DejaVuSans.ttf").get_char_index(ord(char)) != 0


def drawable(text: str) -> str:
    """The text with each character the font lacks shown as □ (matplotlib would warn, and draw a box anyway)."""
    return "".join(char if char.isspace() or _has_glyph(char) else MISSING for char in text)


def chart_label(section: SectionActivity) -> str:
    """``§2 Who pays``, wrapped on two lines at most, cut with "…" when longer."""
    lines = textwrap.wrap(drawable(section.label), LABEL_WIDTH, break_long_words=True) or [f"§{section.index}"]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), LABEL_WIDTH, placeholder="…")]
    return "\n".join(lines)


def bar_note(section: SectionActivity) -> str:
    """The text at the end of a bar: the count, and the people when there are several."""
    if section.participants > 1:
        return f"{section.messages:,} · {section.participants:,} people"
    return f"{section.messages:,}"


def chart_size(sections: int) -> tuple[float, float]:
    """The figure's size in inches for this many bars."""
    return WIDTH_IN, max(MIN_HEIGHT_IN, HEADER_IN + BAR_IN * max(sections, 1))


def render_activity_chart(activity: EssayActivity) -> bytes:
    """The chart as PNG bytes: one bar per section in essay order (top to bottom), the count at each."""
    with _LOCK:
        return _render(activity)


def _render(activity: EssayActivity) -> bytes:
    sections = activity.sections
    width, height = chart_size(len(sections))
    figure = Figure(figsize=(width, height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    measure = TextToPath()
    top = activity.most_active

    def text_width(text: str, font: FontProperties) -> float:
        """Pixels the text takes (its widest line), measured without drawing (TextToPath measures in points)."""
        lines = text.split("\n")
        return max(measure.get_text_width_height_descent(line, font, ismath=False)[0] for line in lines) * DPI / 72

    labels = [chart_label(s) for s in sections]
    notes = [bar_note(s) for s in sections]
    fonts = [BOLD if top is not None and s.index == top.index else SMALL for s in sections]
    # The labels get the room they need on the left (up to 42%), the bars the rest.
    label_px = max((text_width(label, REGULAR) for label in labels), default=0.0) + 18
    left = min(0.42, label_px / (width * DPI))
    right = 0.97
    axes = figure.add_axes((left, 0.2 / height, right - left, 1 - (0.2 + HEADER_IN) / height))
    positions = list(range(len(sections)))
    counts = [s.messages for s in sections]
    colours = [HIGHLIGHT if top is not None and s.index == top.index else BAR for s in sections]
    axes.barh(positions, counts, height=0.62, color=colours)
    axes.invert_yaxis()  # the first section on top, as in the essay
    axes.set_ylim(len(sections) - 0.5, -0.5)
    note_px = [text_width(n, f) for n, f in zip(notes, fonts, strict=True)]
    axes.set_xlim(0, _x_limit(counts, note_px, axes_px=(right - left) * width * DPI))
    # No axes, ticks or grid: each bar carries its own number, and ticks are most of the drawing time.
    axes.set_axis_off()
    axes.axvline(0, color=GRID, linewidth=1.0)
    for position, label, note, font, section in zip(positions, labels, notes, fonts, sections, strict=True):
        axes.annotate(
            label,
            xy=(0, position),
            xycoords=("axes fraction", "data"),
            xytext=(-8, 0),
            textcoords="offset points",
            va="center",
            ha="right",
            color=TEXT,
            fontproperties=REGULAR,
            parse_math=False,
        )
        axes.annotate(
            note,
            xy=(section.messages, position),
            xytext=(5, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            color=TEXT,
            fontproperties=font,
            parse_math=False,
        )
    title = textwrap.shorten(drawable(plain(activity.title)) or "Untitled essay", TITLE_WIDTH, placeholder="…")
    figure.text(0.02, 1 - 0.2 / height, title, fontproperties=BOLD, color=TEXT, va="top", parse_math=False)
    figure.text(0.02, 1 - 0.5 / height, SUBTITLE, fontproperties=SMALL, color=MUTED, va="top", parse_math=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _x_limit(counts: list[int], note_px: list[float], *, axes_px: float) -> float:
    """The axis end that leaves every bar room for its note after it (5 px gap, 6 px margin)."""
    limit = float(max(max(counts, default=0), 1))
    for count, width in zip(counts, note_px, strict=True):
        room = axes_px - width - 11
        if count > 0 and room > 0:
            limit = max(limit, count * axes_px / room)
    return limit


def warm_up() -> None:
    """Load the renderer and fonts once, so the first /activity answers as fast as the others."""
    section = SectionActivity(1, "Warm-up", 1, 1, None, ())
    render_activity_chart(EssayActivity(0, "warm-up", "Warm-up", None, None, (section,), 1))
