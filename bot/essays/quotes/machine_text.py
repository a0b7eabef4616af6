"""Quoted text that is nobody's words: code, markup, addresses and menu paths."""

from __future__ import annotations

import re

# A block set apart from the prose needs fewer signs of code to be a listing than a sentence does.
_BLOCK_CODE_SIGNS = 2

# One token of code or an address: '12', 'RAILS_ENV', "example.com", 'cnnOffsite', "a/b".
_CODE_INNER_RE = re.compile(r"^(?:[^A-Za-z]*|\S*(?:[_/\\=<>{}\[\]]|\.[A-Za-z]|[a-z][A-Z]|://)\S*)$")

_CODE_AROUND = frozenset("[]=({}<>")


def _machine_text(quote: str, before: str, after: str) -> bool:
    """Quoted code, markup or interface labels, never anyone's words: '12', 'RAILS_ENV', "example.com",
    "Domains > Manager", ENV['x'] = 'y', attribute="value"."""
    if " " in quote:
        if _MENU_PATH_RE.search(quote) or quote.startswith(("http://", "https://", "www.")):
            return True  # "Domains > Domain Manager", "File → Save As", a link
    elif not quote or _CODE_INNER_RE.match(quote):
        return True
    if before.rstrip().endswith("="):
        return True  # alt="external link", x = 'production': markup or code
    edge = before[-1:] + after[:1]  # touching the marks: ENV['x'], ('y')
    return any(char in _CODE_AROUND for char in edge) and " " not in quote


# A menu or breadcrumb path: labels joined by an arrow or a bar ("Settings | Privacy", "File -> Save").
_MENU_PATH_RE = re.compile(r"\S\s+(?:>|->|→|»|›|\|)\s+\S")

# Signs of program code or leaked markup in a block of text.
_CODE_SIGNS = (
    re.compile(r"(?:^|\s)--?[a-z][\w\-]*(?=\s|$)"),  # a command-line flag: "-e", "--force"
    re.compile(r"</?[a-z]+[\s>/]"),
    re.compile(r"\b[a-z]+_[a-z_]+\b"),
    re.compile(r"=>|::|\+=|==|!="),
    re.compile(r"\b(?:def|end|return|var|function|const|elif|fi|endif)\b"),
    re.compile(r"[a-z_]\([\w@:,. ]*\)"),
    re.compile(r"(?<=\s):[a-z_]+\b"),
    re.compile(r"\b\w+=[\"'][^\"']*[\"']"),
    re.compile(r"https?://\S+"),
    re.compile(r"\b[a-z]+/[a-z_]+/"),
    re.compile(r"\b[a-z_]+:[a-z_]+\b"),
    re.compile(r"[A-Za-z]\.[a-z_]+[\s(]"),
    re.compile(r"<%|%>|\?\w+="),
)


def _code_like(text: str, signs: int = 3) -> bool:
    """``signs`` or more different signs of code or markup: no quotations are read from it."""
    if not any(char in text for char in "_=<>{}@/") and "::" not in text:
        return False  # prose: cheaper to rule out than to search
    return sum(1 for sign in _CODE_SIGNS if sign.search(text)) >= signs
