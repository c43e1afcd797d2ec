"""Every service's OpenAPI document says how it refuses: problem+json (RFC 9457), the statuses each
operation can answer, in one place.

FastAPI documents every operation's 422 as its own `HTTPValidationError` under `application/json`,
while the services answer every error as `application/problem+json` (`problems.py`), so a client
generated from the document, or the API fuzzer (tests/test_fuzz.py), read nothing true about an
error: the fuzzer skipped every error answer, its media type being undocumented. Here the document
is rewritten once it is built (`install_openapi`, from `runtime.create_service_app`):

- the 422 and any error status a route lists itself (`responses={409: {...}}`) answer a `Problem`;
- 401 and 403 where a dependency says it refuses so (`refuses(401, 403)`: `require_role`, a
  company's key), 404 where the path names something, 412 where the route reads `If-Match`,
  400 and 413 where it reads a body (one that cannot be parsed at all; one past `body_limits`);
- a route that says its errors its own way (`own_errors`: Open311's list of {code, description})
  gets those instead, and no problem+json at all.

Only statuses an operation can really answer are added: a client may switch on them.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from ecity_common.web.problem_types import PROBLEM_TYPE_BASE

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# RFC 9457's members and the ones these services add; any other member is an extension of its type
# (e.g. `max_body_bytes` of body-too-large), so the object stays open.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An RFC 9457 problem. `type` is one of the registry's (the README's table of problem types); "
                   "branch on it, show `title` (in the caller's Accept-Language), `detail` and each of `errors`.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": f"{PROBLEM_TYPE_BASE}<slug>"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "the path asked"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemError"},
                   "description": "each field that broke a rule (the first 1,000)"},
        "errors_total": {"type": "integer", "description": "how many errors there were, when more than listed"},
    },
    "additionalProperties": True,
}
PROBLEM_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ProblemError",
    "type": "object",
    "required": ["field", "message"],
    "properties": {
        "field": {"type": "string", "description": "where: `body.x.y`, `query.limit`, `header.if-match`, `rows[3].amount`"},
        "message": {"type": "string"},
    },
}

_MARK = "__ecity_refuses__"
_OWN = "__ecity_own_errors__"
Callable_ = TypeVar("Callable_", bound=Callable)


def refuses(*statuses: int) -> Callable[[Callable_], Callable_]:
    """Mark a dependency (or a route's function): it answers these problem statuses, so every
    operation using it documents them. `require_role` is `refuses(401, 403)`."""

    def mark(call: Callable_) -> Callable_:
        setattr(call, _MARK, tuple(sorted({*getattr(call, _MARK, ()), *statuses})))
        return call

    return mark


def own_errors(responses: dict[int, dict[str, Any]]) -> Callable[[Callable_], Callable_]:
    """Mark a route's function: its errors are not problem+json but these documented answers."""

    def mark(call: Callable_) -> Callable_:
        setattr(call, _OWN, responses)
        return call

    return mark


def _statuses_of(dependant) -> set[int]:
    found = set(getattr(dependant.call, _MARK, ()))
    for sub in dependant.dependencies:
        found |= _statuses_of(sub)
    return found


def _problem(status: int, description: str | None = None) -> dict[str, Any]:
    return {"description": description or HTTPStatus(status).phrase, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


def _is_error(status: str) -> bool:
    return status.isdigit() and int(status) >= 400


def _document(operation: dict[str, Any], route: APIRoute, path: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    own = getattr(route.endpoint, _OWN, None)
    if own is not None:
        if "422" in responses and "HTTPValidationError" in repr(responses["422"]):
            del responses["422"]  # FastAPI's own: the route reads its input by hand
        for status, answer in own.items():
            responses.setdefault(str(status), answer)  # (the route's own `responses=` come first)
        return
    statuses = {int(s) for s in responses if _is_error(s)}
    statuses |= _statuses_of(route.dependant) | set(getattr(route.endpoint, _MARK, ()))
    if "{" in path:
        statuses.add(404)
    if any(p.get("in") == "header" and p.get("name", "").lower() == "if-match" for p in operation.get("parameters", [])):
        statuses.add(412)
    if "requestBody" in operation:
        statuses |= {400, 413}  # a body that cannot be parsed at all; one past the route's limit
    for status in sorted(statuses):
        listed = responses.get(str(status)) or {}
        described = listed.get("description")
        generic = described in (None, HTTPStatus(status).phrase, "Validation Error")
        responses[str(status)] = {**listed, **_problem(status, None if generic else described)}


def document_problems(document: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """The document of `app` with its errors said as they are answered (in place; returned)."""
    paths = document.get("paths", {})
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        item = paths.get(context.path_format, {})
        for method in context.methods or ():
            if (operation := item.get(method.lower())) is not None:
                _document(operation, context, context.path_format)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"], schemas["ProblemError"] = PROBLEM_SCHEMA, PROBLEM_ERROR_SCHEMA
    text = repr(paths)
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}'" not in text:
            schemas.pop(unused, None)
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    return document


def install_openapi(app: FastAPI) -> None:
    """`app.openapi()` (and /openapi.json) answer the document with its problems documented."""
    built = app.openapi
    done: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        document = built()  # FastAPI's, cached until a route is added
        if not done or done[0] is not document:
            done[:] = [document_problems(document, app)]
        return document

    app.openapi = openapi  # type: ignore[method-assign]
