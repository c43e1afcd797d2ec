"""Errors a newcomer understands: a body that is not JSON says where; a body without
`Content-Type: application/json` says which Content-Type is expected."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from ecity_common.web.problems import install_problem_handlers, line_and_column


class Filing(BaseModel):
    description: str
    lat: float


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/requests")
    async def file(body: Filing) -> dict:
        return {"ok": body.description}

    return app


async def _post(content: bytes, headers: dict) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as client:
        return await client.post("/requests", content=content, headers=headers)


def test_line_and_column_count_characters_not_bytes():
    assert line_and_column(b'{\n  "a": 1,\n  "b": }', 19) == (3, 8)
    assert line_and_column('{"опис": x}'.encode(), len('{"опис": ')) == (1, 10)


async def test_a_body_that_is_not_json_says_where_it_broke():
    answer = await _post(b'{\n  "description": "\xd0\xa2\xd0\xb5\xd1\x87\xd0\xb5",\n  "lat": 50.9,,\n}', {"Content-Type": "application/json"})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    [error] = answer.json()["errors"]
    assert error["field"] == "body"  # not a character position posing as a field name
    assert error["message"].startswith("the body is not valid JSON:") and "line 3, column 15" in error["message"]


async def test_a_body_without_its_content_type_says_which_one_is_expected():
    for headers, sent in (({}, "none"), ({"Content-Type": "text/plain"}, "'text/plain'")):
        answer = await _post(b'{"description": "x", "lat": 1}', headers)
        assert answer.status_code == 422
        [error] = answer.json()["errors"]
        assert "Content-Type: application/json" in error["message"] and sent in error["message"], error
    # With the right Content-Type, a field's own error is still named by its field.
    wrong = await _post(b'{"description": "x", "lat": "north"}', {"Content-Type": "application/json"})
    assert wrong.json()["errors"][0]["field"] == "lat"
