"""The utility flow across both services over the real Kafka: a citizen's request is routed by
utilities-gateway to the company that serves the place; the company's progress, a routing
failure and an outage change what the citizen sees in citizen-requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from citizen_requests.adapters.tables import utility_outages
from ecity_cli.testing import bearer, serving, until

WATER = {"X-API-Key": "ugw_water001_local-development-only-key"}
CENTRE = {"type": "Polygon", "coordinates": [[[34.79, 50.90], [34.81, 50.90], [34.81, 50.92], [34.79, 50.92], [34.79, 50.90]]]}


async def test_a_company_takes_a_request_reports_progress_and_an_outage_informs_the_next_citizen(services):
    async with serving(services, "utilities-gateway") as gateway, serving(services, "citizen-requests") as citizens:
        citizen = bearer(citizens.settings, "citizen-olha", "citizen")
        operator = bearer(citizens.settings, "dispatcher-1", "operator")

        async def seen(request_id: str) -> dict:
            return (await citizens.get(f"/api/v1/requests/{request_id}", headers=citizen)).json()

        leak = (await citizens.post("/api/v1/requests", headers=citizen, json={
            "service_code": "water_leak", "description": "Тече з-під асфальту", "lat": 50.9077, "long": 34.7981,
            "address": "вул. Соборна, 1", "attributes": {"where": "street"}})).json()
        rid = leak["service_request_id"]

        async def assigned():
            view = await seen(rid)
            return view if view["status"] == "assigned" else None

        view = await until(assigned)
        assert view["agency_responsible"] == "КП «Міськводоканал» Сумської міської ради (демо)"

        # The company works through its own API; the citizen sees each step with its note.
        when = datetime.now(UTC) + timedelta(days=1)
        assert (await gateway.post(f"/integrations/v1/requests/{rid}/status", headers=WATER, json={
            "status": "planned", "expected_datetime": when.isoformat(), "public_note": "Потрібна техніка"})).status_code == 200

        async def planned():
            view = await seen(rid)
            return view if view["status"] == "planned" else None

        assert "Роботи заплановано на" in (await until(planned))["status_notes"]
        await citizens.post(f"/api/v1/requests/{rid}/comments", headers=citizen, json={"text": "Вода вже у дворі"})
        await gateway.post(f"/integrations/v1/requests/{rid}/status", headers=WATER,
                           json={"status": "resolved", "public_note": "Трубу замінено"})

        async def resolved():
            view = await seen(rid)
            return view if view["status"] == "resolved" else None

        assert (await until(resolved))["status_notes"] == "Трубу замінено"

        async def inbox_types():
            types = [m["type"] for m in (await gateway.get("/integrations/v1/inbox", headers=WATER)).json()["messages"]]
            return types if "request.commented" in types else None

        assert await until(inbox_types) == ["request.routed", "request.commented"]

        # The citizen reopens it: the company is told, and may work on it again.
        assert (await citizens.post(f"/api/v1/requests/{rid}/reopen", headers=citizen,
                                    json={"reason": "Знову тече"})).status_code == 200

        async def reopened_there():
            types = [m["type"] for m in (await gateway.get("/integrations/v1/inbox", headers=WATER)).json()["messages"]]
            return "request.reopened" in types

        await until(reopened_there)
        assert (await gateway.get(f"/integrations/v1/requests/{rid}", headers=WATER)).json()["status"] == "in_progress"
        again = await gateway.post(f"/integrations/v1/requests/{rid}/status", headers=WATER,
                                   json={"status": "resolved", "public_note": "Замінили ще одну ділянку"})
        assert again.status_code == 200

        # No waste company serves this address: the request stays with the city's dispatcher, flagged.
        lost = (await citizens.post("/api/v1/requests", headers=citizen, json={
            "service_code": "waste_collection", "description": "Баки переповнені", "address": "вул. Невідома, 3"})).json()

        async def flagged():
            found = (await citizens.get("/api/v1/requests", headers=operator, params={"needs_dispatcher": True})).json()
            return [r for r in found["requests"] if r["service_request_id"] == lost["service_request_id"]]

        flag = (await until(flagged))[0]
        assert flag["status"] == "submitted" and "вул. Невідома, 3" in flag["dispatch_flag"]
        mine = (await citizens.get("/api/v1/requests", headers=citizen)).json()["requests"]
        assert {r["service_request_id"] for r in mine} == {rid, lost["service_request_id"]}

        # An accident announced by the company: the next citizen there is told when water returns.
        end = datetime.now(UTC) + timedelta(hours=6)
        outage = (await gateway.post("/integrations/v1/outages", headers=WATER, json={
            "planned": False, "area": {"geometry": CENTRE}, "starts_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
            "expected_end": end.isoformat(), "cause": "Порив магістралі"})).json()

        async def known():
            async with citizens.app.state.engine.connect() as conn:
                return (await conn.execute(select(utility_outages.c.id))).scalars().all()

        assert await until(known) == [outage["id"]]
        dry = (await citizens.post("/api/v1/requests", headers=bearer(citizens.settings, "citizen-petro", "citizen"), json={
            "service_code": "no_water", "description": "Немає води", "lat": 50.91, "long": 34.80})).json()
        assert dry["outage_id"] == outage["id"]
        assert "Аварійне відключення" in dry["status_notes"] and "Орієнтовне відновлення" in dry["status_notes"]
        elsewhere = (await citizens.post("/api/v1/requests", headers=citizen, json={
            "service_code": "no_water", "description": "Немає води", "lat": 50.95, "long": 34.85})).json()
        assert elsewhere["outage_id"] is None

        await gateway.post(f"/integrations/v1/outages/{outage['id']}/resolve", headers=WATER, json={"note": "Відновлено"})

        async def told():
            history = (await citizens.get(f"/api/v1/requests/{dry['service_request_id']}",
                                          headers=bearer(citizens.settings, "citizen-petro", "citizen"))).json()["history"]
            return [h for h in history if h["note"] and "відновлено" in h["note"]]

        assert await until(told)
