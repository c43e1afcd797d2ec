"""The public, anonymised views, statistics, Open311 updates and the creation limits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ecity_cli.testing import bearer, serving

KEY = "ecity311_demo0001_local-development-only-key"


@pytest.fixture
async def app_client(services):
    async with serving(services, "citizen-requests", create_limit_per_citizen=3, create_limit_per_client=4) as client:
        yield client


async def test_public_list_map_and_statistics_carry_no_personal_data(app_client):
    client = app_client
    citizen = bearer(client.settings, "citizen-21", "citizen")
    staff = bearer(client.settings, "operator-4", "operator")
    # No water at home: its place is rounded everywhere public, its description (a flat number in it) waits for staff.
    body = {"service_code": "no_water", "description": "Немає води в квартирі 12, Олена", "lat": 50.912345, "long": 34.801234}
    rid = (await client.post("/api/v1/requests", headers=citizen, json=body)).json()["service_request_id"]
    for status in ("accepted", "assigned", "resolved"):
        await client.post(f"/api/v1/requests/{rid}/status", headers=staff, json={"status": status, "note": "Прибрано"})
    listing = (await client.get("/api/v1/public/requests")).json()
    [item] = listing["results"]
    assert item["lat"] == 50.912 and item["long"] == 34.801 and "description" not in item and "citizen_id" not in item
    geo = (await client.get("/api/v1/public/requests.geojson")).json()
    assert geo["features"][0]["geometry"]["coordinates"] == [34.801, 50.912]
    [one] = (await client.get(f"/open311/v2/requests/{rid}.json")).json()
    assert (one["lat"], one["long"], one["description"]) == (50.912, 34.801, None)
    assert "Олена" not in str(listing) + str(geo) + str(one)
    today = date.today()
    stats = (await client.get("/api/v1/public/statistics", params={"from": (today - timedelta(days=1)).isoformat(),
                                                                   "to": (today + timedelta(days=1)).isoformat()})).json()
    [tree] = stats["categories"]
    assert tree["service_code"] == "no_water" and tree["count"] == 1
    assert tree["median_hours_to_resolve"] is not None and tree["median_hours_to_resolve"] < 1
    assert tree["share_overdue_percent"] == 0.0
    bad = await client.get("/api/v1/public/statistics", params={"from": "2026-02-01", "to": "2026-01-01"})
    assert bad.status_code == 422

    updates = (await client.get("/open311/v2/servicerequestupdates.json", params={"service_request_id": rid})).json()
    assert [u["status"] for u in updates] == ["open", "open", "open", "closed"] and updates[-1]["description"] == "Прибрано"


async def test_creation_is_limited_per_citizen_and_per_client_app(app_client):
    client = app_client
    citizen = bearer(client.settings, "citizen-22", "citizen")
    body = {"service_code": "street_light", "description": "Темно", "lat": 50.91, "long": 34.79}
    answers = [await client.post("/api/v1/requests", headers=citizen, json=body) for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert answers[-1].headers["retry-after"] == "600" and answers[-1].headers["content-type"] == "application/problem+json"
    form = {"api_key": KEY, "service_code": "street_light", "lat": "50.91", "long": "34.79"}
    codes = [(await client.post("/open311/v2/requests.json", data={**form, "email": f"p{i}@example.com"})).status_code for i in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    limited = await client.post("/open311/v2/requests.json", data=form)
    assert limited.json()[0]["code"] == 429 and limited.headers["retry-after"]


async def test_the_limit_holds_when_a_citizen_files_many_at_once(app_client):
    """An app retrying in a loop, or a script: concurrent creations each see the others' count."""
    import asyncio

    client = app_client
    citizen = bearer(client.settings, "citizen-burst", "citizen")
    body = {"service_code": "street_light", "description": "Темно", "lat": 50.91, "long": 34.79}
    answers = await asyncio.gather(*(client.post("/api/v1/requests", headers=citizen, json=body) for _ in range(12)))
    assert sorted(a.status_code for a in answers) == [201] * 3 + [429] * 9
