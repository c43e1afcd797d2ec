"""The shared input types: text without control characters, numbers that fit their column, capped
pages and cursors; refused as a 422 problem naming the field, in a body, a query or a path."""

from __future__ import annotations

import base64

import httpx
import pytest
from fastapi import FastAPI, Query, Request
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import QueryParams

from ecity_common.inputs import (
    LINE_PATTERN,
    MAX_OFFSET,
    PROSE_PATTERN,
    Cursor,
    Identifier,
    Int32,
    Int64,
    Limit,
    Moment,
    Offset,
    Prose,
    SmallInt,
    Text,
    checked,
    cursor,
    page_size,
    plain_values,
    unwritable,
)
from ecity_common.refusals import Invalid
from ecity_common.web.problems import PROBLEM_JSON, install_problem_handlers


class Note(BaseModel):
    title: Text = Field(min_length=1, max_length=10)
    body: Prose = Field(default="", max_length=100)
    count: Int32 = Field(default=0, ge=0, le=500)
    ref: Identifier | None = None


@pytest.mark.parametrize("bad", ["a\x00b", "\x01", "tab\there", "line\nbreak", "cr\r", "del\x7f", "\x1f", "\ud800"])
def test_one_line_of_text_refuses_every_control_character(bad):
    with pytest.raises(ValidationError) as refused:
        Note(title=bad[:10])
    assert refused.value.errors()[0]["loc"] == ("title",)


def test_prose_keeps_tab_and_line_breaks_and_refuses_the_rest():
    assert Note(title="t", body="Перший рядок\r\n\tдругий").body == "Перший рядок\r\n\tдругий"
    for bad in ("\x00", "\x0b", "\x0c", "\x1b[31m", "\x7f"):
        with pytest.raises(ValidationError) as refused:
            Note(title="t", body=f"текст{bad}")
        [error] = refused.value.errors()
        assert error["loc"] == ("body",) and f"U+{ord(bad[0]):04X} at position 5" in error["msg"]


def test_the_field_s_own_bounds_still_hold_beside_the_type_s():
    assert Note(title="Київ" * 2).title == "КиївКиїв"
    with pytest.raises(ValidationError):
        Note(title="x" * 11)  # the field's max_length, not lost to the type
    with pytest.raises(ValidationError):
        Note(title="t", count=501)  # the field's le=500 holds under Int32's larger range
    with pytest.raises(ValidationError):
        Note(title="t", ref="")  # an identifier is never empty
    with pytest.raises(ValidationError):
        Note(title="t", ref="x" * 201)


@pytest.mark.parametrize(("kind", "low", "high"), [
    (SmallInt, -(2**15), 2**15 - 1), (Int32, -(2**31), 2**31 - 1), (Int64, -(2**63), 2**63 - 1),
    (Limit, 1, 10_000), (Offset, 0, MAX_OFFSET),
])
def test_whole_numbers_fit_their_column(kind, low, high):
    assert checked("n", low, kind) == low and checked("n", str(high), kind) == high
    for outside in (low - 1, high + 1, 10**40, -(10**40)):
        with pytest.raises(Invalid) as refused:
            checked("query.n", outside, kind)
        assert refused.value.field == "query.n" and f"between {low} and {high}" in refused.value.detail


def test_the_types_show_their_rules_in_the_schema():
    shown = Note.model_json_schema()["properties"]
    assert shown["title"]["pattern"] == LINE_PATTERN and shown["title"]["maxLength"] == 10
    assert shown["body"]["pattern"] == PROSE_PATTERN
    assert shown["count"]["minimum"] == 0 and shown["count"]["maximum"] == 500
    ref = shown["ref"]["anyOf"][0]
    assert ref["minLength"] == 1 and ref["maxLength"] == 200


def _forged(json_text: str) -> str:
    return base64.urlsafe_b64encode(json_text.encode()).rstrip(b"=").decode()


def test_a_cursor_comes_back_as_the_values_it_carries_and_a_forged_one_is_refused():
    token = cursor("2026-11-29T10:00:00+00:00", "r-1", 42)
    assert checked("query.after", token, Cursor) == ("2026-11-29T10:00:00+00:00", "r-1", 42)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    forged = [
        "not base64!", "", "x" * 401,
        cursor("a\x00b"),  # a NUL the database would choke on
        _forged(f"[{2**70}]"),  # past BIGINT
        _forged('["\\ud800"]'),  # half a surrogate pair
        cursor(),  # empty
        "e30",  # {} : not a list
        cursor("x" * 201),
    ]
    for bad in forged:
        with pytest.raises(Invalid) as refused:
            checked("query.after", bad, Cursor)
        assert refused.value.field == "query.after"


def test_hand_read_parameters_are_checked_by_name():
    assert checked("query.name", "Школа №5") == "Школа №5"
    with pytest.raises(Invalid) as refused:
        checked("query.name", "Школа\x00")
    assert refused.value.field == "query.name" and "U+0000" in refused.value.detail
    params = QueryParams([("a", "ok"), ("a", "no\x00"), ("note", "two\nlines")])
    with pytest.raises(Invalid) as refused:
        plain_values(params, "query", prose=frozenset({"note"}))
    assert refused.value.field == "query.a"  # the second value of a repeated key counts too
    plain_values(QueryParams([("note", "two\nlines")]), "query", prose=frozenset({"note"}))
    with pytest.raises(Invalid) as refused:
        plain_values({"bad\x01key": "v"}, "query")
    assert refused.value.field == "query"
    assert unwritable("звичайний текст, з комою; і «лапками» 😀") is None


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/notes/{note_id}")
    async def add(note_id: Identifier, note: Note, limit: page_size(500) = 50, offset: Offset = 0,
                  after: Cursor | None = None, tag: Text | None = Query(None, max_length=20)):
        return {"note_id": note_id, "limit": limit, "offset": offset, "after": after}

    @app.get("/by-hand")
    async def by_hand(request: Request):
        plain_values(request.query_params, "query")
        return {"version": checked("query.version", request.query_params.get("version", "0"), Int32)}

    return app


@pytest.mark.parametrize(("path", "params", "body", "field"), [
    ("/notes/n-1", {"offset": str(2**64)}, {"title": "t"}, "query.offset"),
    ("/notes/n-1", {"offset": str(MAX_OFFSET + 1)}, {"title": "t"}, "query.offset"),
    ("/notes/n-1", {"limit": "501"}, {"title": "t"}, "query.limit"),
    ("/notes/n-1", {"limit": "0"}, {"title": "t"}, "query.limit"),
    ("/notes/n-1", {"limit": "-1"}, {"title": "t"}, "query.limit"),  # a negative LIMIT was the database's error
    ("/notes/n-1", {"limit": str(10**30)}, {"title": "t"}, "query.limit"),
    ("/notes/n-1", {"tag": "a\x00"}, {"title": "t"}, "query.tag"),
    ("/notes/n-1", {"after": "%%%"}, {"title": "t"}, "query.after"),
    ("/notes/n%00x", {}, {"title": "t"}, "path.note_id"),
    ("/notes/n-1", {}, {"title": "a\u0000"}, "title"),
    ("/notes/n-1", {}, {"title": "t", "body": "\u001b[2J"}, "body"),
    ("/notes/n-1", {}, {"title": "t", "count": 2**63}, "count"),
])
async def test_a_refusal_is_a_422_problem_naming_the_field(path, params, body, field):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as client:
        answer = await client.post(path, params=params, json=body)
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM_JSON
    assert [e["field"] for e in answer.json()["errors"]] == [field]


async def test_hand_read_parameters_are_refused_as_a_422_naming_the_field():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as client:
        assert (await client.get("/by-hand", params={"version": "7"})).json() == {"version": 7}
        for params, field in (({"version": str(2**40)}, "query.version"), ({"name": "x\x00"}, "query.name")):
            answer = await client.get("/by-hand", params=params)
            assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field


def test_a_moment_is_aware_and_within_the_city_s_years():
    assert checked("at", "2026-11-29T10:00:00+02:00", Moment).year == 2026
    for bad in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "2026-11-29T10:00:00"):
        with pytest.raises(Invalid):
            checked("at", bad, Moment)
