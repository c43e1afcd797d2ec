"""The whole lifecycle of a request through the native API, on the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from citizen_requests.adapters.tables import messaging, request_history
from citizen_requests.domain.deadlines import KYIV
from ecity_cli.testing import bearer, serving
from ecity_common.events import CloudEvent


@pytest.fixture
async def app_client(services):
    async with serving(services, "citizen-requests") as client:
        yield client


async def test_from_submitted_to_closed_with_history_notes_and_a_reopen(app_client):
    client = app_client
    citizen = bearer(client.settings, "citizen-5", "citizen")
    staff = bearer(client.settings, "operator-2", "operator")
    created = await client.post("/api/v1/requests", headers=citizen, json={
        "service_code": "pothole", "attributes": {"size": "large"}, "description": "Глибока яма на дорозі", "lat": 50.91, "long": 34.79})
    assert created.status_code == 201
    rid = created.json()["service_request_id"]
    expected = created.json()["expected_datetime"]
    assert expected is not None and not created.json()["overdue"]

    async def move(status, **extra):
        return await client.post(f"/api/v1/requests/{rid}/status", headers=staff, json={"status": status, **extra})

    assert (await move("resolved")).status_code == 409  # submitted cannot jump to resolved
    assert (await move("accepted")).status_code == 200
    assert (await move("assigned", agency_responsible="Департамент інфраструктури міста")).status_code == 200
    assert (await move("in_progress", note="Бригада №3, внутрішня примітка", public=False)).status_code == 200
    assert (await move("resolved", note="Яму залатано")).status_code == 200
    assert (await client.post(f"/api/v1/requests/{rid}/status", headers=citizen, json={"status": "closed"})).status_code == 403

    mine = (await client.get(f"/api/v1/requests/{rid}", headers=citizen)).json()
    assert mine["status"] == "resolved" and mine["status_notes"] == "Яму залатано"
    assert mine["agency_responsible"] == "Департамент інфраструктури міста"
    notes = [h["note"] for h in mine["history"]]
    assert "Яму залатано" in notes and "Бригада №3, внутрішня примітка" not in notes  # internal stays internal
    assert all(h["actor"] is None for h in mine["history"])
    theirs = (await client.get(f"/api/v1/requests/{rid}", headers=staff)).json()
    assert "Бригада №3, внутрішня примітка" in [h["note"] for h in theirs["history"]]
    assert {h["actor"] for h in theirs["history"]} == {"citizen-5", "operator-2"}

    other = bearer(client.settings, "citizen-6", "citizen")
    assert (await client.post(f"/api/v1/requests/{rid}/reopen", headers=other, json={"reason": "ні"})).status_code == 404
    reopened = await client.post(f"/api/v1/requests/{rid}/reopen", headers=citizen, json={"reason": "Яма знову з'явилась"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "in_progress"
    assert (await move("resolved", note="Переробили")).status_code == 200
    assert (await move("closed")).status_code == 200
    assert (await client.post(f"/api/v1/requests/{rid}/reopen", headers=citizen, json={"reason": "ще"})).status_code == 409

    outbox = messaging.outbox
    async with client.app.state.engine.connect() as conn:
        payloads = (await conn.execute(select(outbox.c.payload).where(outbox.c.aggregate_id == rid).order_by(outbox.c.id))).scalars().all()
    events = [CloudEvent.model_validate(p) for p in payloads]
    changes = [e.data for e in events if e.type.endswith("status-changed.v1")]
    assert [c["to_status"] for c in changes] == ["accepted", "assigned", "in_progress", "resolved", "in_progress", "resolved", "closed"]
    assert changes[2]["public_note"] is None  # the internal note never leaves the service
    assert changes[-1]["open311_status"] == "closed"


async def test_duplicates_extensions_and_overdue(app_client):
    client = app_client
    citizen = bearer(client.settings, "citizen-7", "citizen")
    staff = bearer(client.settings, "operator-1", "operator")
    body = {"service_code": "street_light", "description": "Не світить", "lat": 50.91, "long": 34.79}
    first = (await client.post("/api/v1/requests", headers=citizen, json=body)).json()["service_request_id"]
    second = (await client.post("/api/v1/requests", headers=citizen, json=body)).json()["service_request_id"]
    dup = await client.post(f"/api/v1/requests/{second}/duplicate-of", headers=staff, json={"original_id": first})
    assert dup.status_code == 200 and dup.json()["status"] == "duplicate"
    assert (await client.post(f"/api/v1/requests/{first}/duplicate-of", headers=staff, json={"original_id": first})).status_code == 422

    view = (await client.get(f"/api/v1/requests/{first}", headers=citizen)).json()
    from datetime import datetime

    received = datetime.fromisoformat(view["requested_datetime"]).astimezone(KYIV).date()
    too_late = received + timedelta(days=46)
    refused = await client.post(f"/api/v1/requests/{first}/extend", headers=staff, json={"until": too_late.isoformat(), "reason": "експертиза"})
    assert refused.status_code == 422 and "45 days" in refused.json()["detail"]
    ok = await client.post(f"/api/v1/requests/{first}/extend", headers=staff,
                           json={"until": (received + timedelta(days=40)).isoformat(), "reason": "потрібна експертиза опори"})
    assert ok.status_code == 200
    view = (await client.get(f"/api/v1/requests/{first}", headers=citizen)).json()
    assert view["status_notes"].startswith("Строк розгляду продовжено") and "експертиза" in view["history"][-1]["note"]
    # The citizen hears of it: news without a move, with the new term (notifications tells them).
    async with client.app.state.engine.connect() as conn:
        payloads = (await conn.execute(select(messaging.outbox.c.payload).where(messaging.outbox.c.aggregate_id == first)
                                       .order_by(messaging.outbox.c.id))).scalars().all()
    [told] = [e.data for e in map(CloudEvent.model_validate, payloads)
              if e.type.endswith("status-changed.v1") and e.data["from_status"] == e.data["to_status"]]
    assert told["public_note"] == view["status_notes"] and told["to_status"] == view["status"]
    assert datetime.fromisoformat(told["expected_datetime"]) == datetime.fromisoformat(view["expected_datetime"])

    # Time passes past the deadline: the request shows as overdue.
    async with client.app.state.engine.begin() as conn:
        from citizen_requests.adapters.tables import citizen_requests
        await conn.execute(update(citizen_requests).where(citizen_requests.c.id == first).values(
            expected_datetime=citizen_requests.c.submitted_at - timedelta(days=1)))
    assert (await client.get(f"/api/v1/requests/{first}", headers=citizen)).json()["overdue"] is True
    async with client.app.state.engine.connect() as conn:
        assert (await conn.execute(select(request_history).where(request_history.c.request_id == second))).all()


async def test_idempotency_key_on_create(app_client):
    import asyncio

    from sqlalchemy import func

    from citizen_requests.adapters.tables import citizen_requests

    client = app_client
    citizen = bearer(client.settings, "citizen-9", "citizen")
    body = {"service_code": "waste_collection", "description": "Контейнери переповнені", "address": "вул. Харківська, 2"}
    keyed = {**citizen, "Idempotency-Key": "phone-retry-1"}
    first, again = [await client.post("/api/v1/requests", headers=keyed, json=body) for _ in range(2)]
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = await client.post("/api/v1/requests", headers=keyed, json={**body, "description": "Інший текст"})
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "header.idempotency-key"
    # Another citizen's identical key is another key.
    theirs = await client.post("/api/v1/requests", headers={**bearer(client.settings, "citizen-10", "citizen"),
                                                            "Idempotency-Key": "phone-retry-1"}, json=body)
    assert theirs.status_code == 201 and theirs.json()["service_request_id"] != first.json()["service_request_id"]
    # A burst of retries at once still files one request.
    burst = await asyncio.gather(*(client.post("/api/v1/requests", headers={**citizen, "Idempotency-Key": "burst"}, json=body)
                                   for _ in range(5)))
    assert {r.status_code for r in burst} == {201} and len({r.json()["service_request_id"] for r in burst}) == 1
    async with client.app.state.engine.connect() as conn:
        mine = await conn.scalar(select(func.count()).select_from(citizen_requests).where(citizen_requests.c.citizen_id == "citizen-9"))
    assert mine == 2  # "phone-retry-1" and "burst"
    # A failed request leaves no claim behind: the retry, corrected, goes through.
    bad = await client.post("/api/v1/requests", headers={**citizen, "Idempotency-Key": "fix-me"}, json={**body, "service_code": "x"})
    assert bad.status_code == 422
    fixed = await client.post("/api/v1/requests", headers={**citizen, "Idempotency-Key": "fix-me"}, json={**body, "service_code": "x"})
    assert fixed.status_code == 422  # same request: validated again, not replayed as a success


async def test_possible_duplicates_nearby_subscriptions_and_comments(app_client):
    client = app_client
    first_citizen = bearer(client.settings, "citizen-11", "citizen")
    second_citizen = bearer(client.settings, "citizen-12", "citizen")
    staff = bearer(client.settings, "operator-3", "operator")
    hole = {"service_code": "pothole", "attributes": {"size": "medium"}, "description": "Яма", "lat": 50.90000, "long": 34.80000}
    first = (await client.post("/api/v1/requests", headers=first_citizen, json=hole)).json()
    assert first["possible_duplicates"] == []
    near = (await client.post("/api/v1/requests", headers=second_citizen, json={**hole, "lat": 50.90015})).json()  # ~17 m
    assert [d["service_request_id"] for d in near["possible_duplicates"]] == [first["service_request_id"]]
    assert 10 < near["possible_duplicates"][0]["distance_m"] < 25
    far = (await client.post("/api/v1/requests", headers=second_citizen, json={**hole, "lat": 50.9010})).json()  # ~110 m
    assert far["possible_duplicates"] == []  # pothole's radius is 30 m
    light = (await client.post("/api/v1/requests", headers=second_citizen, json={
        "service_code": "street_light", "description": "Темно", "lat": 50.90001, "long": 34.80000})).json()
    assert light["possible_duplicates"] == []  # another category

    assert (await client.post(f"/api/v1/requests/{first['service_request_id']}/subscribe", headers=second_citizen)).status_code == 204
    assert (await client.post("/api/v1/requests/nope/subscribe", headers=second_citizen)).status_code == 404
    said = await client.post(f"/api/v1/requests/{first['service_request_id']}/comments",
                             headers={**first_citizen, "Idempotency-Key": "comment-1"}, json={"text": "Яма стала ще більшою"})
    assert said.status_code == 201
    resent = await client.post(f"/api/v1/requests/{first['service_request_id']}/comments",
                               headers={**first_citizen, "Idempotency-Key": "comment-1"}, json={"text": "Яма стала ще більшою"})
    assert resent.status_code == 201 and resent.json() == said.json()  # the app retried: one comment
    assert (await client.post(f"/api/v1/requests/{first['service_request_id']}/comments", headers=second_citizen,
                              json={"text": "не моє"})).status_code == 404
    await client.post(f"/api/v1/requests/{first['service_request_id']}/comments", headers=staff, json={"text": "Виїжджаємо"})
    view = (await client.get(f"/api/v1/requests/{first['service_request_id']}", headers=first_citizen)).json()
    assert [(c["by_staff"], c["text"]) for c in view["comments"]] == [(False, "Яма стала ще більшою"), (True, "Виїжджаємо")]
    html = await client.post(f"/api/v1/requests/{first['service_request_id']}/comments", headers=first_citizen,
                             json={"text": "<img src=x>"})
    assert html.status_code == 422 and html.json()["errors"][0]["field"] == "text"


async def test_the_queue_gauges_count_open_and_overdue_requests_per_handler(app_client):
    """ecity_requests_open / ecity_requests_overdue, per department or utility (the dashboards and
    the alert EcityOverdueRequestsRising read them)."""
    from citizen_requests.adapters.queue_gauges import count
    from citizen_requests.adapters.tables import citizen_requests

    client = app_client
    citizen = bearer(client.settings, "citizen-gauges", "citizen")
    filed = []
    for code, extra in (("pothole", {"attributes": {"size": "large"}}), ("pothole", {"attributes": {"size": "small"}}),
                        ("water_leak", {"attributes": {"where": "street"}})):
        answer = await client.post("/api/v1/requests", headers=citizen, json={
            "service_code": code, "description": "Тест черги", "lat": 50.91, "long": 34.79, **extra})
        assert answer.status_code == 201, answer.text
        filed.append(answer.json()["service_request_id"])
    engine = client.app.state.engine
    async with engine.begin() as conn:  # the first pothole's term has passed
        await conn.execute(update(citizen_requests).where(citizen_requests.c.id == filed[0])
                           .values(expected_datetime=citizen_requests.c.submitted_at - timedelta(days=1)))
    counts = await count(engine)
    assert counts["city_infrastructure"] == (2, 1) and counts["water"] == (1, 0), counts
