"""Every service's OpenAPI document says what its errors look like: each operation answers
problem+json (RFC 9457) for 4xx, and its 422 is the problem shape this platform sends, not
FastAPI's default `HTTPValidationError` (which no route ever returns). Every write documents
the `Idempotency-Key` header the platform accepts on it (shared/idempotency.py)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from shared import idempotency

PROBLEM = "application/problem+json"
_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `field` names the input at fault, if one is.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "properties": {"field": {"type": "string"},
                                             "problem": {"type": "string"},
                                             "type": {"type": "string"}}}},
    },
    "additionalProperties": True,
}


def problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": _REF}}}


def _accept_idempotency_key(operation: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    if any(p.get("name", "").lower() == "idempotency-key" for p in parameters):
        return
    parameters.append({
        "name": "Idempotency-Key", "in": "header", "required": False,
        "description": "a retry with the same key and request answers what the first did; "
                       "the key with another request is a 409",
        "schema": {"type": "string", "minLength": 1, "maxLength": 128,
                   "pattern": "^[\\x20-\\x7e]+$"}})


def with_problems(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, built once, with the problem responses on every
    operation (routes may still document a 4xx of their own more precisely)."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = FastAPI.openapi(app)  # FastAPI's own, cached on the app; amended in place
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    for operations in spec.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            invalid = responses.get("422", {}).get("content", {}).get("application/json")
            if invalid and "HTTPValidationError" in str(invalid):  # FastAPI's, never sent
                del responses["422"]
            if "4XX" in responses:  # a route with errors of its own shape (Open311)
                continue
            if method.upper() in idempotency.WRITES:
                _accept_idempotency_key(operation)
            responses.setdefault("422", problem_response(
                "Invalid input: `field` (or each of `errors`) names what is wrong"))
            responses.setdefault("4XX", problem_response(
                "Refused: unauthenticated (401), forbidden (403), not found (404), "
                "a conflict (409), a body too large (413), and the like"))
    return spec
