"""Validate bodies against Discord's published OpenAPI description (openapi_preview.json).

Each `$ref` is resolved against the whole document (it is registered once under one URI), path
templates become regexes with literal segments matched first, and `anyOf`/`oneOf` failures are
reported branch by branch, because "is not valid under any of the given schemas" alone says nothing.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import referencing
from referencing.jsonschema import DRAFT202012

logger = logging.getLogger(__name__)

SPEC_ENV = "DISCORD_API_SPEC"
_REPO_ROOT = Path(__file__).resolve().parents[2]
_DEFAULT_SPEC = _REPO_ROOT.parent / "shared" / "discord-api-spec" / "openapi_preview.json"
_URI = "urn:discord-openapi"

# Known faults of the spec (not of the bot): (operationId or "*", JSON path regex, message regex, why).
# Each entry is matched against one whole reported error (the first line's location, then all its text).
ALLOW_LIST: list[tuple[str, str, str, str]] = [
    # ErrorDetails types `_errors[].code` as an integer; Discord sends strings such as "BASE_TYPE_MAX_LENGTH".
    (
        "*",
        r"^\$\.errors",
        r"_errors\[\d+\]\.code: '[A-Z_0-9]+' is not of type 'integer'",
        "string field error codes",
    ),
    # An upload's attachment id is the index of its `files[n]` part; Discord documents (and discord.py sends)
    # it as a plain integer, while the spec reuses the string SnowflakeType.
    (
        "*",
        r"attachments\[\d+\]\.id$",
        r": \d+ is not of type 'string'",
        "upload attachment ids are part indexes",
    ),
]


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    template: str
    pointer: str  # JSON pointer of the operation inside the document


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _template_regex(template: str) -> re.Pattern[str]:
    parts = [r"[^/]+" if seg.startswith("{") else re.escape(seg) for seg in template.split("/")]
    return re.compile("^" + "/".join(parts) + "$")


def _literal_first_key(template: str) -> tuple[int, ...]:
    return tuple(1 if seg.startswith("{") else 0 for seg in template.split("/"))


class Spec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = referencing.Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry: referencing.Registry[Any] = referencing.Registry().with_resource(_URI, resource)
        self._routes: list[tuple[re.Pattern[str], str]] = [
            (_template_regex(t), t) for t in sorted(document["paths"], key=_literal_first_key)
        ]
        self._validators: dict[str, jsonschema.protocols.Validator] = {}

    def find(self, method: str, path: str) -> Operation | None:
        for regex, template in self._routes:
            if regex.match(path):
                op = self.document["paths"][template].get(method.lower())
                if op is None:
                    continue
                pointer = f"/paths/{_escape(template)}/{method.lower()}"
                return Operation(op["operationId"], method.upper(), template, pointer)
        return None

    def _validator(self, pointer: str) -> jsonschema.protocols.Validator:
        validator = self._validators.get(pointer)
        if validator is None:
            schema = {"$ref": f"{_URI}#{pointer}"}
            validator = jsonschema.Draft202012Validator(schema, registry=self.registry)
            self._validators[pointer] = validator
        return validator

    def _lookup(self, pointer: str) -> Any:
        node: Any = self.document
        for token in pointer.strip("/").split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            node = node[token]
            if isinstance(node, dict) and "$ref" in node and len(node) == 1:
                node = self._lookup(node["$ref"].lstrip("#"))
        return node

    def request_errors(self, op: Operation, content_type: str, body: Any) -> list[str]:
        content = self._lookup(op.pointer).get("requestBody", {}).get("content", {})
        if content_type not in content:
            return [] if not content else [f"content type {content_type} not accepted by {op.operation_id}"]
        pointer = f"{op.pointer}/requestBody/content/{_escape(content_type)}/schema"
        return self._errors(op, pointer, body)

    def response_errors(self, op: Operation, status: int, body: Any) -> list[str]:
        responses = self._lookup(op.pointer)["responses"]
        key = next((k for k in (str(status), f"{status // 100}XX", "default") if k in responses), None)
        if key is None:
            return [f"status {status} is not documented for {op.operation_id}"]
        response = self._lookup(f"{op.pointer}/responses/{_escape(key)}")
        if "application/json" not in response.get("content", {}):
            return [] if body is None else [f"{op.operation_id} {status} should have no body"]
        ref = response.get("content", {})["application/json"]["schema"]
        pointer = ref["$ref"].lstrip("#") if "$ref" in ref and len(ref) == 1 else None
        if pointer is None:
            raw = self.document["paths"][op.template][op.method.lower()]["responses"][key]
            if "$ref" in raw:
                pointer = raw["$ref"].lstrip("#") + "/content/application~1json/schema"
            else:
                pointer = f"{op.pointer}/responses/{_escape(key)}/content/application~1json/schema"
        return self._errors(op, pointer, body)

    def _errors(self, op: Operation, pointer: str, body: Any) -> list[str]:
        out: list[str] = []
        for error in self._validator(pointer).iter_errors(body):
            if not _only_allowed(op.operation_id, error):
                out.append("\n  ".join(_describe(error)))
        return out


def _only_allowed(operation_id: str, error: jsonschema.ValidationError) -> bool:
    """Whether the error is a known fault of the spec: itself, or (for anyOf/oneOf) within one branch."""
    if _allowed(operation_id, _where(error), "\n  ".join(_describe(error))):
        return True
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return False
    branches: dict[int, list[jsonschema.ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(int(sub.schema_path[0]), []).append(sub)
    # A body that fails one branch only on allowed faults matches that branch as Discord reads it.
    return any(all(_only_allowed(operation_id, sub) for sub in subs) for subs in branches.values())


def _where(error: jsonschema.ValidationError) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def _describe(error: jsonschema.ValidationError, depth: int = 0) -> list[str]:
    pad = "    " * depth
    line = f"{pad}at {_where(error)}: {error.message[:300]}"
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [line]
    lines = [f"{pad}at {_where(error)}: no {error.validator} branch matches"]
    branches: dict[int, list[jsonschema.ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(int(sub.schema_path[0]), []).append(sub)
    options = error.schema[error.validator] if isinstance(error.schema, dict) else []
    for index, subs in sorted(branches.items()):
        ref = options[index].get("$ref", "inline") if index < len(options) else "?"
        lines.append(f"{pad}  branch {index} ({ref.rsplit('/', 1)[-1]}):")
        for sub in subs[:6]:
            lines.extend(_describe(sub, depth + 1))
    return lines


def _allowed(operation_id: str, where: str, block: str) -> bool:
    for op, path_re, msg_re, _why in ALLOW_LIST:
        if op in ("*", operation_id) and re.search(path_re, where) and re.search(msg_re, block):
            return True
    return False


def spec_path() -> Path | None:
    configured = os.environ.get(SPEC_ENV)
    path = Path(configured) if configured else _DEFAULT_SPEC
    return path if path.is_file() else None


@functools.cache
def load_spec() -> Spec | None:
    """Load the spec once per process; None (with one warning) when it is not available."""
    path = spec_path()
    if path is None:
        message = f"Discord OpenAPI spec not found (set {SPEC_ENV}); skipping spec validation"
        logger.warning(message)
        warnings.warn(message, stacklevel=2)
        return None
    with path.open(encoding="utf-8") as fh:
        return Spec(json.load(fh))
