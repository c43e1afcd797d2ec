"""The OpenAPI document says errors as the services answer them (ecity_common.web.openapi)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Header
from pydantic import BaseModel

from ecity_common.auth import require_role
from ecity_common.web.openapi import PROBLEM_JSON, install_openapi, own_errors, refuses


class Thing(BaseModel):
    name: str


OWN = {400: {"description": "its own list", "content": {"application/json": {"schema": {"type": "array"}}}}}


def _app() -> FastAPI:
    app = FastAPI()
    router = APIRouter()

    @router.get("/public/things")
    async def public_things(limit: int = 10) -> dict:
        return {}

    @router.patch("/things/{thing_id}", responses={409: {}})
    async def change(thing_id: str, body: Thing, if_match: str | None = Header(None),
                     _=Depends(require_role("operator"))) -> dict:
        return {}

    @refuses(401)
    async def key() -> None:
        return None

    @router.get("/keyed", dependencies=[Depends(key)])
    async def keyed() -> dict:
        return {}

    @router.get("/own/{code}")
    @own_errors(OWN)
    async def own(code: str) -> dict:
        return {}

    app.include_router(router)
    install_openapi(app)
    return app


def _statuses(document: dict, path: str, method: str) -> dict[str, dict]:
    return document["paths"][path][method]["responses"]


def test_every_error_is_a_problem_and_fastapis_own_error_schema_is_gone():
    document = _app().openapi()
    for path, item in document["paths"].items():
        for operation in item.values():
            for status, answer in operation["responses"].items():
                if int(status) >= 400 and not path.startswith("/own/"):
                    assert PROBLEM_JSON in answer["content"], (path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem = document["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status"] and problem["additionalProperties"] is True
    assert set(problem["properties"]) >= {"type", "title", "status", "detail", "instance", "errors", "errors_total"}


def test_each_operation_documents_the_statuses_it_can_answer_and_no_others():
    document = _app().openapi()
    public = _statuses(document, "/public/things", "get")
    assert set(public) == {"200", "422"}  # no token, no id in the path, no body
    assert public["422"]["content"][PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}
    # a role (401, 403), an id (404), the route's own 409, If-Match (412), a body (400 unreadable, 413 too large)
    assert set(_statuses(document, "/things/{thing_id}", "patch")) == {"200", "400", "401", "403", "404", "409", "412", "413",
                                                                       "422"}
    assert set(_statuses(document, "/keyed", "get")) == {"200", "401"}


def test_a_route_with_its_own_error_format_documents_that_instead():
    answers = _statuses(_app().openapi(), "/own/{code}", "get")
    assert set(answers) == {"200", "400"}  # neither FastAPI's 422 nor a problem+json 404
    assert answers["400"] == OWN[400]


def test_the_document_is_rewritten_once_and_stays_the_same():
    app = _app()
    first = app.openapi()
    assert app.openapi() is first
    assert set(_statuses(first, "/keyed", "get")) == {"200", "401"}
