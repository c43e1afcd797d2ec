"""Errors a newcomer understands (issue 21): every handler answers a registered problem type, its
title (and the shared layer's words) in English or Ukrainian by Accept-Language, and names fields as
the client sent them."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Header, Query
from pydantic import BaseModel

from ecity_common.inputs import Int32, Text
from ecity_common.phrases import Phrase, preferred_language, register, said_in
from ecity_common.refusals import Conflict, Invalid, LimitReached, NotFound, field_path
from ecity_common.web.body_limits import BodyLimits, body_limit
from ecity_common.web.problem_types import PROBLEM_TYPES
from ecity_common.web.problems import Problem, install_problem_handlers

UK = {"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.8"}


@pytest.mark.parametrize(("header", "language"), [
    ("uk-UA,uk;q=0.9,en;q=0.8", "uk"), ("en, uk;q=0.5", "en"), ("uk", "uk"), ("UK-ua", "uk"),
    (None, "en"), ("", "en"), ("de-DE, fr;q=0.9", "en"), ("de, uk;q=0.2", "uk"), ("*", "en"),
    ("uk;q=0, en", "en"), ("en;q=0.1, uk;q=0.8", "uk"), ("uk;q=abc, en;q=0.5", "en"), ("en;q=0, uk", "uk"),
])
def test_the_language_is_the_one_the_caller_prefers(header, language):
    assert preferred_language(header) == language


@pytest.mark.parametrize(("loc", "field"), [
    (("body", "readings", 3, "eic"), "readings[3].eic"), (("body", "location", "lat"), "location.lat"),
    (("body",), "body"), (("query", "from"), "query.from"), (("path", "request_id"), "path.request_id"),
    (("header", "Idempotency-Key"), "header.idempotency-key"), (("body", 0), "[0]"),
    (("body", "rows", 2, "items", 0), "rows[2].items[0]"), (("query", "failed_device", 0), "query.failed_device[0]"),
])
def test_a_field_is_named_as_the_client_sent_it(loc, field):
    assert field_path(loc) == field


def test_a_phrase_is_its_english_text_and_knows_its_ukrainian():
    # A thing no service has named (the services' names of theirs are registered when they load:
    # other tests in the same process may have loaded them) is said as written...
    said = NotFound("widget", "w-1").detail
    assert said == "no widget w-1" and isinstance(said, str)
    assert said_in(said, "uk") == ("не знайдено: widget w-1", True)
    # ...and a named one by its Ukrainian name.
    register({"thing:street lamp": ("street lamp", "ліхтар")})
    assert said_in(NotFound("street lamp", "l-1").detail, "uk") == ("не знайдено: ліхтар l-1", True)
    assert said_in("a domain's own words", "uk") == ("a domain's own words", False)
    assert Phrase("role-required", roles="operator").said_in("uk") == "Для цього потрібна одна з ролей: operator."


class Reading(BaseModel):
    eic: Text
    value: Int32


class Batch(BaseModel):
    readings: list[Reading]


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(BodyLimits, default=1024)

    @app.post("/readings")
    async def readings(body: Batch, limit: int = Query(10, ge=1, le=100), x_key: Text | None = Header(None, max_length=3)):
        return {"n": len(body.readings)}

    @app.post("/small")
    @body_limit(16)
    async def small(body: dict):
        return body

    @app.get("/refused/{what}")
    async def refused(what: str):
        raise {"missing": NotFound("widget", "w-1"), "closed": Conflict("closed for good", code="not-reopenable"),
               "invalid": Invalid("query.to", "to must be on or after from"),
               "limit": LimitReached("20 requests in 10 minutes", retry_after_s=60)}[what]

    @app.get("/problem")
    async def problem():
        raise Problem("unknown-filter", "colour is not a filter of sites", errors=[{"field": "query.colour", "message": "unknown filter"}])

    @app.get("/boom")
    async def boom():
        raise RuntimeError("a bug")

    return app


async def _ask(method: str, path: str, headers: dict | None = None, **kwargs) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, path, headers=headers, **kwargs)


def _registered(answer: httpx.Response, language: str) -> dict:
    """The answer is a problem of a registered type, titled in `language`, saying which language."""
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    slug = problem["type"].removeprefix("https://ecity.sumy.ua/problems/")
    assert slug in PROBLEM_TYPES, problem
    assert problem["title"] == PROBLEM_TYPES[slug].title_in(language) and problem["status"] == answer.status_code
    assert answer.headers["content-language"].split(",")[0] == language
    assert "Accept-Language" in answer.headers["vary"]
    return problem


EVERY_HANDLER = [
    ("POST", "/readings", {"json": {"readings": [{"eic": "a", "value": 1}, {"eic": "b", "value": "x"}]}}, 422),
    ("POST", "/readings", {"content": b'{"readings": [,]}', "headers": {"Content-Type": "application/json"}}, 422),
    ("POST", "/small", {"json": {"a": "x" * 100}}, 413),
    ("GET", "/refused/missing", {}, 404), ("GET", "/refused/closed", {}, 409), ("GET", "/refused/invalid", {}, 422),
    ("GET", "/refused/limit", {}, 429), ("GET", "/problem", {}, 400), ("GET", "/boom", {}, 500),
    ("GET", "/no/such/address", {}, 404), ("DELETE", "/problem", {}, 405),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), EVERY_HANDLER)
@pytest.mark.parametrize("language", ["en", "uk"])
async def test_every_handler_answers_a_registered_type_in_the_callers_language(method, path, kwargs, status, language):
    headers = {**kwargs.pop("headers", {}), **(UK if language == "uk" else {})}
    answer = await _ask(method, path, headers, **kwargs)
    assert answer.status_code == status
    _registered(answer, language)


async def test_a_validation_error_in_ukrainian_names_the_fields_as_sent():
    answer = await _ask("POST", "/readings?limit=0", {**UK, "X-Key": "long"},
                        json={"readings": [{"eic": "a", "value": 1}, {"eic": "b\x00", "value": 2**40}]})
    problem = _registered(answer, "uk")
    assert problem["title"] == "Некоректний запит" and answer.headers["content-language"] == "uk"
    said = {e["field"]: e["message"] for e in problem["errors"]}
    assert said == {
        "readings[1].eic": "містить керівний символ (U+0000 на позиції 1)",
        "readings[1].value": "має бути від -2147483648 до 2147483647",
        "query.limit": "має бути не менше за 1",
        "header.x-key": "має містити щонайбільше 3 символів",
    }, said
    assert "readings[1].eic: містить керівний символ" in problem["detail"]
    english = (await _ask("POST", "/readings?limit=0", {"X-Key": "long"},
                          json={"readings": [{"eic": "a", "value": 1}, {"eic": "b\x00", "value": 2**40}]})).json()
    assert {e["field"] for e in english["errors"]} == set(said)  # fields are never translated
    assert english["title"] == "Invalid request" and "control character" in english["detail"]


async def test_the_shared_layer_speaks_ukrainian_and_a_domains_words_stay_english():
    not_json = (await _ask("POST", "/readings", {**UK, "Content-Type": "application/json"}, content=b'{"readings": [,]}')).json()
    assert not_json["errors"][0]["field"] == "body"
    assert not_json["errors"][0]["message"].startswith("тіло запиту не є коректним JSON") and "рядок 1" in not_json["errors"][0]["message"]
    no_type = (await _ask("POST", "/readings", {**UK, "Content-Type": "text/plain"}, content=b"{}")).json()
    assert "Content-Type: application/json" in no_type["errors"][0]["message"] and "надішліть" in no_type["errors"][0]["message"]
    too_large = (await _ask("POST", "/small", UK, json={"a": "x" * 100})).json()
    assert too_large["detail"] == "тіло запиту тут — щонайбільше 16 bytes" and too_large["max_body_bytes"] == 16
    missing = (await _ask("GET", "/refused/missing", UK)).json()
    assert missing["title"] == "Не знайдено" and missing["detail"] == "не знайдено: widget w-1"
    closed = await _ask("GET", "/refused/closed", UK)
    assert closed.json()["title"] == "Не можна відкрити знову" and closed.json()["detail"] == "closed for good"
    assert closed.headers["content-language"] == "uk, en"  # the title is Ukrainian, the domain's detail English
    limit = await _ask("GET", "/refused/limit", UK)
    assert limit.json()["title"] == "Забагато запитів" and limit.headers["retry-after"] == "60"
    boom = (await _ask("GET", "/boom", UK)).json()
    assert boom["title"] == "Внутрішня помилка сервера" and "неочікувана помилка" in boom["detail"]
    nowhere = (await _ask("GET", "/no/such/address", UK)).json()
    assert nowhere["title"] == "Не знайдено" and nowhere["detail"] == "за цією адресою нічого немає"
    english = await _ask("GET", "/refused/closed", {"Accept-Language": "en, uk;q=0.5"})
    assert english.json()["title"] == "Cannot be reopened" and english.headers["content-language"] == "en"


def test_a_problem_of_an_unregistered_type_is_answered_as_its_statuss(caplog):
    from ecity_common.web.problems import problem_response

    answer = problem_response("no-such-type", status=409)
    assert answer.status_code == 409 and b"/problems/conflict" in answer.body
    assert "not in ecity_common.web.problem_types" in caplog.text


def test_a_service_registers_its_own_phrases_once():
    """A service adds its words without touching the shared catalogue; the same key with other
    words, or a Ukrainian template taking other fields, is refused when the module is imported."""
    from ecity_common.phrases import CATALOGUE, register

    words = {"test-year-closed": ("year {year} is closed", "{year} рік закрито")}
    try:
        register(words)
        register(words)  # a module imported twice says the same
        assert Phrase("test-year-closed", year=2026).said_in("uk") == "2026 рік закрито"
        with pytest.raises(ValueError, match="registered already"):
            register({"test-year-closed": ("year {year} is shut", "{year} рік закрито")})
        with pytest.raises(ValueError, match="takes"):
            register({"test-year-open": ("year {year} is open", "рік відкрито")})
        assert "test-year-open" not in CATALOGUE
    finally:
        CATALOGUE.pop("test-year-closed", None)
