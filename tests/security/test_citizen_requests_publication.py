"""What anyone reads of citizen-requests is what the policy says (issue 18; the service README's
"What is public", `domain/publication.py`).

Canaries are planted through the real API: personal data in descriptions, notes and comments, a
description a moderator redacted and one they hid, a request they hid from the public (spam), an
exact point and an address at a home, a reopen reason, an internal note, a network incident
naming its institution, a description its author asked not to publish, a photo waiting for staff, an Open311 filing's contact
and media link. Then EVERY route `DOORS` lets anyone call (`test_citizen_requests_access.py`) is
walked, in every format, for every request and category, with the query parameters its OpenAPI
document names filled: no canary and no unrounded home coordinate may appear anywhere in a body.
A new anonymous route is walked without a line here; one whose required parameter this test
cannot fill fails it until `QUERY_VALUES` has it. And what is public does show (a published
description, masked; a public space's exact point; a masked public note), so the test cannot pass
by showing nothing.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
import pytest_asyncio

from citizen_requests.use_cases import network_incidents
from ecity_cli.testing import bearer, serving
from ecity_cli.testing_photos import phone_photo
from ecity_common.events.payloads.network_registry import AffectedSite, NetworkOutageDetected

from .doors import ANYONE
from .test_citizen_requests_access import DOORS

pytestmark = pytest.mark.asyncio(loop_scope="module")

PHONE, EMAIL, RNOKPP, PASSPORT, FLAT = "+380 67 913 58 24", "kanarka.leak@example.com", "3019283746", "МК 918273", "кв. 4719"
HOME_LAT, HOME_LONG = 50.912345, 34.801234  # a home's exact point: only 50.912, 34.801 may show
SPACE_LAT, SPACE_LONG = 50.921111, 34.791111  # a pothole's: shown exactly
# Every text that must never reach anyone (what a body is searched for).
CANARIES = {
    "a phone": "913 58 24", "a phone without spaces": "679135824", "an e-mail": "kanarka.leak", "a РНОКПП": RNOKPP,
    "a passport": "918273", "a flat number": "4719", "a home's address": "Канаркова", "a reopen reason": "CANARY-REOPEN",
    "an internal note": "CANARY-INTERNAL", "an institution of a network incident": "CANARY-INSTITUTION",
    "a description not to publish": "CANARY-PRIVATE", "a comment": "CANARY-COMMENT", "a media link": "CANARY-MEDIA",
    "an Open311 filer's e-mail": "canary-contact", "an Open311 filer's name": "CANARYNAME",
    "a pending description": "CANARY-PENDING", "a phone in a public note": "246 81 35",
    "a home's exact latitude": "50.9123", "a home's exact longitude": "34.8012",
    "a redacted description's original": "CANARY-REDACTED", "a hidden description": "CANARY-HIDDEN-DESC",
    "a request hidden from the public": "CANARY-SPAM",
}
NUMERIC = re.compile(r"[\d.\s]+")
# What a route's query parameter is given (by its name in the OpenAPI document), besides nothing at all.
TODAY = datetime.now(UTC).date().isoformat()
QUERY_VALUES = {"from": TODAY, "to": TODAY}
# The canaries' photos, by what each plants (filled by `planted`).
PHOTOS: dict[str, str] = {}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def citizens(module_services):
    async with serving(module_services, "citizen-requests") as client:
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def planted(citizens) -> dict[str, str]:
    """The canary requests, by what each plants; their ids."""
    settings = citizens.settings
    olena = bearer(settings, "citizen-canary", "citizen")
    operator = bearer(settings, "op-canary", "operator")

    async def file(body: dict) -> str:
        answer = await citizens.post("/api/v1/requests", headers=olena, json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()["service_request_id"]

    async def move(rid: str, status: str, note: str | None = None, public: bool = True) -> None:
        answer = await citizens.post(f"/api/v1/requests/{rid}/status", headers=operator,
                                     json={"status": status, "note": note, "public": public})
        assert answer.status_code == 200, answer.text

    ids = {}
    personal = f"Немає води, дзвоніть {PHONE}, пишіть {EMAIL}, РНОКПП {RNOKPP}, паспорт {PASSPORT}, {FLAT}"
    # Pending (the check found personal data), at a home, with its address.
    ids["pending"] = await file({"service_code": "no_water", "description": f"CANARY-PENDING {personal}",
                                 "lat": HOME_LAT, "long": HOME_LONG, "address": "вул. Канаркова, 17, кв. 4719"})
    # The same, published by staff as it is: anyone sees it masked.
    ids["masked"] = await file({"service_code": "no_water", "description": f"POSITIVE-MASKED {personal}",
                                "lat": HOME_LAT, "long": HOME_LONG, "address": "вул. Канаркова, 19"})
    moderator = bearer(settings, "mod-canary", "moderator")

    async def moderate(path: str, body: dict) -> None:
        answer = await citizens.post(f"/api/v1/moderation/{path}", headers=moderator, json=body)
        assert answer.status_code == 200, answer.text

    await moderate(f"requests/{ids['masked']}/description", {"action": "publish", "reason": "перевірено"})
    # Redacted by a moderator: anyone reads the moderator's text, never the original.
    ids["redacted"] = await file({"service_code": "no_water", "description": f"CANARY-REDACTED Іван Канарчук, {PHONE}",
                                  "lat": HOME_LAT, "long": HOME_LONG})
    await moderate(f"requests/{ids['redacted']}/description",
                   {"action": "redact", "reason": "ім'я", "text": "POSITIVE-REDACTED немає води"})
    # Published at filing (nothing personal found), then hidden by a moderator (a name in it).
    ids["hidden-description"] = await file({"service_code": "pothole", "description": "CANARY-HIDDEN-DESC від Канарчука",
                                            "lat": SPACE_LAT, "long": SPACE_LONG, "attributes": {"size": "small"}})
    await moderate(f"requests/{ids['hidden-description']}/description", {"action": "hide", "reason": "ім'я"})
    # A whole request hidden from the public (spam), its description published at filing.
    ids["spam"] = await file({"service_code": "pothole", "description": "CANARY-SPAM купуйте у нас",
                              "lat": SPACE_LAT + 0.01, "long": SPACE_LONG, "attributes": {"size": "small"}})
    await moderate(f"requests/{ids['spam']}/listing", {"hidden": True, "reason": "спам"})
    # Not to publish, though nothing in it is personal.
    ids["private"] = await file({"service_code": "pothole", "description": "CANARY-PRIVATE яма біля мого двору",
                                 "lat": HOME_LAT, "long": HOME_LONG, "attributes": {"size": "small"}, "publish": False})
    # Published at filing, public space: exact point and address; then notes: a public one with a
    # phone, an internal one; resolved, reopened with a reason; a citizen's comment.
    ids["published"] = rid = await file({"service_code": "pothole", "description": "POSITIVE-DESC велика яма на розі",
                                         "lat": SPACE_LAT, "long": SPACE_LONG, "address": "вул. POSITIVE-ADDRESS, 3",
                                         "attributes": {"size": "large"}})
    await move(rid, "accepted", "Прийнято. Бригадир: +380 50 246 81 35")
    await move(rid, "in_progress", "CANARY-INTERNAL бригада з ключами від кв. 4719", public=False)
    await move(rid, "resolved", "Яму засипано")
    reopened = await citizens.post(f"/api/v1/requests/{rid}/reopen", headers=olena,
                                   json={"reason": f"CANARY-REOPEN знову провалилось, {PHONE}"})
    assert reopened.status_code == 200, reopened.text
    commented = await citizens.post(f"/api/v1/requests/{rid}/comments", headers=olena,
                                    json={"text": f"CANARY-COMMENT дякую, {EMAIL}"})
    assert commented.status_code == 201, commented.text
    # Photos on the published request: one waiting for staff (never served), one staff published.
    async def photo(seed: int) -> str:
        uploaded = await citizens.post("/api/v1/photos", headers=olena, data={"use_location": "false"},
                                       files={"file": ("IMG.JPG", phone_photo(320, 240, fmt="JPEG", noise=seed), "image/jpeg")})
        assert uploaded.status_code == 201, uploaded.text
        return uploaded.json()["photo_id"]

    waiting, shown = await photo(40), await photo(50)
    attached = await citizens.post(f"/api/v1/requests/{rid}/comments", headers=olena,
                                   json={"text": "фото ями", "photo_ids": [waiting, shown]})
    assert attached.status_code == 201, attached.text
    await moderate(f"photos/{shown}", {"action": "publish", "reason": "яма, нікого в кадрі"})
    PHOTOS.update(waiting=waiting, shown=shown)
    # Through Open311, with a contact and a media link, personal data in the description.
    form = {"api_key": settings.demo_open311_key, "service_code": "heating", "lat": str(HOME_LAT), "long": str(HOME_LONG),
            "attribute[temperature]": "14", "description": f"CANARY-PENDING холодно, {PHONE}", "email": "canary-contact@example.com",
            "first_name": "CANARYNAME", "phone": "+380679135824", "address_string": "вул. Канаркова, 21",
            "address_id": "Канаркова-21", "media_url": "https://example.com/CANARY-MEDIA.jpg"}
    filed = await citizens.post("/open311/v2/requests.json", data=form)
    assert filed.status_code == 200, filed.text
    ids["open311"] = filed.json()[0]["service_request_id"]
    # The IT department's incident at an institution.
    outage = NetworkOutageDetected(
        outage_id="out-canary", element_kind="device", element_id="dev-canary", element_name="Шафа CANARY-INSTITUTION",
        detected_at=datetime.now(UTC),
        affected_sites=[AffectedSite(site_id="s-canary", name="Ліцей CANARY-INSTITUTION", kind="school")])
    async with citizens.app.state.sessions() as session, session.begin():
        assert await network_incidents.open_network_incidents(session, outage) == 1
    ids["incident"] = "incident-out-canary-s-canary"
    return ids


def anonymous_routes() -> list[str]:
    """Every route anyone may call, from the matrix: a new one is in it (its test fails without it)."""
    return sorted(route for route, door in DOORS.items() if door == ANYONE)


def urls(citizens, route: str, ids: list[str]) -> list[str]:
    """Every way to call `route` on the canaries: each request id and category in its path, each
    format, and its documented query parameters empty and filled."""
    method, template = route.split(" ", 1)
    assert method == "GET", f"{route}: an anonymous write; say here what of it is public"
    values = {"fmt": ["json", "xml"], "request_id": ids, "token": ids, "service_code": list(citizens.app.state.catalogue.current),
              "path": ["swagger-ui.css"], "photo_id": list(PHOTOS.values()), "size": ["320", "1280", "full"]}
    paths = [template]
    for name in re.findall(r"\{(\w+)\}", template):
        assert name in values, f"{route}: no values for the path's {{{name}}}; add them in urls()"
        paths = [p.replace(f"{{{name}}}", v) for p in paths for v in values[name]]
    operation = citizens.app.openapi()["paths"].get(template, {}).get("get", {})
    filled, required = {}, []
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        name = parameter["name"]
        if name in ("service_request_id",):
            filled[name] = ",".join(ids)
        elif name in QUERY_VALUES:
            filled[name] = QUERY_VALUES[name]
        elif parameter.get("required"):
            required.append(name)
    assert not required, f"{route}: required query parameters {required} this test cannot fill; add them to QUERY_VALUES"
    queries = [""] + ([urlencode(filled)] if filled else [])
    return [f"{p}?{q}" if q else p for p in paths for q in queries]


def body_text(answer) -> str:
    """The body as text, JSON with its characters as they are (a `\\u` escape hides no canary)."""
    if "json" in answer.headers.get("content-type", ""):
        return json.dumps(answer.json(), ensure_ascii=False)
    return answer.text


async def test_no_anonymous_route_shows_what_is_not_public(citizens, planted):
    ids = list(planted.values())
    leaks, walked, bodies = [], 0, []
    for route in anonymous_routes():
        for url in urls(citizens, route, ids):
            answer = await citizens.get(url)
            assert answer.status_code < 500, f"{url}: {answer.status_code} {answer.text[:200]}"
            text = body_text(answer)
            walked += 1
            bodies.append(text)
            # /metrics is numbers: a digits-only canary (a flat's 4719) turns up in a counter by chance
            # (CI saw it once); its labels are still searched for every canary with a letter in it.
            searched = {w: c for w, c in CANARIES.items() if not (url.startswith("/metrics") and NUMERIC.fullmatch(c))}
            leaks += [f"{url} shows {what} ({canary!r})" for what, canary in searched.items() if canary in text]
            if planted["spam"] not in url and planted["spam"] in text:
                leaks.append(f"{url} lists the request hidden from the public")
    assert walked > 40, walked
    assert not leaks, "\n".join(leaks)
    # A photo waiting for staff is not served by any size; a published one is.
    for size in ("320", "1280", "full"):
        assert (await citizens.get(f"/api/v1/public/photos/{PHOTOS['waiting']}/{size}")).status_code == 404
        shown = await citizens.get(f"/api/v1/public/photos/{PHOTOS['shown']}/{size}")
        assert shown.status_code == 200 and shown.content.startswith(b"\xff\xd8"), (size, shown.status_code)
    # The walk did read the canaries' requests (it did not pass by reading nothing).
    seen = "\n".join(bodies)
    for name in ("pending", "masked", "private", "published", "open311", "redacted", "hidden-description"):
        assert planted[name] in seen, f"the {name} canary's request was on no public route"


async def test_what_is_public_shows(citizens, planted):
    one = (await citizens.get(f"/open311/v2/requests/{planted['published']}.json")).json()[0]
    # A pothole's point and address are public, its description published at filing.
    assert one["description"] == "POSITIVE-DESC велика яма на розі"
    assert (one["lat"], one["long"], one["address"]) == (SPACE_LAT, SPACE_LONG, "вул. POSITIVE-ADDRESS, 3")
    assert one["status_notes"] == "Відкрито знову" and one["status"] == "open"
    # Published by staff with personal data in it: anyone reads it masked; a home's place rounded, no address.
    masked = (await citizens.get(f"/open311/v2/requests/{planted['masked']}.json")).json()[0]
    assert masked["description"].startswith("POSITIVE-MASKED Немає води, дзвоніть [телефон приховано], пишіть "
                                            "[e-mail приховано], РНОКПП [номер приховано], паспорт [документ приховано], "
                                            "[квартиру приховано]"), masked["description"]
    assert (masked["lat"], masked["long"], masked["address"], masked["address_id"]) == (50.912, 34.801, None, None)
    redacted = (await citizens.get(f"/open311/v2/requests/{planted['redacted']}.json")).json()[0]
    assert redacted["description"] == "POSITIVE-REDACTED немає води", redacted
    assert (await citizens.get(f"/open311/v2/requests/{planted['spam']}.json")).status_code == 404
    # Pending, private: listed without a description; Open311's media link only with a published one.
    assert (await citizens.get(f"/open311/v2/requests/{planted['hidden-description']}.json")).json()[0]["description"] is None
    for name in ("pending", "private", "open311"):
        view = (await citizens.get(f"/open311/v2/requests/{planted[name]}.json")).json()[0]
        assert view["description"] is None and view["media_url"] is None and view["lat"] == 50.912, (name, view)
    listed = {r["service_request_id"]: r for r in (await citizens.get("/api/v1/public/requests?limit=500")).json()["results"]}
    # Listed all the same; a citizen who asked for privacy gets a rounded place even for a pothole.
    assert listed[planted["private"]]["lat"] == 50.912 and listed[planted["private"]]["service_code"] == "pothole"
    assert listed[planted["published"]]["lat"] == SPACE_LAT
    # The updates: the public notes, masked; "reopened" without the reason; no internal note.
    updates = (await citizens.get(f"/open311/v2/servicerequestupdates.json?service_request_id={planted['published']}")).json()
    notes = [u["description"] for u in updates]
    assert "Прийнято. Бригадир: [телефон приховано]" in notes and "Відкрито знову" in notes and "Яму засипано" in notes, notes
    # The citizen's own read and the staff's keep the original.
    settings = citizens.settings
    own = (await citizens.get(f"/api/v1/requests/{planted['pending']}", headers=bearer(settings, "citizen-canary", "citizen"))).json()
    assert PHONE in own["description"] and own["description_publication"] == "pending" and own["lat"] == HOME_LAT
    reopened = (await citizens.get(f"/api/v1/requests/{planted['published']}",
                                   headers=bearer(settings, "citizen-canary", "citizen"))).json()
    assert any("CANARY-REOPEN" in (h["note"] or "") for h in reopened["history"])  # their own reason, to them
    assert not any("CANARY-INTERNAL" in (h["note"] or "") for h in reopened["history"])
    staff = (await citizens.get(f"/api/v1/requests/{planted['open311']}", headers=bearer(settings, "op-canary", "operator"))).json()
    assert PHONE in staff["description"]
    # A redacted or hidden description, and a hidden request, are the citizen's own as they wrote them.
    for name in ("redacted", "hidden-description", "spam"):
        own = (await citizens.get(f"/api/v1/requests/{planted[name]}", headers=bearer(settings, "citizen-canary", "citizen")))
        assert own.status_code == 200 and "CANARY" in own.json()["description"], (name, own.text)


async def test_possible_duplicates_offered_at_filing_follow_the_policy(citizens, planted):
    """Another citizen filing near a home is told how far its request is to 100 m (metres from a few
    filings would find the flat); near a pothole, to the metre."""
    petro = bearer(citizens.settings, "citizen-petro-dup", "citizen")
    near_home = await citizens.post("/api/v1/requests", headers=petro, json={
        "service_code": "no_water", "description": "Теж немає води", "lat": HOME_LAT + 0.0002, "long": HOME_LONG})
    offered = {d["service_request_id"]: d for d in near_home.json()["possible_duplicates"]}
    assert offered[planted["pending"]]["distance_m"] == 0 and set(offered[planted["pending"]]) == {
        "service_request_id", "distance_m", "status", "requested_datetime"}
    near_pothole = await citizens.post("/api/v1/requests", headers=petro, json={
        "service_code": "pothole", "description": "Та сама яма", "lat": SPACE_LAT + 0.0001, "long": SPACE_LONG,
        "attributes": {"size": "large"}})
    offered = {d["service_request_id"]: d for d in near_pothole.json()["possible_duplicates"]}
    assert offered[planted["published"]]["distance_m"] == 11
