"""The OpenAPI document is a contract clients and fuzzers check: every operation declares
its problem-details errors, and every input says what it accepts."""

import re
from typing import Any

import httpx
import pytest

from techmarket.errors import PROBLEM_JSON, problem_codes

ERRORS = ("400", "401", "403", "404", "409", "413", "422", "429")


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


async def test_every_operation_declares_its_problem_responses(spec: dict[str, Any]) -> None:
    operations = _operations(spec)
    assert len(operations) > 50
    for name, operation in operations:
        for status in ERRORS:
            declared = operation["responses"].get(status)
            assert declared is not None, f"{name} does not declare {status}"
            assert list(declared["content"]) == [PROBLEM_JSON], name
            problem = _resolve(spec, declared["content"][PROBLEM_JSON]["schema"])
            assert problem["properties"]["status"]["const"] == int(status)
            assert set(problem["required"]) >= {"type", "title", "status", "detail", "code"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]


async def test_the_code_enums_are_the_codes_the_server_sends(spec: dict[str, Any]) -> None:
    enums = {
        int(s[len("Problem") :]): set(schema["properties"]["code"]["enum"])
        for s, schema in spec["components"]["schemas"].items()
        if s.startswith("Problem")
    }
    assert {"trade_not_found", "achievement_not_found", "not_found"} <= enums[404]
    assert {"invalid_cursor", "bad_request"} <= enums[400]
    assert {"validation_error", "invalid_input", "import_rejected"} <= enums[422]
    assert {"too_low", "not_open", "conflict"} <= enums[409]  # a bid's refusals too
    assert enums[413] == {"payload_too_large", "import_too_large"}
    for status, codes in problem_codes().items():
        if status in enums:
            assert codes == enums[status], status


async def test_errors_match_their_declaration(client: httpx.AsyncClient) -> None:
    for path, status, code in [
        ("/api/v1/trades/999999", 404, "trade_not_found"),
        ("/api/v1/me", 401, "not_authenticated"),
        ("/api/v1/trades?cursor=%25", 400, "invalid_cursor"),
        ("/api/v1/trades?limit=0", 422, "validation_error"),
    ]:
        response = await client.get(path)
        assert response.status_code == status
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == code


def _strings_without_rule(schema: Any, where: str, spec: dict[str, Any]) -> list[str]:
    """Every text string in a request schema that accepts any characters at all (a file
    upload is binary, not text)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _strings_without_rule(_resolve(spec, schema), where, spec)
        found = []
        if schema.get("type") == "string" and not (
            {"pattern", "enum", "const", "format", "contentMediaType"} & schema.keys()
        ):
            found.append(where)
        for key, value in schema.items():
            if key != "examples":
                found += _strings_without_rule(value, f"{where}.{key}", spec)
        return found
    if isinstance(schema, list):
        return [f for i, s in enumerate(schema) for f in _strings_without_rule(s, where, spec)]
    return []


async def test_every_text_input_refuses_control_characters(spec: dict[str, Any]) -> None:
    loose = []
    for name, operation in _operations(spec):
        for parameter in operation.get("parameters", []):
            where = f"{name} {parameter['name']}"
            loose += _strings_without_rule(parameter["schema"], where, spec)
        for media in operation.get("requestBody", {}).get("content", {}).values():
            loose += _strings_without_rule(media["schema"], f"{name} body", spec)
    assert loose == []


def _success(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The schemas of an operation's 2xx responses, by media type."""
    return {
        media: _resolve(spec, body.get("schema", {}))
        for status, response in operation["responses"].items()
        if status.startswith("2")
        for media, body in response.get("content", {}).items()
    }


async def test_every_operation_declares_what_it_answers(spec: dict[str, Any]) -> None:
    untyped = []
    for name, operation in _operations(spec):
        if "204" in operation["responses"]:
            continue  # no content
        schemas = _success(spec, operation)
        if not schemas or any(
            s.get("type") in (None, "object") and not {"properties", "anyOf", "oneOf"} & s.keys()
            for s in schemas.values()
        ):
            untyped.append(name)
    assert untyped == []


async def test_operation_ids_are_the_views_names(spec: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, operation in _operations(spec)]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not re.fullmatch(r"[a-z]+(_[a-z]+)*", i) or "api_v1" in i] == []
    names = {operation["operationId"]: name for name, operation in _operations(spec)}
    assert names["get_trade"] == "GET /api/v1/trades/{trade_id}"
    assert names["approve_trade"] == "POST /api/v1/trades/{trade_id}/approve"


# Lists that are not collections to page through: DESIGN.md fixes the ledger's entries as
# {"entries"} (paged by start and limit, as tile clients expect); matches are the best
# few; an achievement's history is bounded by its lifecycle.
NOT_PAGED = {"list_entries", "achievement_matches", "demand_matches", "achievement_history"}


def _records(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether a schema is an array of records (objects)."""
    items = _resolve(spec, schema.get("items", {}))
    return schema.get("type") == "array" and items.get("type") == "object"


def _lists(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether a response is, or holds at its top, a list of records."""
    fields = schema.get("properties", {}).values()
    return _records(spec, schema) or any(_records(spec, _resolve(spec, f)) for f in fields)


async def test_every_list_is_one_cursor_paginated_envelope(spec: dict[str, Any]) -> None:
    loose = []
    for name, operation in _operations(spec):
        schema = _success(spec, operation).get("application/json", {})
        if not name.startswith("GET") or operation["operationId"] in NOT_PAGED:
            continue
        if not _lists(spec, schema):
            continue
        parameters = {p["name"] for p in operation.get("parameters", [])}
        if (
            set(schema.get("properties", {})) != {"items", "next_cursor"}
            or not {
                "cursor",
                "limit",
            }
            <= parameters
        ):
            loose.append(name)
    assert loose == []
