"""What utilities-gateway's events do to a request in states a company does not know about, on the
real database: late reports, re-plans, a dispatcher's flag, bad input the Open311 way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from citizen_requests.adapters.tables import citizen_requests, messaging
from citizen_requests.domain.deadlines import deadline
from citizen_requests.use_cases import company_reports, network_incidents, staff
from ecity_cli.testing import bearer, serving
from ecity_common.events import CloudEvent
from ecity_common.events.payloads.network_registry import AffectedSite, NetworkOutageDetected
from ecity_common.events.payloads.utilities_gateway import CompanyRef, RequestRoutingFailed, RequestStatusChangedByCompany

WATER = CompanyRef(company_id="co-water", name="Водоканал", kind="water")


@pytest.fixture
async def citizens(services):
    async with serving(services, "citizen-requests") as client:
        yield client


async def _file(client, citizen) -> str:
    answer = await client.post("/api/v1/requests", headers=citizen, json={
        "service_code": "no_water", "description": "Немає води", "lat": 50.91, "long": 34.8})
    return answer.json()["service_request_id"]


async def _status_changes(client, rid: str) -> list[dict]:
    outbox = messaging.outbox
    async with client.app.state.engine.connect() as conn:
        payloads = (await conn.execute(select(outbox.c.payload).where(outbox.c.aggregate_id == rid).order_by(outbox.c.id))).scalars().all()
    return [e.data for e in map(CloudEvent.model_validate, payloads) if e.type.endswith("status-changed.v1")]


def _report(rid: str, status: str, **extra) -> RequestStatusChangedByCompany:
    return RequestStatusChangedByCompany(request_id=rid, company=WATER, status=status, changed_at=datetime.now(UTC), **extra)


async def test_a_late_report_never_reopens_and_a_new_plan_reaches_the_citizen(citizens):
    citizen = bearer(citizens.settings, "citizen-late", "citizen")
    rid = await _file(citizens, citizen)
    sessions, outbox = citizens.app.state.sessions, citizens.app.state.outbox
    when = datetime.now(UTC) + timedelta(days=1)
    async with sessions() as s, s.begin():
        await company_reports.company_reported(s, outbox, _report(rid, "planned", expected_datetime=when))
    async with sessions() as s, s.begin():  # the company moves the date
        await company_reports.company_reported(s, outbox, _report(rid, "planned", expected_datetime=when + timedelta(days=2),
                                                            public_note="Перенесено"))
    view = (await citizens.get(f"/api/v1/requests/{rid}", headers=citizen)).json()
    assert view["status"] == "planned" and "Перенесено" in view["status_notes"]
    # ...and hears of it: news without a move, for notifications; the legal term stays the city's.
    news = [c for c in await _status_changes(citizens, rid) if c["from_status"] == c["to_status"]]
    assert [(c["to_status"], "Перенесено" in c["public_note"]) for c in news] == [("planned", True)]
    assert datetime.fromisoformat(view["expected_datetime"]) == datetime.fromisoformat(news[0]["expected_datetime"])
    async with sessions() as s, s.begin():  # the city resolves it; the company's report comes late
        await staff.change_status(s, outbox, rid, "resolved", actor="operator-1", note="Відновлено")
        await company_reports.company_reported(s, outbox, _report(rid, "in_progress", public_note="Працюємо"))
    view = (await citizens.get(f"/api/v1/requests/{rid}", headers=citizen)).json()
    assert view["status"] == "resolved"  # the late report is an internal note, not a reopening


async def test_the_dispatchers_flag_is_for_staff_and_clears_when_someone_takes_the_request(citizens):
    citizen, staff = bearer(citizens.settings, "citizen-flag", "citizen"), bearer(citizens.settings, "op-1", "operator")
    rid = await _file(citizens, citizen)
    async with citizens.app.state.sessions() as s, s.begin():
        await company_reports.routing_failed(s, RequestRoutingFailed(request_id=rid, utility_kind="water", reason="no company",
                                                               failed_at=datetime.now(UTC)))
    assert (await citizens.get(f"/api/v1/requests/{rid}", headers=citizen)).json()["dispatch_flag"] is None
    assert (await citizens.get(f"/api/v1/requests/{rid}", headers=staff)).json()["dispatch_flag"] == "no company"
    flagged = (await citizens.get("/api/v1/requests", headers=staff, params={"needs_dispatcher": True})).json()["requests"]
    assert [r["service_request_id"] for r in flagged] == [rid]
    await citizens.post(f"/api/v1/requests/{rid}/status", headers=staff,
                        json={"status": "assigned", "agency_responsible": "Водоканал"})
    assert (await citizens.get("/api/v1/requests", headers=staff, params={"needs_dispatcher": True})).json()["requests"] == []


async def test_control_characters_long_addresses_and_odd_dates_are_refused_not_500(citizens):
    citizen = bearer(citizens.settings, "citizen-nul", "citizen")
    nul = await citizens.post("/api/v1/requests", headers=citizen, json={
        "service_code": "pothole", "description": "a\u0000b", "address": "вул. Соборна, 1", "attributes": {"size": "small"}})
    assert nul.status_code == 422 and nul.json()["errors"][0]["field"] == "description"
    # Half a surrogate pair, escaped in the JSON: valid JSON, but no text UTF-8 (or Kafka) can carry.
    for body, field in (('"description": "a\\ud800b"', "description"), ('"address": "\\udc00"', "address"),
                        ('"attributes": {"size": "\\ud83d"}', "attributes.size")):
        broken = await citizens.post("/api/v1/requests", headers={**citizen, "content-type": "application/json"},
                                     content='{"service_code": "pothole", "lat": 50.91, "long": 34.79, ' + body + "}")
        assert broken.status_code == 422 and broken.json()["errors"][0]["field"] == field, broken.text
    key = "ecity311_demo0001_local-development-only-key"
    long_address = await citizens.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "street_light", "address_string": "вул. " + "д" * 600})
    assert long_address.status_code == 400 and "address_string" in long_address.json()[0]["description"]
    odd = await citizens.get("/open311/v2/requests.json", params={"end_date": "0001-01-01T00:00:00Z"})
    assert odd.status_code == 400 and "end_date" in odd.json()[0]["description"]


async def test_network_incidents_close_whatever_staff_did_and_open_again_when_the_element_flaps(citizens):
    sessions, outbox = citizens.app.state.sessions, citizens.app.state.outbox
    detected = NetworkOutageDetected(
        outage_id="out-7", element_kind="device", element_id="dev-9", element_name="Шафа 9", detected_at=datetime.now(UTC),
        affected_sites=[AffectedSite(site_id="s1", name="Школа № 1", kind="school"),
                        AffectedSite(site_id="s2", name="Школа № 2", kind="school"),
                        AffectedSite(site_id="s10", name="Школа № 10", kind="school")])  # s1's id is its prefix

    async def statuses() -> dict[str, str]:
        async with sessions() as s:
            rows = await s.execute(select(citizen_requests.c.id, citizen_requests.c.status)
                                   .where(citizen_requests.c.channel == "network").order_by(citizen_requests.c.id))
            return {r.id: r.status for r in rows}

    async with sessions() as s, s.begin():
        assert await network_incidents.open_network_incidents(s, detected) == 3
        await staff.change_status(s, outbox, "incident-out-7-s2", "duplicate", actor="it-1")
    async with sessions() as s, s.begin():  # resolved: the duplicate closes too, no refusal
        assert await network_incidents.close_network_incidents(s, outbox, "out-7") == 3
    assert set((await statuses()).values()) == {"closed"}
    async with sessions() as s, s.begin():  # the same element fails again soon: same outage id
        assert await network_incidents.open_network_incidents(s, detected) == 3
        assert await network_incidents.open_network_incidents(s, detected) == 0  # once per failure
    assert await statuses() == {"incident-out-7-s1": "closed", "incident-out-7-s1-r1": "assigned",
                                "incident-out-7-s10": "closed", "incident-out-7-s10-r1": "assigned",
                                "incident-out-7-s2": "closed", "incident-out-7-s2-r1": "assigned"}
    # Answered in the law's term, as a citizen's request of the category is: the end of the 15th
    # Kyiv day after the outage was detected.
    async with sessions() as s:
        terms = set((await s.execute(select(citizen_requests.c.expected_datetime)
                                     .where(citizen_requests.c.id.startswith("incident-out-7-")))).scalars())
    assert terms == {deadline(detected.detected_at, "15_days")}


async def test_a_companys_photos_of_its_work_are_in_the_requests_history(citizens):
    """The gateway's report carries the public addresses of the company's photos (issue 18): the
    citizen sees them with the entry of the move they came with."""
    citizen = bearer(citizens.settings, "citizen-proof", "citizen")
    rid = await _file(citizens, citizen)
    proof = ["https://api.ecity.sumy.ua/utilities/public/photos/3f0c6d7e-1111-4a5b-9c1d-000000000001/1280"]
    async with citizens.app.state.sessions() as s, s.begin():
        await company_reports.company_reported(s, citizens.app.state.outbox,
                                               _report(rid, "resolved", public_note="Відновлено", photos=proof))
    view = (await citizens.get(f"/api/v1/requests/{rid}", headers=citizen)).json()
    resolved = [h for h in view["history"] if h["to"] == "resolved"]
    assert [h["photos"] for h in resolved] == [proof] and resolved[0]["note"] == "Відновлено"
    assert all(h["photos"] == [] for h in view["history"] if h["to"] != "resolved")
