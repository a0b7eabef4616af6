"""Messy essay markup to clean blocks: word-processor HTML, page chrome, Markdown, plain text."""

from __future__ import annotations

import pytest

from bot.essays.cleaning import (
    clean_html,
    extract_links,
    extract_text_links,
    markdown_to_blocks,
    strip_liquid,
    text_to_blocks,
)
from bot.essays.model import Block


def P(text: str) -> Block:
    return Block("paragraph", text)


def H(text: str) -> Block:
    return Block("heading", text)


def Q(text: str) -> Block:
    return Block("quote", text)


def I(text: str) -> Block:  # noqa: E743 - short names keep the expected block lists readable
    return Block("item", text)


def test_word_processor_paragraphs_collapse_to_plain_text() -> None:
    html = (
        '<p class="MsoNormal"><span style="font-family:&quot;Georgia&quot;,serif">The levy&nbsp;&nbsp;&nbsp;'
        "failed by <span style='color:black'>112</span> votes.\u200b<o:p></o:p></span></p>\n"
        '<p class="MsoNormal"><span><o:p>&nbsp;</o:p></span></p>\n'
        '<p class="MsoNormal"><font face="Arial">A second\n   paragraph, wrapped\tin the source.</font></p>'
    )
    assert clean_html(html) == (
        P("The levy failed by 112 votes."),
        P("A second paragraph, wrapped in the source."),
    )


def test_div_per_line_and_double_br_paragraphs() -> None:
    html = (
        "<div>First line of a paragraph<br>and its second line.</div>"
        "<div><br></div>"
        "<div>Second paragraph.<br><br>Third paragraph.<br /> <br />Fourth paragraph.<br></div>"
    )
    assert clean_html(html) == (
        P("First line of a paragraph\nand its second line."),
        P("Second paragraph."),
        P("Third paragraph."),
        P("Fourth paragraph."),
    )


def test_real_headings_and_pseudo_headings() -> None:
    html = (
        "<h2>Where the Money Went</h2>"
        "<p><b>The Second Problem</b></p>"
        '<p class="MsoNormal"><b><span style="font-size:14pt">Why Nobody Noticed?</span></b><o:p></o:p></p>'
        '<p style="text-align: center;">A Centred Heading</p>'
        '<div align="center"><span>Another One</span></div>'
        "<p><strong>Bold sentence that ends with a period.</strong></p>"
        "<p><b>Bold lead-in:</b> followed by plain text</p>"
        '<p style="text-align:center">— Senator Ada Quill, 1911</p>'
        '<b style="font-weight:normal;" id="docs-internal-guid-1"><p>Google Docs wraps text like this</p></b>'
        '<p><span style="font-weight:700">Docs Bold Heading</span></p>'
        "<p><b>" + "A bold paragraph far too long to be any kind of heading at all, " * 2 + "really</b></p>"
    )
    assert clean_html(html) == (
        H("Where the Money Went"),
        H("The Second Problem"),
        H("Why Nobody Noticed?"),
        H("A Centred Heading"),
        H("Another One"),
        P("Bold sentence that ends with a period."),
        P("Bold lead-in: followed by plain text"),
        P("— Senator Ada Quill, 1911"),
        P("Google Docs wraps text like this"),
        H("Docs Bold Heading"),
        P(("A bold paragraph far too long to be any kind of heading at all, " * 2 + "really").strip()),
    )


def test_repeated_title_at_top_is_dropped_but_not_elsewhere() -> None:
    html = (
        '<p class="MsoNormal"><b>The Rainy-Day Fund: Nobody Mentions It</b></p>'
        "<p>Body text.</p><p>The rainy-day fund nobody mentions it</p>"
    )
    assert clean_html(html, title="The Rainy‑Day Fund — Nobody Mentions It") == (
        P("Body text."),
        P("The rainy-day fund nobody mentions it"),
    )
    assert clean_html("<p>Body text.</p><h1>The Title</h1>", title="The Title") == (
        P("Body text."),
        H("The Title"),
    )


def test_blockquotes_lists_and_attribution() -> None:
    html = (
        "<p>Writing for the <em>Courier</em>, Nadia Fenwick explains:</p>"
        "<blockquote><p>“The formula was written in 1987.</p>"
        "<p>“Nobody revisited it.”</p></blockquote>"
        "<blockquote>A bare quotation without paragraphs.</blockquote>"
        '<blockquote class="wp-block-quote"><p>An injury to'
        " all.</p><cite>Judge Marta Ellison</cite></blockquote>"
        "<p>As <cite>The Federalist</cite> puts it.</p>"
        "<ul><li>First point</li><li>Second point<ol><li>Nested point</li></ol>tail of second</li></ul>"
    )
    assert clean_html(html) == (
        P("Writing for the Courier, Nadia Fenwick explains:"),
        Q("“The formula was written in 1987."),
        Q("“Nobody revisited it.”"),
        Q("A bare quotation without paragraphs."),
        Q("An injury to all."),
        P("Judge Marta Ellison"),
        P("As The Federalist puts it."),
        I("First point"),
        I("Second point"),
        I("Nested point"),
        I("tail of second"),
    )


def test_word_list_paragraphs_become_items_without_bullets() -> None:
    html = (
        '<p class="MsoListParagraphCxSpFirst" style="text-indent:-.25in"><![if !supportLists]>'
        '<span style="font-family:Symbol">·<span style="font:7.0pt">&nbsp;&nbsp;&nbsp; </span></span>'
        "<![endif]>Roads and bridges<o:p></o:p></p>"
        '<p class="MsoListParagraphCxSpLast"><![if !supportLists]><span>·<span>&nbsp;&nbsp; </span></span>'
        "<![endif]>School buses<o:p></o:p></p>"
    )
    assert clean_html(html) == (I("Roads and bridges"), I("School buses"))


def test_images_alt_text_and_captions_are_not_essay_text() -> None:
    html = (
        '<div class="separator"><a href="https://img.example/big.jpg"><img alt="A crowd outside a courthouse.'
        ' AI-generated content may be incorrect." src="https://img.example/s.jpg"></a></div>'
        '<table class="tr-caption-container"><tr><td><img src="x.jpg" alt="steps"></td></tr>'
        '<tr><td class="tr-caption">Residents on the steps.</td></tr></table>'
        '<div class="wp-caption"><img src="y.jpg"><p class="wp-caption-text">A gavel.</p></div>'
        '<figure><img src="z.jpg"><figcaption>The reading room.</figcaption></figure>'
        "<p>A crowd outside a courthouse. AI-generated content may be incorrect.</p>"
        '<p>[caption id="attachment_9" width="150"]<img src="g.jpg"> A shortcode caption.[/caption]</p>'
        "<p>The only essay sentence.</p>"
    )
    assert clean_html(html) == (P("The only essay sentence."),)


def test_page_chrome_is_dropped() -> None:
    html = (
        "<script>var x = 'not text';</script><style>p { color: red }</style>"
        "<nav><a href='/'>Home</a></nav><iframe src='https://video.example'></iframe>"
        "<form><input value='Search'><button>Go</button></form>"
        "<p>Share prices fell for a third day.</p>"
        '<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3>'
        '<a class="share-twitter" href="?share=twitter">Twitter</a></div>'
        "<h3>Like this:</h3><p>Like Loading…</p>"
        "<p>No comments:</p><p>3 comments:</p><div>Post a Comment</div><p>Subscribe</p><p>Share</p>"
        '<div class="subscription-widget-wrap"><p>Thanks for reading! Subscribe for free.</p></div>'
        '<p class="button-wrapper"><a class="button primary"'
        ' href="/subscribe"><span>Subscribe now</span></a></p>'
        '<figure class="kg-card kg-bookmark-card"><div class="kg-bookmark-title">Another Post</div></figure>'
        '<div class="kg-card kg-button-card"><a class="kg-btn">Sign up</a></div>'
        '<div style="display:none">hidden text</div><span style="mso-hide:all">also hidden</span>'
        '<section id="comments"><p>Great post!</p></section>'
        "<footer><p>© 2024 The Blog</p></footer>"
        "<p>* * *</p>"
        "<p>Posted by Dana Whitcombe at 9:14 AM</p><p>Labels: budget, courts</p>"
        "<p>Posted by the mayor at the meeting were three notices.</p>"
        "<p>Subscribe to the newsletter and you will regret nothing, said the mayor.</p>"
    )
    assert clean_html(html) == (
        P("Share prices fell for a third day."),
        P("Posted by the mayor at the meeting were three notices."),
        P("Subscribe to the newsletter and you will regret nothing, said the mayor."),
    )


def test_word_metadata_elements_are_dropped() -> None:
    html = (
        "<xml><w:WordDocument><w:View>Normal</w:View><w:Zoom>0</w:Zoom></w:WordDocument></xml>"
        "<!--[if gte mso 9]><xml>Normal 0 false false</xml><![endif]-->"
        '<p class="MsoNormal">Real text.<v:shape><v:textbox>shape text</v:textbox></v:shape></p>'
    )
    assert clean_html(html) == (P("Real text."),)


def test_curly_quotes_and_dashes_are_kept() -> None:
    html = "<p>“Checks and balances” — so they said — aren’t ‘optional’; 1919–1934.</p>"
    assert clean_html(html) == (P("“Checks and balances” — so they said — aren’t ‘optional’; 1919–1934."),)


def test_whole_page_and_empty_input() -> None:
    page = "<!DOCTYPE html><html><head><title>T</title></head><body><p>Only this.</p></body></html>"
    assert clean_html(page) == (P("Only this."),)
    assert clean_html("") == ()
    assert clean_html("<p>&nbsp;</p><div><br></div>") == ()


def test_deep_nesting_does_not_recurse() -> None:
    html = "<span>" * 5000 + "deep text" + "</span>" * 5000
    assert clean_html(html) == (P("deep text"),)


def test_pre_keeps_line_breaks() -> None:
    assert clean_html("<pre>Route 14:   212 riders\nRoute 9: 80 riders</pre>") == (
        P("Route 14: 212 riders\nRoute 9: 80 riders"),
    )


def test_extract_links_keeps_only_text_links_outside_chrome() -> None:
    html = (
        '<p>See <a href="/2023/11/earlier-post/#part-2">my November post</a> and '
        '<a href="https://other.example/essay">this essay</a>, or <a href="#fn1">1</a>.</p>'
        '<a href="https://img.example/big.jpg"><img src="s.jpg"></a>'
        '<div class="sharedaddy"><a href="https://blog.example/this-post/?share=twitter">Twitter</a></div>'
        '<p><a href="mailto:me@example.org">mail me</a> '
        '<a href="https://blog.example/2023/11/earlier-post/">again</a></p>'
    )
    assert extract_links(html, base_url="https://blog.example/2024/01/this-post/") == (
        "https://blog.example/2023/11/earlier-post/",
        "https://other.example/essay",
    )
    assert extract_links('<a href="/relative">x</a>') == ()


def test_extract_text_links() -> None:
    text = "See https://blog.example/a-post. Also (https://blog.example/b) and https://blog.example/a-post"
    assert extract_text_links(text) == ("https://blog.example/a-post", "https://blog.example/b")


def test_markdown_blocks() -> None:
    md = (
        "# The Levy Question\n\n"
        "Voters will see the levy for the **fourth** time.\n"
        "A wrapped line.\n\n"
        "## What It Pays For\n\n"
        "> “We ran out of drivers,” the director said.\n>\n> A second quoted paragraph.\n\n"
        "* Bus routes\n* Building repairs\n\n"
        "1. First\n2. Second\n\n"
        "{% include box.html %}\n\n"
        "{% highlight text %}\nRoute 14: 212 riders\n{% endhighlight %}\n\n"
        '{{< figure src="/x.jpg" caption="Gull Point" >}}\n\n'
        "Ends with {{ site.signature }}a link to [the budget]({{ site.baseurl }}/budget.pdf).\n\n"
        "<div class='note'>Inline <b>HTML</b> survives.</div>\n"
    )
    assert markdown_to_blocks(md, title="The Levy Question") == (
        P("Voters will see the levy for the fourth time. A wrapped line."),
        H("What It Pays For"),
        Q("“We ran out of drivers,” the director said."),
        Q("A second quoted paragraph."),
        I("Bus routes"),
        I("Building repairs"),
        I("First"),
        I("Second"),
        P("Route 14: 212 riders"),
        P("Ends with a link to the budget."),
        P("Inline HTML survives."),
    )


def test_strip_liquid_removes_comments_and_tags() -> None:
    md = "a {% comment %}secret {{ x }}{% endcomment %}b {%- assign y = 1 -%}c {{ page.title | upcase }}d"
    assert strip_liquid(md) == "a b c d"


def test_text_blocks_headings_are_conservative() -> None:
    text = (
        "THE CASE FOR THEM\n\n"
        "Footnotes are where historians hide\nthe arguments they doubt.\n\n"
        "“Cite everything, trust nothing.”\n— A professor of mine, 1994\n\n"
        "The Case Against Them\n\n"
        "It was late\n\n"
        "## Marked Heading\n\n"
        "Underlined Heading\n==================\n\n"
        "> Quoted line one\n> quoted line two.\n\n"
        "- first item\n- second item\n\n"
        "Closing Words"
    )
    assert text_to_blocks(text) == (
        H("THE CASE FOR THEM"),
        P("Footnotes are where historians hide the arguments they doubt."),
        P("“Cite everything, trust nothing.”\n— A professor of mine, 1994"),
        H("The Case Against Them"),
        P("It was late"),
        H("Marked Heading"),
        H("Underlined Heading"),
        Q("Quoted line one quoted line two."),
        I("first item"),
        I("second item"),
        P("Closing Words"),
    )


def test_text_blocks_windows_newlines_and_separators() -> None:
    assert text_to_blocks("One.\r\n\r\n* * *\r\n\r\nTwo\u200b.\r\n") == (P("One."), P("Two."))


def test_markdown_footnote_marks_are_removed_but_notes_kept() -> None:
    md = "The levy failed[^1] again.[^note]\n\n[^1]: By 112 votes.\n[^note]: Third time.\n"
    assert markdown_to_blocks(md) == (P("The levy failed again."), P("By 112 votes. Third time."))


# --- pseudo-headings: the shapes real blogs use instead of <h2> --------------------------

_PROSE = "The council met on Tuesday and argued about the budget for most of the evening."


@pytest.mark.parametrize(
    ("shape", "html", "heading", "body"),
    [
        ("bold line of its own", f"<p><b>The budget</b></p><p>{_PROSE}</p>", "The budget", _PROSE),
        ("underlined line", f"<p><u>The budget</u></p><p>{_PROSE}</p>", "The budget", _PROSE),
        (
            "underline by style",
            f'<p><span style="text-decoration: underline">The budget</span></p><p>{_PROSE}</p>',
            "The budget",
            _PROSE,
        ),
        ("bold line ending in a colon", f"<p><strong>What the studies say:</strong></p><p>{_PROSE}</p>", None, _PROSE),
        ("bold lead-in line over a <br>", f"<p><b>The budget</b><br>{_PROSE}</p>", "The budget", _PROSE),
    ],
)
def test_emphasised_lines_become_headings(shape: str, html: str, heading: str | None, body: str) -> None:
    blocks = clean_html(html)
    assert blocks[0].kind == "heading", shape
    assert blocks[0].text == (heading or "What the studies say:")
    assert blocks[-1] == Block("paragraph", body)


def test_run_in_bold_lead_ins_become_headings_when_the_essay_repeats_them() -> None:
    html = (
        f"<p>An opening paragraph without a lead-in. {_PROSE}</p>"
        f"<p><strong>The deal.</strong> {_PROSE}</p>"
        f"<p><b>Who pays?</b> {_PROSE}</p>"
    )
    assert clean_html(html) == (
        Block("paragraph", f"An opening paragraph without a lead-in. {_PROSE}"),
        Block("heading", "The deal"),
        Block("paragraph", _PROSE),
        Block("heading", "Who pays?"),
        Block("paragraph", _PROSE),
    )


@pytest.mark.parametrize(
    ("shape", "html"),
    [
        ("a single bold opening is emphasis", f"<p><b>Note.</b> {_PROSE}</p><p>{_PROSE}</p>"),
        (
            "bold words that run on into the sentence",
            "<p><b>One long sprint</b> that covers the summer.</p><p><b>Short sprints</b> with who is here.</p>",
        ),
        ("a quoted bold opening", f"<p><b>“No,” she said.</b> {_PROSE}</p><p><b>“Yes.”</b> {_PROSE}</p>"),
    ],
)
def test_bold_words_that_are_not_lead_ins_stay_in_their_paragraph(shape: str, html: str) -> None:
    assert all(block.kind == "paragraph" for block in clean_html(html)), shape


@pytest.mark.parametrize(
    ("shape", "markup"),
    [
        ("numbered one-item lists", f"1. The licence fee\n\n{_PROSE}\n\n2. The noise complaints\n\n{_PROSE}\n"),
        ("bold bullets", f"- **The licence fee**\n\n{_PROSE}\n\n- **The noise complaints**\n\n{_PROSE}\n"),
    ],
)
def test_list_items_used_as_headings_become_headings(shape: str, markup: str) -> None:
    blocks = markdown_to_blocks(markup)
    assert [b.kind for b in blocks] == ["heading", "paragraph", "heading", "paragraph"], shape
    assert [b.text for b in blocks if b.kind == "heading"] == ["The licence fee", "The noise complaints"]


def test_an_ordinary_list_stays_a_list() -> None:
    markup = f"{_PROSE}\n\n- Bread\n- Milk\n- Eggs\n\n{_PROSE}\n\n- A single aside.\n\n{_PROSE}\n"
    assert [b.kind for b in markdown_to_blocks(markup)] == [
        "paragraph",
        "item",
        "item",
        "item",
        "paragraph",
        "item",
        "paragraph",
    ]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        # Old exports close a quoted value with the other quote; a browser still takes it for a tag.
        ('The levy<img width="12" src="http://x.example/i.gif\' /> passed.', "The levy passed."),
        ('<img style="float: left" src="/a.jpg\' />Welcome back to the council.', "Welcome back to the council."),
        ("Read <a href=\"http://x.example/a.gif'>the strip</a> first.", "Read the strip first."),
        # What an author escaped or put in code on purpose stays, and so does plain prose.
        ('Write &lt;img src="a.png"&gt; in the page.', 'Write <img src="a.png"> in the page.'),
        ('Use `<img src="a.png" alt="x">` for it.', 'Use <img src="a.png" alt="x"> for it.'),
        ("When a < b and c > d the vote fails.", "When a < b and c > d the vote fails."),
    ],
)
def test_markdown_drops_markup_it_could_not_parse(markdown: str, expected: str) -> None:
    assert markdown_to_blocks(markdown) == (P(expected),)
