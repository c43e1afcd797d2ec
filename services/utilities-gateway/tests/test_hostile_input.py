"""Hostile input is refused, never a 500 (issue 15): a NUL or another control character in a body,
a query or a path, a number past its column, a polygon carrying what the database refuses. Each
answer is a 422 problem naming the field; each case here once broke a route or could have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecity_common.inputs import cursor as audit_cursor

from .conftest import ELECTRICITY, WATER

HUGE = str(2**64)
NOW = datetime.now(UTC).replace(microsecond=0)
STREETS = {"streets": [{"street": "вул. Соборна", "from_house": 1, "to_house": 40}]}
POLYGON = [[[34.79, 50.90], [34.81, 50.90], [34.81, 50.92], [34.79, 50.92], [34.79, 50.90]]]


def refused(answer, field: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]], answer.text


async def test_the_audit_log_refuses_a_nul_in_its_filter(gateway):
    refused(await gateway.get("/api/v1/audit-log", params={"company_id": "c\x00"}), "query.company_id")
    refused(await gateway.get("/api/v1/audit-log", params={"limit": HUGE}), "query.limit")
    # A cursor is easy to forge: another list's shape, or a text where this one keeps a number.
    for forged in (audit_cursor("2026-01-01T00:00:00+00:00", "r-1"), audit_cursor("12"), "not-base64!"):
        refused(await gateway.get("/api/v1/audit-log", params={"after": forged}), "query.after")


async def test_staff_routes_refuse_control_characters_in_paths_and_bodies(gateway):
    for path in ("/api/v1/companies/c%00", "/api/v1/companies/c%00/api-keys", "/api/v1/routed-requests/r%00"):
        refused(await gateway.get(path), "path.company_id" if "companies" in path else "path.request_id")
    refused(await gateway.delete("/api/v1/companies/c1/api-keys/k%00"), "path.key_id")
    company = (await gateway.get("/api/v1/companies")).json()["companies"][0]["id"]
    for change, field in (({"name": "Водоканал\x00"}, "name"), ({"contact_phone": "+380\x00"}, "contact_phone"),
                          ({"service_codes": ["water_leak\x00"]}, "service_codes[0]"),
                          ({"area": {"streets": [{"street": "вул.\x00Соборна"}]}}, "area.streets[0].street")):
        refused(await gateway.patch(f"/api/v1/companies/{company}", json=change), field)
    refused(await gateway.post(f"/api/v1/companies/{company}/api-keys", json={"label": "CRM\x1b"}), "label")
    refused(await gateway.post("/api/v1/routing/check", json={"kind": "water", "service_code": "water_leak",
                                                              "address": "вул. Соборна, 1\x00"}), "address")


async def test_a_polygon_keeps_only_what_makes_it(gateway):
    """A member beside type and coordinates was stored as sent: a NUL in it broke the write."""
    area = {"geometry": {"type": "Polygon", "coordinates": POLYGON, "note": "\u0000"}}
    created = await gateway.post("/integrations/v1/outages", headers=WATER, json={
        "planned": True, "area": area, "starts_at": NOW.isoformat()})
    assert created.status_code == 201, created.text
    assert set(created.json()["area"]["geometry"]) == {"type", "coordinates"}
    strings = [[[str(x) for x in point] for point in POLYGON[0]]]
    refused(await gateway.post("/integrations/v1/outages", headers=WATER, json={
        "planned": True, "area": {"geometry": {"type": "Polygon", "coordinates": strings}}, "starts_at": NOW.isoformat()}),
        "area.geometry")


async def test_company_routes_refuse_control_characters_and_numbers_past_their_column(gateway):
    refused(await gateway.get("/integrations/v1/requests", headers=WATER, params={"after": "r\x00"}), "query.after")
    refused(await gateway.get("/integrations/v1/requests/r%00", headers=WATER), "path.request_id")
    refused(await gateway.post("/integrations/v1/requests/r1/status", headers=WATER,
                               json={"status": "rejected", "reason": "ні\x00"}), "reason")
    refused(await gateway.post("/integrations/v1/webhook-endpoints/e1/deliveries/" + HUGE + "/redeliver", headers=WATER),
            "path.delivery_id")
    refused(await gateway.get("/integrations/v1/webhook-endpoints/e%00", headers=WATER), "path.endpoint_id")
    refused(await gateway.post("/integrations/v1/webhook-endpoints", headers=WATER,
                               json={"url": "https://crm.example.com/\x00", "event_types": []}), "url")
    refused(await gateway.post("/integrations/v1/inbox/ack", headers=WATER, json={"ids": ["msg_\x00"]}), "ids[0]")
    refused(await gateway.get("/integrations/v1/meters/1234%00/readings", headers=WATER), "path.meter_id")
    refused(await gateway.get("/integrations/v1/meters/12345678/readings", headers=WATER,
                              params={"reading_type": "cold_water_volume\x00"}), "query.reading_type")
    refused(await gateway.post("/integrations/v1/outages", headers=WATER, json={
        "planned": True, "area": STREETS, "starts_at": NOW.isoformat(), "cause": "\x00"}), "cause")
    refused(await gateway.patch("/integrations/v1/outages/o%00", headers=WATER, json={"cause": "x"}), "path.outage_id")
    refused(await gateway.post("/integrations/v1/outages/o1/resolve", headers=WATER, json={"note": "\x07"}), "note")
    # Prose keeps its line breaks.
    noted = await gateway.post("/integrations/v1/outages", headers=WATER, json={
        "planned": True, "area": STREETS, "starts_at": NOW.isoformat(), "cause": "Ремонт.\nДругий рядок"})
    assert noted.status_code == 201, noted.text


async def test_a_reading_with_a_control_character_is_rejected_by_itself(gateway):
    reading = {"meter_id": "62Z000000000001\x00", "reading_type": "active_energy_import", "unit": "kWh", "value": 1,
               "taken_at": (NOW - timedelta(hours=1)).isoformat()}
    answer = await gateway.post("/integrations/v1/meter-readings", headers=ELECTRICITY, json={"readings": [reading]})
    assert answer.status_code == 200, answer.text
    [rejected] = answer.json()["rejected"]
    assert rejected["field"] == "meter_id" and "control character" in rejected["reason"]


async def test_a_time_at_the_ends_of_the_calendar_is_refused(gateway):
    """0001-01-01T00:00+05:00 is valid ISO 8601, but its UTC instant is before year 1: the driver
    failed to write it (a 500). Times are kept to the years 2000 to 2100."""
    for edge in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"):
        refused(await gateway.post("/integrations/v1/outages", headers=WATER, json={
            "planned": True, "area": STREETS, "starts_at": edge}), "starts_at")
        refused(await gateway.get("/integrations/v1/meters/12345678/readings", headers=WATER, params={"since": edge}),
                "query.since")
        refused(await gateway.post("/integrations/v1/requests/r1/status", headers=WATER,
                                   json={"status": "planned", "expected_datetime": edge}), "expected_datetime")
        reading = {"meter_id": "62Z0000000000017", "reading_type": "active_energy_import", "unit": "kWh", "value": 1,
                   "taken_at": edge}
        [rejected] = (await gateway.post("/integrations/v1/meter-readings", headers=ELECTRICITY,
                                         json={"readings": [reading]})).json()["rejected"]
        assert rejected["field"] == "taken_at", rejected


async def test_an_inbox_cursor_past_a_bigint_is_refused(gateway):
    # Found by `make fuzz` (seed 819779672): nineteen digits, one more than a bigint holds, was a 500.
    for cursor in ("9223372036854775808", "1.9223372036854775808", "9" * 19):
        refused(await gateway.get("/integrations/v1/inbox", headers=WATER, params={"cursor": cursor}), "query.cursor")
    refused(await gateway.get("/integrations/v1/inbox", headers=WATER, params={"cursor": "1" * 20}), "query.cursor")
    largest = await gateway.get("/integrations/v1/inbox", headers=WATER, params={"cursor": str(2**63 - 1)})
    assert largest.status_code == 200 and largest.json()["messages"] == [], largest.text


async def test_a_page_after_a_request_that_is_not_yours_names_the_query(gateway):
    """The API fuzzer's input: `after` naming no request of the company was refused as if the path
    had named it (`path.request_id`, a path this route does not have)."""
    answer = await gateway.get("/integrations/v1/requests", headers=WATER, params={"after": "<"})
    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == ["query.after"]
