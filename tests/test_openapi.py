"""The OpenAPI document is a contract clients and fuzzers check: every operation declares
its problem-details errors, and every input says what it accepts."""

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
