"""Companies and their credentials through the API, on the real database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from utilities_gateway.adapters.tables import api_keys, audit_log, company_messages, idempotency_keys

from .conftest import WATER

PROFILE = {
    "name": "ТОВ «Тест-Вода»", "kind": "water", "edrpou": "32855961", "contact_email": "ops@test-voda.example",
    "area": {"streets": [{"street": "вул. Петропавлівська", "from_house": 1, "to_house": 99}]},
}


async def test_the_city_registers_a_company_and_issues_it_a_key_shown_once(gateway):
    created = await gateway.post("/api/v1/companies", json=PROFILE)
    assert created.status_code == 201, created.text
    company = created.json()
    assert company["id"].startswith("co-water-") and company["edrpou"] == "32855961"
    again = await gateway.post("/api/v1/companies", json=PROFILE)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "edrpou"

    issued = (await gateway.post(f"/api/v1/companies/{company['id']}/api-keys", json={"label": "CRM"})).json()
    key = issued["api_key"]
    assert key.startswith("ugw_") and issued["prefix"] == key[:12]
    listed = (await gateway.get(f"/api/v1/companies/{company['id']}/api-keys")).json()["api_keys"]
    assert [k["prefix"] for k in listed] == [issued["prefix"]] and key not in str(listed)
    async with gateway.app.state.engine.connect() as conn:
        stored = (await conn.execute(select(api_keys.c.key_hash).where(api_keys.c.key_id == issued["key_id"]))).scalar()
    assert stored != key and len(stored) == 64  # a hash, never the key

    me = await gateway.get("/integrations/v1/company", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["name"] == "ТОВ «Тест-Вода»"


@pytest.mark.parametrize(("change", "field"), [
    ({"edrpou": "32855962"}, "edrpou"),
    ({"edrpou": "1234"}, "edrpou"),
    ({"kind": "sewage"}, "kind"),
    ({"area": {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}}, "area.geometry"),
    ({"area": {}}, "area"),
    ({"service_codes": ["Water Leak!"]}, "service_codes"),
    ({"contact_email": "not-an-email"}, "contact_email"),
])
async def test_a_bad_company_profile_names_the_field(gateway, change, field):
    answer = await gateway.post("/api/v1/companies", json={**PROFILE, **change})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert any(e["field"] == field for e in answer.json()["errors"]), answer.json()


async def _told(gateway, company_id: str) -> list[tuple[str, dict]]:
    async with gateway.app.state.engine.connect() as conn:
        rows = await conn.execute(select(company_messages.c.type, company_messages.c.body)
                                  .where(company_messages.c.company_id == company_id, company_messages.c.type.like("api-key.%"))
                                  .order_by(company_messages.c.seq))
        return [(r.type, r.body["data"]) for r in rows]


async def test_a_company_rotates_its_key_with_overlap_and_the_old_key_can_then_do_nothing_to_keys(gateway):
    rotated = await gateway.post("/integrations/v1/api-keys/rotate", headers={**WATER, "Idempotency-Key": "rot-1"})
    assert rotated.status_code == 201
    new_id = rotated.json()["key_id"]
    # A retry says which key was made, never the key itself; nor does the stored answer hold it.
    replay = await gateway.post("/integrations/v1/api-keys/rotate", headers={**WATER, "Idempotency-Key": "rot-1"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json()["key_id"] == new_id
    assert replay.json()["api_key"] is None and "never again" in replay.json()["api_key_note"]
    async with gateway.app.state.engine.connect() as conn:
        kept = str((await conn.execute(select(idempotency_keys.c.body))).scalars().all())
    assert rotated.json()["api_key"] not in kept and rotated.json()["api_key"].split("_", 2)[2] not in kept
    new = {"Authorization": f"Bearer {rotated.json()['api_key']}"}
    # Both work during the overlap: the company rolls the new key out without a gap.
    assert (await gateway.get("/integrations/v1/company", headers=WATER)).status_code == 200
    assert (await gateway.get("/integrations/v1/company", headers=new)).status_code == 200
    states = {k["key_id"]: k["state"] for k in (await gateway.get("/integrations/v1/api-keys", headers=new)).json()["api_keys"]}
    assert states == {"water001": "active", new_id: "active"}
    # The old key (stolen, say) can neither rotate again to a fresh key nor revoke the new one.
    again = await gateway.post("/integrations/v1/api-keys/rotate", headers={**WATER, "Idempotency-Key": "rot-2"})
    assert again.status_code == 403 and again.json()["type"].endswith("key-rotated")
    assert (await gateway.delete(f"/integrations/v1/api-keys/{new_id}", headers=WATER)).status_code == 403
    # Nor can the new key revoke the old one: another key is the city's to revoke; a key revokes itself.
    other = await gateway.delete("/integrations/v1/api-keys/water001", headers=new)
    assert other.status_code == 403 and other.json()["errors"][0]["field"] == "path.key_id"
    assert (await gateway.delete("/api/v1/companies/co-water-demo/api-keys/water001")).json()["state"] == "revoked"
    refused = await gateway.get("/integrations/v1/company", headers=WATER)
    assert refused.status_code == 401 and refused.json()["errors"][0]["field"] == "header.authorization"
    # Another company's key answers as no key at all.
    assert (await gateway.delete("/integrations/v1/api-keys/elec0001", headers=new)).status_code == 404
    assert (await gateway.delete(f"/integrations/v1/api-keys/{new_id}", headers=new)).json()["state"] == "revoked"
    # The company was told of every change, with who made it.
    told = await _told(gateway, "co-water-demo")
    assert [(t, d["key_id"], d["by"]) for t, d in told] == [
        ("api-key.rotated", "water001", "ugw_water001"), ("api-key.revoked", "water001", "the city"),
        ("api-key.revoked", new_id, f"ugw_{new_id}")]
    assert told[0][1]["new_key_id"] == new_id and told[0][1]["expires_at"]


async def test_a_key_issued_by_the_city_is_told_to_the_company_and_not_shown_on_a_retry(gateway):
    issue = {"Idempotency-Key": "issue-1"}
    first = await gateway.post("/api/v1/companies/co-water-demo/api-keys", json={"label": "CRM-2"}, headers=issue)
    retry = await gateway.post("/api/v1/companies/co-water-demo/api-keys", json={"label": "CRM-2"}, headers=issue)
    assert first.json()["api_key"].startswith("ugw_") and retry.json()["api_key"] is None
    assert retry.json()["key_id"] == first.json()["key_id"]
    assert await _told(gateway, "co-water-demo") == [
        ("api-key.issued", {"key_id": first.json()["key_id"], "prefix": first.json()["prefix"], "by": "the city"})]


async def test_no_key_a_wrong_key_and_a_staff_token_without_the_role_are_refused(gateway, services):
    from ecity_cli.testing import bearer

    assert (await gateway.get("/integrations/v1/requests", headers={"Authorization": ""})).status_code == 401
    assert (await gateway.get("/integrations/v1/requests",
                              headers={"X-API-Key": "ugw_water001_not-the-right-secret-at-all"})).status_code == 401
    operator = bearer(gateway.settings, "someone", "operator")
    assert (await gateway.get("/api/v1/companies", headers=operator)).status_code == 403


async def test_every_integration_call_is_audited_without_secrets(gateway):
    await gateway.get("/integrations/v1/company", headers=WATER)
    await gateway.get("/integrations/v1/company", headers={"X-API-Key": "ugw_water001_wrong-secret-wrong-secret"})
    await gateway.post("/integrations/v1/outages", headers={**WATER, "Idempotency-Key": "k-1"}, json={"planned": True})
    entries = (await gateway.get("/api/v1/audit-log", params={"limit": 10})).json()["entries"]
    assert [(e["actor"], e["method"], e["path"], e["status"]) for e in entries[:3]] == [
        ("ugw_water001", "POST", "/integrations/v1/outages", 422),
        ("unauthenticated", "GET", "/integrations/v1/company", 401),
        ("ugw_water001", "GET", "/integrations/v1/company", 200),
    ]
    assert entries[0]["idempotency_key"] == "k-1" and entries[0]["company_id"] == "co-water-demo"
    async with gateway.app.state.engine.connect() as conn:
        dump = str((await conn.execute(select(audit_log))).all())
    assert "local-development-only-key" not in dump and "wrong-secret" not in dump


async def test_the_audit_log_pages_on_with_its_cursor_newest_first(gateway):
    for n in range(5):
        await gateway.get("/integrations/v1/company", headers=WATER, params={"page": n})
    whole = (await gateway.get("/api/v1/audit-log", params={"limit": 1000})).json()
    assert whole["next_cursor"] is None  # all of it on one page
    pages, after = [], None
    while True:
        page = (await gateway.get("/api/v1/audit-log", params={"limit": 2, **({"after": after} if after else {})})).json()
        pages.append(page["entries"])
        after = page["next_cursor"]
        if after is None:
            break
    read = [e["id"] for page in pages for e in page]
    assert read == [e["id"] for e in whole["entries"]] and read == sorted(read, reverse=True) and len(read) >= 5
    assert all(len(page) == 2 for page in pages[:-1])


@pytest.mark.parametrize(("path", "change", "field_or_text"), [
    ("/api/v1/companies/co-water-demo", {"name": None}, "name cannot be null"),
    ("/api/v1/companies/co-water-demo", {"area": None}, "area cannot be null"),
    ("/api/v1/companies/co-water-demo", {"contact_email": "nope"}, "contact_email"),
    ("/api/v1/companies/co-water-demo", {"service_codes": ["Not A Code"]}, "service_codes"),
    ("/api/v1/companies/co-water-demo", {"area": {}}, "area"),
])
async def test_a_bad_change_to_a_company_is_a_422_naming_the_field(gateway, path, change, field_or_text):
    answer = await gateway.patch(path, json=change)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert field_or_text in answer.text
    assert (await gateway.get(path)).json()["name"].startswith("КП «Міськводоканал»")  # unchanged


@pytest.mark.parametrize("change", [{"url": None}, {"event_types": None}, {"enabled": None}])
async def test_a_null_in_an_endpoint_change_is_a_422(gateway, change):
    created = (await gateway.post("/integrations/v1/webhook-endpoints", headers=WATER,
                                  json={"url": "http://127.0.0.1:9/hook"})).json()
    answer = await gateway.patch(f"/integrations/v1/webhook-endpoints/{created['id']}", headers=WATER, json=change)
    assert answer.status_code == 422 and "cannot be null" in answer.text
