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
from ecity_common.phrases import (
    DEFAULT_LANGUAGE,
    ENGLISH,
    FieldsSaid,
    Phrase,
    preferred_language,
    said_in,
    validation_words,
)
from ecity_common.refusals import DEFAULT_CODE, Kind, Refused, field_path
from ecity_common.web.body_limits import BodyTooLarge
from ecity_common.web.problem_types import PROBLEM_TYPE_BASE, PROBLEM_TYPES, ProblemType, for_status

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
__all__ = ["PROBLEM_JSON", "PROBLEM_TYPE_BASE", "Problem", "field_path", "install_problem_handlers", "problem_response"]


class Problem(Exception):
    """Raise from a route (the HTTP edge) to answer with a problem+json of a registered type:
    `raise Problem("unknown-filter", f"{key} is not a filter", errors=[…])`. Its status and title
    are the registry's (`problem_types`)."""

    def __init__(
        self,
        type_: str,
        detail: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        kind = registered(type_)
        super().__init__(detail or kind.title)
        self.type = kind.slug
        self.status = kind.status
        self.title = kind.title
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extensions = extensions


MAX_ERRORS_LISTED = 1_000  # of a problem's `errors`; `errors_total` counts them all when there are more


def registered(slug: str, status: int | None = None) -> ProblemType:
    """The registry's type of `slug`; a slug not in it (a bug tests/test_problem_types.py is there
    to catch) is logged and answered as its status's generic type, never as an undocumented one."""
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        log.error("problem type %r is not in ecity_common.web.problem_types; answered as its status's", slug)
        kind = for_status(status or 500)
    return kind


def language_of(request: Request) -> str:
    return preferred_language(request.headers.get("accept-language"))


def problem_response(
    type_: str,
    *,
    language: str = DEFAULT_LANGUAGE,
    status: int | None = None,
    detail: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem+json of the registered type `type_`, its title and texts in `language` where they
    have words in it (`ecity_common.phrases`); `status` only where the type's own is not the
    answer's (a framework's HTTP error of a status with no type of its own)."""
    kind = registered(type_, status)
    translated = True
    body: dict[str, Any] = {"type": kind.uri, "title": kind.title_in(language), "status": status or kind.status}
    if detail:
        body["detail"], translated = said_in(detail, language)
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = []
        if len(errors) > MAX_ERRORS_LISTED:
            # A 20 MiB import with every row wrong would otherwise answer hundreds of thousands of
            # entries; the first ones show what is wrong, the count says how much.
            body["errors_total"] = len(errors)
            errors = errors[:MAX_ERRORS_LISTED]
        for error in errors:
            message, said = said_in(error["message"], language)
            translated = translated and said
            body["errors"].append({**error, "message": message})
    body.update(extensions)
    # The answer varies by Accept-Language: a cache must not give one caller's language to another.
    # A Ukrainian answer with a domain's detail that has no Ukrainian words yet says it is partly English.
    spoken = language if translated or language == ENGLISH else f"{language}, {ENGLISH}"
    said_headers = {**(headers or {}), "Content-Language": spoken}
    said_headers["Vary"] = ", ".join(filter(None, [said_headers.get("Vary"), "Accept-Language"]))
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=said_headers)


def line_and_column(text: bytes, position: int) -> tuple[int, int]:
    """1-based line and column of a character position in a body (JSON errors count characters of
    the decoded text, not bytes)."""
    before = text.decode(errors="replace")[:position]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


async def _said_plainly(request: Request, error: dict) -> dict[str, Any]:
    """One validation error as {field, message}, in words a newcomer can act on: a body that is not
    JSON says where it broke (not a character position posing as a field), and a body sent without
    `Content-Type: application/json` says so instead of "Input should be a valid dictionary"."""
    loc = error["loc"]
    if error["type"] == "json_invalid":
        line, column = line_and_column(await request.body(), int(loc[1]) if len(loc) > 1 else 0)
        reason = (error.get("ctx") or {}).get("error", "JSON decode error")
        return {"field": "body", "message": Phrase("body-not-json", reason=reason, line=line, column=column)}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if tuple(loc) == ("body",) and content_type != "application/json" and not content_type.endswith("+json"):
        sent = f"'{content_type}'" if content_type else "none"
        return {"field": "body", "message": Phrase("body-not-sent-as-json", sent=sent)}
    return {"field": field_path(loc), "message": validation_words(error)}


def _unavailable(request: Request, cause: BaseException | None) -> JSONResponse:
    log.warning("database or Kafka unavailable on %s %s: %s", request.method, request.url.path, cause)
    return problem_response(
        "unavailable",
        language=language_of(request),
        detail=Phrase("unavailable"),
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
def refusal_response(refusal: Refused, instance: str | None = None, language: str = DEFAULT_LANGUAGE) -> JSONResponse:
    headers = {"Retry-After": str(refusal.retry_after_s)} if refusal.retry_after_s is not None else None
    return problem_response(
        refusal.code or DEFAULT_CODE[refusal.kind],
        language=language,
        status=REFUSAL_STATUS[refusal.kind],  # the kind says the status; tests keep each code's the same
        detail=refusal.detail,
        instance=instance,
        errors=[{"field": refusal.field, "message": refusal.detail}] if refusal.field else None,
        headers=headers,
        **refusal.extensions,
    )


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        return refusal_response(exc, request.url.path, language_of(request))

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.type,
            language=language_of(request),
            detail=exc.detail,
            instance=request.url.path,
            errors=exc.errors,
            headers=exc.headers,
            **exc.extensions,
        )

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return problem_response("body-too-large", language=language_of(request), detail=exc.detail,
                                instance=request.url.path, headers=exc.headers, max_body_bytes=exc.limit)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [await _said_plainly(request, e) for e in exc.errors()]
        return problem_response(
            "validation-error",
            language=language_of(request),
            detail=FieldsSaid(errors),
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase else None
        if detail is None and exc.status_code == 404:
            detail = Phrase("no-route")
        elif detail is None and exc.status_code == 405:
            detail = Phrase("method-not-allowed", method=request.method)
        return problem_response(
            for_status(exc.status_code).slug, language=language_of(request), status=exc.status_code, detail=detail,
            instance=request.url.path, headers=getattr(exc, "headers", None),
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
            "internal-error",
            language=language_of(request),
            detail=Phrase("unexpected"),
            instance=request.url.path,
        )
