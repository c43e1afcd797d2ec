"""Staff manage the service catalogue through the API; Open311 and filing follow, in every replica."""

from __future__ import annotations

import asyncio

import pytest

from ecity_cli.testing import bearer, serving

SNOW = {
    "code": "snow_removal", "name_uk": "Не прибрано сніг", "name_en": "Snow not cleared", "group": "Дороги",
    "handler_kind": "department", "department": "city_infrastructure", "term": "15_days",
    "description": "Не прибрано сніг або ожеледь на дорозі чи тротуарі", "keywords": ["сніг", "ожеледь"],
    "attributes": [{"code": "surface", "datatype": "singlevaluelist", "description": "Де саме", "required": True,
                    "values": [{"key": "road", "name": "дорога"}, {"key": "pavement", "name": "тротуар"}]}],
}


async def test_staff_add_change_and_withdraw_a_category_and_everything_follows(services):
    async with serving(services, "citizen-requests", "catalogue-admin", subject="catalogue-olena",
                       catalogue_refresh_s=0.2) as staff, \
            serving(services, "citizen-requests", catalogue_refresh_s=0.2) as other_replica:
        seeded = (await staff.get("/api/v1/categories")).json()["categories"]
        assert len(seeded) == 12 and {"water_leak", "pothole", "institution_network"} <= {c["code"] for c in seeded}

        created = await staff.post("/api/v1/categories", json=SNOW)
        assert created.status_code == 201, created.text
        assert (await staff.post("/api/v1/categories", json=SNOW)).status_code == 409
        services_list = (await staff.get("/open311/v2/services.json")).json()
        assert "snow_removal" in [s["service_code"] for s in services_list]
        definition = (await staff.get("/open311/v2/services/snow_removal.json")).json()
        assert definition["attributes"][0]["values"] == [{"key": "road", "name": "дорога"}, {"key": "pavement", "name": "тротуар"}]

        # The other replica (same database) sees it within its refresh interval.
        async def listed_there():
            return "snow_removal" in [s["service_code"] for s in (await other_replica.get("/open311/v2/services.json")).json()]

        async with asyncio.timeout(10):
            while not await listed_there():
                await asyncio.sleep(0.1)

        citizen = bearer(staff.settings, "citizen-ivan", "citizen")
        bad = await staff.post("/api/v1/requests", headers=citizen, json={
            "service_code": "snow_removal", "address": "вул. Соборна, 1", "attributes": {"surface": "roof"}})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "attributes.surface"
        filed = await staff.post("/api/v1/requests", headers=citizen, json={
            "service_code": "snow_removal", "address": "вул. Соборна, 1", "attributes": {"surface": "pavement"}})
        assert filed.status_code == 201 and filed.json()["attributes"] == {"surface": "pavement"}

        withdrawn = await staff.put("/api/v1/categories/snow_removal", json={**SNOW, "active": False})
        assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
        assert "snow_removal" not in [s["service_code"] for s in (await staff.get("/open311/v2/services.json")).json()]
        refused = await staff.post("/api/v1/requests", headers=citizen, json={
            "service_code": "snow_removal", "address": "вул. Соборна, 1", "attributes": {"surface": "road"}})
        assert refused.status_code == 422 and "no longer offered" in refused.json()["detail"]
        # The request filed before keeps its category and its name.
        public = (await staff.get("/api/v1/public/requests")).json()["results"]
        assert [r["service_name"] for r in public] == ["Не прибрано сніг"]


@pytest.mark.parametrize(("change", "field_or_text"), [
    ({"handler_kind": "utility"}, "utility_kind"),
    ({"code": "Snow Removal"}, "code"),
    ({"term": "2_weeks"}, "term"),
    ({"attributes": [{"code": "x", "datatype": "singlevaluelist", "description": "d"}]}, "needs values"),
    ({"attributes": [{"code": "x", "datatype": "string", "description": "d"}] * 2}, "unique"),
    ({"name_uk": "<b>Сніг</b>"}, "HTML"),
    ({"duplicate_radius_m": 5000}, "duplicate_radius_m"),
])
async def test_a_bad_category_is_refused_with_the_reason(services, change, field_or_text):
    async with serving(services, "citizen-requests", "catalogue-admin") as staff:
        answer = await staff.post("/api/v1/categories", json={**SNOW, **change})
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
        assert field_or_text in answer.text


async def test_operators_read_the_catalogue_but_only_catalogue_admins_change_it(services):
    async with serving(services, "citizen-requests", "operator") as operator:
        assert (await operator.get("/api/v1/categories/water_leak")).json()["utility_kind"] == "water"
        assert (await operator.post("/api/v1/categories", json=SNOW)).status_code == 403
        assert (await operator.put("/api/v1/categories/water_leak", json=SNOW)).status_code == 403
        missing = await operator.get("/api/v1/categories/nope")
        assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "path.code"
