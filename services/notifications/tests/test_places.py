"""My address: every provider's outages at a citizen's places, told once per change, through a real
SMTP server; institutions cut off by the network told and told again; what is known at a place.
The service runs in-process on the real broker and database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from ecity_cli.testing import bearer, publish, serving, until
from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.payloads.network_registry import AffectedSite, NetworkOutageDetected, NetworkOutageResolved
from ecity_common.events.payloads.utilities_gateway import (
    CompanyRef,
    UtilityOutageReported,
    UtilityOutageResolved,
    UtilityOutageUpdated,
)
from notifications.adapters.tables import contacts, deliveries, messaging

KYIV = ZoneInfo("Europe/Kyiv")
VODOKANAL = CompanyRef(company_id="c-water", name="КП «Міськводоканал»", kind="water")
# A square around the point of citizen "b" (near Покровська площа), GeoJSON [long, lat].
SQUARE = {"type": "Polygon", "coordinates": [[[34.795, 50.905], [34.805, 50.905], [34.805, 50.912],
                                               [34.795, 50.912], [34.795, 50.905]]]}
AREA = {"streets": [{"street": "вул. Соборна", "from_house": 1, "to_house": 45}], "geometry": SQUARE}


@pytest.fixture
async def notifications(services, mailbox):
    # Quiet hours from midnight to midnight: never quiet, unless a test says otherwise.
    async with serving(services, "notifications", smtp_port=mailbox.port, dispatch_interval_s=0.2,
                       quiet_hours_begin="00:00", quiet_hours_end="00:00") as client:
        yield client


def event(payload, subject: str) -> CloudEvent:
    spec = spec_of(type(payload))
    source = "/ecity/utilities-gateway" if "utilities" in spec.type else "/ecity/network-registry"
    return CloudEvent(source=source, type=spec.type, subject=subject, data=payload.model_dump(mode="json"))


async def confirmed(client, **addresses: str) -> None:
    """Confirmed e-mail contacts (the consent flow is tested on its own)."""
    async with client.app.state.engine.begin() as conn:
        await conn.execute(insert(contacts), [
            {"citizen_id": who, "channel": "email", "address": address, "confirmed_at": datetime.now(UTC)}
            for who, address in addresses.items()])


async def follow(client, citizen: str, **place) -> dict:
    answer = await client.post("/api/v1/me/places", json=place, headers=bearer(client.settings, citizen, "citizen"))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def all_read(client, last: CloudEvent) -> None:
    inbox = messaging.inbox

    async def read():
        async with client.app.state.engine.connect() as conn:
            return (await conn.execute(select(inbox).where(inbox.c.event_id == last.id))).first()

    await until(read)
    await asyncio.sleep(1.0)  # several dispatcher rounds: a mail too many would have gone by now


def mails_to(mailbox, address: str) -> list:
    return [m for m in mailbox.received if m["To"] == address]


async def test_an_outage_at_my_places_is_told_once_per_change_and_known_at_the_place(notifications, mailbox):
    client = notifications
    await confirmed(client, a="a@example.org", b="b@example.org", c="c@example.org")
    # a: an address on the outage's street, two places in it; b: a point in its polygon; c: elsewhere.
    await follow(client, "a", address="вул. Соборна, 12")
    await follow(client, "a", address="Соборна вулиця, 14")
    await follow(client, "b", address="вул. Покровська, 3", lat=50.908, long=34.80)
    await follow(client, "c", address="вул. Соборна, 47")

    now = datetime.now(UTC)
    ends = now + timedelta(hours=3, minutes=5)
    reported = UtilityOutageReported(outage_id="o-1", company=VODOKANAL, planned=False, area=AREA,
                                     area_description="Соборна 1–45 і Покровська площа", starts_at=now,
                                     expected_end=ends, reported_at=now)
    topic = client.settings.topic("ecity.utilities.v1")
    began = event(reported, "o-1")
    await publish(client.settings.kafka_bootstrap_servers, topic, began, began)  # Kafka delivers twice
    await all_read(client, began)

    assert [len(mails_to(mailbox, x)) for x in ("a@example.org", "b@example.org", "c@example.org")] == [1, 1, 0]
    [to_a] = mails_to(mailbox, "a@example.org")
    assert to_a["Subject"] == "Аварійне відключення (водопостачання): вул. Соборна, 12; Соборна вулиця, 14"
    plain = to_a.get_body(("plain",)).get_content()
    assert "КП «Міськводоканал»" in plain and "приблизно через 3 години 5 хвилин" in plain

    known = (await client.get("/api/v1/public/at", params={"address": "вул. Соборна, 20"})).json()
    [outage] = known["outages"]
    assert outage["provider"] == "КП «Міськводоканал»" and outage["planned"] is False
    assert datetime.fromisoformat(outage["expected_end"]) == ends and outage["going_on"] is True
    assert (await client.get("/api/v1/public/at", params={"lat": 50.908, "long": 34.80})).json()["outages"]
    assert (await client.get("/api/v1/public/at", params={"address": "вул. Соборна, 47"})).json()["outages"] == []

    # The end moves: told again. A reworded cause alone is no news. An older description arriving
    # late changes nothing.
    later = ends + timedelta(hours=2)
    moved = event(UtilityOutageUpdated(**{**reported.model_dump(exclude={"reported_at"}), "expected_end": later,
                                          "updated_at": now + timedelta(minutes=1)}), "o-1")
    reworded = event(UtilityOutageUpdated(**{**reported.model_dump(exclude={"reported_at"}), "expected_end": later,
                                             "cause": "пошкодження магістралі", "updated_at": now + timedelta(minutes=2)}), "o-1")
    stale = event(UtilityOutageUpdated(**{**reported.model_dump(exclude={"reported_at"}), "expected_end": ends,
                                          "updated_at": now + timedelta(seconds=30)}), "o-1")
    await publish(client.settings.kafka_bootstrap_servers, topic, moved, reworded, stale)
    await all_read(client, stale)
    assert [len(mails_to(mailbox, x)) for x in ("a@example.org", "b@example.org")] == [2, 2]
    assert mails_to(mailbox, "b@example.org")[-1]["Subject"].startswith("Змінено строк відключення")

    # Over: told once more, and no longer known at the place.
    over = event(UtilityOutageResolved(outage_id="o-1", company=VODOKANAL, resolved_at=now + timedelta(hours=4)), "o-1")
    await publish(client.settings.kafka_bootstrap_servers, topic, over, over)
    await all_read(client, over)
    assert [len(mails_to(mailbox, x)) for x in ("a@example.org", "b@example.org", "c@example.org")] == [3, 3, 0]
    assert mails_to(mailbox, "a@example.org")[-1]["Subject"].startswith("Відновлено водопостачання")
    assert (await client.get("/api/v1/public/at", params={"address": "вул. Соборна, 20"})).json()["outages"] == []


async def test_an_institution_cut_off_by_the_network_is_told_and_told_again_with_its_neighbours(notifications, mailbox):
    client = notifications
    answer = await client.put("/api/v1/institutions/06/email", json={"email": "school5@osvita.sumy.ua"},
                              headers=bearer(client.settings, "it-dept", "network-admin"))
    assert answer.status_code == 200, answer.text
    refused = await client.put("/api/v1/institutions/06/email", json={"email": "school5@osvita.sumy.ua"},
                               headers=bearer(client.settings, "someone", "citizen"))
    assert refused.status_code == 403
    await confirmed(client, d="d@example.org")
    await follow(client, "d", address="Петропавлівська вулиця, 5")

    now = datetime.now(UTC)
    site = AffectedSite(site_id="s-5", name="Школа №5", kind="school", address="вул. Петропавлівська, 5",
                        owner_holder_code="06")
    detected = event(NetworkOutageDetected(outage_id="n-1", element_kind="fibre_link", element_id="fl-7",
                                           element_name="ВОЛЗ Центр–Північ", detected_at=now, affected_sites=[site]), "n-1")
    topic = client.settings.topic("ecity.network.v1")
    await publish(client.settings.kafka_bootstrap_servers, topic, detected)
    await all_read(client, detected)
    [to_school] = mails_to(mailbox, "school5@osvita.sumy.ua")
    assert "Школа №5 (вул. Петропавлівська, 5)" in to_school["Subject"]
    assert len(mails_to(mailbox, "d@example.org")) == 1
    known = (await client.get("/api/v1/public/at", params={"address": "вул. Петропавлівська, 5"})).json()
    assert [o["kind"] for o in known["outages"]] == ["network"]

    resolved = event(NetworkOutageResolved(outage_id="n-1", element_kind="fibre_link", element_id="fl-7",
                                           resolved_at=now + timedelta(minutes=40)), "n-1")
    await publish(client.settings.kafka_bootstrap_servers, topic, resolved)
    await all_read(client, resolved)
    assert mails_to(mailbox, "school5@osvita.sumy.ua")[-1]["Subject"].startswith("Відновлено зв'язок МТКМ")
    assert len(mails_to(mailbox, "d@example.org")) == 2


async def test_quiet_hours_hold_a_planned_outage_but_not_an_unplanned_one(services, mailbox):
    # Quiet hours from an hour ago to two hours on, Kyiv time: whatever is not urgent waits until then.
    kyiv_now = datetime.now(UTC).astimezone(KYIV)
    begins, ends = (kyiv_now - timedelta(hours=1)).strftime("%H:%M"), (kyiv_now + timedelta(hours=2)).strftime("%H:%M")
    async with serving(services, "notifications", smtp_port=mailbox.port, dispatch_interval_s=0.2,
                       quiet_hours_begin=begins, quiet_hours_end=ends) as client:
        await confirmed(client, e="e@example.org")
        await follow(client, "e", address="вул. Соборна, 3")
        now = datetime.now(UTC)
        common = {"company": VODOKANAL, "area": AREA, "area_description": "Соборна", "starts_at": now,
                  "expected_end": now + timedelta(hours=1), "reported_at": now}
        planned = event(UtilityOutageReported(outage_id="p-1", planned=True, **common), "p-1")
        unplanned = event(UtilityOutageReported(outage_id="u-1", planned=False, **common), "u-1")
        await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.utilities.v1"),
                      planned, unplanned)
        await all_read(client, unplanned)

        [mail] = mailbox.received
        assert mail["Subject"].startswith("Аварійне")
        async with client.app.state.engine.connect() as conn:
            held = (await conn.execute(select(deliveries).where(deliveries.c.status == "pending"))).all()
        assert [h.context for h in held] and '"planned": true' in held[0].context
        assert held[0].next_attempt_at.astimezone(KYIV).strftime("%H:%M") == ends


async def test_places_refuse_what_cannot_be_told(notifications):
    client = notifications
    who = bearer(client.settings, "f", "citizen")
    cases = [
        ({"address": "вул. Соборна"}, "address"),  # a whole street is not a house
        ({"address": "вул. Соборна, 1", "lat": 50.9}, "long"),
        ({"address": "вул. Соборна, 1", "lat": 48.0, "long": 30.0}, "lat"),  # Kyiv oblast, not Sumy
        ({"address": "вул. Соборна, 1\u0000"}, "address"),
    ]
    for body, field in cases:
        answer = await client.post("/api/v1/me/places", json=body, headers=who)
        assert answer.status_code == 422, (body, answer.text)
        assert field in str(answer.json()), (body, answer.json())
    for n in range(10):
        await follow(client, "f", address=f"вул. Соборна, {n + 1}")
    eleventh = await client.post("/api/v1/me/places", json={"address": "вул. Соборна, 40"}, headers=who)
    assert eleventh.status_code == 409 and eleventh.json()["type"].endswith("/too-many-places")
    mine = (await client.get("/api/v1/me/places", headers=who)).json()
    gone = await client.delete(f"/api/v1/me/places/{mine[0]['place_id']}", headers=bearer(client.settings, "g", "citizen"))
    assert gone.status_code == 404  # not g's to remove
    assert (await client.delete(f"/api/v1/me/places/{mine[0]['place_id']}", headers=who)).status_code == 204
    assert len((await client.get("/api/v1/me/places", headers=who)).json()) == 9
    assert (await client.get("/api/v1/public/at")).status_code == 422


async def test_past_the_hourly_bound_a_citizen_waits_for_what_is_not_urgent(services, mailbox):
    async with serving(services, "notifications", smtp_port=mailbox.port, dispatch_interval_s=0.2,
                       quiet_hours_begin="00:00", quiet_hours_end="00:00", messages_per_hour=1) as client:
        await confirmed(client, r="r@example.org")
        await follow(client, "r", address="вул. Соборна, 5")
        now = datetime.now(UTC)
        common = {"company": VODOKANAL, "area": AREA, "area_description": "Соборна", "starts_at": now,
                  "expected_end": now + timedelta(hours=1)}
        planned = UtilityOutageReported(outage_id="rp-1", planned=True, reported_at=now, **common)
        moved = UtilityOutageUpdated(**{**planned.model_dump(exclude={"reported_at"}), "updated_at": now + timedelta(minutes=1),
                                        "expected_end": now + timedelta(hours=2)})
        unplanned = UtilityOutageReported(outage_id="ru-1", planned=False, reported_at=now, **common)
        first, second, third = event(planned, "rp-1"), event(moved, "rp-1"), event(unplanned, "ru-1")
        await publish(client.settings.kafka_bootstrap_servers, client.settings.topic("ecity.utilities.v1"),
                      first, second, third)
        await all_read(client, third)

        # The first message and the urgent one went; the end's move waits an hour.
        assert sorted(m["Subject"].split(" ")[0] for m in mailbox.received) == ["Аварійне", "Планове"]
        async with client.app.state.engine.connect() as conn:
            [held] = (await conn.execute(select(deliveries).where(deliveries.c.status == "pending"))).all()
        assert '"end_moved"' in held.context and held.next_attempt_at > datetime.now(UTC) + timedelta(minutes=55)
