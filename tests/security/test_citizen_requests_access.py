"""Who may call what in citizen-requests.

- Citizens file, read, comment on, reopen and follow requests; operators move them, mark
  duplicates, extend deadlines, read and comment on every one; catalogue admins change the
  catalogue, which operators read.
- Open311 client apps file with their `api_key` (Open311's door: a missing or wrong key is its
  specification's 403, in its error list); Open311's reads, the anonymised list, map and statistics
  are anyone's.

Past the door, a citizen sees only their own requests: someone else's answers 404, the same
answer as a request that does not exist (a 403 would confirm the id). Following someone else's
request is what `subscribe` is for. Anyone's reads never show the IT department's network
incidents (`domain/publication.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import pytest_asyncio

from citizen_requests.use_cases import network_incidents
from ecity_cli.testing import bearer, serving
from ecity_common.events.payloads.network_registry import AffectedSite, NetworkOutageDetected

from .doors import ANYONE, EVERY_SERVICE, OPEN311_KEY, Caller, report, roles, routes_of, token_callers, undecided, walk

CITIZEN, OPERATOR = roles("citizen"), roles("operator")
CITIZEN_OR_OPERATOR = roles("citizen", "operator")

DOORS = {
    **EVERY_SERVICE,
    # The native API: a citizen's own requests (object-level below), the operators' desk.
    "POST /api/v1/requests": CITIZEN,
    "GET /api/v1/requests": CITIZEN_OR_OPERATOR,  # a citizen's own; every one for an operator
    "GET /api/v1/requests/{request_id}": CITIZEN_OR_OPERATOR,
    "POST /api/v1/requests/{request_id}/comments": CITIZEN_OR_OPERATOR,
    "POST /api/v1/requests/{request_id}/reopen": CITIZEN,
    "POST /api/v1/requests/{request_id}/subscribe": CITIZEN,
    "DELETE /api/v1/requests/{request_id}/subscribe": CITIZEN,
    "POST /api/v1/requests/{request_id}/status": OPERATOR,
    "POST /api/v1/requests/{request_id}/duplicate-of": OPERATOR,
    "POST /api/v1/requests/{request_id}/extend": OPERATOR,
    "DELETE /api/v1/requests/{request_id}": OPERATOR,  # with its photos (use_cases/staff.py)
    "DELETE /api/v1/me/data": CITIZEN,  # their photos and contact details (use_cases/citizens.py `erase`)
    # Photos: uploaded by a citizen (or staff, for a comment); read in any state by their sender
    # (someone else's answers 404) and staff; published or hidden by staff (domain/photos.py).
    "POST /api/v1/photos": CITIZEN_OR_OPERATOR,
    "GET /api/v1/photos/{photo_id}/{size}": CITIZEN_OR_OPERATOR,
    "POST /api/v1/photos/{photo_id}/publication": OPERATOR,
    # The catalogue: its admins change it, operators read it (citizens see it through Open311).
    "GET /api/v1/categories": roles("catalogue-admin", "operator"),
    "GET /api/v1/categories/{code}": roles("catalogue-admin", "operator"),
    "POST /api/v1/categories": roles("catalogue-admin"),
    "PUT /api/v1/categories/{code}": roles("catalogue-admin"),
    # Open311 GeoReport v2: filing takes a client app's api_key; reading is public by the spec.
    "POST /open311/v2/requests.{fmt}": OPEN311_KEY,
    "GET /open311/v2/discovery.{fmt}": ANYONE,
    "GET /open311/v2/services.{fmt}": ANYONE,
    "GET /open311/v2/services/{service_code}.{fmt}": ANYONE,
    "GET /open311/v2/requests.{fmt}": ANYONE,
    "GET /open311/v2/requests/{request_id}.{fmt}": ANYONE,
    "GET /open311/v2/tokens/{token}.{fmt}": ANYONE,
    "GET /open311/v2/servicerequestupdates.{fmt}": ANYONE,
    # Anonymised (domain/publication.py).
    "GET /api/v1/public/requests": ANYONE,
    "GET /api/v1/public/requests.geojson": ANYONE,
    "GET /api/v1/public/statistics": ANYONE,
    "GET /api/v1/public/photos/{photo_id}/{size}": ANYONE,  # only a published photo of a public request
}

PLACEHOLDERS = {"fmt": "json", "size": "320"}
LEAK = {"service_code": "water_leak", "attributes": {"where": "street"}, "description": "Тече труба біля під'їзду",
        "lat": 50.9077, "long": 34.7981, "address": "вул. Соборна, 1"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def citizens(module_services):
    async with serving(module_services, "citizen-requests") as client:
        yield client


pytestmark = pytest.mark.asyncio(loop_scope="module")


def open311_callers(settings) -> list[Caller]:
    return [Caller("an Open311 app's api_key", form={"api_key": settings.demo_open311_key}, key=OPEN311_KEY),
            Caller("a made-up Open311 api_key", form={"api_key": "ecity311_nobody01_local-development-only-key"})]


async def test_every_route_has_a_decision(citizens):
    assert routes_of(citizens.app), "no routes found: the enumeration is broken"
    assert not (wrong := undecided(citizens.app, DOORS, __name__)), report(wrong, "routes without a decision")


async def test_the_matrix(citizens):
    callers = token_callers(citizens.settings) + open311_callers(citizens.settings)
    wrong = await walk(citizens, DOORS, callers, PLACEHOLDERS)
    assert not wrong, report(wrong, "cells of the matrix disagree with DOORS")


async def test_a_citizen_reaches_only_their_own_requests(citizens):
    settings = citizens.settings
    olena, petro = bearer(settings, "citizen-olena", "citizen"), bearer(settings, "citizen-petro", "citizen")
    filed = await citizens.post("/api/v1/requests", headers=olena, json=LEAK)
    assert filed.status_code == 201, filed.text
    rid = filed.json()["service_request_id"]

    # What another citizen tries on Olena's request, answered as for a request nobody filed.
    attempts = [("GET", "/api/v1/requests/{id}", None), ("POST", "/api/v1/requests/{id}/comments", {"text": "Моє!"}),
                ("POST", "/api/v1/requests/{id}/reopen", {"reason": "Моє!"})]
    wrong = []
    for method, path, body in attempts:
        theirs = await citizens.request(method, path.format(id=rid), headers=petro, json=body)
        nobodys = await citizens.request(method, path.format(id="no-such-request"), headers=petro, json=body)
        if theirs.status_code != 404 or theirs.text.replace(rid, "?") != nobodys.text.replace("no-such-request", "?"):
            wrong.append(f"{method} {path} of another citizen's request: {theirs.status_code} {theirs.text[:160]} "
                         f"(a request nobody filed: {nobodys.status_code} {nobodys.text[:160]})")
    assert not wrong, report(wrong, "ways into another citizen's request")
    listed = (await citizens.get("/api/v1/requests", headers=petro)).json()["requests"]
    assert rid not in {r["service_request_id"] for r in listed}

    # Olena's request is there, with nothing of Petro's attempts in it; the operators see it.
    own = (await citizens.get(f"/api/v1/requests/{rid}", headers=olena)).json()
    assert own["status"] == "submitted" and own["comments"] == []
    operator = await citizens.get(f"/api/v1/requests/{rid}", headers=bearer(settings, "op-1", "operator"))
    assert operator.status_code == 200
    # Following someone else's request is allowed: it says what Open311 shows anyone anyway.
    assert (await citizens.post(f"/api/v1/requests/{rid}/subscribe", headers=petro)).status_code == 204


async def test_anyones_reads_never_show_the_it_departments_network_incidents(citizens):
    """The public list leaves out the network's incidents (UNPUBLISHED_CHANNELS); Open311's reads
    showed them to anyone, by id, in a search and in the updates: the institution cut off, the
    element that failed."""
    outage = NetworkOutageDetected(
        outage_id="out-sec-1", element_kind="device", element_id="dev-sec", element_name="Шафа 12",
        detected_at=datetime.now(UTC), affected_sites=[AffectedSite(site_id="s-sec", name="Ліцей № 3", kind="school")])
    async with citizens.app.state.sessions() as session, session.begin():
        assert await network_incidents.open_network_incidents(session, outage) == 1
    incident = "incident-out-sec-1-s-sec"

    assert (await citizens.get(f"/open311/v2/requests/{incident}.json")).status_code == 404
    assert (await citizens.get(f"/open311/v2/tokens/{incident}.json")).status_code == 404
    for query in (f"service_request_id={incident}", ""):  # by id, and the default period (it is in it)
        found = (await citizens.get(f"/open311/v2/requests.json?{query}")).json()
        assert incident not in {r["service_request_id"] for r in found}, query
        updates = (await citizens.get(f"/open311/v2/servicerequestupdates.json?{query}")).json()
        assert incident not in {u["service_request_id"] for u in updates}, query
    public = (await citizens.get("/api/v1/public/requests")).json()["results"]
    assert incident not in {r["service_request_id"] for r in public}
    # The IT department's operators see it.
    staff = await citizens.get(f"/api/v1/requests/{incident}", headers=bearer(citizens.settings, "it-1", "operator"))
    assert staff.status_code == 200 and "Ліцей № 3" in staff.text
