"""A use case's refusal, of each kind, becomes one HTTP problem in one place."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from ecity_common.refusals import Conflict, Forbidden, Invalid, LimitReached, NotFound, Refused, Stale, Unavailable
from ecity_common.web.problems import PROBLEM_JSON, install_problem_handlers


def _app(refusal: Refused) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things/{thing_id}")
    async def act(thing_id: str):
        raise refusal

    return app


@pytest.mark.parametrize(("refusal", "status", "type_"), [
    (NotFound("request", "r-1"), 404, "not-found"),
    (Conflict("only a resolved request can be reopened", code="not-reopenable"), 409, "not-reopenable"),
    (Stale("changed since version 3", current_version=4), 412, "stale"),
    (Invalid("attributes.size", "must be one of: small, large"), 422, "validation-error"),
    (Forbidden("only the request's author may comment"), 403, "forbidden"),
    (LimitReached("20 requests in 10 minutes", retry_after_s=120), 429, "too-many-requests"),
    (Unavailable("the catalogue is loading"), 503, "unavailable"),
])
async def test_each_kind_of_refusal_is_its_problem(refusal, status, type_):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(refusal)), base_url="http://t") as client:
        answer = await client.post("/things/t-1")
    assert answer.status_code == status
    assert answer.headers["content-type"] == PROBLEM_JSON
    body = answer.json()
    assert body["status"] == status and body["type"].endswith(f"/problems/{type_}")
    assert body["detail"] == refusal.detail and body["instance"] == "/things/t-1"
    if refusal.field:
        assert body["errors"] == [{"field": refusal.field, "message": refusal.detail}]
    if refusal.retry_after_s is not None:
        assert answer.headers["retry-after"] == str(refusal.retry_after_s)
    for key, value in refusal.extensions.items():
        assert body[key] == value
    assert NotFound("request", "r-1").detail == "no request r-1"
