"""Text stored compressed: essay bodies, figure contexts, related terms (a quarter to a third of their size).

Only read back whole (an essay to post or re-analyse, the contexts of the figures on a page), so
compression costs a few microseconds where it is read and saves most of the file.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence

LEVEL = 6


def pack(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), LEVEL)


def unpack(blob: bytes | str) -> str:
    # A str is text from before the migration that packed it (never after it ran); read it as is.
    return blob if isinstance(blob, str) else zlib.decompress(blob).decode("utf-8")


def pack_strings(items: Sequence[str]) -> bytes:
    return pack(json.dumps(list(items), ensure_ascii=False, separators=(",", ":")))


def unpack_strings(blob: bytes | str) -> list[str]:
    loaded = json.loads(unpack(blob))
    return [str(item) for item in loaded]


def sql_pack(text: str | None) -> bytes | None:
    """``marginalia_pack(text)`` in SQL, for the migrations that pack what was stored plain."""
    return pack(text) if text is not None else None


def sql_unpack(blob: bytes | str | None) -> str | None:
    """``marginalia_unpack(blob)`` in SQL: the triggers that keep related-term counts read packed terms."""
    return unpack(blob) if blob is not None else None
