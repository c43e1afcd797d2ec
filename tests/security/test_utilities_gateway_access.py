"""Who may call what in utilities-gateway.

- `/api/v1/…`: the city's integrations staff (`integrations-admin`): companies, their keys, their
  meters' EICs, routing, the audit log.
- `/integrations/v1/…`: a utility company with its API key (`Authorization: Bearer ugw_…` or
  `X-API-Key: ugw_…`); no city token opens them, and a company key opens nothing of the staff's.
- `/public/outages`: anyone (the citizens' apps and maps); `/public/photos`: anyone, for the photos
  companies attached to their progress reports (a photo only uploaded is a 404).

Past the door, a company reaches only what is its own: another company's request, outage, meter,
webhook endpoint, delivery or key answers 404, the same answer as one that does not exist (a 403
would confirm that the id is real), and changes nothing.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from ecity_cli.testing import bearer, publish, serving, until, webhook_receiver
from ecity_common.events import CloudEvent
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from ecity_common.events.payloads.common import GeoPoint
from utilities_gateway.use_cases.demo_data import DEMO_COMPANIES

from .doors import ANYONE, COMPANY_KEY, EVERY_SERVICE, Caller, report, roles, routes_of, token_callers, undecided, walk

STAFF = roles("integrations-admin")

DOORS = {
    **EVERY_SERVICE,
    # The city's integrations staff.
    "POST /api/v1/companies": STAFF,
    "GET /api/v1/companies": STAFF,
    "GET /api/v1/companies/{company_id}": STAFF,
    "PATCH /api/v1/companies/{company_id}": STAFF,
    "POST /api/v1/companies/{company_id}/api-keys": STAFF,
    "GET /api/v1/companies/{company_id}/api-keys": STAFF,
    "DELETE /api/v1/companies/{company_id}/api-keys/{key_id}": STAFF,
    # Which company a meter's EIC is: the city's word only (a company's key opens none of these).
    "POST /api/v1/companies/{company_id}/meters": STAFF,
    "GET /api/v1/companies/{company_id}/meters": STAFF,
    "DELETE /api/v1/companies/{company_id}/meters/{eic}": STAFF,
    "GET /api/v1/meters/{eic}/bindings": STAFF,
    "GET /api/v1/routed-requests/{request_id}": STAFF,
    "POST /api/v1/routing/check": STAFF,
    "GET /api/v1/audit-log": STAFF,
    # A company, with its key: its own requests, outages, meters, keys, endpoints, inbox.
    "GET /integrations/v1/company": COMPANY_KEY,
    "GET /integrations/v1/requests": COMPANY_KEY,
    "GET /integrations/v1/requests/{request_id}": COMPANY_KEY,
    "POST /integrations/v1/requests/{request_id}/status": COMPANY_KEY,
    "POST /integrations/v1/photos": COMPANY_KEY,  # proof of work, named in a progress report
    "POST /integrations/v1/outages": COMPANY_KEY,
    "GET /integrations/v1/outages": COMPANY_KEY,
    "PATCH /integrations/v1/outages/{outage_id}": COMPANY_KEY,
    "POST /integrations/v1/outages/{outage_id}/resolve": COMPANY_KEY,
    "POST /integrations/v1/meter-readings": COMPANY_KEY,
    "GET /integrations/v1/meters/{meter_id}/readings": COMPANY_KEY,
    "GET /integrations/v1/api-keys": COMPANY_KEY,
    "POST /integrations/v1/api-keys/rotate": COMPANY_KEY,
    "DELETE /integrations/v1/api-keys/{key_id}": COMPANY_KEY,
    "POST /integrations/v1/webhook-endpoints": COMPANY_KEY,
    "GET /integrations/v1/webhook-endpoints": COMPANY_KEY,
    "GET /integrations/v1/webhook-endpoints/{endpoint_id}": COMPANY_KEY,
    "PATCH /integrations/v1/webhook-endpoints/{endpoint_id}": COMPANY_KEY,
    "POST /integrations/v1/webhook-endpoints/{endpoint_id}/rotate-secret": COMPANY_KEY,
    "POST /integrations/v1/webhook-endpoints/{endpoint_id}/test": COMPANY_KEY,
    "GET /integrations/v1/webhook-endpoints/{endpoint_id}/deliveries": COMPANY_KEY,
    "POST /integrations/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver": COMPANY_KEY,
    "GET /integrations/v1/inbox": COMPANY_KEY,
    "POST /integrations/v1/inbox/ack": COMPANY_KEY,
    # Anyone: what is off and until when (public_outage: no company's internals).
    "GET /public/outages": ANYONE,
    "GET /public/outages.geojson": ANYONE,
    "GET /public/photos/{photo_id}/{size}": ANYONE,  # only a photo attached to a company's report
}

PLACEHOLDERS = {"delivery_id": "999999"}
KEYS = {company: key for company, key, _ in DEMO_COMPANIES}  # the demo data's keys (make run, the tests)
# The matrix walks with the gas and heating companies' keys (it rotates them); the object-level
# test is between the water and the electricity companies.
WATER = {"Authorization": f"Bearer {KEYS['co-water-demo']}"}
ELECTRICITY = {"X-API-Key": KEYS["co-electricity-demo"]}
# A local webhook receiver is on 127.0.0.1 over HTTP.
LOCAL_WEBHOOKS = dict(webhook_allow_private_targets=True, webhook_allow_http=True, webhook_poll_interval_s=0.1,
                      webhook_retry_schedule_s=(0, 0.3), webhook_timeout_s=1.0)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(module_services):
    async with serving(module_services, "utilities-gateway", **LOCAL_WEBHOOKS) as client:
        yield client


pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_every_route_has_a_decision(gateway):
    assert routes_of(gateway.app), "no routes found: the enumeration is broken"
    assert not (wrong := undecided(gateway.app, DOORS, __name__)), report(wrong, "routes without a decision")


async def test_the_matrix(gateway):
    callers = token_callers(gateway.settings) + [
        Caller("a company key (gas)", {"Authorization": f"Bearer {KEYS['co-gas-demo']}"}, key=COMPANY_KEY),
        Caller("a company key as X-API-Key (heating)", {"X-API-Key": KEYS["co-heating-demo"]}, key=COMPANY_KEY),
        Caller("a made-up company key", {"Authorization": "Bearer ugw_nobody01_local-development-only-key"}),
    ]
    wrong = await walk(gateway, DOORS, callers, PLACEHOLDERS)
    assert not wrong, report(wrong, "cells of the matrix disagree with DOORS")


async def _water_company_owns_one_of_everything(gateway, receiver_url: str) -> dict[str, str]:
    """A request routed to the water company, its outage, a meter, a webhook endpoint and a delivery."""
    now = datetime.now(UTC)
    leak = CitizenRequestSubmitted(
        request_id=f"r-sec-{uuid.uuid4().hex[:8]}", service_code="water_leak", handler_kind="utility", utility_kind="water",
        description="Тече труба", location=GeoPoint(lat=50.9077, long=34.7981), address="вул. Соборна, 1", submitted_at=now)
    await publish(gateway.settings.kafka_bootstrap_servers, gateway.settings.topic("ecity.citizen-requests.v1"),
                  CloudEvent(source="/ecity/citizen-requests", type="ua.sumy.ecity.citizen-requests.request.submitted.v1",
                             subject=leak.request_id, data=leak.model_dump(mode="json")))

    async def routed():
        return (await gateway.get(f"/integrations/v1/requests/{leak.request_id}", headers=WATER)).status_code == 200

    await until(routed)
    outage = await gateway.post("/integrations/v1/outages", headers=WATER, json={
        "planned": True, "area": {"streets": [{"street": "вул. Соборна", "from_house": 1, "to_house": 40}]},
        "starts_at": (now + timedelta(hours=1)).isoformat(), "expected_end": (now + timedelta(hours=5)).isoformat(),
        "cause": "Заміна засувки"})
    assert outage.status_code == 201, outage.text
    reading = await gateway.post("/integrations/v1/meter-readings", headers=WATER, json={"readings": [
        {"meter_id": "00012345", "reading_type": "cold_water_volume", "unit": "m3", "value": 12.5,
         "taken_at": (now - timedelta(hours=2)).isoformat()}]})
    assert reading.json()["accepted"] == 1, reading.text
    endpoint = await gateway.post("/integrations/v1/webhook-endpoints", headers=WATER,
                                  json={"url": receiver_url, "description": "CRM водоканалу"})
    assert endpoint.status_code == 201, endpoint.text
    endpoint_id = endpoint.json()["id"]
    await gateway.post(f"/integrations/v1/webhook-endpoints/{endpoint_id}/test", headers=WATER)

    async def delivered():  # every delivery done, so that what the stranger tries is all that could change them
        found = (await gateway.get(f"/integrations/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=WATER)).json()
        return found["deliveries"] if found["deliveries"] and all(d["status"] == "succeeded" for d in found["deliveries"]) else None

    delivery = (await until(delivered))[0]
    return {"request": leak.request_id, "outage": outage.json()["id"], "meter": "00012345", "endpoint": endpoint_id,
            "delivery": str(delivery["id"]), "key": "water001"}


# What the electricity company tries on the water company's things; `{…}` are the water company's ids.
ATTEMPTS = [
    ("GET", "/integrations/v1/requests/{request}", None),
    ("POST", "/integrations/v1/requests/{request}/status", {"status": "in_progress", "public_note": "Чуже"}),
    ("GET", "/integrations/v1/requests?after={request}", None),
    ("PATCH", "/integrations/v1/outages/{outage}", {"cause": "Чуже"}),
    ("POST", "/integrations/v1/outages/{outage}/resolve", {"note": "Чуже"}),
    ("GET", "/integrations/v1/meters/{meter}/readings", None),
    ("GET", "/integrations/v1/webhook-endpoints/{endpoint}", None),
    ("PATCH", "/integrations/v1/webhook-endpoints/{endpoint}", {"description": "Чуже", "enabled": False}),
    ("POST", "/integrations/v1/webhook-endpoints/{endpoint}/rotate-secret", None),
    ("POST", "/integrations/v1/webhook-endpoints/{endpoint}/test", None),
    ("GET", "/integrations/v1/webhook-endpoints/{endpoint}/deliveries", None),
    ("POST", "/integrations/v1/webhook-endpoints/{endpoint}/deliveries/{delivery}/redeliver", None),
    ("DELETE", "/integrations/v1/api-keys/{key}", None),
]
# Ids of the same shape that nobody has.
NOBODYS = {"request": "r-sec-nobody00", "outage": "out-nobody000000", "meter": "00099999",
           "endpoint": "ep_nobody000000000", "delivery": "999999", "key": "nobody01"}


def _without(text: str, ids: dict[str, str]) -> str:
    """The answer with each id in it said as "?" (a whole id only: delivery 1 is not the 1 of /v1/)."""
    for value in ids.values():
        text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "?", text)
    return text


async def test_a_company_reaches_only_its_own_requests_outages_meters_endpoints_and_keys(gateway):
    async with webhook_receiver() as receiver:
        water = await _water_company_owns_one_of_everything(gateway, receiver.url)
        before = {path: (await gateway.get(path, headers=WATER)).json() for path in (
            f"/integrations/v1/requests/{water['request']}", "/integrations/v1/outages",
            f"/integrations/v1/webhook-endpoints/{water['endpoint']}",
            f"/integrations/v1/webhook-endpoints/{water['endpoint']}/deliveries", "/integrations/v1/api-keys")}

        wrong = []
        for method, path, body in ATTEMPTS:
            theirs = await gateway.request(method, path.format(**water), headers=ELECTRICITY, json=body)
            nobodys = await gateway.request(method, path.format(**NOBODYS), headers=ELECTRICITY, json=body)
            if theirs.status_code != 404 or _without(theirs.text, water) != _without(nobodys.text, NOBODYS):
                wrong.append(f"{method} {path} of the water company's: {theirs.status_code} {theirs.text[:200]} "
                             f"(one nobody has: {nobodys.status_code} {nobodys.text[:200]})")
        assert not wrong, report(wrong, "ways into another company's things")

        # Its lists show none of the water company's; acknowledging its messages takes none of them.
        mine = {path: (await gateway.get(path, headers=ELECTRICITY)).text for path in (
            "/integrations/v1/requests", "/integrations/v1/outages", "/integrations/v1/webhook-endpoints",
            "/integrations/v1/inbox")}
        assert not [(path, name) for path, text in mine.items() for name, value in water.items() if value in text]
        messages = [m["id"] for m in (await gateway.get("/integrations/v1/inbox", headers=WATER)).json()["messages"]]
        assert messages
        acked = await gateway.post("/integrations/v1/inbox/ack", headers=ELECTRICITY, json={"ids": messages})
        assert acked.json() == {"acknowledged": 0, "unknown_or_already_acknowledged": sorted(messages)}

        # Nothing of the water company's changed (no delivery was added, no key revoked), and its key works.
        await asyncio.sleep(0.5)  # a redelivery or test message the attempts had queued would be there by now
        after = {path: (await gateway.get(path, headers=WATER)).json() for path in before}
        assert after == before
        assert [m["id"] for m in (await gateway.get("/integrations/v1/inbox", headers=WATER)).json()["messages"]] == messages
        # The city's staff see where the request went.
        staff = await gateway.get(f"/api/v1/routed-requests/{water['request']}",
                                  headers=bearer(gateway.settings, "integrator-olena", "integrations-admin"))
        assert staff.status_code == 200 and staff.json()["company_id"] == "co-water-demo"
