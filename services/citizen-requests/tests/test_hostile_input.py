"""Hostile input is refused, never a 500 (issue 15): a NUL or another control character in a body,
a query or a path, numbers past what a column holds, deep pages. The native API answers a 422
problem naming the field; Open311 its own 400. Each case here is an input that once broke a route."""

from __future__ import annotations

import pytest

from ecity_cli.testing import bearer, serving
from ecity_common.inputs import MAX_OFFSET, cursor

KEY = "ecity311_demo0001_local-development-only-key"
HUGE = str(2**64)  # past BIGINT: asyncpg raised OverflowError


@pytest.fixture
async def citizens(services):
    async with serving(services, "citizen-requests") as client:
        yield client


def refused(answer, field: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]], answer.text


async def _filed(client, citizen: dict, **extra) -> str:
    body = {"service_code": "street_light", "description": "Не світить ліхтар", "lat": 50.91, "long": 34.79, **extra}
    answer = await client.post("/api/v1/requests", headers=citizen, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["service_request_id"]


async def test_pages_past_what_a_column_holds_or_too_deep_are_refused(citizens):
    for params, field in (({"offset": HUGE}, "query.offset"), ({"limit": HUGE}, "query.limit"),
                          ({"offset": str(MAX_OFFSET + 1)}, "query.offset"), ({"offset": "-1"}, "query.offset")):
        refused(await citizens.get("/api/v1/public/requests", params=params), field)
    staff = bearer(citizens.settings, "operator-h", "operator")
    refused(await citizens.get("/api/v1/requests", headers=staff, params={"offset": HUGE}), "query.offset")
    refused(await citizens.get("/api/v1/public/requests.geojson", params={"limit": HUGE}), "query.limit")


async def test_a_nul_in_a_query_is_refused_naming_it(citizens):
    citizen = bearer(citizens.settings, "citizen-h", "citizen")
    staff = bearer(citizens.settings, "operator-h", "operator")
    for who in (citizen, staff):
        refused(await citizens.get("/api/v1/requests", headers=who, params={"status": "open\x00"}), "query.status")
    for path in ("/api/v1/public/requests", "/api/v1/public/requests.geojson"):
        refused(await citizens.get(path, params={"service_code": "pothole\x00"}), "query.service_code")


async def test_a_nul_in_a_path_or_a_body_of_a_staff_action_is_refused_naming_it(citizens):
    citizen = bearer(citizens.settings, "citizen-h2", "citizen")
    staff = bearer(citizens.settings, "operator-h2", "operator")
    rid = await _filed(citizens, citizen)
    refused(await citizens.post(f"/api/v1/requests/{rid}/duplicate-of", headers=staff, json={"original_id": "r\x00"}),
            "original_id")
    refused(await citizens.post("/api/v1/requests/r%00x/duplicate-of", headers=staff, json={"original_id": rid}),
            "path.request_id")
    for path in ("", "/subscribe"):
        method = citizens.get if not path else citizens.post
        refused(await method(f"/api/v1/requests/x%00{path}", headers=citizen), "path.request_id")
    for body, field in (({"status": "accepted", "note": "ok\x00"}, "note"), ({"status": "accepted\x00"}, "status"),
                        ({"status": "accepted", "agency_responsible": "Водоканал\x1b"}, "agency_responsible")):
        refused(await citizens.post(f"/api/v1/requests/{rid}/status", headers=staff, json=body), field)
    refused(await citizens.post(f"/api/v1/requests/{rid}/extend", headers=staff,
                                json={"until": "2030-01-01", "reason": "\x00"}), "reason")
    refused(await citizens.post(f"/api/v1/requests/{rid}/reopen", headers=citizen, json={"reason": "ні\x07"}), "reason")
    refused(await citizens.post(f"/api/v1/requests/{rid}/comments", headers=citizen, json={"text": "\x1b[2Jочищено"}),
            "text")
    # Prose keeps its line breaks.
    multiline = await citizens.post(f"/api/v1/requests/{rid}/comments", headers=citizen, json={"text": "Рядок 1\nРядок 2"})
    assert multiline.status_code == 201, multiline.text


async def test_a_filing_with_control_characters_or_a_number_no_one_can_store_is_refused(citizens):
    citizen = bearer(citizens.settings, "citizen-h3", "citizen")
    base = {"service_code": "street_light", "lat": 50.91, "long": 34.79}
    for extra, field in (({"service_code": "street_light\x00"}, "service_code"), ({"address": "вул.\tСоборна"}, "address"),
                         ({"description": "опис\x0b"}, "description")):
        refused(await citizens.post("/api/v1/requests", headers=citizen, json={**base, **extra}), field)
    assert (await citizens.post("/api/v1/requests", headers=citizen,
                                json={**base, "description": "Перший\r\nдругий\tрядок"})).status_code == 201
    # A "number" attribute of NaN or infinity: JSON cannot carry it into the database.
    for odd in ("nan", "inf", "-Infinity", "1e999"):
        answer = await citizens.post("/api/v1/requests", headers=citizen, json={
            "service_code": "heating", "lat": 50.91, "long": 34.79, "attributes": {"temperature": odd}})
        refused(answer, "attributes.temperature")


async def test_the_catalogue_refuses_control_characters(citizens):
    admin = bearer(citizens.settings, "admin-h", "catalogue-admin")
    refused(await citizens.get("/api/v1/categories/pot%00hole", headers=admin), "path.code")
    category = {"code": "snow_removal", "name_uk": "Не прибрано сніг", "name_en": "Snow not cleared", "group": "Дороги",
                "handler_kind": "department", "department": "city_infrastructure", "term": "15_days",
                "keywords": ["сніг"]}
    for extra, field in (({"name_uk": "Сніг\x00"}, "name_uk"), ({"keywords": ["сніг\x00"]}, "keywords[0]"),
                         ({"description": "\x1b"}, "description")):
        refused(await citizens.post("/api/v1/categories", headers=admin, json={**category, **extra}), field)


def _open311_error(answer, words: str) -> None:
    assert answer.status_code == 400, answer.text
    [error] = answer.json()
    assert error["code"] == 400 and words in error["description"], answer.text


async def test_open311_refuses_control_characters_and_deep_pages_its_own_way(citizens):
    form = {"api_key": KEY, "service_code": "street_light", "lat": "50.91", "long": "34.79"}
    for name in ("description", "email", "phone", "first_name", "last_name", "address_string", "address_id",
                 "device_id", "account_id", "attribute[pole_number]"):
        _open311_error(await citizens.post("/open311/v2/requests.json", data={**form, name: "x\x00y"}), name)
    assert (await citizens.post("/open311/v2/requests.json",
                                data={**form, "description": "Рядок 1\nРядок 2"})).status_code == 200
    for params, words in (({"service_code": "pothole\x00"}, "service_code"),
                          ({"service_request_id": "a,\x00"}, "service_request_id"),
                          ({"page": "100000", "page_size": "1000"}, "page"),
                          ({"page": HUGE}, "page")):
        _open311_error(await citizens.get("/open311/v2/requests.json", params=params), words)
    _open311_error(await citizens.get("/open311/v2/servicerequestupdates.json",
                                      params={"service_request_id": "\x00"}), "service_request_id")
    for path in ("/open311/v2/requests/x%00.json", "/open311/v2/tokens/x%00.json", "/open311/v2/services/x%00.json"):
        answer = await citizens.get(path)
        assert answer.status_code == 400 and answer.json()[0]["code"] == 400, (path, answer.text)


async def test_the_public_list_pages_by_cursor_past_any_offset(citizens):
    citizen = bearer(citizens.settings, "citizen-h4", "citizen")
    filed = [await _filed(citizens, citizen) for _ in range(3)]
    seen, after = [], None
    while True:
        page = (await citizens.get("/api/v1/public/requests",
                                   params={"limit": 1, **({"after": after} if after else {})})).json()
        seen += [r["service_request_id"] for r in page["results"]]
        after = page["next_cursor"]
        if after is None:
            break
    assert seen == list(reversed(filed))  # newest first, each once
    staff = bearer(citizens.settings, "operator-h4", "operator")
    mine, after = [], None
    while True:
        page = (await citizens.get("/api/v1/requests", headers=staff,
                                   params={"limit": 2, **({"after": after} if after else {})})).json()
        mine += [r["service_request_id"] for r in page["requests"]]
        if (after := page["next_cursor"]) is None:
            break
    assert mine == list(reversed(filed))
    for forged in ("%%%", cursor("not a time", "r-1"), cursor("2026-01-01T00:00:00+00:00"), cursor(1, 2)):
        refused(await citizens.get("/api/v1/public/requests", params={"after": forged}), "query.after")
