"""An Atom feed of the sample essays (data/samples), served by the standalone fake Discord.

So that a newcomer can follow a real feed end to end on one machine: connect it with
``python -m bot feeds add``, and watch the bot post the newest essay into the fake's #essays.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import escape
from pathlib import Path

import frontmatter

from bot.essays.cleaning import markdown_to_html

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
FEED_PATH = "/demo/feed.xml"


def _timestamp(value: object) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, 9, tzinfo=UTC)
    else:
        moment = datetime(2025, 1, 1, tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")


def demo_feed(folder: Path = SAMPLES, *, title: str = "Demo Essays") -> str:
    """The Markdown posts of ``folder`` as one Atom document, newest first."""
    entries: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.md")):
        if path.stem.upper() == "README":
            continue
        post = frontmatter.load(str(path))
        link = str(post.get("permalink", f"https://demo-essays.example/{path.stem}"))
        updated = _timestamp(post.get("date"))
        labels = "".join(f'<category term="{escape(str(tag))}"/>' for tag in post.get("tags", []) or [])
        author = escape(str(post.get("author", "A. Writer")))
        entries.append(
            (
                updated,
                f"<entry><id>{escape(link)}</id><title>{escape(str(post.get('title', path.stem)))}</title>"
                f'<link rel="alternate" href="{escape(link)}"/><published>{updated}</published>'
                f"<updated>{updated}</updated><author><name>{author}</name></author>{labels}"
                f'<content type="html">{escape(markdown_to_html(post.content))}</content></entry>',
            )
        )
    entries.sort(reverse=True)
    newest = entries[0][0] if entries else _timestamp(None)
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>tag:demo-essays.example,2025:feed</id><updated>{newest}</updated>"
        f"{''.join(entry for _, entry in entries)}</feed>"
    )
