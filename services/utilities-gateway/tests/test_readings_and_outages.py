"""Meter-reading batches, outages and progress reports through the integration API, on the real
database (events checked in the outbox; the Kafka path is tests/test_utilities_to_citizens.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from utilities_gateway.adapters.tables import messaging, meter_readings
from utilities_gateway.domain.meters import NOT_BOUND, eic_check_character

from .conftest import ELECTRICITY, WATER

NOW = datetime.now(UTC).replace(microsecond=0)


def eic(serial: str) -> str:
    first = f"62Z{serial:0>12}"
    return first + eic_check_character(first)


def reading(meter: str, value: float, hours_ago: float, **kw) -> dict:
    return {"meter_id": meter, "reading_type": "active_energy_import", "unit": "kWh", "value": value,
            "taken_at": (NOW - timedelta(hours=hours_ago)).isoformat(), **kw}


async def _events(client, suffix: str) -> list[dict]:
    outbox = messaging.outbox
    async with client.app.state.engine.connect() as conn:
        rows = await conn.execute(select(outbox.c.payload).where(outbox.c.type.endswith(suffix)).order_by(outbox.c.id))
        return [r.payload["data"] for r in rows]


async def test_a_batch_reports_every_rejected_reading_and_stores_the_rest(gateway):
    a, b = eic("1"), eic("2")
    first = await gateway.post("/integrations/v1/meter-readings", headers=ELECTRICITY, json={"readings": [
        reading(a, 100, 48), reading(a, 110, 24), reading(b, 5, 24)]})
    assert first.status_code == 200 and first.json()["accepted"] == 3 and first.json()["rejected"] == []
    batch = [
        reading(a, 120, 1),                                  # 0 good
        reading(a[:-1] + ("X" if a[-1] != "X" else "Y"), 1, 1),  # 1 a mistyped EIC
        reading(a, 121, 0.5, unit="m3"),                     # 2 the unit does not fit electricity
        reading(a, 122, -2),                                 # 3 in the future
        reading(b, 4, 1),                                    # 4 b decreased (5 before)
        reading(a, 110, 24),                                 # 5 exactly what is stored: no effect
        reading(a, 111, 24),                                 # 6 another value for a stored time
        reading(a, 105, 36),                                 # 7 a backfill between 100 and 110: fine
        reading(a, 115, 30),                                 # 8 a backfill above the later 110: refused
        reading(a, 120, 1),                                  # 9 the same as 0 in this batch
        {"meter_id": a, "value": "many"},                    # 10 not a reading at all
        reading(b, 6, 0.5, unit="MWh"),                      # 11 b is kept in kWh
    ]
    answer = await gateway.post("/integrations/v1/meter-readings", headers=ELECTRICITY, json={"readings": batch})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["received"] == 12 and report["accepted"] == 2
    assert [(d["index"], d["reason"]) for d in report["duplicates"]] == [(5, "already stored"), (9, "repeats reading 0 of this batch")]
    rejected = {r["index"]: (r["field"], r["reason"]) for r in report["rejected"]}
    assert sorted(rejected) == [1, 2, 3, 4, 6, 8, 10, 11]
    assert rejected[1][0] == "meter_id" and "check character" in rejected[1][1]
    assert rejected[2][0] == "unit" and rejected[3][0] == "taken_at" and "future" in rejected[3][1]
    assert rejected[4] == ("value", "cumulative value decreased: 4 after 5")
    assert rejected[6][0] == "value" and "exceeds a later reading of 110" in rejected[8][1]
    assert rejected[10][0] in ("reading_type", "unit", "taken_at", "value")
    assert rejected[11] == ("unit", "this meter's active_energy_import is kept in kWh")

    history = (await gateway.get(f"/integrations/v1/meters/{a}/readings", headers=ELECTRICITY)).json()["readings"]
    assert [r["value"] for r in history] == [100, 105, 110, 120]
    events = await _events(gateway, "meter-readings.accepted.v1")
    assert [len(e["readings"]) for e in events] == [3, 2] and events[1]["company_id"] == "co-electricity-demo"
    # Another company can neither read nor write this meter.
    gas = {"X-API-Key": "ugw_gas00001_local-development-only-key"}
    # Another company's meter answers as one that does not exist: a 403 would confirm the EIC is real.
    theirs = await gateway.get(f"/integrations/v1/meters/{a}/readings", headers=gas)
    nobodys = await gateway.get(f"/integrations/v1/meters/{eic('98765')}/readings", headers=gas)
    assert theirs.status_code == nobodys.status_code == 404
    assert str(theirs.json()["errors"]).replace(a, "?") == str(nobodys.json()["errors"]).replace(eic("98765"), "?")
    assert (await gateway.get(f"/integrations/v1/meters/{a}/readings", headers=WATER)).status_code == 404
    foreign = await gateway.post("/integrations/v1/meter-readings", headers=gas,
                                 json={"readings": [reading(a, 999, 0.1, reading_type="volume", unit="m3")]})
    assert foreign.json()["rejected"][0]["reason"] == NOT_BOUND  # as for an EIC nobody has (tests/test_meter_bindings.py)


async def test_account_numbers_are_each_companys_own(gateway):
    """An EIC code is unique in Europe; an account number only within its company."""
    heating = {"X-API-Key": "ugw_heat0001_local-development-only-key"}
    water = [{"meter_id": "00012345", "reading_type": "cold_water_volume", "unit": "m3", "value": 12.5,
              "taken_at": (NOW - timedelta(hours=2)).isoformat()}]
    heat = [{"meter_id": "00012345", "reading_type": "heat_energy", "unit": "Gcal", "value": 3.2,
             "taken_at": (NOW - timedelta(hours=2)).isoformat()}]
    assert (await gateway.post("/integrations/v1/meter-readings", headers=WATER, json={"readings": water})).json()["accepted"] == 1
    assert (await gateway.post("/integrations/v1/meter-readings", headers=heating, json={"readings": heat})).json()["accepted"] == 1
    mine = (await gateway.get("/integrations/v1/meters/00012345/readings", headers=heating)).json()["readings"]
    assert [(r["reading_type"], r["value"]) for r in mine] == [("heat_energy", 3.2)]
    events = await _events(gateway, "meter-readings.accepted.v1")
    assert [e["readings"][0]["meter_id"] for e in events] == ["00012345", "00012345"]  # as the company named it


async def test_batches_are_bounded_and_idempotent(gateway):
    meter = eic("77")
    too_many = await gateway.post("/integrations/v1/meter-readings", headers=ELECTRICITY,
                                  json={"readings": [reading(meter, 1, 1)] * 10_001})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "readings"
    body = {"readings": [reading(meter, 1, 2), reading(meter, 2, 1)]}
    headers = {**ELECTRICITY, "Idempotency-Key": "upload-2026-11-26-001"}
    first = await gateway.post("/integrations/v1/meter-readings", headers=headers, json=body)
    replay = await gateway.post("/integrations/v1/meter-readings", headers=headers, json=body)
    assert replay.json() == first.json() and replay.headers["Idempotent-Replayed"] == "true"
    other = await gateway.post("/integrations/v1/meter-readings", headers=headers, json={"readings": body["readings"][:1]})
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "header.idempotency-key"
    async with gateway.app.state.engine.connect() as conn:
        stored = (await conn.execute(select(meter_readings.c.value).where(meter_readings.c.meter_id == meter))).scalars().all()
    assert sorted(stored) == [1, 2]
    assert len(await _events(gateway, "meter-readings.accepted.v1")) == 1


STREETS = {"streets": [{"street": "вул. Соборна", "from_house": 1, "to_house": 40}]}
POLYGON = {"type": "Polygon", "coordinates": [[[34.79, 50.90], [34.81, 50.90], [34.81, 50.92], [34.79, 50.92], [34.79, 50.90]]]}


async def test_an_outage_is_announced_updated_resolved_and_shown_to_citizens(gateway):
    start = NOW - timedelta(hours=1)
    created = await gateway.post("/integrations/v1/outages", headers={**WATER, "Idempotency-Key": "o-1"}, json={
        "planned": False, "area": {**STREETS, "geometry": POLYGON}, "starts_at": start.isoformat(),
        "expected_end": (NOW + timedelta(hours=5)).isoformat(), "cause": "Пошкодження водогону"})
    assert created.status_code == 201, created.text
    outage = created.json()
    retried = await gateway.post("/integrations/v1/outages", headers={**WATER, "Idempotency-Key": "o-1",
                                                                     "Content-Type": "application/json"},
                                 content=created.request.content)
    assert retried.json()["id"] == outage["id"] and retried.headers["Idempotent-Replayed"] == "true"
    assert outage["kind"] == "water" and outage["area_description"].startswith("вул. Соборна 1–40")
    later = (NOW + timedelta(hours=8)).isoformat()
    changed = await gateway.patch(f"/integrations/v1/outages/{outage['id']}", headers=WATER, json={"expected_end": later})
    assert changed.status_code == 200 and changed.json()["expected_end"].startswith(later[:16])
    assert (await gateway.patch(f"/integrations/v1/outages/{outage['id']}", headers=ELECTRICITY,
                                json={"cause": "x"})).status_code == 404
    bad = await gateway.post("/integrations/v1/outages", headers=WATER, json={
        "planned": True, "area": STREETS, "starts_at": NOW.isoformat(), "expected_end": start.isoformat()})
    assert bad.status_code == 422 and "expected_end" in bad.json()["detail"]

    public = (await gateway.get("/public/outages", headers={"Authorization": ""})).json()["outages"]
    assert [o["id"] for o in public] == [outage["id"]] and "company_id" not in public[0]
    geo = await gateway.get("/public/outages", params={"format": "geojson"}, headers={"Authorization": ""})
    assert geo.headers["content-type"] == "application/geo+json"
    assert geo.json()["features"][0]["geometry"]["type"] == "Polygon"

    resolved = await gateway.post(f"/integrations/v1/outages/{outage['id']}/resolve", headers=WATER, json={"note": "Відновлено"})
    assert resolved.json()["status"] == "resolved"
    assert (await gateway.post(f"/integrations/v1/outages/{outage['id']}/resolve", headers=WATER, json={})).json()["status"] == "resolved"
    assert (await gateway.get("/public/outages")).json()["outages"] == []
    reported = await _events(gateway, "outage.reported.v1")
    assert [e["outage_id"] for e in reported] == [outage["id"]] and reported[0]["company"]["kind"] == "water"
    assert [e["expected_end"][:16] for e in await _events(gateway, "outage.updated.v1")] == [later[:16]]
    assert [e["note"] for e in await _events(gateway, "outage.resolved.v1")] == ["Відновлено"]  # said twice, one event


async def test_progress_reports_follow_the_companys_workflow(gateway):
    from ecity_cli.testing import publish

    from .test_routing import submitted, wait_routed

    leak = submitted("water_leak", "water", lat=50.9077, long=34.7981)
    await publish(gateway.settings.kafka_bootstrap_servers, gateway.settings.topic("ecity.citizen-requests.v1"), leak)
    await wait_routed(gateway, 1)
    path = f"/integrations/v1/requests/{leak.subject}/status"
    no_date = await gateway.post(path, headers=WATER, json={"status": "planned"})
    assert no_date.status_code == 422 and "expected_datetime" in no_date.json()["detail"]
    when = (NOW + timedelta(days=1)).isoformat()
    planned = await gateway.post(path, headers=WATER, json={"status": "planned", "expected_datetime": when,
                                                             "public_note": "Бригада приїде завтра"})
    assert planned.status_code == 200 and planned.json()["status"] == "planned"
    # A note with the tenant's phone (issue 18): the company's own record keeps it, the event masks it.
    resolved = await gateway.post(path, headers=WATER, json={"status": "resolved",
                                                              "public_note": "Течу усунено, мешканець 067 913 58 24"})
    assert resolved.json()["status"] == "resolved"
    late = await gateway.post(path, headers=WATER, json={"status": "in_progress"})
    assert late.status_code == 409 and late.json()["errors"][0]["field"] == "status"
    assert (await gateway.post("/integrations/v1/requests/r-none/status", headers=WATER,
                               json={"status": "in_progress"})).status_code == 404
    events = await _events(gateway, "request.status-changed.v1")
    assert [(e["status"], e["public_note"]) for e in events] == [
        ("planned", "Бригада приїде завтра"), ("resolved", "Течу усунено, мешканець [телефон приховано]")]
    assert events[0]["company"]["name"].startswith("КП «Міськводоканал»")


async def test_a_company_announces_outages_only_within_the_area_it_serves(gateway):
    """A company's outage (and the cause it gives) must not attach to requests in another
    company's district: its area lies within the company's service area, or is refused."""
    from utilities_gateway.use_cases.demo_data import NORTH, SOUTH

    from .conftest import WASTE_SOUTH

    def outage(area: dict) -> dict:
        return {"planned": True, "area": area, "starts_at": (NOW + timedelta(hours=1)).isoformat(),
                "expected_end": (NOW + timedelta(hours=4)).isoformat(), "cause": "Ремонт контейнерного майданчика"}

    (west, south), _, (east, north), *_ = SOUTH["coordinates"][0]
    middle = (south + north) / 2
    inside = {"type": "Polygon", "coordinates": [[[west + 0.01, middle], [west + 0.02, middle], [west + 0.02, middle + 0.01],
                                                  [west + 0.01, middle + 0.01], [west + 0.01, middle]]]}
    assert (await gateway.post("/integrations/v1/outages", headers=WASTE_SOUTH,
                               json=outage({"geometry": inside}))).status_code == 201
    for area, field in (({"geometry": NORTH}, "area.geometry"), ({"whole_city": True}, "area.whole_city"),
                        ({"streets": [{"street": "вул. Харківська", "from_house": 1, "to_house": 5}]}, "area.streets[0]")):
        refused = await gateway.post("/integrations/v1/outages", headers=WASTE_SOUTH, json=outage(area))
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, refused.text
        assert refused.json()["type"].endswith("outside-service-area")
    assert (await gateway.post("/integrations/v1/outages", headers=WASTE_SOUTH,  # its own street
                               json=outage({"streets": [{"street": "вул. Соборна", "from_house": 2, "to_house": 8}]}))).status_code == 201
    mine = (await gateway.get("/integrations/v1/outages", headers=WASTE_SOUTH)).json()["outages"]
    moved = await gateway.patch(f"/integrations/v1/outages/{mine[0]['id']}", headers=WASTE_SOUTH, json={"area": {"geometry": NORTH}})
    assert moved.status_code == 422 and moved.json()["errors"][0]["field"] == "area.geometry"
    # A city-wide company (the water company) may announce anywhere in the city.
    assert (await gateway.post("/integrations/v1/outages", headers=WATER, json=outage({"geometry": NORTH}))).status_code == 201


async def test_the_outage_gauge_counts_unresolved_outages_per_company_kind_planned_and_started(gateway):
    """ecity_outages (the gateway's dashboard reads it): an accident under way and works announced
    for tomorrow count as two series, a resolved outage not at all."""
    from prometheus_client import REGISTRY

    from ecity_cli.testing import until
    from utilities_gateway.adapters import outage_gauges

    def announce(planned: bool, starts_at: datetime) -> dict:
        return {"planned": planned, "area": STREETS, "starts_at": starts_at.isoformat(),
                "expected_end": (starts_at + timedelta(hours=4)).isoformat()}

    def gauge(planned: str, started: str) -> float | None:
        return REGISTRY.get_sample_value("ecity_outages", {"company": "co-water-demo", "kind": "water",
                                                           "planned": planned, "started": started})

    accident = await gateway.post("/integrations/v1/outages", headers=WATER, json=announce(False, NOW - timedelta(hours=1)))
    works = await gateway.post("/integrations/v1/outages", headers=WATER, json=announce(True, NOW + timedelta(days=1)))
    over = await gateway.post("/integrations/v1/outages", headers=WATER, json=announce(False, NOW - timedelta(hours=2)))
    assert {accident.status_code, works.status_code, over.status_code} == {201}
    await gateway.post(f"/integrations/v1/outages/{over.json()['id']}/resolve", headers=WATER, json={})

    counts = await outage_gauges.count(gateway.app.state.engine)
    assert counts == {("co-water-demo", "water", "false", "true"): 1, ("co-water-demo", "water", "true", "false"): 1}

    # The worker publishes them; once the accident is resolved its series reads 0, not the last count.
    worker = asyncio.create_task(outage_gauges.keep_counting(gateway.app.state.engine, interval_s=0.05))
    try:
        async def published() -> bool:
            return gauge("false", "true") == 1 and gauge("true", "false") == 1
        await until(published, timeout_s=10)
        await gateway.post(f"/integrations/v1/outages/{accident.json()['id']}/resolve", headers=WATER, json={})

        async def accident_over() -> bool:
            return gauge("false", "true") == 0 and gauge("true", "false") == 1
        await until(accident_over, timeout_s=10)
    finally:
        worker.cancel()


async def test_a_companys_photos_of_its_work_go_with_its_report(gateway):
    """Proof of work (issue 18): a company uploads a photo (stripped of its metadata), names it in a
    progress report, and the report's event carries its public address, where anyone may see it;
    a photo not attached to a report, or another company's, is no one else's."""
    import io

    from PIL import Image

    from ecity_cli.testing import publish
    from ecity_cli.testing_photos import metadata_in, phone_photo

    from .conftest import WASTE_SOUTH
    from .test_routing import submitted, wait_routed

    leak = submitted("water_leak", "water", lat=50.9077, long=34.7981)
    await publish(gateway.settings.kafka_bootstrap_servers, gateway.settings.topic("ecity.citizen-requests.v1"), leak)
    await wait_routed(gateway, 1)

    async def upload(headers, data: bytes):
        return await gateway.post("/integrations/v1/photos", headers=headers, files={"file": ("IMG.HEIC", data, "image/heic")})

    uploaded = await upload(WATER, phone_photo(1600, 1200, fmt="HEIF", orientation=1))
    assert uploaded.status_code == 201, uploaded.text
    mine = uploaded.json()["photo_id"]
    theirs = (await upload(WASTE_SOUTH, phone_photo(640, 480, fmt="JPEG", gps=False))).json()["photo_id"]
    not_a_photo = await upload(WATER, b"not a photo")
    assert not_a_photo.status_code == 422 and not_a_photo.json()["errors"][0]["field"] == "file"
    assert (await gateway.get(f"/public/photos/{mine}/1280", headers={"Authorization": ""})).status_code == 404  # not reported yet

    path = f"/integrations/v1/requests/{leak.subject}/status"
    foreign = await gateway.post(path, headers=WATER, json={"status": "in_progress", "photo_ids": [theirs]})
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "photo_ids"
    reported = await gateway.post(path, headers=WATER, json={"status": "resolved", "public_note": "Течу усунено",
                                                              "photo_ids": [mine]})
    assert reported.status_code == 200, reported.text
    (event,) = await _events(gateway, "request.status-changed.v1")
    address = f"{gateway.settings.public_url or f'http://{gateway.settings.http_host}:{gateway.settings.http_port}'}" \
              f"/public/photos/{mine}/1280"
    assert event["photos"] == [address]
    shown = await gateway.get(f"/public/photos/{mine}/1280", headers={"Authorization": ""})
    assert shown.status_code == 200 and shown.headers["cache-control"].startswith("public")
    assert metadata_in(shown.content) == [] and Image.open(io.BytesIO(shown.content)).width == 1280
    assert (await gateway.get(f"/public/photos/{theirs}/320", headers={"Authorization": ""})).status_code == 404
