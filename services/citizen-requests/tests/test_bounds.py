"""Hostile input, bounded (issue 15, item 3), on the real service and database: an Open311 form
or a native filing past its body limit is refused while it arrives (the Open311 way on Open311),
and a utility filing reads and tests a bounded number of outages, each area parsed once per
version of the outage rather than on every filing."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from citizen_requests.adapters import utility_outages as outage_rows
from citizen_requests.adapters.tables import idempotency_keys
from citizen_requests.entrypoints.http.open311 import OPEN311_FORM_BODY
from citizen_requests.use_cases import utility_outages
from ecity_cli.testing import bearer, serving
from ecity_common.areas import MAX_VERTICES
from ecity_common.web.body_limits import JSON_BODY

KEY = "ecity311_demo0001_local-development-only-key"
NOW = datetime.now(UTC)


def square(west: float, south: float, size: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[west, south], [west + size, south], [west + size, south + size],
                                                [west, south + size], [west, south]]]}


async def _outage(client, outage_id: str, area: dict, ends_in_h: float) -> None:
    """An outage as the gateway's events leave it here (the consumer's own adapter)."""
    async with client.app.state.sessions() as session, session.begin():
        await outage_rows.keep(session, outage_id, dict(
            kind="water", company_name="Міськводоканал", planned=False, area=area, area_description="територія на карті",
            starts_at=NOW - timedelta(hours=1), expected_end=NOW + timedelta(hours=ends_in_h), cause="Порив"))


async def test_an_open311_form_or_a_filing_past_its_limit_is_refused_while_it_arrives(services):
    async with serving(services, "citizen-requests") as client:
        form = {"api_key": KEY, "service_code": "water_leak", "lat": "50.9077", "long": "34.7981", "attribute[where]": "street",
                "description": "Тече" + "ї" * OPEN311_FORM_BODY}
        refused = await client.post("/open311/v2/requests.json", data=form, headers={"Idempotency-Key": "app-huge"})
        assert refused.status_code == 413 and refused.headers["content-type"] == "application/json"
        (error,) = refused.json()
        assert error["code"] == 413 and "64 KiB" in error["description"]
        as_xml = await client.post("/open311/v2/requests.xml", data=form)
        assert as_xml.status_code == 413 and ET.fromstring(as_xml.content).find("error/code").text == "413"
        async with client.app.state.engine.connect() as conn:
            assert (await conn.execute(select(idempotency_keys.c.key))).all() == []
        # A form of the usual size is still filed.
        fine = await client.post("/open311/v2/requests.json", data={**form, "description": "Тече труба"})
        assert fine.status_code == 200 and fine.json()[0]["service_request_id"]

        citizen = bearer(client.settings, "citizen-olha", "citizen")
        huge = await client.post("/api/v1/requests", headers=citizen, json={
            "service_code": "water_leak", "description": "x" * JSON_BODY, "lat": 50.9077, "long": 34.7981})
        assert huge.status_code == 413 and huge.headers["content-type"] == "application/problem+json"
        assert huge.json()["max_body_bytes"] == JSON_BODY


async def test_a_filing_tests_a_bounded_number_of_outages_each_area_parsed_once(services, monkeypatch):
    async with serving(services, "citizen-requests") as client:
        limit = utility_outages.MAX_OUTAGES_CONSIDERED
        # A storm: more active outages of the utility than a filing looks at. Far from the citizen,
        # except two around them: one among the soonest to end, one past the bound.
        for n in range(limit + 50):
            await _outage(client, f"out-{n:03d}", {"geometry": square(34.60 + 0.001 * (n % 100), 50.80, 0.0005)}, 2 + n)
        await _outage(client, "out-here-later", {"geometry": square(34.79, 50.90, 0.02)}, 2 + limit + 100)
        reads = []
        read_areas = outage_rows.areas

        async def counted(db, ids):
            reads.append(len(ids))
            return await read_areas(db, ids)

        monkeypatch.setattr(outage_rows, "areas", counted)

        async def file(n: int) -> dict:
            citizen = bearer(client.settings, f"citizen-{n}", "citizen")
            answer = await client.post("/api/v1/requests", headers=citizen, json={
                "service_code": "no_water", "description": "Немає води", "lat": 50.91, "long": 34.80})
            assert answer.status_code == 201, answer.text
            return answer.json()

        # The covering outage ends after the `limit` soonest: not looked at.
        assert (await file(1))["outage_id"] is None
        assert reads == [limit]  # every area considered read once, none of those past the bound
        assert (await file(2))["outage_id"] is None and reads == [limit]  # nothing read again

        await _outage(client, "out-here-soon", {"geometry": square(34.79, 50.90, 0.02)}, 1)
        assert (await file(3))["outage_id"] == "out-here-soon"
        assert reads == [limit, 1]  # only the new one (and one fewer of the others is considered)
        # A change of an outage is a new version of its row: its area is read again, once.
        await _outage(client, "out-here-soon", {"geometry": square(34.70, 50.85, 0.01)}, 1)
        assert (await file(4))["outage_id"] is None and reads == [limit, 1, 1]
        assert (await file(5))["outage_id"] is None and reads == [limit, 1, 1]


async def test_a_stored_area_that_no_longer_passes_is_no_500(services):
    async with serving(services, "citizen-requests") as client:
        points = MAX_VERTICES + 1000  # kept before the cap was set
        ring = [[34.80 + 0.02 * math.cos(2 * math.pi * k / points), 50.91 + 0.02 * math.sin(2 * math.pi * k / points)]
                for k in range(points)]
        await _outage(client, "out-old", {"geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}}, 3)
        filed = await client.post("/api/v1/requests", headers=bearer(client.settings, "citizen-petro", "citizen"), json={
            "service_code": "no_water", "description": "Немає води", "lat": 50.91, "long": 34.80})
        assert filed.status_code == 201 and filed.json()["outage_id"] is None
