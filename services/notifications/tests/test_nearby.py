"""Local alerts and the public requests near a place: citizen-requests' events in, e-mail out
through a real SMTP server, on the real broker and database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ecity_cli.testing import bearer, publish, serving
from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.citizen_requests import CitizenRequestStatusChanged, CitizenRequestSubmitted
from ecity_common.events.payloads.common import GeoPoint

from .test_places import all_read, confirmed, mails_to


@pytest.fixture
async def notifications(services, mailbox):
    async with serving(services, "notifications", smtp_port=mailbox.port, dispatch_interval_s=0.2,
                       digest_interval_s=0.3, quiet_hours_begin="00:00", quiet_hours_end="00:00") as client:
        yield client


def filed(request_id: str, code: str, lat: float, long: float, name: str | None = None) -> CloudEvent:
    payload = CitizenRequestSubmitted(request_id=request_id, service_code=code, service_name=name, handler_kind="department",
                                      department="roads", description="Яма біля під'їзду, кв. 12, Іваненко",
                                      location=GeoPoint(lat=lat, long=long), address="вул. Покровська, 3",
                                      submitted_at=datetime.now(UTC))
    return CloudEvent(source="/ecity/citizen-requests", type=spec_of(CitizenRequestSubmitted).type,
                      subject=request_id, data=payload.model_dump(mode="json"))


def closed(request_id: str) -> CloudEvent:
    payload = CitizenRequestStatusChanged(request_id=request_id, service_code="pothole", from_status="resolved",
                                          to_status="closed", open311_status="closed", changed_at=datetime.now(UTC))
    return CloudEvent(source="/ecity/citizen-requests", type=spec_of(CitizenRequestStatusChanged).type,
                      subject=request_id, data=payload.model_dump(mode="json"))


async def alert(client, citizen: str, **body) -> None:
    answer = await client.post("/api/v1/me/alerts", json=body, headers=bearer(client.settings, citizen, "citizen"))
    assert answer.status_code == 201, answer.text


async def test_a_new_request_near_my_point_is_told_at_once_or_in_the_digest_and_shown_nearby(notifications, mailbox):
    client = notifications
    await confirmed(client, h="h@example.org", i="i@example.org", j="j@example.org")
    await alert(client, "h", lat=50.908, long=34.80, radius_m=500, categories=["pothole"])
    await alert(client, "h", lat=50.9085, long=34.8005, radius_m=500, categories=["pothole"])  # both meet: one mail
    await alert(client, "i", lat=50.908, long=34.80, radius_m=500, categories=["pothole"], digest=True)
    await alert(client, "j", lat=50.93, long=34.80, radius_m=500, categories=["pothole"])  # 2.4 km north

    # r-2 as events were before they carried the category's name.
    near, other_kind = filed("r-1", "pothole", 50.909, 34.801, "Яма на дорозі"), filed("r-2", "graffiti", 50.909, 34.801)
    await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.citizen-requests.v1"),
                  near, near, other_kind)
    await all_read(client, other_kind)

    [to_h] = mails_to(mailbox, "h@example.org")
    assert to_h["Subject"] == "Нове звернення поруч (Яма на дорозі): r-1"
    assert "за 131 м" in to_h.get_body(("plain",)).get_content()
    [digest] = mails_to(mailbox, "i@example.org")
    assert digest["Subject"] == "Звернення поблизу: 1 нове"
    assert "r-1 (Яма на дорозі)" in digest.get_body(("plain",)).get_content()
    assert mails_to(mailbox, "j@example.org") == []

    known = (await client.get("/api/v1/public/at", params={"lat": 50.908, "long": 34.80})).json()
    assert sorted(r["service_request_id"] for r in known["requests_nearby"]) == ["r-1", "r-2"]
    [first] = [r for r in known["requests_nearby"] if r["service_request_id"] == "r-1"]
    assert set(first) == {"service_request_id", "service_code", "service_name", "status", "requested_datetime", "lat", "long"}
    assert first["service_name"] == "Яма на дорозі"
    assert [r["service_name"] for r in known["requests_nearby"] if r["service_request_id"] == "r-2"] == [None]
    assert first["lat"] == 50.909 and "Іваненко" not in str(known)  # no description, nothing personal

    gone = closed("r-1")
    await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.citizen-requests.v1"), gone)
    await all_read(client, gone)
    known = (await client.get("/api/v1/public/at", params={"lat": 50.908, "long": 34.80})).json()
    assert [r["service_request_id"] for r in known["requests_nearby"]] == ["r-2"]
    assert len(mails_to(mailbox, "i@example.org")) == 1  # the digest is written once a day


async def test_alerts_refuse_what_cannot_be_kept(notifications):
    client = notifications
    who = bearer(client.settings, "k", "citizen")
    cases = [({"lat": 50.9, "long": 34.8, "radius_m": 10, "categories": ["pothole"]}, "radius_m"),
             ({"lat": 50.9, "long": 34.8, "radius_m": 300, "categories": []}, "categories"),
             ({"lat": 50.9, "long": 30.0, "radius_m": 300, "categories": ["pothole"]}, "long"),
             ({"lat": 50.9, "long": 34.8, "radius_m": 300, "categories": ["<script>"]}, "categories[0]")]
    for body, field in cases:
        answer = await client.post("/api/v1/me/alerts", json=body, headers=who)
        assert answer.status_code == 422, (body, answer.text)
        assert field in [e["field"] for e in answer.json()["errors"]], answer.json()
    for _ in range(10):
        await alert(client, "k", lat=50.9, long=34.8, radius_m=300, categories=["pothole"])
    answer = await client.post("/api/v1/me/alerts", json=cases[0][0] | {"radius_m": 300}, headers=who)
    assert answer.status_code == 409 and answer.json()["type"].endswith("/too-many-alerts")
    mine = (await client.get("/api/v1/me/alerts", headers=who)).json()
    assert (await client.delete(f"/api/v1/me/alerts/{mine[0]['alert_id']}",
                                headers=bearer(client.settings, "l", "citizen"))).status_code == 404
    assert (await client.delete(f"/api/v1/me/alerts/{mine[0]['alert_id']}", headers=who)).status_code == 204
