"""Turn messy essay markup (HTML, Markdown, plain text) into ordered text blocks.

``clean_html`` walks the parsed tree once, iteratively (no recursion limit on deeply
nested word-processor markup), and accumulates inline text into a buffer that is
flushed into a :class:`Block` at every block-level boundary or ``<br><br>``. Page chrome,
captions and alt text never reach the buffer.

Block text keeps curly quotes and dashes; runs of whitespace (including ``&nbsp;``)
collapse to one space; a single ``<br>`` inside a paragraph is kept as ``"\\n"`` (it often
separates an epigraph from its attribution line); zero-width characters are removed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from selectolax.lexbor import LexborHTMLParser, LexborNode

from bot.essays.model import Block, BlockKind

logger = logging.getLogger(__name__)

# Elements whose whole subtree is never essay text.
_DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "form",
        "input",
        "select",
        "textarea",
        "button",
        "nav",
        "footer",
        "svg",
        "canvas",
        "video",
        "audio",
        "picture",
        "img",
        "figcaption",
        "map",
        "head",
        "title",
        "meta",
        "link",
        "xml",
        "dialog",
    }
)

# Elements that start and end a block; everything else is inline.
_BLOCK_TAGS = frozenset(
    {
        "html",
        "body",
        "p",
        "div",
        "section",
        "article",
        "main",
        "aside",
        "header",
        "address",
        "center",
        "blockquote",
        "pre",
        "ul",
        "ol",
        "dir",
        "menu",
        "li",
        "dl",
        "dt",
        "dd",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "figure",
        "hr",
        "details",
        "summary",
        "fieldset",
        "legend",
    }
)

_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

# Class names of captions, share bars, comment sections, subscription widgets and
# Ghost card chrome (blogger, WordPress, Substack, Ghost, Medium).
_DROP_CLASSES = frozenset(
    {
        "tr-caption",
        "wp-caption-text",
        "wp-caption-dd",
        "wp-element-caption",
        "image-caption",
        "caption",
        "sharedaddy",
        "sd-sharing-enabled",
        "sd-like",
        "sd-block",
        "jp-relatedposts",
        "share-buttons",
        "post-share-buttons",
        "sharing",
        "addtoany_share_save_container",
        "comments",
        "comment-respond",
        "comments-area",
        "comment-list",
        "post-footer",
        "post-footer-line",
        "blog-pager",
        "subscription-widget-wrap",
        "subscription-widget-wrap-editor",
        "subscription-widget",
        "subscribe-widget",
        "button-wrapper",
        "captioned-button-wrap",
        "share-dialog",
        "footnote-anchor",
        "footnote-number",
        "kg-bookmark-card",
        "kg-button-card",
        "kg-signup-card",
        "kg-product-card",
        "kg-audio-card",
        "kg-video-card",
        "kg-file-card",
        "kg-embed-card",
        "kg-cta-card",
        "kg-gallery-card",
        "kg-image-card",
        "kg-before-after-card",
        "screen-reader-text",
        "sr-only",
        "visually-hidden",
    }
)
_DROP_IDS = frozenset({"comments", "respond", "share", "sharing", "subscribe", "blog-pager"})

# A character class, not str.translate: translate with a non-ASCII table maps every character
# one by one, tens of times slower on a whole post.
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_WS_RE = re.compile(r"\s+")
_PRE_WS_RE = re.compile(r"[^\S\n]+")
_NL_RE = re.compile(r" *\n[\s]*")
_MULTI_SPACE_RE = re.compile(r" {2,}")
_STYLE_CENTER_RE = re.compile(r"text-align\s*:\s*(\w+)", re.IGNORECASE)
_STYLE_WEIGHT_RE = re.compile(r"font-weight\s*:\s*(\w+)", re.IGNORECASE)
_STYLE_UNDERLINE_RE = re.compile(r"text-decoration(?:-line)?\s*:\s*[^;]*underline", re.IGNORECASE)
_STYLE_HIDDEN_RE = re.compile(r"display\s*:\s*none|mso-hide\s*:\s*all|visibility\s*:\s*hidden", re.I)
_WP_CAPTION_RE = re.compile(r"\[caption[^\]]*\].*?\[/caption\]", re.DOTALL | re.IGNORECASE)
# Word's pasted list bullets ("·", "o", "§" in Symbol/Courier fonts) before the item text.
_WORD_BULLET_RE = re.compile(r"^[·•▪◦§o]\s+")
_HAS_ALNUM_RE = re.compile(r"\w")

# Whole blocks that are page chrome, not essay text (matched against the full block text).
_CHROME_RE = re.compile(
    r"""(?ix)
    (?:no|\d+)\s+comments?\s*:?
    | post\s+a\s+comment | leave\s+a\s+(?:comment|reply) | comments?
    | share\s+this(?:\s+(?:post|article|essay))?\s*:? | like\s+this\s*:?
    | (?:like\s+)?loading(?:\.{3}|…)? | like | reblog | related
    | subscribe(?:\s+now|\s+for\s+free)? | share
    | share\s+(?:on|to|via)\s+\S+(?:\s+\(opens\s+in\s+new\s+window\))?
    | click\s+to\s+(?:share|email|print)\b.{0,60}
    | email\s+this | blogthis! | newer\s+post | older\s+post | home
    | subscribe\s+to\s*:?\s+post\s+comments\s*\(atom\)
    | labels?\s*:[^.!?]{0,200}
    | posted\s+by\s+.{1,80}?\s+at\s+\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?
    | thanks\s+for\s+reading\b.{0,120}\bsubscribe\b.{0,120}
    """
)
_MACHINE_ALT_MARK = "ai-generated content may be incorrect"

_OPENING_MARKS = "\"'“‘«„—–―-"
_CLOSING_MARKS = "\"'”’»)]"
_NON_HEADING_ENDINGS = ".,;:…"
_PSEUDO_HEADING_MAX_WORDS = 14
_PSEUDO_HEADING_MAX_CHARS = 120
_COLON_HEADING_MAX_WORDS = 8
# A bold run-in lead-in ("**The deal.** The Comets' president ...") is a heading when it is this
# short, and when at least RUN_IN_MIN_COUNT paragraphs of the essay open that way: one bold
# opening is emphasis, a repeated pattern is structure.
_RUN_IN_MAX_WORDS = 12
_RUN_IN_MIN_COUNT = 2
# A list item is a heading when it is short and title-like, stands alone (one-item list) above
# a paragraph, and the essay does it at least this often ("1. The licence fee" above prose).
_ITEM_HEADING_MAX_WORDS = 12
_ITEM_HEADING_MIN_COUNT = 2
_LEAD_END_MARKS = ".:!?—–-"

# Title comparison: case, punctuation and quote styles do not matter.
_NORM_RE = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class _Context:
    """What the enclosing elements say about the text inside them."""

    kind: BlockKind = "paragraph"
    bold: bool = False
    centered: bool = False
    pre: bool = False
    word_list: bool = False


_ROOT = _Context()


@dataclass(slots=True)
class _Builder:
    """Accumulates inline text and flushes it into blocks."""

    blocks: list[Block] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    context: _Context = _ROOT
    has_text: bool = False
    has_bold: bool = False
    has_plain: bool = False
    # Characters of the block's text that were emphasised before the first plain text.
    lead_end: int = 0
    # Per block: its emphasised lead ("" when none), for lead-in headings.
    leads: list[str] = field(default_factory=list)
    breaks: int = 0

    def add_text(self, raw: str, ctx: _Context) -> None:
        text = _ZERO_WIDTH_RE.sub("", raw)
        text = _PRE_WS_RE.sub(" ", text) if ctx.pre else _WS_RE.sub(" ", text)
        if not text.strip():
            if self.has_text and text:
                self.pieces.append(" ")
            return
        if self.has_text and self.breaks >= 2:
            self.flush()
        elif self.has_text and self.breaks == 1:
            self.pieces.append("\n")
        self.breaks = 0
        if not self.has_text:
            self.context = ctx
            self.has_text = True
        self.pieces.append(text)
        if ctx.bold:
            self.has_bold = True
        else:
            if self.has_bold and not self.has_plain:
                self.lead_end = sum(len(piece) for piece in self.pieces[:-1])
            self.has_plain = True

    def add_break(self) -> None:
        if self.has_text:
            self.breaks += 1

    def flush(self) -> None:
        if self.has_text:
            raw = "".join(self.pieces)
            lead = raw[: self.lead_end] if self.has_bold and self.has_plain else ""
            for block in _make_blocks(raw, self.context, self.has_bold and not self.has_plain, lead):
                self.blocks.append(block)
                self.leads.append(lead if block.kind == "paragraph" else "")
        self.pieces.clear()
        self.lead_end = 0
        self.has_text = self.has_bold = self.has_plain = False
        self.breaks = 0


def _make_blocks(raw: str, ctx: _Context, bold_only: bool, lead: str) -> list[Block]:
    """The block for ``raw``; a bold or underlined first line of its own becomes a heading above it."""
    line, newline, rest = raw.partition("\n")
    if lead and newline and ctx.kind == "paragraph" and lead.strip() == line.strip():
        heading = _make_block(line, ctx, True)
        body = _make_block(rest, ctx, False)
        if heading is not None and heading.kind == "heading" and body is not None:
            return [heading, body]
    block = _make_block(raw, ctx, bold_only)
    return [block] if block is not None else []


def _make_block(raw: str, ctx: _Context, bold_only: bool) -> Block | None:
    text = _MULTI_SPACE_RE.sub(" ", _NL_RE.sub("\n", raw)).strip()
    if not text or not _HAS_ALNUM_RE.search(text):
        return None  # empty, or a separator such as "* * *"
    if _MACHINE_ALT_MARK in text.lower():
        return None
    if len(text) <= 300 and _CHROME_RE.fullmatch(text):
        return None
    kind = ctx.kind
    if ctx.word_list and kind == "item":
        text = _WORD_BULLET_RE.sub("", text)
    if kind == "paragraph" and (bold_only or ctx.centered) and _looks_like_pseudo_heading(text):
        kind = "heading"
    return Block(kind, text)


def _looks_like_pseudo_heading(text: str) -> bool:
    """A short line with no closing punctuation, not an epigraph or its attribution."""
    if "\n" in text or len(text) > _PSEUDO_HEADING_MAX_CHARS:
        return False
    if len(text.split()) > _PSEUDO_HEADING_MAX_WORDS:
        return False
    if text[0] in _OPENING_MARKS:
        return False
    core = text.rstrip(_CLOSING_MARKS)
    if core.endswith(":") and len(core.split()) <= _COLON_HEADING_MAX_WORDS:
        core = core[:-1].rstrip()  # "What the studies say:" on a bold line of its own
    return bool(core) and core[-1] not in _NON_HEADING_ENDINGS


def _child_context(tag: str, attrs: dict[str, str | None], ctx: _Context) -> _Context:
    kind = ctx.kind
    classes = attrs.get("class") or ""
    word_list = ctx.word_list
    if kind != "quote":
        if tag == "blockquote":
            kind = "quote"
        elif tag in _HEADING_TAGS:
            kind = "heading"
        elif tag == "li":
            kind = "item"
        elif tag == "p" and "MsoListParagraph" in classes:
            kind, word_list = "item", True
    style = attrs.get("style") or ""
    bold = ctx.bold
    if tag in ("b", "strong", "u"):
        bold = True  # "bold" here means emphasised: bold or underlined lines serve as headings
    centered = ctx.centered
    if style:
        weight = _STYLE_WEIGHT_RE.search(style)
        if weight:
            # Google Docs wraps whole documents in <b style="font-weight:normal">.
            value = weight.group(1).lower()
            bold = value in ("bold", "bolder") or (value.isdigit() and int(value) >= 600)
        if _STYLE_UNDERLINE_RE.search(style):
            bold = True
        align = _STYLE_CENTER_RE.search(style)
        if align:
            centered = align.group(1).lower() == "center"
    if tag == "center" or (attrs.get("align") or "").lower() == "center":
        centered = True
    pre = ctx.pre or tag == "pre"
    if (kind, bold, centered, pre, word_list) == (ctx.kind, ctx.bold, ctx.centered, ctx.pre, ctx.word_list):
        return ctx
    return _Context(kind, bold, centered, pre, word_list)


def _is_dropped(tag: str, attrs: dict[str, str | None]) -> bool:
    if tag in _DROP_TAGS:
        return True
    if ":" in tag and tag != "o:p":
        return True  # Word's <w:...>, <m:...>, <v:...> (VML images) and <o:...> metadata
    classes = attrs.get("class")
    if classes and not _DROP_CLASSES.isdisjoint(classes.split()):
        return True
    element_id = attrs.get("id")
    if element_id and element_id.lower() in _DROP_IDS:
        return True
    style = attrs.get("style")
    return bool(style and _STYLE_HIDDEN_RE.search(style))


def _children(node: LexborNode) -> list[LexborNode]:
    children: list[LexborNode] = []
    child = node.child
    while child is not None:
        children.append(child)
        child = child.next
    return children


def _parent_tag(node: LexborNode) -> str | None:
    parent = node.parent
    return parent.tag if parent is not None else None


def _walk(root: LexborNode, builder: _Builder) -> None:
    # Each stack item is (node, context, is_exit); exits flush the block the element closes.
    stack: list[tuple[LexborNode, _Context, bool]] = [(child, _ROOT, False) for child in reversed(_children(root))]
    while stack:
        node, ctx, is_exit = stack.pop()
        if is_exit:
            builder.flush()
            continue
        tag = node.tag
        if tag == "-text":
            builder.add_text(node.text_content or "", ctx)
            continue
        if tag is None or tag.startswith("-"):
            continue  # comments, doctype
        if tag == "br":
            builder.add_break()
            continue
        attrs = node.attributes
        if _is_dropped(tag, attrs):
            continue
        child_ctx = _child_context(tag, attrs, ctx)
        is_block = tag in _BLOCK_TAGS
        if tag == "cite" and ctx.kind == "quote" and _parent_tag(node) in ("blockquote", "figure"):
            # A quotation's attribution line (<blockquote><p>...</p><cite>Name</cite>) is not quoted text.
            child_ctx, is_block = _Context("paragraph"), True
        if is_block:
            builder.flush()
            stack.append((node, child_ctx, True))
        stack.extend((child, child_ctx, False) for child in reversed(_children(node)))


def normalise_title(text: str) -> str:
    """Text reduced to lower-case words, for comparing a title with a body line."""
    return _NORM_RE.sub(" ", text.casefold()).strip()


def _drop_repeated_title(blocks: list[Block], title: str | None) -> list[Block]:
    if title and blocks and blocks[0].kind in ("heading", "paragraph"):
        wanted = normalise_title(title)
        if wanted and normalise_title(blocks[0].text) == wanted:
            return blocks[1:]
    return blocks


def clean_html(html: str, *, title: str | None = None) -> tuple[Block, ...]:
    """Messy essay HTML (a fragment or a whole page) to ordered text blocks.

    ``title``, when given, is dropped if the body repeats it as its first block.
    """
    if "[caption" in html:
        html = _WP_CAPTION_RE.sub("", html)  # WordPress shortcode captions left raw in some feeds
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    builder = _Builder()
    if root is not None:
        _walk(root, builder)
        builder.flush()
    blocks = _item_headings(_run_in_headings(builder.blocks, builder.leads))
    return tuple(_drop_repeated_title(blocks, title))


def _run_in_split(block: Block, lead: str) -> tuple[str, str] | None:
    """(heading, rest) when a paragraph opens with a short emphasised sentence or phrase."""
    lead = lead.strip()
    if not lead or lead[0] in _OPENING_MARKS or len(lead.split()) > _RUN_IN_MAX_WORDS:
        return None
    rest = block.text[len(lead) :].strip() if block.text.startswith(lead) else ""
    if not rest:
        return None
    ends_lead = lead[-1] in _LEAD_END_MARKS or rest[0] in "—–-"
    rest = rest.lstrip(" —–-:").strip()
    if not ends_lead or not rest or not (rest[0].isupper() or rest[0] in _OPENING_MARKS or rest[0].isdigit()):
        return None  # "**One long sprint** that covers ..." runs on into its sentence: emphasis, not a heading
    heading = lead.rstrip(" .:—–-").strip()
    return (heading, rest) if _HAS_ALNUM_RE.search(heading) else None


def _run_in_headings(blocks: list[Block], leads: list[str]) -> list[Block]:
    splits = {
        index: split
        for index, (block, lead) in enumerate(zip(blocks, leads, strict=True))
        if block.kind == "paragraph" and (split := _run_in_split(block, lead)) is not None
    }
    if len(splits) < _RUN_IN_MIN_COUNT:
        return blocks
    result: list[Block] = []
    for index, block in enumerate(blocks):
        split = splits.get(index)
        if split is None:
            result.append(block)
        else:
            result += [Block("heading", split[0]), Block("paragraph", split[1])]
    return result


def _is_item_heading(blocks: Sequence[Block], index: int) -> bool:
    """A one-item list whose text reads as a title, directly above a paragraph."""
    block = blocks[index]
    if block.kind != "item" or index + 1 >= len(blocks) or blocks[index + 1].kind != "paragraph":
        return False
    if index > 0 and blocks[index - 1].kind == "item":
        return False
    text = block.text
    return (
        len(text.split()) <= _ITEM_HEADING_MAX_WORDS
        and _looks_like_pseudo_heading(text)
        and len(blocks[index + 1].text.split()) > len(text.split())
    )


def _item_headings(blocks: list[Block]) -> list[Block]:
    found = [index for index in range(len(blocks)) if _is_item_heading(blocks, index)]
    if len(found) < _ITEM_HEADING_MIN_COUNT:
        return blocks
    promoted = set(found)
    return [Block("heading", block.text) if index in promoted else block for index, block in enumerate(blocks)]


def _inside_dropped(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None and parent.tag not in (None, "body", "html", "-document"):
        if _is_dropped(parent.tag or "", parent.attributes):
            return True
        parent = parent.parent
    return False


def extract_links(html: str, *, base_url: str | None = None) -> tuple[str, ...]:
    """Absolute http(s) hrefs of the text links that ``clean_html`` would keep, in order.

    Links inside share bars, captions, comment sections and the like are left out, and so
    are image-only links, so a self-link from a "Share" button never looks like a reference.
    """
    tree = LexborHTMLParser(html)
    seen: set[str] = set()
    links: list[str] = []
    for anchor in tree.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.startswith("#") or not (anchor.text() or "").strip():
            continue
        url = urldefrag(urljoin(base_url, href) if base_url else href).url
        if urlsplit(url).scheme not in ("http", "https") or url in seen:
            continue
        if _is_dropped("a", anchor.attributes) or _inside_dropped(anchor):
            continue
        seen.add(url)
        links.append(url)
    return tuple(links)


_TEXT_URL_RE = re.compile(r"https?://[^\s<>\"'”’)\]]+")


def extract_text_links(text: str) -> tuple[str, ...]:
    """Bare http(s) URLs written in plain text, without trailing punctuation, in order."""
    seen: dict[str, None] = {}
    for match in _TEXT_URL_RE.finditer(text):
        seen.setdefault(match.group(0).rstrip(".,;:!?"), None)
    return tuple(seen)


# ---------------------------------------------------------------------------
# Markdown

# Jekyll/Liquid and Hugo template syntax. Code inside {% highlight %} is kept (as a fenced
# block) because essays rarely have code, but Markdown writers often indent a quoted passage by
# accident, which also makes a code block: keeping code text as a paragraph loses nothing.
_LIQUID_COMMENT_RE = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.DOTALL)
_LIQUID_HIGHLIGHT_RE = re.compile(r"\{%-?\s*(?:end)?highlight\b[^%]*-?%\}")
_LIQUID_TAG_RE = re.compile(r"\{%.*?%\}", re.DOTALL)
_LIQUID_OUTPUT_RE = re.compile(r"\{\{.*?\}\}", re.DOTALL)

_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")

# A tag with attributes that CommonMark could not parse as HTML (old blog exports close a
# quoted value with the other quote: ``src="a.jpg'/>``), so it would be shown as text.
_BROKEN_TAG_RE = re.compile(r"<[A-Za-z][\w-]*\s[^<>]*=[^<>]*>")


def _drop_broken_tags(state: StateCore) -> None:
    """Drop raw markup left as text: a browser takes it for a tag, so readers never saw it.

    Runs before "text_join", while escaped characters (``&lt;``) are still tokens of their own,
    so text an author escaped on purpose, like inline code, is never touched.
    """
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "text" and "<" in child.content:
                child.content = _BROKEN_TAG_RE.sub("", child.content)


_MARKDOWN.core.ruler.before("text_join", "drop_broken_tags", _drop_broken_tags)


def strip_liquid(md: str) -> str:
    """Remove Jekyll Liquid tags and Hugo shortcodes; {% highlight %} becomes a code fence."""
    if "{%" in md:
        md = _LIQUID_COMMENT_RE.sub("", md)
        md = _LIQUID_HIGHLIGHT_RE.sub("\n```\n", md)
        md = _LIQUID_TAG_RE.sub("", md)
    if "{{" in md:
        md = _LIQUID_OUTPUT_RE.sub("", md)
    return md


# Footnotes ("text[^1]" and "[^1]: note"), which CommonMark does not know: the marks go, the
# note's text stays as a paragraph of its own.
_FOOTNOTE_DEF_RE = re.compile(r"^\[\^[^\]\s]+\]:[ \t]*", re.MULTILINE)
_FOOTNOTE_REF_RE = re.compile(r"\[\^[^\]\s]+\]")


def markdown_to_html(md: str) -> str:
    """Markdown (with optional inline HTML, Liquid tags and footnotes) rendered to HTML."""
    md = strip_liquid(md)
    if "[^" in md:
        md = _FOOTNOTE_REF_RE.sub("", _FOOTNOTE_DEF_RE.sub("", md))
    return str(_MARKDOWN.render(md))


def markdown_to_blocks(md: str, *, title: str | None = None) -> tuple[Block, ...]:
    """Markdown to blocks, via clean_html, so headings, quotes and lists come out right.

    Code blocks come out as paragraphs with their line breaks kept (see ``strip_liquid``).
    """
    return clean_html(markdown_to_html(md), title=title)


# ---------------------------------------------------------------------------
# Plain text

_PARAGRAPH_SPLIT_RE = re.compile(r"\n[ \t]*\n+")
_ATX_HEADING_RE = re.compile(r"^#{1,6}\s+(.+?)\s*#*$")
_SETEXT_UNDERLINE_RE = re.compile(r"^(?:=+|-+)$")
_BULLET_RE = re.compile(r"^[-*•]\s+")
_QUOTE_LINE_RE = re.compile(r"^>\s?")
_ATTRIBUTION_RE = re.compile(r"^(?:—|–|―|--)")
_SMALL_WORDS = frozenset("a an and as at but by for from in into nor of on or over per the to vs via with".split())
_TEXT_HEADING_MAX_WORDS = 10


def _is_text_heading(line: str) -> bool:
    """Conservative: a short line, no closing punctuation, in Title Case or ALL CAPS."""
    words = line.split()
    if not words or len(words) > _TEXT_HEADING_MAX_WORDS or line[-1] in ".,;:!?…\"”'’":
        return False
    letters = [c for c in line if c.isalpha()]
    if len(letters) < 2 or line[0] in _OPENING_MARKS:
        return False
    if all(c.isupper() for c in letters):
        return True
    significant = [w for i, w in enumerate(words) if i == 0 or w.lower() not in _SMALL_WORDS]
    return all(w[0].isupper() or not w[0].isalpha() for w in significant)


def _text_paragraph(lines: list[str]) -> list[Block]:
    if len(lines) == 1:
        atx = _ATX_HEADING_RE.match(lines[0])
        if atx:
            return [Block("heading", atx.group(1))]
    if len(lines) == 2 and _SETEXT_UNDERLINE_RE.match(lines[1]) and len(lines[0].split()) <= 15:
        return [Block("heading", lines[0])]
    if all(_QUOTE_LINE_RE.match(line) for line in lines):
        return [Block("quote", _join_lines([_QUOTE_LINE_RE.sub("", line) for line in lines]))]
    if all(_BULLET_RE.match(line) for line in lines):
        return [Block("item", _BULLET_RE.sub("", line)) for line in lines]
    return [Block("paragraph", _join_lines(lines))]


def _join_lines(lines: list[str]) -> str:
    # Hard-wrapped text is re-joined; an attribution line ("— Name") keeps its own line.
    text = ""
    for line in lines:
        if not text:
            text = line
        elif _ATTRIBUTION_RE.match(line):
            text += "\n" + line
        else:
            text += " " + line
    return text


def text_to_blocks(text: str) -> tuple[Block, ...]:
    """Plain text to blocks: blank lines separate paragraphs.

    A one-line paragraph becomes a heading only when it is short, has no closing
    punctuation, is in Title Case or ALL CAPS (or uses ``#`` / underline markup), and is
    followed by another paragraph. ``> `` lines are quotes, ``- ``/``* `` lines are items.
    """
    text = _ZERO_WIDTH_RE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    chunks: list[list[str]] = []
    for chunk in _PARAGRAPH_SPLIT_RE.split(text):
        lines = [_WS_RE.sub(" ", line).strip() for line in chunk.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            chunks.append(lines)
    blocks: list[Block] = []
    for index, lines in enumerate(chunks):
        followed = index + 1 < len(chunks)
        if len(lines) == 1 and followed and not lines[0].startswith("#") and _is_text_heading(lines[0]):
            blocks.append(Block("heading", lines[0]))
            continue
        blocks.extend(b for b in _text_paragraph(lines) if _HAS_ALNUM_RE.search(b.text))
    return tuple(_item_headings(blocks))
