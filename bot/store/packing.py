"""Text stored compressed: essay bodies, related terms (a quarter to a third of their size), figure contexts.

Only read back whole (an essay to post or re-analyse, the contexts of the figures on a page), so
compression costs a few microseconds where it is read and saves most of the file.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Sequence

LEVEL = 6


def pack(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), LEVEL)


def unpack(blob: bytes | str) -> str:
    # A str is text from before the migration that packed it (never after it ran); read it as is.
    return blob if isinstance(blob, str) else zlib.decompress(blob).decode("utf-8")


def pack_strings(items: Sequence[str]) -> bytes:
    return pack(json.dumps(list(items), ensure_ascii=False, separators=(",", ":")))


def pack_sentences(sentences: Sequence[str], body_json: str) -> bytes:
    """Sentences quoted from an essay (the contexts of its figures), most as pointers into its body.

    ``body_json`` is the essay's blocks as stored (``essay_bodies``, unpacked). A sentence that the
    JSON holds verbatim (no character it escapes) is kept as ``[start, length]`` into that text; any
    other is kept whole. The body is stored anyway, so the sentences cost a few bytes each.
    """
    items: list[str | list[int]] = []
    for sentence in sentences:
        at = body_json.find(sentence) if sentence and _verbatim_in_json(sentence) else -1
        items.append([at, len(sentence)] if at >= 0 else sentence)
    return pack(json.dumps(items, ensure_ascii=False, separators=(",", ":")))


def unpack_sentences(blob: bytes | str, body_json: Callable[[], str]) -> list[str]:
    """The sentences of ``pack_sentences`` (or of ``pack_strings``, as stored before pointers)."""
    items = json.loads(unpack(blob))
    if all(isinstance(item, str) for item in items):
        return [str(item) for item in items]
    body = body_json()
    return [item if isinstance(item, str) else body[item[0] : item[0] + item[1]] for item in items]


# What JSON escapes: a quote, a backslash, a control character.
_ESCAPED_IN_JSON = re.compile(r'["\\\x00-\x1f]')


def _verbatim_in_json(text: str) -> bool:
    return _ESCAPED_IN_JSON.search(text) is None


def sql_pack(text: str | None) -> bytes | None:
    """``marginalia_pack(text)`` in SQL, for the migrations that pack what was stored plain."""
    return pack(text) if text is not None else None


def sql_unpack(blob: bytes | str | None) -> str | None:
    """``marginalia_unpack(blob)`` in SQL: the triggers that keep related-term counts read packed terms."""
    return unpack(blob) if blob is not None else None
