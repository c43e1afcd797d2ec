"""The gateway's refusals in the caller's language (issue 21): in Ukrainian when Accept-Language asks
for it, every word of them (Content-Language: uk, not "uk, en"), and in English exactly as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecity_common.phrases import ENGLISH, UKRAINIAN

from .conftest import WATER

UK = {"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en"}
STREETS = {"streets": [{"street": "вул. Соборна", "from_house": 1, "to_house": 40}]}


def said(answer, language: str) -> dict:
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["content-language"] == language, answer.json()
    return answer.json()


async def test_a_company_s_refused_outage_and_key_are_said_in_ukrainian_or_in_english_as_before(gateway):
    now = datetime.now(UTC)
    backwards = {"planned": True, "area": STREETS, "starts_at": now.isoformat(),
                 "expected_end": (now - timedelta(hours=1)).isoformat()}
    uk = said(await gateway.post("/integrations/v1/outages", json=backwards, headers={**WATER, **UK}), UKRAINIAN)
    assert [e["message"] for e in uk["errors"]] == ["expected_end має бути пізніше за starts_at"]
    en = said(await gateway.post("/integrations/v1/outages", json=backwards, headers={**WATER, **EN}), ENGLISH)
    assert [e["message"] for e in en["errors"]] == ["Value error, expected_end must be after starts_at"]

    outage = {"planned": False, "area": STREETS, "starts_at": now.isoformat(),
              "expected_end": (now + timedelta(hours=2)).isoformat()}
    created = await gateway.post("/integrations/v1/outages", json=outage, headers=WATER)
    assert created.status_code == 201, created.text
    empty = await gateway.patch(f"/integrations/v1/outages/{created.json()['id']}", json={}, headers={**WATER, **UK})
    assert said(empty, UKRAINIAN)["detail"] == "немає чого змінювати: надішліть area, expected_end або cause"

    stranger = {"Authorization": "Bearer ugw_nobody01_not-a-key-of-ours", **UK}
    uk = said(await gateway.get("/integrations/v1/outages", headers=stranger), UKRAINIAN)
    assert uk["detail"] == "Надішліть API-ключ вашої компанії в заголовку 'Authorization: Bearer ugw_…'."
    assert uk["errors"] == [{"field": "header.authorization",
                             "message": "ключ відсутній, невідомий, прострочений або відкликаний"}]
    en = said(await gateway.get("/integrations/v1/outages", headers={**stranger, **EN}), ENGLISH)
    assert en["detail"] == "Send your company's API key as 'Authorization: Bearer ugw_…'."


async def test_a_webhook_to_an_internal_address_is_refused_in_ukrainian(gateway):
    gateway_strict = {**WATER, **UK}
    answer = await gateway.post("/integrations/v1/webhook-endpoints", headers=gateway_strict,
                                json={"url": "ftp://hooks.example.com/x"})
    assert said(answer, UKRAINIAN)["errors"] == [{"field": "url", "message": "URL має використовувати https"}]
    answer = await gateway.post("/integrations/v1/webhook-endpoints", headers={**WATER, **EN},
                                json={"url": "ftp://hooks.example.com/x"})
    assert said(answer, ENGLISH)["errors"] == [{"field": "url", "message": "the URL must use https"}]
