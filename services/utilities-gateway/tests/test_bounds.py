"""Hostile input, bounded (issue 15, item 3), on the real gateway and database: a batch of 10,000
readings fits its route's body limit and one past it is refused while it arrives; no body is read
past its route's limit, Idempotency-Key or not; an outage's area has a cap on its points, named in
the refusal; and the public list of outages parses no area for each call."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY
from sqlalchemy import select

from ecity_common.areas import MAX_VERTICES, Area
from ecity_common.web.body_limits import JSON_BODY
from utilities_gateway.adapters.tables import idempotency_keys
from utilities_gateway.domain.meters import MAX_BATCH, eic_check_character
from utilities_gateway.entrypoints.http.meters import METER_BATCH_BODY
from utilities_gateway.use_cases import outages as outage_cases

from .conftest import ELECTRICITY, WATER

NOW = datetime.now(UTC).replace(microsecond=0)


def meter(n: int) -> str:
    first = f"62Z{n:012d}"
    return first + eic_check_character(first)


class Chunks:
    """A chunked body (no Content-Length) counting the chunks the gateway pulled."""

    def __init__(self, count: int, size: int) -> None:
        self.count, self.size, self.pulled = count, size, 0

    async def __aiter__(self):
        self.pulled += 1
        yield b'{"readings": ['
        for _ in range(self.count):
            self.pulled += 1
            yield b" " * self.size


def ring(points: int) -> list[list[float]]:
    around = [[34.80 + 0.01 * math.cos(2 * math.pi * k / (points - 1)), 50.91 + 0.01 * math.sin(2 * math.pi * k / (points - 1))]
              for k in range(points - 1)]
    return [*around, around[0]]


def outage(geometry: dict, cause: str = "Пошкодження водогону", hours_ago: int = 1) -> dict:
    return {"planned": False, "area": {"geometry": geometry}, "starts_at": (NOW - timedelta(hours=hours_ago)).isoformat(),
            "expected_end": (NOW + timedelta(hours=5)).isoformat(), "cause": cause}


def problem_413(answer, limit: int) -> None:
    assert answer.status_code == 413 and answer.headers["content-type"] == "application/problem+json", answer.text
    assert answer.json()["max_body_bytes"] == limit


async def test_a_batch_of_10000_readings_fits_and_a_bigger_body_is_refused_while_it_arrives(gateway):
    start = NOW - timedelta(days=1)
    # The city binds the 10,000 meters to the company in one call (the demo data bound the first 100).
    bound = await gateway.post("/api/v1/companies/co-electricity-demo/meters",
                               json={"eics": [meter(m) for m in range(MAX_BATCH)]})
    assert bound.status_code == 200 and bound.json()["bound"] + bound.json()["already_bound"] == MAX_BATCH, bound.text[:500]
    readings = [{"meter_id": meter(m), "reading_type": "active_energy_import", "unit": "kWh", "value": 1000.0 + m % 13,
                 "taken_at": (start + timedelta(seconds=m)).isoformat(), "source": "remote"} for m in range(MAX_BATCH)]
    # As an uploader might pretty-print it: 2.6 MB.
    body = json.dumps({"readings": readings}, indent=4).encode()
    assert len(body) < METER_BATCH_BODY
    sent = await gateway.post("/integrations/v1/meter-readings", headers={**ELECTRICITY, "Content-Type": "application/json"},
                              content=body)
    assert sent.status_code == 200 and sent.json()["accepted"] == MAX_BATCH, sent.text[:500]
    # The widest batch the reading model lets through (every field at its longest), pretty-printed:
    # 3.3 MB, also within the limit (its readings are each refused, the batch is not).
    widest = {"meter_id": "9" * 32, "reading_type": "x" * 40, "unit": "y" * 10, "value": 1.2345678901234567e-05,
              "taken_at": "2026-11-26T23:59:59.999999+02:00", "source": "estimated"}
    body = json.dumps({"readings": [widest] * MAX_BATCH}, indent=4).encode()
    assert 3_000_000 < len(body) < METER_BATCH_BODY
    sent = await gateway.post("/integrations/v1/meter-readings", headers={**ELECTRICITY, "Content-Type": "application/json"},
                              content=body)
    assert sent.status_code == 200 and len(sent.json()["rejected"]) == MAX_BATCH

    too_big = b'{"readings": [' + b" " * METER_BATCH_BODY + b"]}"
    problem_413(await gateway.post("/integrations/v1/meter-readings", headers={**ELECTRICITY, "Content-Type": "application/json"},
                                   content=too_big), METER_BATCH_BODY)
    endless = Chunks(count=100_000, size=64 * 1024)  # 6.5 GB, were it all read
    problem_413(await gateway.post("/integrations/v1/meter-readings", headers={**ELECTRICITY, "Content-Type": "application/json"},
                                   content=endless), METER_BATCH_BODY)
    assert endless.pulled == 1 + METER_BATCH_BODY // (64 * 1024)  # the opening, then chunks up to the one that crossed


async def test_no_body_is_read_past_its_limit_and_no_idempotency_key_is_claimed_for_it(gateway):
    created = await gateway.post("/integrations/v1/outages", headers=WATER, json=outage({"type": "Polygon", "coordinates": [ring(5)]}))
    assert created.status_code == 201, created.text
    note = {"note": "Відновлено" + " " * JSON_BODY}  # a JSON route's default limit, with an Idempotency-Key
    refused = await gateway.post(f"/integrations/v1/outages/{created.json()['id']}/resolve",
                                 headers={**WATER, "Idempotency-Key": "resolve-huge"}, json=note)
    problem_413(refused, JSON_BODY)
    async with gateway.app.state.engine.connect() as conn:
        claimed = (await conn.execute(select(idempotency_keys.c.key).where(idempotency_keys.c.key == "resolve-huge"))).all()
    assert claimed == []
    # Said up front (unauthenticated, too): refused before the body, the key or the token are looked at.
    problem_413(await gateway.post("/integrations/v1/outages", headers={"Content-Type": "application/json", "Authorization": ""},
                                   content=b"[" + b" " * 2 * 1024 * 1024 + b"]"), 1024 * 1024)
    assert (await gateway.get("/public/outages")).json()["outages"][0]["status"] == "active"


async def test_an_outage_area_has_a_cap_on_its_points_named_in_the_refusal(gateway):
    at_cap = await gateway.post("/integrations/v1/outages", headers=WATER,
                                json=outage({"type": "Polygon", "coordinates": [ring(MAX_VERTICES)]}))
    assert at_cap.status_code == 201, at_cap.text
    over = await gateway.post("/integrations/v1/outages", headers=WATER,
                              json=outage({"type": "Polygon", "coordinates": [ring(MAX_VERTICES + 1)]}))
    assert over.status_code == 422 and over.headers["content-type"] == "application/problem+json"
    assert over.json()["errors"] == [{"field": "area.geometry.coordinates",
                                      "message": f"at most {MAX_VERTICES} points in an area's geometry"}]
    changed = await gateway.patch(f"/integrations/v1/outages/{at_cap.json()['id']}", headers=WATER,
                                  json={"area": {"geometry": {"type": "MultiPolygon", "coordinates": [[ring(5)]] * 51}}})
    assert changed.status_code == 422 and changed.json()["errors"][0]["field"] == "area.geometry.coordinates"


async def test_the_public_list_parses_no_area_for_each_call(gateway, monkeypatch):
    for n in range(3):
        created = await gateway.post("/integrations/v1/outages", headers=WATER,
                                     json=outage({"type": "Polygon", "coordinates": [ring(400)]}, cause=f"Аварія {n}", hours_ago=n + 1))
        assert created.status_code == 201
    parsed = []

    class Counted(Area):
        @classmethod
        def model_validate(cls, *args, **kwargs):
            parsed.append(1)
            return super().model_validate(*args, **kwargs)

    monkeypatch.setattr(outage_cases, "Area", Counted)
    monkeypatch.setattr(outage_cases, "_descriptions", type(outage_cases._descriptions)())  # as a fresh replica
    first = (await gateway.get("/public/outages")).json()["outages"]
    assert len(first) == 3 and all(o["area_description"] == "територія на карті" for o in first) and len(parsed) == 3
    for _ in range(3):
        assert (await gateway.get("/public/outages")).json()["outages"] == first
        geo = (await gateway.get("/public/outages", params={"format": "geojson"})).json()
        assert [f["properties"]["area_description"] for f in geo["features"]] == ["територія на карті"] * 3
    assert len(parsed) == 3
    # A change is a new version of the outage: described as it is written, and read as such.
    changed = await gateway.patch(f"/integrations/v1/outages/{first[0]['id']}", headers=WATER,
                                  json={"area": {"streets": [{"street": "вул. Соборна"}]}})
    assert changed.json()["area_description"] == "вул. Соборна"
    parsed.clear()
    listed = {o["id"]: o["area_description"] for o in (await gateway.get("/public/outages")).json()["outages"]}
    assert listed[first[0]["id"]] == "вул. Соборна" and parsed == []


def encoded(what: str) -> float:
    return REGISTRY.get_sample_value("ecity_renders_total", {"what": what}) or 0.0


async def test_the_public_map_is_encoded_once_per_version_of_the_outages(gateway):
    created = await gateway.post("/integrations/v1/outages", headers=WATER,
                                 json=outage({"type": "Polygon", "coordinates": [ring(MAX_VERTICES)]}, cause="Аварія на мапі"))
    assert created.status_code == 201
    first = await gateway.get("/public/outages", params={"format": "geojson"})
    assert first.status_code == 200 and first.headers["content-type"] == "application/geo+json"
    assert created.json()["id"] in {f["id"] for f in first.json()["features"]}
    tag, before = first.headers["etag"], encoded("outages.geojson")
    for _ in range(3):
        again = await gateway.get("/public/outages.geojson")
        assert again.content == first.content and again.headers["etag"] == tag
    assert encoded("outages.geojson") == before
    kept = await gateway.get("/public/outages", params={"format": "geojson"}, headers={"If-None-Match": tag})
    assert kept.status_code == 304 and kept.content == b""
    # Each kind is a map of its own; a resolution is a new version, and the map no longer has it.
    heating = await gateway.get("/public/outages", params={"format": "geojson", "kind": "heating"})
    assert heating.headers["etag"] != tag and heating.json()["features"] == []
    resolved = await gateway.post(f"/integrations/v1/outages/{created.json()['id']}/resolve", headers=WATER, json={})
    assert resolved.status_code == 200
    after = await gateway.get("/public/outages", params={"format": "geojson"}, headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert created.json()["id"] not in {f["id"] for f in after.json()["features"]}
