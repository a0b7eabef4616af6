"""The lead image of an essay, for its card: what a reader of a feed bot expects to see.

In order: the feed's own picture of the entry (an image ``media:content``, an image enclosure,
a ``media:thumbnail``), the page's ``og:image`` / ``twitter:image``, else the first image of
the essay's content that is a picture and not a tracking pixel, an icon, an avatar or a button.
Only absolute http(s) addresses are kept.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

logger = logging.getLogger(__name__)

# Smaller than this on either side (when the markup says) is an icon, a badge or a pixel.
MIN_SIDE = 100
# Words in an image address that mark page furniture rather than a picture of the essay.
_FURNITURE_RE = re.compile(
    r"(?:^|[/_.\-])(?:pixel|beacon|track(?:ing|er)?|stats?|counter|spacer|blank|transparent|"
    r"emoji|smil(?:ey|ies)|icons?|favicon|logo|avatar|gravatar|badge|button|share|feedburner|"
    r"doubleclick|1x1|rss)(?:$|[/_.\-?=])",
    re.IGNORECASE,
)


def usable_image(url: str | None, *, base: str | None = None) -> str | None:
    """The address made absolute, if it is an http(s) picture and not page furniture; else None."""
    if not url or not url.strip():
        return None
    absolute = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in absolute):
        return None
    where = parts.netloc + parts.path + ("?" + parts.query if parts.query else "")
    if len(absolute) > 2048 or _FURNITURE_RE.search(where):
        return None
    return absolute


def _side(value: Any) -> int | None:
    match = re.match(r"\s*(\d+)", str(value or ""))
    return int(match.group(1)) if match else None


def _big_enough(attributes: Mapping[str, Any]) -> bool:
    sides = [_side(attributes.get("width")), _side(attributes.get("height"))]
    return all(side is None or side >= MIN_SIDE for side in sides)


def feed_entry_image(raw: Mapping[str, Any], *, base: str | None) -> str | None:
    """The picture a feed entry carries itself (feedparser's entry dict), if any."""
    candidates: list[str | None] = []
    for media in raw.get("media_content") or ():
        kind = str(media.get("medium") or media.get("type") or "")
        if (kind == "image" or kind.startswith("image/")) and _big_enough(media):
            candidates.append(media.get("url"))
    for enclosure in raw.get("enclosures") or ():
        if str(enclosure.get("type") or "").startswith("image/"):
            candidates.append(enclosure.get("href") or enclosure.get("url"))
    candidates += [thumb.get("url") for thumb in raw.get("media_thumbnail") or () if _big_enough(thumb)]
    return _first(candidates, base)


def page_image(tree: LexborHTMLParser, *, base: str | None) -> str | None:
    """The picture a page declares for sharing (``og:image``, ``twitter:image``)."""
    candidates: list[str | None] = []
    for selector in ('meta[property="og:image"]', 'meta[name="twitter:image"]', 'meta[property="twitter:image"]'):
        node = tree.css_first(selector)
        if node is not None:
            candidates.append(node.attributes.get("content"))
    return _first(candidates, base)


def content_image(html: str | None, *, base: str | None) -> str | None:
    """The first picture of an essay's HTML that is big enough (when the markup says) and not furniture."""
    if not html or "<img" not in html.lower():
        return None
    for node in LexborHTMLParser(html).css("img"):
        attributes = node.attributes
        if not _big_enough(attributes):
            continue
        found = usable_image(attributes.get("src") or attributes.get("data-src"), base=base)
        if found is not None:
            return found
    return None


def _first(candidates: Iterable[str | None], base: str | None) -> str | None:
    for candidate in candidates:
        found = usable_image(candidate, base=base)
        if found is not None:
            return found
    return None
