"""The service's refusals in the caller's language (issue 21): in Ukrainian when Accept-Language asks
for it, every word of them (Content-Language: uk, not "uk, en"), and in English exactly as before."""

from __future__ import annotations

import pytest

from ecity_cli.testing import bearer, serving
from ecity_common.phrases import ENGLISH, UKRAINIAN

UK = {"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en"}


@pytest.fixture
async def notifications(services, mailbox):
    async with serving(services, "notifications", smtp_port=mailbox.port) as client:
        yield client


def said(answer, language: str) -> dict:
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["content-language"] == language, answer.json()
    return answer.json()


async def test_a_citizen_s_refused_place_and_address_are_said_in_ukrainian_or_in_english_as_before(notifications):
    client = notifications
    citizen = bearer(client.settings, "citizen-uk", "citizen")
    kyiv = {"address": "вул. Хрещатик, 1", "lat": 50.45, "long": 30.52}
    uk = said(await client.post("/api/v1/me/places", json=kyiv, headers={**citizen, **UK}), UKRAINIAN)
    assert uk["detail"] == "точка поза межами Сум" and uk["errors"][0]["field"] in ("lat", "long")
    en = said(await client.post("/api/v1/me/places", json=kyiv, headers={**citizen, **EN}), ENGLISH)
    assert en["detail"] == "the point is outside Sumy"

    street = {"address": "вул. Соборна"}
    uk = said(await client.post("/api/v1/me/places", json=street, headers={**citizen, **UK}), UKRAINIAN)
    assert uk["detail"] == "зазначте вулицю й номер будинку (вул. Соборна, 12) або точку"

    uk = said(await client.put("/api/v1/me/contacts/email", json={"address": "no-at-sign"}, headers={**citizen, **UK}),
              UKRAINIAN)
    assert uk["errors"] == [{"field": "address", "message": "адреса електронної пошти: ім'я@домен"}]

    uk = said(await client.get("/api/v1/contacts/confirm", params={"token": "forged.mac"}, headers={
        "Accept": "application/json", **UK}), UKRAINIAN)
    assert uk["detail"] == "посилання пошкоджене або створене не цією службою"
    en = said(await client.get("/api/v1/contacts/confirm", params={"token": "forged.mac"}, headers={
        "Accept": "application/json", **EN}), ENGLISH)
    assert en["detail"] == "the link is damaged or was not made by this service"


async def test_an_edge_s_own_problem_and_a_push_subscription_are_said_in_ukrainian(notifications):
    client = notifications
    uk = said(await client.get("/api/v1/public/at", params={"lat": 50.9}, headers=UK), UKRAINIAN)
    assert uk["detail"] == "long обов'язкове разом з іншою координатою"
    assert uk["errors"] == [{"field": "query.long", "message": "зазначте і lat, і long"}]
    en = said(await client.get("/api/v1/public/at", params={"lat": 50.9}, headers=EN), ENGLISH)
    assert en["detail"] == "long is required with the other coordinate"

    citizen = bearer(client.settings, "citizen-uk", "citizen")
    device = {"endpoint": "ftp://push.example.com/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}}
    uk = said(await client.post("/api/v1/me/push-subscriptions", json=device, headers={**citizen, **UK}), UKRAINIAN)
    assert uk["errors"] == [{"field": "endpoint", "message": "має бути https-адресою служби push-сповіщень"}]
