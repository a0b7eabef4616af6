"""Free text to a PostgreSQL full-text query: each word a quoted term for ``websearch_to_tsquery``.

Quoting keeps whatever the user typed from acting as an operator (``or``, ``-``); the quoted words
are ANDed, as the SQLite store's FTS5 query does. Stop words and stemming are the text search
configuration's (``marginalia``: English stems, accents folded). A query the caller built with
``OR`` between quoted terms (related posts) is passed on as it is.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+")


def search_query(text: str, *, max_terms: int = 32) -> str | None:
    """The words of ``text`` (letters and digits), each once, quoted; None when none is left."""
    terms: list[str] = []
    seen: set[str] = set()
    for word in _WORD.findall(text):
        if word.lower() not in seen:
            seen.add(word.lower())
            terms.append(word)
        if len(terms) >= max_terms:
            break
    if not terms:
        return None
    return " ".join(f'"{t}"' for t in terms)
