"""The lead image of an essay for its card: the feed's picture, the page's, else the content's first real one."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from bot.essays.images import content_image, feed_entry_image, page_image, usable_image
from bot.essays.sources import parse_feed

BASE = "https://blog.example/2025/05/post.html"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://cdn.blog.example/2025/harbour.jpg", "https://cdn.blog.example/2025/harbour.jpg"),
        ("/images/harbour.jpg", "https://blog.example/images/harbour.jpg"),
        ("javascript:alert(1)", None),
        ("data:image/png;base64,AAAA", None),
        ("ftp://blog.example/a.jpg", None),
        ("https://stats.wordpress.com/b.gif?host=blog", None),
        ("https://feeds.feedburner.com/~r/blog/~4/pixel.gif", None),
        ("https://blog.example/wp-content/plugins/share/icons/twitter.png", None),
        ("https://secure.gravatar.com/avatar/abc?s=96", None),
        ("https://s.w.org/images/core/emoji/14.0.0/72x72/1f600.png", None),
        ("https://blog.example/tracking/1x1.gif", None),
        ("https://blog.example/a picture.jpg", None),
        ("", None),
    ],
)
def test_usable_image(url: str, expected: str | None) -> None:
    assert usable_image(url, base=BASE) == expected


def test_the_feeds_own_picture_comes_first_and_small_thumbnails_are_skipped() -> None:
    raw = {
        "media_thumbnail": [{"url": "https://blog.example/s72/small.jpg", "width": "72", "height": "72"}],
        "enclosures": [{"href": "https://blog.example/big.jpg", "type": "image/jpeg"}],
        "media_content": [{"url": "https://blog.example/video.mp4", "type": "video/mp4"}],
    }
    assert feed_entry_image(raw, base=BASE) == "https://blog.example/big.jpg"
    assert feed_entry_image({"media_thumbnail": raw["media_thumbnail"]}, base=BASE) is None
    assert feed_entry_image({}, base=BASE) is None


def test_content_image_skips_pixels_icons_and_tiny_images() -> None:
    html = (
        '<p><img src="https://stats.example.com/pixel.gif" width="1" height="1">'
        '<img src="/icons/rss.png"><img src="/small.png" width="40" height="40">'
        '<img src="/photos/crowd.jpg" width="640"></p>'
    )
    assert content_image(html, base=BASE) == "https://blog.example/photos/crowd.jpg"
    assert content_image("<p>No pictures here.</p>", base=BASE) is None


def test_page_image_reads_og_image_then_twitter_image() -> None:
    tree = LexborHTMLParser(
        '<head><meta name="twitter:image" content="/t.jpg"><meta property="og:image" content="/og.jpg"></head>'
    )
    assert page_image(tree, base=BASE) == "https://blog.example/og.jpg"


def test_a_feed_entry_gets_its_image_and_the_blogs_name_and_icon() -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
    <title>Harbour Notes</title><link>https://blog.example/</link><description>d</description>
    <image><url>https://blog.example/favicon-64.png</url><title>Harbour Notes</title>
    <link>https://blog.example/</link></image>
    <item><title>Tides</title><link>https://blog.example/tides</link><author>sam@blog.example (Sam Writer)</author>
    <media:content url="https://blog.example/tides.jpg" medium="image"/>
    <description>Text about tides.</description></item>
    </channel></rss>"""
    [entry] = parse_feed(feed, url="https://blog.example/feed").entries
    assert entry.image == "https://blog.example/tides.jpg"
    assert (entry.author, entry.site_name, entry.site_icon) == (
        "Sam Writer",
        "Harbour Notes",
        "https://blog.example/favicon-64.png",
    )
