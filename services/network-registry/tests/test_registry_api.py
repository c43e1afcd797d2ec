"""The registry through its API, on the real database and Kafka, with the illustrative МТКМ."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ecity_cli.testing import bearer, read_topic, serving
from ecity_common.events import CloudEvent
from network_registry.adapters.tables import messaging

KEY = "nms_demo0001_local-development-only-key"


@pytest.fixture
async def registry(services):
    async with serving(services, "network-registry", "network-admin", subject="it-engineer-1") as client:
        yield client


async def staged(client, type_suffix: str) -> list[CloudEvent]:
    outbox = messaging.outbox
    async with client.app.state.engine.connect() as conn:
        payloads = (await conn.execute(select(outbox.c.payload).where(outbox.c.type.endswith(type_suffix)).order_by(outbox.c.id))).scalars()
        return [CloudEvent.model_validate(p) for p in payloads]


async def test_the_demo_network_and_its_analysis(registry):
    client = registry
    sites = (await client.get("/api/v1/sites/", params={"limit": 1})).json()
    assert sites["count"] == 98 and len(sites["results"]) == 1 and "offset=1" in sites["next"] and sites["previous"] is None
    spof = (await client.get("/api/v1/analysis/single-points-of-failure")).json()
    assert "dev-dist-1" in spof["devices"]  # a district cabinet carries its single-homed institutions
    assert {"dev-core-1", "dev-core-2"}.isdisjoint(spof["devices"])  # two cores back each other up
    impact = (await client.get("/api/v1/analysis/impact", params={"device": "dev-dist-1"})).json()
    names = [s["name"] for s in impact["sites_cut_off"]]
    assert "Вузлова шафа Центр" in names and len(names) > 5
    # Every fourth institution has a second uplink and survives its cabinet.
    assert "site-001" not in {s["id"] for s in impact["sites_cut_off"]}
    assert (await client.get("/api/v1/analysis/impact", params={"link": "link-002"})).json()["sites_cut_off"] == []  # the ring
    path = (await client.get("/api/v1/analysis/path", params={"from_site": "site-002", "to_site": "site-city-hall"})).json()
    assert path["devices"][0] == "dev-002" and path["devices"][-1] == "dev-core-1"
    bad = await client.get("/api/v1/analysis/impact", params={"device": "x", "link": "y"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


async def test_filters_brief_pages_and_unknown_filters(registry):
    client = registry
    cctv = (await client.get("/api/v1/sites/", params={"kind__in": "cctv_point,data_centre", "limit": 1000})).json()
    assert {s["kind"] for s in cctv["results"]} == {"cctv_point", "data_centre"} and cctv["count"] == len(cctv["results"])
    schools = (await client.get("/api/v1/sites/", params={"name__ic": "школа", "brief": "true"})).json()
    assert schools["count"] > 0 and set(schools["results"][0]) == {"id", "name", "url"}
    links = (await client.get("/api/v1/links/", params={"installed_on__gte": "2021-06-01", "installed_on__lte": "2021-06-01"})).json()
    assert links["count"] == 123
    assert (await client.get("/api/v1/links/", params={"installed_on__gte": "2022-01-01"})).json()["count"] == 0
    unknown = await client.get("/api/v1/sites/", params={"colour": "red"})
    assert unknown.status_code == 400 and unknown.json()["errors"] == [{"field": "query.colour", "message": "unknown filter"}]
    reader = bearer(client.settings, "auditor", "network-read")
    assert (await client.get("/api/v1/sites/", headers=reader)).status_code == 200
    assert (await client.post("/api/v1/sites/", json={"name": "x", "kind": "school"}, headers=reader)).status_code == 403


async def test_etag_if_match_and_the_change_log(registry):
    client = registry
    first = await client.get("/api/v1/sites/site-001")
    etag = first.headers["etag"]
    changed = await client.patch("/api/v1/sites/site-001", json={"address": "вул. Покровська, 9"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    stale = await client.patch("/api/v1/sites/site-001", json={"address": "інша"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["errors"][0]["field"] == "header.if-match"
    log = (await client.get("/api/v1/changes/", params={"object_id": "site-001"})).json()["results"]
    assert log[0]["action"] == "update" and log[0]["actor"] == "it-engineer-1"
    assert log[0]["before"]["address"] != log[0]["after"]["address"] == "вул. Покровська, 9"


async def test_bulk_create_is_all_or_none_and_bad_input_names_the_field(registry):
    client = registry
    good = {"name": "Школа №200", "kind": "school", "lat": 50.91, "long": 34.8}
    batch = [good, {"name": "Школа №201", "kind": "school", "lat": 50.45, "long": 30.52}]  # the second is in Kyiv
    answer = await client.post("/api/v1/sites/", json=batch, headers={"X-Request-ID": "bulk-1"})
    assert answer.status_code == 422 and "nothing was created" in answer.json()["detail"]
    assert (await client.get("/api/v1/sites/", params={"name": "Школа №200"})).json()["count"] == 0
    created = await client.post("/api/v1/sites/", json=[good, {**good, "name": "Школа №201"}], headers={"X-Request-ID": "bulk-2"})
    assert created.status_code == 201 and len(created.json()) == 2
    assert (await client.get("/api/v1/changes/", params={"request_id": "bulk-2"})).json()["count"] == 2
    ids = [{"id": s["id"]} for s in created.json()]
    assert (await client.request("DELETE", "/api/v1/sites/", json=[*ids, {"id": "no-such"}])).status_code == 404
    assert (await client.get("/api/v1/sites/", params={"name__in": "Школа №200,Школа №201"})).json()["count"] == 2  # rolled back
    for body, field, status in [
        ({"name": "d", "role": "router", "site_id": "site-001", "mgmt_ip": "10.0.0.300"}, "mgmt_ip", 422),
        ({"name": "d", "role": "router", "site_id": "nowhere"}, "site_id", 422),
        ({"name": "d", "role": "toaster", "site_id": "site-001"}, "role", 422),
        ({"name": "d", "role": "router", "site_id": "site-001", "serial": "DEMO00005"}, "serial", 409),
    ]:
        answer = await client.post("/api/v1/devices/", json=body)
        assert answer.status_code == status and answer.json()["errors"][0]["field"] == field, answer.text
    gone = await client.patch("/api/v1/devices/dev-001", json={"status": "decommissioned"})
    assert gone.status_code == 200
    back = await client.patch("/api/v1/devices/dev-001", json={"status": "active"})
    assert back.status_code == 409 and back.json()["errors"][0]["field"] == "status"


async def test_monitoring_opens_one_outage_per_failure_and_resolves_it(registry):
    client = registry
    nms = {"X-API-Key": KEY}
    report = {"element_kind": "device", "element_id": "dev-dist-2", "state": "down"}
    assert (await client.post("/api/v1/monitoring/status", json=report)).status_code == 401
    assert (await client.post("/api/v1/monitoring/status", json=report, headers={"X-API-Key": KEY + "x"})).status_code == 401
    assert (await client.post("/api/v1/monitoring/status", json=report, headers=nms)).json()["changed"] is True
    assert (await client.post("/api/v1/monitoring/status", json=report, headers=nms)).json()["changed"] is False
    detected = await staged(client, "outage.detected.v1")
    assert len(detected) == 1
    affected = {s["site_id"] for s in detected[0].data["affected_sites"]}
    assert "site-cab-2" in affected and detected[0].data["element_id"] == "dev-dist-2"
    assert all(s["kind"] and s["address"] for s in detected[0].data["affected_sites"])
    await client.post("/api/v1/monitoring/status", json={**report, "state": "up"}, headers=nms)
    await client.post("/api/v1/monitoring/status", json=report, headers=nms)  # flaps straight back down
    detected = await staged(client, "outage.detected.v1")
    resolved = await staged(client, "outage.resolved.v1")
    assert len(resolved) == 1 and {e.data["outage_id"] for e in detected} == {resolved[0].data["outage_id"]}
    assert len(await staged(client, "element-status.changed.v1")) == 3
    bad = await client.post("/api/v1/monitoring/status", json={"element_kind": "router", "state": "sideways"}, headers=nms)
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"element_kind", "state", "element_id"}

    # And it all reached Kafka through the outbox.
    topic = client.settings.topic("ecity.network.v1")
    records = await read_topic(client.settings.kafka_bootstrap_servers, topic, 6)
    types = [CloudEvent.from_kafka(r.headers, r.value).type for r in records]
    assert "ua.sumy.ecity.network-registry.outage.detected.v1" in types


async def test_commissioning_a_paid_asset_tells_the_budget_ledger(registry):
    client = registry
    device = {"name": "olt-new-district", "role": "olt", "site_id": "site-cab-1", "status": "planned",
              "cost_kop": 45_000_000, "measure_code": "02-1", "holder_code": "02", "commissioned_on": "2021-10-05"}
    created = (await client.post("/api/v1/devices/", json=device)).json()
    await client.patch(f"/api/v1/devices/{created['id']}", json={"status": "active"})
    [event] = await staged(client, "asset.commissioned.v1")
    assert event.data == {"asset_id": created["id"], "asset_kind": "device", "name": "olt-new-district", "cost_kop": 45_000_000,
                          "measure_code": "02-1", "holder_code": "02", "commissioned_on": "2021-10-05"}


async def test_csv_round_trip_and_a_report_of_every_bad_row(registry):
    client = registry
    exported = (await client.get("/api/v1/csv/devices")).text
    lines = exported.splitlines()
    assert lines[0].startswith("id,cost_kop,measure_code") and len(lines) == 99
    # Import it into nothing changed: every row is an update with the same values.
    again = await client.post("/api/v1/csv/devices", content=exported.encode())
    assert again.status_code == 200 and again.json()["updated"] == 98 and again.json()["created"] == 0
    assert (await client.get("/api/v1/csv/devices")).text == exported
    header = "name,kind,lat,long,owner_holder_code\n"
    rows = ("Бібліотека №1,library,50.92,34.80,06\n"
            "Бібліотека №2,library,50.45,30.52,06\n"       # Kyiv
            "Бібліотека №3,castle,50.92,34.80,06\n"         # no such kind
            "Бібліотека №4,library,50.92,34.80,6\n")        # holder code is 2 digits
    bad = await client.post("/api/v1/csv/sites", content=(header + rows).encode())
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["rows[3].lat", "rows[4].kind", "rows[5].owner_holder_code"]
    assert "outside the city of Sumy" in bad.json()["errors"][0]["message"]
    assert (await client.get("/api/v1/sites/", params={"name__ic": "Бібліотека"})).json()["count"] == 0  # none of it
    good = await client.post("/api/v1/csv/sites", content=(header + rows.splitlines()[0] + "\n").encode())
    assert good.json()["created"] == 1
    unknown = await client.post("/api/v1/csv/sites", content=b"name,colour\nx,red\n")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "rows[1].colour"


async def test_a_name_a_spreadsheet_would_run_is_exported_quoted_and_imported_as_it_was(registry):
    """Cells that begin as a formula does ('=', '+', '-', '@') get a quote in front in the export, and
    a quote the value itself begins with gets another; the import takes one off, so the export of an
    import of the export is the export (issue 15)."""
    client = registry
    names = ['=HYPERLINK("http://example.org/x","Сайт")', "+380 542 700 000", "-2+3+cmd|' /C calc'!A0", "@SUM(1)",
             "'=1+1", "-12"]
    for i, name in enumerate(names):
        site = {"name": name, "kind": "library", "address": f"=1+{i}", "lat": 50.92, "long": 34.8}
        assert (await client.post("/api/v1/sites/", json=site)).status_code == 201
    exported = (await client.get("/api/v1/csv/sites")).text
    cells = {line.split(",")[1] for line in exported.splitlines()}
    assert {"'+380 542 700 000", "'@SUM(1)", "'-2+3+cmd|' /C calc'!A0", "''=1+1", "-12"} <= cells
    assert not any(line.split(",")[1].startswith(("=", "+", "@", '"=')) for line in exported.splitlines())
    again = await client.post("/api/v1/csv/sites", content=exported.encode())
    assert again.status_code == 200 and again.json()["created"] == 0, again.text
    assert (await client.get("/api/v1/csv/sites")).text == exported
    stored = {s["name"] for s in (await client.get("/api/v1/sites/", params={"limit": 200})).json()["results"]}
    assert set(names) <= stored


async def test_geojson_and_the_topology_picture(registry):
    client = registry
    sites = await client.get("/api/v1/maps/sites.geojson")
    assert sites.headers["content-type"] == "application/geo+json"
    features = sites.json()["features"]
    assert len(features) == 98 and features[0]["geometry"]["type"] == "Point"
    lon, lat = features[0]["geometry"]["coordinates"]
    assert 34.6 < lon < 35.0 and 50.8 < lat < 51.02
    links = (await client.get("/api/v1/maps/links.geojson")).json()["features"]
    assert len(links) == 123 and all(f["geometry"]["type"] == "LineString" for f in links)
    png = await client.get("/api/v1/analysis/topology.png", params={"failed_device": "dev-dist-3"})
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    svg = await client.get("/api/v1/analysis/topology.svg")
    assert svg.headers["content-type"] == "image/svg+xml" and "<svg" in svg.text
