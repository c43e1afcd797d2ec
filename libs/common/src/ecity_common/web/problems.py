"""RFC 9457 problem details for every error a service returns.

Validation errors list every invalid field (`errors: [{field, message}]`) so that an app can show
the message next to the right input. Anything unexpected is still a problem+json 500, logged with
its trace id, never a stack trace to the caller.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import asyncpg
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from ecity_common.db import database_unavailable, withhold_values
from ecity_common.refusals import Kind, Refused
from ecity_common.web.body_limits import BodyTooLarge

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://ecity.sumy.ua/problems/"


class Problem(Exception):
    """Raise from a route or use case to answer with a problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.errors = errors
        self.headers = headers
        self.extensions = extensions


def problem_response(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    type_: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_BASE}{type_}" if type_ and "://" not in type_ else (type_ or "about:blank"),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "location", "lat")` -> `location.lat`; query/path/header keep their name."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def line_and_column(text: bytes, position: int) -> tuple[int, int]:
    """1-based line and column of a character position in a body (JSON errors count characters of
    the decoded text, not bytes)."""
    before = text.decode(errors="replace")[:position]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


async def _said_plainly(request: Request, error: dict) -> dict[str, str]:
    """One validation error as {field, message}, in words a newcomer can act on: a body that is not
    JSON says where it broke (not a character position posing as a field), and a body sent without
    `Content-Type: application/json` says so instead of "Input should be a valid dictionary"."""
    loc = error["loc"]
    if error["type"] == "json_invalid":
        line, column = line_and_column(await request.body(), int(loc[1]) if len(loc) > 1 else 0)
        reason = (error.get("ctx") or {}).get("error", "JSON decode error")
        return {"field": "body", "message": f"the body is not valid JSON: {reason} at line {line}, column {column}"}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if tuple(loc) == ("body",) and content_type != "application/json" and not content_type.endswith("+json"):
        sent = f"'{content_type}'" if content_type else "none"
        return {"field": "body", "message": f"send the body as JSON with 'Content-Type: application/json' (this "
                                            f"request's Content-Type: {sent})"}
    return {"field": field_path(loc), "message": error["msg"]}


def _unavailable(request: Request, cause: BaseException | None) -> JSONResponse:
    log.warning("database or Kafka unavailable on %s %s: %s", request.method, request.url.path, cause)
    return problem_response(
        503,
        title="Service temporarily unavailable",
        detail="The database or the message broker is not reachable right now; nothing was saved. Try again shortly.",
        instance=request.url.path,
        headers={"Retry-After": "2"},
    )


# What each kind of refusal is in HTTP: the only place a use case's "no" gets a status code.
REFUSAL_STATUS = {
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.STALE: 412,
    Kind.INVALID: 422,
    Kind.FORBIDDEN: 403,
    Kind.LIMIT: 429,
    Kind.UNAVAILABLE: 503,
}
_REFUSAL_TITLE = {
    Kind.NOT_FOUND: "Not found",
    Kind.CONFLICT: "Conflict",
    Kind.STALE: "Changed since you read it",
    Kind.INVALID: "Invalid request",
    Kind.FORBIDDEN: "Forbidden",
    Kind.LIMIT: "Too many requests",
    Kind.UNAVAILABLE: "Service temporarily unavailable",
}


def refusal_response(refusal: Refused, instance: str | None = None) -> JSONResponse:
    headers = {"Retry-After": str(refusal.retry_after_s)} if refusal.retry_after_s is not None else None
    return problem_response(
        REFUSAL_STATUS[refusal.kind],
        title=_REFUSAL_TITLE[refusal.kind],
        detail=refusal.detail,
        type_=refusal.code or refusal.kind.value,
        instance=instance,
        errors=[{"field": refusal.field, "message": refusal.detail}] if refusal.field else None,
        headers=headers,
        **refusal.extensions,
    )


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        return refusal_response(exc, request.url.path)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status,
            title=exc.title,
            detail=exc.detail,
            type_=exc.type,
            instance=request.url.path,
            errors=exc.errors,
            headers=exc.headers,
            **exc.extensions,
        )

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return problem_response(413, title="Request body too large", detail=exc.detail, type_="body-too-large",
                                instance=request.url.path, headers=exc.headers, max_body_bytes=exc.limit)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [await _said_plainly(request, e) for e in exc.errors()]
        return problem_response(
            422,
            title="Invalid request",
            detail="; ".join(f"{e['field']}: {e['message']}" for e in errors),
            type_="validation-error",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase else None
        return problem_response(
            exc.status_code, detail=detail, instance=request.url.path, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if database_unavailable(exc):
            return _unavailable(request, exc.orig)
        return await _unexpected(request, exc)

    async def _maybe_unavailable(request: Request, exc: Exception) -> JSONResponse:
        return _unavailable(request, exc) if database_unavailable(exc) else await _unexpected(request, exc)

    # The driver's own errors (a connection used through asyncpg itself, as citizen-requests' filing
    # desk does), the socket's (a pool opening a connection to a database that is restarting),
    # timeouts and the broker's: failures.classify says which are the database or Kafka being away.
    # Answered here rather than by the catch-all below, which Starlette runs in its outermost
    # middleware and then re-raises, so that uvicorn printed a traceback for every 503.
    for cls in (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError, PoolTimeout, KafkaError):
        app.add_exception_handler(cls, _maybe_unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if database_unavailable(exc):  # e.g. no pooled connection came free, Kafka away: not a bug
            return _unavailable(request, exc)
        withhold_values(exc)  # (one of a connection used through asyncpg itself did not pass the engine's hook)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            detail="An unexpected error occurred; it has been logged with this request's trace id.",
            instance=request.url.path,
        )
