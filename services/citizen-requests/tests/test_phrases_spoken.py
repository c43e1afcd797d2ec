"""The service's refusals in the caller's language (issue 21): in Ukrainian when Accept-Language asks
for it, every word of them (Content-Language: uk, not "uk, en"), and in English exactly as before.
Open311 keeps its own error list, in English (tests/test_service_conventions.py)."""

from __future__ import annotations

import pytest

from ecity_cli.testing import bearer, serving
from ecity_common.phrases import ENGLISH, UKRAINIAN

UK = {"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en"}


@pytest.fixture
async def client(services):
    async with serving(services, "citizen-requests") as client:
        yield client


def said(answer, language: str) -> dict:
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["content-language"] == language, answer.json()
    return answer.json()


async def test_a_refused_filing_is_said_in_ukrainian_or_in_english_as_before(client):
    citizen = bearer(client.settings, "citizen-uk", "citizen")
    kyiv = {"service_code": "water_leak", "description": "Тече труба", "lat": 50.45, "long": 34.8}
    uk = said(await client.post("/api/v1/requests", json=kyiv, headers={**citizen, **UK}), UKRAINIAN)
    assert uk["errors"] == [{"field": "location.lat", "message": "lat має бути в межах міста Суми (50.8..51.02)"}]
    en = said(await client.post("/api/v1/requests", json=kyiv, headers={**citizen, **EN}), ENGLISH)
    assert en["errors"] == [{"field": "location.lat", "message": "lat must be within the city of Sumy (50.8..51.02)"}]

    unknown = {"service_code": "dragons", "description": "Дракон", "address": "вул. Соборна, 1"}
    uk = said(await client.post("/api/v1/requests", json=unknown, headers={**citizen, **UK}), UKRAINIAN)
    assert uk["detail"] == "невідома категорія 'dragons'"

    pothole = {"service_code": "pothole", "description": "Яма", "address": "вул. Соборна, 1", "attributes": {"size": "huge"}}
    uk = said(await client.post("/api/v1/requests", json=pothole, headers={**citizen, **UK}), UKRAINIAN)
    assert uk["errors"][0]["field"] == "attributes.size" and uk["errors"][0]["message"].startswith("'huge' немає серед")

    half = {"service_code": "water_leak", "description": "Тече труба", "lat": 50.91}
    uk = said(await client.post("/api/v1/requests", json=half, headers={**citizen, **UK}), UKRAINIAN)
    assert uk["detail"] == "long обов'язкове разом з іншою координатою"
    assert uk["errors"] == [{"field": "long", "message": "зазначте і lat, і long"}]


async def test_a_refused_move_is_said_in_ukrainian(client):
    citizen = bearer(client.settings, "citizen-uk", "citizen")
    staff = bearer(client.settings, "operator-uk", "operator")
    created = await client.post("/api/v1/requests", headers=citizen, json={
        "service_code": "pothole", "attributes": {"size": "large"}, "description": "Яма", "lat": 50.91, "long": 34.79})
    assert created.status_code == 201, created.text
    rid = created.json()["service_request_id"]
    jump = {"status": "resolved"}
    uk = said(await client.post(f"/api/v1/requests/{rid}/status", json=jump, headers={**staff, **UK}), UKRAINIAN)
    assert uk["detail"].startswith("звернення зі статусом submitted не може стати resolved (дозволено: ")
    en = said(await client.post(f"/api/v1/requests/{rid}/status", json=jump, headers={**staff, **EN}), ENGLISH)
    assert en["detail"].startswith("a submitted request cannot become resolved (allowed: ")

    uk = said(await client.post(f"/api/v1/requests/{rid}/reopen", json={"reason": "знову"}, headers={**citizen, **UK}),
              UKRAINIAN)
    assert uk["detail"].startswith("повторно відкрити можна лише виконане звернення, протягом ")
