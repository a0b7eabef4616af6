"""The OpenAPI checker: routing, readable anyOf/oneOf reports, allow-list, absent spec."""

from __future__ import annotations

import pytest

from tests.fakediscord import spec as spec_module
from tests.fakediscord.spec import Spec, load_spec


@pytest.fixture
def spec() -> Spec:
    loaded = load_spec()
    if loaded is None:
        pytest.skip("no OpenAPI spec available")
    return loaded


def test_literal_segments_route_before_templates(spec: Spec) -> None:
    me = spec.find("GET", "/users/@me")
    assert me is not None and me.operation_id == "get_my_user"
    original = spec.find("PATCH", "/webhooks/1/tok/messages/@original")
    assert original is not None and original.operation_id == "update_original_webhook_message"
    assert spec.find("GET", "/no/such/route") is None


def test_request_errors_name_the_field(spec: Spec) -> None:
    op = spec.find("POST", "/channels/1/messages")
    assert op is not None
    errors = spec.request_errors(op, "application/json", {"content": 5})
    assert errors == ["at $.content: 5 is not of type 'string', 'null'"]
    assert spec.request_errors(op, "application/json", {"content": "fine"}) == []


def test_union_failures_are_reported_per_branch(spec: Spec) -> None:
    op = spec.find("POST", "/interactions/1/tok/callback")
    assert op is not None
    [report] = spec.request_errors(op, "application/json", {"type": 99})
    assert "no anyOf branch matches" in report
    assert "branch 0 (ApplicationCommandAutocompleteCallbackRequest)" in report


def test_allow_listed_error_codes_pass(spec: Spec) -> None:
    op = spec.find("POST", "/channels/1/messages")
    assert op is not None
    body = {
        "code": 50035,
        "message": "Invalid Form Body",
        "errors": {"content": {"_errors": [{"code": "X", "message": "m"}]}},
    }
    assert spec.response_errors(op, 400, body) == []
    assert spec.response_errors(op, 400, {"message": "no code"}) != []


def test_absent_spec_warns_and_disables(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv(spec_module.SPEC_ENV, "/nonexistent/openapi.json")
    load_spec.cache_clear()
    try:
        with pytest.warns(UserWarning, match="skipping spec validation"):
            assert load_spec() is None
    finally:
        monkeypatch.delenv(spec_module.SPEC_ENV)
        load_spec.cache_clear()
