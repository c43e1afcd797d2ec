"""Citizens' requests from a real Kafka topic are routed by area; each company sees only its own."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from ecity_cli.testing import publish
from ecity_common.events import CloudEvent
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from ecity_common.events.payloads.common import GeoPoint
from utilities_gateway.adapters.tables import company_messages, messaging, routed_requests

from .conftest import WASTE_SOUTH, WATER

SUBMITTED = "ua.sumy.ecity.citizen-requests.request.submitted.v1"


def submitted(service_code: str, kind: str | None, *, lat=None, long=None, address=None, event_id=None, request_id=None):
    payload = CitizenRequestSubmitted(
        request_id=request_id or f"r-{uuid.uuid4().hex[:10]}", service_code=service_code,
        handler_kind="utility" if kind else "department", utility_kind=kind, department=None if kind else "roads",
        description="Опис", location=GeoPoint(lat=lat, long=long) if lat is not None else None, address=address,
        submitted_at=datetime.now(UTC))
    return CloudEvent(source="/ecity/citizen-requests", type=SUBMITTED, subject=payload.request_id,
                      data=payload.model_dump(mode="json"), **({"id": event_id} if event_id else {}))


async def wait_routed(gateway, count: int) -> dict[str, object]:
    async with asyncio.timeout(30):
        while True:
            async with gateway.app.state.engine.connect() as conn:
                rows = {r.request_id: r for r in await conn.execute(select(routed_requests))}
            if len(rows) >= count:
                return rows
            await asyncio.sleep(0.1)


async def test_requests_go_to_the_company_serving_the_place_once_each(gateway):
    leak = submitted("water_leak", "water", lat=50.9077, long=34.7981, address="вул. Соборна, 1")
    north = submitted("waste_collection", "waste", lat=50.95, long=34.80)
    south_by_address = submitted("waste_collection", "waste", address="вул. Соборна, 30")
    nowhere = submitted("waste_collection", "waste", address="вул. Невідома, 1")
    pothole = submitted("pothole", None, lat=50.91, long=34.8)  # a city department's: not ours
    resent = submitted("water_leak", "water", lat=50.9077, long=34.7981, request_id=leak.subject)  # new event id
    topic = gateway.settings.topic("ecity.citizen-requests.v1")
    await publish(gateway.settings.kafka_bootstrap_servers, topic, leak, leak, north, south_by_address, nowhere, pothole, resent)

    routed = await wait_routed(gateway, 4)
    await asyncio.sleep(1.0)  # anything more would have arrived by now
    routed = await wait_routed(gateway, 4)
    assert {k: (r.company_id, r.status) for k, r in routed.items()} == {
        leak.subject: ("co-water-demo", "routed"),
        north.subject: ("co-waste-north-demo", "routed"),
        south_by_address.subject: ("co-waste-south-demo", "routed"),
        nowhere.subject: (None, "unrouted"),
    }
    assert "вул. Невідома, 1" in routed[nowhere.subject].routing_failure

    outbox = messaging.outbox
    async with gateway.app.state.engine.connect() as conn:
        events = (await conn.execute(select(outbox.c.type, outbox.c.aggregate_id, outbox.c.payload))).all()
        notices = (await conn.execute(select(company_messages.c.company_id, func.count()).group_by(company_messages.c.company_id))).all()
    accepted = {e.aggregate_id: e.payload["data"]["company"]["name"] for e in events if e.type.endswith("request.accepted.v1")}
    assert accepted == {leak.subject: "КП «Міськводоканал» Сумської міської ради (демо)",
                        north.subject: "Вивіз відходів «Північ» (демо)", south_by_address.subject: "Вивіз відходів «Південь» (демо)"}
    failed = [e for e in events if e.type.endswith("request.routing-failed.v1")]
    assert [e.aggregate_id for e in failed] == [nowhere.subject] and failed[0].payload["data"]["utility_kind"] == "waste"
    assert dict(notices) == {"co-water-demo": 1, "co-waste-north-demo": 1, "co-waste-south-demo": 1}

    # The company reads what is its own, and only that.
    mine = (await gateway.get("/integrations/v1/requests", headers=WATER)).json()["requests"]
    assert [r["request_id"] for r in mine] == [leak.subject] and mine[0]["address"] == "вул. Соборна, 1"
    assert "email" not in str(mine) and "citizen" not in str(mine)
    other = await gateway.get(f"/integrations/v1/requests/{leak.subject}", headers=WASTE_SOUTH)
    # Another company's request answers as one that does not exist (a 403 would confirm the id).
    assert other.status_code == 404 and other.json()["errors"][0]["field"] == "path.request_id"
    status = await gateway.post(f"/integrations/v1/requests/{leak.subject}/status", headers=WASTE_SOUTH,
                                json={"status": "in_progress"})
    assert status.status_code == 404
    staff = (await gateway.get(f"/api/v1/routed-requests/{nowhere.subject}")).json()
    assert staff["company_id"] is None and "Невідома" in staff["routing_failure"]


async def test_the_dispatcher_can_ask_where_a_request_would_go(gateway):
    answer = (await gateway.post("/api/v1/routing/check", json={
        "kind": "waste", "service_code": "waste_collection", "address": "вул. Харківська, 10"})).json()
    assert answer == {"outcome": "routed", "reason": None, "company": {"id": "co-waste-north-demo",
                                                                      "name": "Вивіз відходів «Північ» (демо)"}}


async def test_a_companys_list_is_newest_first_and_its_reports_say_something_new(gateway):
    """The company's queue is newest routed first (not by id); the same report twice adds nothing to
    the citizen's history; planned work cannot be due in the past."""
    topic = gateway.settings.topic("ecity.citizen-requests.v1")
    leaks = []
    for n in range(3):  # one at a time, so that their routing times differ
        leak = submitted("water_leak", "water", lat=50.9077, long=34.7981, request_id=f"r-{'zyx'[n]}-{uuid.uuid4().hex[:6]}")
        await publish(gateway.settings.kafka_bootstrap_servers, topic, leak)
        await wait_routed(gateway, n + 1)
        leaks.append(leak.subject)
    first = (await gateway.get("/integrations/v1/requests?limit=2", headers=WATER)).json()
    assert [r["request_id"] for r in first["requests"]] == leaks[::-1][:2]  # ids sort z, y, x: not the order
    rest = (await gateway.get(f"/integrations/v1/requests?limit=2&after={first['next_after']}", headers=WATER)).json()
    assert [r["request_id"] for r in rest["requests"]] == [leaks[0]] and rest["next_after"] is None
    not_ours = await gateway.get(f"/integrations/v1/requests?after={leaks[0]}", headers=WASTE_SOUTH)
    assert not_ours.status_code == 404 and not_ours.json()["errors"][0]["field"] == "query.after"

    rid = leaks[0]
    yesterday = datetime.now(UTC) - timedelta(days=1)
    past = await gateway.post(f"/integrations/v1/requests/{rid}/status", headers=WATER,
                              json={"status": "planned", "expected_datetime": yesterday.isoformat()})
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "expected_datetime"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()
    plan = {"status": "planned", "expected_datetime": tomorrow, "public_note": "Бригада приїде завтра"}
    for _ in range(2):  # the company's system re-sends its state, with no Idempotency-Key
        answer = await gateway.post(f"/integrations/v1/requests/{rid}/status", headers=WATER, json=plan)
        assert answer.status_code == 200 and answer.json()["status"] == "planned"
    moved = {**plan, "expected_datetime": (datetime.now(UTC) + timedelta(days=2)).isoformat()}
    assert (await gateway.post(f"/integrations/v1/requests/{rid}/status", headers=WATER, json=moved)).status_code == 200
    async with gateway.app.state.engine.connect() as conn:
        reported = (await conn.execute(select(func.count()).select_from(messaging.outbox).where(
            messaging.outbox.c.aggregate_id == rid,
            messaging.outbox.c.type.like("%request.status-changed%")))).scalar_one()
    assert reported == 2  # planned for tomorrow, then moved: the repeat told nobody anything
