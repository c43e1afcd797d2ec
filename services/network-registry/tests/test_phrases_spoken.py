"""The registry's refusals in the caller's language (issue 21): in Ukrainian when Accept-Language asks
for it, every word of them (Content-Language: uk, not "uk, en"), and in English exactly as before."""

from __future__ import annotations

import pytest

from ecity_cli.testing import serving
from ecity_common.phrases import ENGLISH, UKRAINIAN

UK = {"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en"}
KEY = "nms_demo0001_local-development-only-key"


@pytest.fixture
async def registry(services):
    async with serving(services, "network-registry", "network-admin", subject="it-engineer-1") as client:
        yield client


def said(answer, language: str) -> dict:
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["content-language"] == language, answer.json()
    return answer.json()


async def test_a_refused_change_is_said_in_ukrainian_or_in_english_as_before(registry):
    client = registry
    assert (await client.patch("/api/v1/devices/dev-001", json={"status": "decommissioned"})).status_code == 200
    uk = said(await client.patch("/api/v1/devices/dev-001", json={"status": "active"}, headers=UK), UKRAINIAN)
    assert uk["detail"] == ("статус не може змінитися з decommissioned на active "
                            "(дозволено: жодного: об'єкт виведено з експлуатації)")
    en = said(await client.patch("/api/v1/devices/dev-001", json={"status": "active"}, headers=EN), ENGLISH)
    assert en["detail"] == "status cannot go from decommissioned to active (allowed: none: it is decommissioned)"

    uk = said(await client.get("/api/v1/sites/", params={"colour": "red"}, headers=UK), UKRAINIAN)
    assert uk["detail"] == "colour не є фільтром для sites"
    assert uk["errors"] == [{"field": "query.colour", "message": "невідомий фільтр"}]

    # A rule of the model (a validator's own words) and a bulk call's "nothing was created".
    kyiv = [{"name": "Школа №300", "kind": "school", "lat": 50.91, "long": 34.8},
            {"name": "Школа №301", "kind": "school", "lat": 50.45, "long": 30.52}]
    uk = said(await client.post("/api/v1/sites/", json=kyiv, headers=UK), UKRAINIAN)
    assert uk["detail"].startswith("нічого не створено: lat поза межами міста Суми")
    en = said(await client.post("/api/v1/sites/", json=kyiv, headers=EN), ENGLISH)
    assert en["detail"].startswith("nothing was created: lat is outside the city of Sumy")


async def test_a_monitoring_report_and_an_import_are_refused_in_ukrainian(registry):
    client = registry
    wrong = {"element_kind": "switch", "element_id": "dev-core-1", "state": "sideways"}
    uk = said(await client.post("/api/v1/monitoring/status", json=wrong, headers={"X-API-Key": KEY, **UK}), UKRAINIAN)
    assert uk["detail"] == "element_kind: device або fibre_link; state: down, up або maintenance"
    en = said(await client.post("/api/v1/monitoring/status", json=wrong, headers={"X-API-Key": KEY, **EN}), ENGLISH)
    assert en["detail"] == "element_kind: device or fibre_link; state: down, up or maintenance"

    uk = said(await client.post("/api/v1/csv/sites", content=b"name,colour\nx,red\n", headers=UK), UKRAINIAN)
    assert uk["detail"] == "помилкових рядків: 1; нічого не імпортовано"
    assert uk["errors"] == [{"field": "rows[1].colour", "message": "невідомий стовпець"}]
    en = said(await client.post("/api/v1/csv/sites", content=b"name,colour\nx,red\n", headers=EN), ENGLISH)
    assert en["detail"] == "1 bad row(s); nothing was imported"
