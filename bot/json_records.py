"""One way to write the core's records as JSON (the command line's ``--json``): named fields, plain values.

Dates and times become ISO 8601 strings and tuples lists; a record names its fields, so the JSON
keeps the same keys, in the same order, whatever else a dataclass grows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any


def plain(value: Any) -> Any:
    """A JSON value for a field: ISO dates and times, lists for tuples, the rest as it is."""
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def record(item: object, *fields: str) -> dict[str, Any]:
    """The named attributes of ``item``, in that order, as JSON values."""
    return {name: plain(getattr(item, name)) for name in fields}
