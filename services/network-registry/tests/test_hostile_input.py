"""Hostile input is refused, never a 500 (issue 15): numbers past their column and control
characters in a filter, a path, a header or a body; a filter of the wrong type for its field.
Each answer is a 422 problem naming the field; each case once broke a route or could have."""

from __future__ import annotations

import pytest

from ecity_cli.testing import serving
from ecity_common.inputs import MAX_OFFSET, cursor

HUGE = str(2**64)
KEY = "nms_demo0001_local-development-only-key"


@pytest.fixture
async def registry(services):
    async with serving(services, "network-registry", "network-admin", subject="it-engineer-h") as client:
        yield client


def refused(answer, field: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]], answer.text


async def test_pages_past_a_column_or_the_offset_cap_are_refused(registry):
    for path in ("sites", "devices", "links"):
        for params, field in (({"offset": HUGE}, "query.offset"), ({"limit": HUGE}, "query.limit"),
                              ({"offset": str(MAX_OFFSET + 1)}, "query.offset"), ({"limit": "0"}, "query.limit")):
            refused(await registry.get(f"/api/v1/{path}/", params=params), field)


FILTERS = [
    ("sites", {"name": "Школа\x00"}, "query.name"),
    ("sites", {"name__ic": "\x00"}, "query.name__ic"),
    ("sites", {"kind__in": "school,\x00"}, "query.kind__in"),
    ("sites", {"version": HUGE}, "query.version"),
    ("sites", {"version__gte": "many"}, "query.version__gte"),
    ("sites", {"created_at__gte": "yesterday"}, "query.created_at__gte"),  # was compared as text: a 500
    ("sites", {"created_at__gte": "0001-01-01T00:00:00+05:00"}, "query.created_at__gte"),
    ("sites", {"lat__gte": "north"}, "query.lat__gte"),
    ("devices", {"cost_kop__gte": HUGE}, "query.cost_kop__gte"),
    ("devices", {"commissioned_on__in": "2021-01-01,never"}, "query.commissioned_on__in"),
    ("links", {"fibre_count": str(2**40)}, "query.fibre_count"),
    ("links", {"installed_on": "2021-13-01"}, "query.installed_on"),
    ("links", {"limit": "5", "brief": "true\x00"}, "query.brief"),
]


async def test_a_filter_s_value_is_read_as_its_field_s_type(registry):
    for path, params, field in FILTERS:
        refused(await registry.get(f"/api/v1/{path}/", params=params), field)


async def test_filters_no_column_can_answer_are_unknown_filters(registry):
    for params in ({"version__ic": "1"}, {"route": "x"}, {"lat__ic": "50"}):  # ILIKE on a number, JSON equality
        answer = await registry.get("/api/v1/links/" if "route" in params else "/api/v1/sites/", params=params)
        assert answer.status_code == 400 and answer.json()["errors"][0]["message"] == "unknown filter", answer.text
    # A fair question of no object is still a question: an empty page.
    assert (await registry.get("/api/v1/links/", params={"fibre_count__gte": "0", "limit": 1})).json()["count"] > 0
    assert (await registry.get("/api/v1/sites/", params={"created_at__gte": "2000-01-01"})).json()["count"] > 0
    assert (await registry.get("/api/v1/sites/", params={"kind__ic": "schoo"})).json()["count"] > 0


async def test_the_change_log_refuses_a_nul_in_a_filter_and_pages_by_cursor(registry):
    for params, field in (({"object_id": "site\x00"}, "query.object_id"), ({"request_id": "r\x00"}, "query.request_id"),
                          ({"object_type": "site\x00"}, "query.object_type"), ({"offset": HUGE}, "query.offset"),
                          ({"after": "%%%"}, "query.after"), ({"after": cursor("x")}, "query.after")):
        refused(await registry.get("/api/v1/changes/", params=params), field)
    for name in ("Школа №300", "Школа №301", "Школа №302"):
        created = await registry.post("/api/v1/sites/", json={"name": name, "kind": "school", "lat": 50.91, "long": 34.8})
        assert created.status_code == 201, created.text
    seen, params = [], {"limit": 2, "object_type": "site"}
    while True:
        page = (await registry.get("/api/v1/changes/", params=params)).json()
        seen += [entry["id"] for entry in page["results"]]
        if page["next_cursor"] is None:
            break
        assert "after=" in page["next"] and "offset" not in page["next"]
        params = {"limit": 2, "object_type": "site", "after": page["next_cursor"]}
    assert len(seen) == len(set(seen)) >= 3 and seen == sorted(seen, reverse=True)


async def test_paths_headers_and_bodies_refuse_control_characters_and_numbers_past_their_column(registry):
    for method, path in (("get", "/api/v1/sites/s%00"), ("patch", "/api/v1/devices/d%00"), ("delete", "/api/v1/links/l%00")):
        answer = await getattr(registry, method)(path, **({"json": {}} if method == "patch" else {}))
        refused(answer, "path.object_id")
    site = {"name": "Школа №310", "kind": "school", "lat": 50.91, "long": 34.8}
    refused(await registry.post("/api/v1/sites/", json=site, headers={"X-Request-ID": "a\tb"}), "header.X-Request-ID")
    refused(await registry.post("/api/v1/sites/", json=site, headers={"X-Request-ID": "r" * 201}), "header.X-Request-ID")
    for extra, field in (({"name": "Школа\x00"}, "name"), ({"address": "вул.\x1bСоборна"}, "address")):
        refused(await registry.post("/api/v1/sites/", json={**site, **extra}), field)
    device = {"name": "Комутатор Х", "role": "access_switch", "site_id": "site-001", "cost_kop": 2**63}
    refused(await registry.post("/api/v1/devices/", json=device), "cost_kop")  # past BIGINT: was an OverflowError
    refused(await registry.post("/api/v1/devices/", json={**device, "cost_kop": 100, "site_id": "site\x00"}), "site_id")
    link = {"name": "Лінія Х", "a_device_id": "dev-core-1", "b_device_id": "dev-core-2", "fibre_count": 8, "length_m": 100,
            "route": {"type": "LineString", "coordinates": [[34.8, 50.9], [34.81, 50.91]], "note": "\u0000"}}
    created = await registry.post("/api/v1/links/", json=link)  # the extra member carried a NUL into JSONB
    assert created.status_code == 201 and set(created.json()["route"]) == {"type", "coordinates"}, created.text
    # An id in a body: chosen on create, naming each object of a bulk change or delete.
    refused(await registry.post("/api/v1/sites/", json={**site, "id": "s\x00"}), "id")
    refused(await registry.patch("/api/v1/sites/", json=[{"id": "s\x00", "address": "x"}]), "id")
    refused(await registry.request("DELETE", "/api/v1/sites/", json=[{"id": "s\x00"}]), "id")
    for analysis, params, field in (("impact", {"device": "d\x00"}, "query.device"),
                                    ("path", {"from_site": "s\x00", "to_site": "site-001"}, "query.from_site")):
        refused(await registry.get(f"/api/v1/analysis/{analysis}", params=params), field)
    refused(await registry.get("/api/v1/analysis/topology.svg", params={"failed_device": "d\x00"}), "query.failed_device[0]")


async def test_a_monitoring_report_of_the_wrong_shape_is_refused(registry):
    key = {"X-API-Key": KEY}
    for body, field in (({"element_kind": "device", "element_id": "dev-core-1", "state": ["down"]}, "state"),
                        ({"element_kind": ["device"], "element_id": "dev-core-1", "state": "down"}, "element_kind"),
                        ({"element_kind": "device", "element_id": "dev\x00", "state": "down"}, "element_id"),
                        ({"element_kind": "device", "element_id": "dev-core-1", "state": "down", "message": 7}, "message"),
                        ({"element_kind": "device", "element_id": "dev-core-1", "state": "down", "message": "\x00"},
                         "message")):
        answer = await registry.post("/api/v1/monitoring/status", json=body, headers=key)
        refused(answer, field)
