"""A meter's EIC is bound to a company by the city only (issue 16, item 7), on the real gateway and
database: a company's reading for an EIC not bound to it is refused by itself, in the same words
whether the EIC is another company's or nobody's; the city's staff bind, move and unbind EICs with
the history kept; and the meters companies claimed by their first reading before are carried over."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from ecity_cli.testing import serving
from ecity_common.migrations import upgrade
from utilities_gateway.adapters.tables import meter_readings, meters
from utilities_gateway.domain.meters import NOT_BOUND, eic_check_character
from utilities_gateway.main import MIGRATIONS_DIR

from .conftest import ELECTRICITY, FAST_WEBHOOKS

NOW = datetime.now(UTC).replace(microsecond=0)
READINGS = "/integrations/v1/meter-readings"


def eic(serial: str) -> str:
    first = f"62Z{serial:0>12}"
    return first + eic_check_character(first)


def reading(meter: str, value: float, hours_ago: float) -> dict:
    return {"meter_id": meter, "reading_type": "active_energy_import", "unit": "kWh", "value": value,
            "taken_at": (NOW - timedelta(hours=hours_ago)).isoformat()}


async def another_electricity_company(gateway) -> tuple[str, dict]:
    """A second electricity company (registered by the staff), and its key."""
    created = await gateway.post("/api/v1/companies", json={
        "name": "ТОВ «Тест-Енерго»", "kind": "electricity", "edrpou": "32855961", "area": {"whole_city": True}})
    assert created.status_code == 201, created.text
    company_id = created.json()["id"]
    key = await gateway.post(f"/api/v1/companies/{company_id}/api-keys", json={"label": "test"})
    return company_id, {"Authorization": f"Bearer {key.json()['api_key']}"}


async def owners(gateway, *eics: str) -> dict[str, str | None]:
    async with gateway.app.state.engine.connect() as conn:
        rows = await conn.execute(select(meters.c.meter_id, meters.c.company_id).where(meters.c.meter_id.in_(eics)))
        return dict(rows.all())


async def stored_values(gateway, meter: str) -> list[float]:
    async with gateway.app.state.engine.connect() as conn:
        return sorted((await conn.execute(select(meter_readings.c.value).where(meter_readings.c.meter_id == meter))).scalars())


async def test_a_company_cannot_claim_an_eic_by_sending_its_readings_first(gateway):
    """Before, the first company to send a reading for an EIC owned it: this one would have taken a
    meter nobody had bound yet, and the city could not have given it to its company."""
    other_id, other = await another_electricity_company(gateway)
    nobodys, demo = eic("555"), eic("5")  # bound to no one; bound to the demo electricity company
    first = await gateway.post(READINGS, headers=other, json={"readings": [reading(nobodys, 10, 2)]})
    assert first.status_code == 200 and first.json()["accepted"] == 0
    assert first.json()["rejected"] == [{"index": 0, "meter_id": nobodys, "field": "meter_id", "reason": NOT_BOUND}]
    taken = await gateway.post(READINGS, headers=other, json={"readings": [reading(demo, 10, 2)]})
    assert taken.json()["accepted"] == 0
    assert await owners(gateway, nobodys, demo) == {demo: "co-electricity-demo"}  # nothing claimed, nothing moved
    assert await stored_values(gateway, nobodys) == await stored_values(gateway, demo) == []

    # Another company's EIC and nobody's answer alike: the refusal tells nothing of who meters it.
    def said(answer, meter):
        return re.sub(r'"batch_id":"[^"]*"', "", answer.text).replace(meter, "?")

    assert said(taken, demo) == said(first, nobodys)
    assert "co-electricity-demo" not in taken.text and "Сумиобленерго" not in taken.text
    # The company the city bound it to sends on as before; a reading it sends is not the other's to read.
    assert (await gateway.post(READINGS, headers=ELECTRICITY, json={"readings": [reading(demo, 7, 1)]})).json()["accepted"] == 1
    assert (await gateway.get(f"/integrations/v1/meters/{demo}/readings", headers=other)).status_code == 404
    assert other_id != "co-electricity-demo"


async def test_a_batch_refuses_each_unbound_eic_by_itself_and_stores_the_rest(gateway):
    _, other = await another_electricity_company(gateway)
    await gateway.post("/api/v1/companies/co-electricity-demo/meters", json={"eics": [eic("700")]})
    batch = [reading(eic("1"), 1, 3), reading(eic("600"), 1, 3), reading(eic("700"), 5, 3), reading(eic("2"), 1, 3)]
    report = (await gateway.post(READINGS, headers=ELECTRICITY, json={"readings": batch})).json()
    assert report["accepted"] == 3
    assert report["rejected"] == [{"index": 1, "meter_id": eic("600"), "field": "meter_id", "reason": NOT_BOUND}]
    theirs = (await gateway.post(READINGS, headers=other, json={"readings": batch})).json()
    assert theirs["accepted"] == 0 and [r["index"] for r in theirs["rejected"]] == [0, 1, 2, 3]
    assert {r["reason"] for r in theirs["rejected"]} == {NOT_BOUND}


async def test_the_city_binds_moves_and_unbinds_an_eic_and_keeps_who_and_when(gateway):
    other_id, other = await another_electricity_company(gateway)
    meter = eic("555")
    bound = await gateway.post(f"/api/v1/companies/{other_id}/meters", headers={"Idempotency-Key": "bind-555"},
                               json={"eics": [meter, meter], "note": "Наказ №12"})
    assert bound.status_code == 200, bound.text
    assert bound.json() == {"company_id": other_id, "bound": 1, "already_bound": 0, "transferred": []}
    assert (await gateway.post(READINGS, headers=other, json={"readings": [reading(meter, 100, 5)]})).json()["accepted"] == 1

    # Bound elsewhere: the staff must say they mean to move it.
    refused = await gateway.post("/api/v1/companies/co-electricity-demo/meters", json={"eics": [meter]})
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "eics[0]"
    assert refused.json()["type"].endswith("eic-bound-elsewhere") and other_id in refused.text
    moved = await gateway.post("/api/v1/companies/co-electricity-demo/meters", json={"eics": [meter], "transfer": True})
    assert moved.json()["transferred"] == [{"eic": meter, "from_company_id": other_id}]

    # The old company's readings stop; the register goes on with the meter, and nothing accepted is lost.
    after = (await gateway.post(READINGS, headers=other, json={"readings": [reading(meter, 110, 4)]})).json()
    assert after["rejected"][0]["reason"] == NOT_BOUND
    lower = (await gateway.post(READINGS, headers=ELECTRICITY, json={"readings": [reading(meter, 90, 3)]})).json()
    assert lower["rejected"][0]["reason"] == "cumulative value decreased: 90 after 100"
    assert (await gateway.post(READINGS, headers=ELECTRICITY, json={"readings": [reading(meter, 120, 3)]})).json()["accepted"] == 1

    unbound = await gateway.delete(f"/api/v1/companies/co-electricity-demo/meters/{meter}")
    assert unbound.status_code == 200 and unbound.json()["company_id"] is None
    assert (await gateway.delete(f"/api/v1/companies/co-electricity-demo/meters/{meter}")).status_code == 404
    assert (await gateway.post(READINGS, headers=ELECTRICITY, json={"readings": [reading(meter, 130, 2)]})).json()["accepted"] == 0
    assert await stored_values(gateway, meter) == [100, 120]

    history = (await gateway.get(f"/api/v1/meters/{meter}/bindings")).json()
    assert history["company_id"] is None
    assert [(h["change"], h["company_id"], h["previous_company_id"], h["by"]) for h in history["history"]] == [
        ("bound", other_id, None, "integrator-olena"), ("transferred", "co-electricity-demo", other_id, "integrator-olena"),
        ("unbound", None, "co-electricity-demo", "integrator-olena")]
    assert history["history"][0]["note"] == "Наказ №12"
    # Bound again, as a new binding of an EIC nobody has.
    again = await gateway.post(f"/api/v1/companies/{other_id}/meters", json={"eics": [meter]})
    assert again.json()["bound"] == 1


async def test_the_staff_list_shows_a_companys_eics_and_how_each_became_its_own(gateway):
    page = (await gateway.get("/api/v1/companies/co-electricity-demo/meters", params={"limit": 60})).json()
    assert [m["eic"] for m in page["meters"]] == [eic(str(n)) for n in range(60)]
    assert {(m["change"], m["by"]) for m in page["meters"]} == {("bound", "demo data")}
    rest = (await gateway.get("/api/v1/companies/co-electricity-demo/meters",
                              params={"after": page["next_after"], "limit": 60})).json()
    assert len(rest["meters"]) == 40 and rest["next_after"] is None
    assert (await gateway.get("/api/v1/companies/co-water-demo/meters")).json()["meters"] == []


async def test_what_the_staff_bind_is_checked_and_a_list_binds_whole_or_not_at_all(gateway):
    good, mistyped = eic("801"), eic("802")[:-1] + ("X" if eic("802")[-1] != "X" else "Y")
    wrong = await gateway.post("/api/v1/companies/co-electricity-demo/meters", json={"eics": [good, eic("803"), mistyped]})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "eics[2]"
    assert (await gateway.get(f"/api/v1/meters/{good}/bindings")).status_code == 404  # the good ones were not bound
    water = await gateway.post("/api/v1/companies/co-water-demo/meters", json={"eics": [good]})
    assert water.status_code == 422 and water.json()["errors"][0]["field"] == "company_id"
    assert (await gateway.post("/api/v1/companies/co-nobody/meters", json={"eics": [good]})).status_code == 404
    # An electricity metering point does not become a gas one.
    gas = await gateway.post("/api/v1/companies/co-gas-demo/meters", json={"eics": [eic("1")], "transfer": True})
    assert gas.status_code == 422 and gas.json()["errors"][0]["field"] == "eics[0]"
    assert await owners(gateway, eic("1")) == {eic("1"): "co-electricity-demo"}
    # Only the company an EIC is bound to can have it unbound from it.
    assert (await gateway.delete(f"/api/v1/companies/co-gas-demo/meters/{eic('1')}")).status_code == 404


async def test_meters_claimed_by_a_first_reading_before_are_carried_over_and_go_on(services):
    """A database of the old rule (migration 0003), where a company's first reading claimed an EIC,
    migrated: the meter keeps its company and readings, and the company's next upload continues it."""
    url = services.database_url("utilities-gateway")
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url, "0003")
    meter, claimed_at = eic("4242"), NOW - timedelta(days=30)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("""INSERT INTO companies (id, name, kind, edrpou, area)
                                   VALUES ('co-electricity-old', 'ТОВ «Старе-Енерго»', 'electricity', '32855961', '{"whole_city": true}')"""))
        await conn.execute(text("INSERT INTO meters (meter_id, company_id, kind, created_at) VALUES (:m, 'co-electricity-old', "
                                "'electricity', :at)"), {"m": meter, "at": claimed_at})
        await conn.execute(text("INSERT INTO meter_series VALUES (:m, 'active_energy_import', 'kWh', 500, :at)"),
                           {"m": meter, "at": claimed_at})
        await conn.execute(text("INSERT INTO meter_readings VALUES (:m, 'active_energy_import', :at, 500, 'remote', 'mrb-old')"),
                           {"m": meter, "at": claimed_at})
    await engine.dispose()
    async with serving(services, "utilities-gateway", "integrations-admin", subject="integrator-olena", **FAST_WEBHOOKS) as gateway:
        history = (await gateway.get(f"/api/v1/meters/{meter}/bindings")).json()
        assert history["company_id"] == "co-electricity-old"
        [carried] = history["history"]
        assert (carried["change"], carried["by"]) == ("carried-over", "migration 0004")
        assert datetime.fromisoformat(carried["at"]) == claimed_at
        listed = (await gateway.get("/api/v1/companies/co-electricity-old/meters")).json()["meters"]
        assert [(m["eic"], m["change"]) for m in listed] == [(meter, "carried-over")]
        key = (await gateway.post("/api/v1/companies/co-electricity-old/api-keys", json={})).json()["api_key"]
        old = {"Authorization": f"Bearer {key}"}
        lower = (await gateway.post(READINGS, headers=old, json={"readings": [reading(meter, 400, 1)]})).json()
        assert lower["rejected"][0]["reason"] == "cumulative value decreased: 400 after 500"
        assert (await gateway.post(READINGS, headers=old, json={"readings": [reading(meter, 510, 1)]})).json()["accepted"] == 1
        async with gateway.app.state.engine.connect() as conn:
            count = await conn.scalar(select(func.count()).select_from(meter_readings).where(meter_readings.c.meter_id == meter))
        assert count == 2

