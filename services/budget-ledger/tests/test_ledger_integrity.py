"""What a reader of the ledger sees is what `verify` checks, and a history rewritten in the
database — by the owner of its tables, triggers off, every later hash recomputed — fails against a
head signed earlier and published with the open data. Closed years take no more entries."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import zipfile

import asyncpg
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from budget_ledger.domain.anchor import ChainHead
from budget_ledger.domain.chain import ChainWalk, canonical, instant, row_hash
from ecity_cli.testing import serving, until
from ecity_common.doorbell import libpq_dsn

PUBLIC = {"Authorization": ""}


def _published(record: asyncpg.Record) -> dict:
    """A row as the chain covers it (what adapters/queries.py `published_row` makes)."""
    row = dict(record)
    row["content"] = json.loads(row["content"])
    row["entry_date"] = row["entry_date"].isoformat()
    row["created_at"] = instant(row["created_at"])
    return row


async def _owner(client) -> asyncpg.Connection:
    conn = await asyncpg.connect(libpq_dsn(client.settings.migration_database_url))
    await conn.execute("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_no_update_or_delete")
    return conn


async def _rewrite_amount(conn: asyncpg.Connection, seq: int, amount_kop: int) -> None:
    """What someone with the owner's rights does to change a financing entry unnoticed: the amount
    everywhere it shows (content, column, effect, balance), and every later hash re-chained."""
    rows = [_published(r) for r in await conn.fetch("SELECT * FROM ledger_entries WHERE seq >= $1 ORDER BY seq", seq)]
    first = rows[0]
    assert first["kind"] == "financing"
    difference = amount_kop - first["amount_kop"]
    first["content"]["amount_kop"] = first["amount_kop"] = first["financed_delta_kop"] = amount_kop
    prev = first["prev_hash"]
    for row in rows:
        row["prev_hash"] = prev
        row["hash"] = prev = row_hash(row)
        await conn.execute("UPDATE ledger_entries SET content = $2::jsonb, amount_kop = $3, financed_delta_kop = $4, "
                           "prev_hash = $5, hash = $6 WHERE seq = $1", row["seq"], json.dumps(row["content"]),
                           row["amount_kop"], row["financed_delta_kop"], row["prev_hash"], row["hash"])
    await conn.execute("UPDATE balances SET financed_kop = financed_kop + $3 WHERE measure_code = $1 AND year = $2",
                       first["measure_code"], first["year"], difference)


async def test_verify_checks_the_typed_amounts_and_the_balances_not_only_the_content(ledger):
    client = ledger
    assert (await client.get("/api/v1/ledger/verify")).json()["intact"] is True
    conn = await _owner(client)
    try:
        # The last entry's amount column and effect changed, its content not, its hash recomputed so
        # the chain itself still holds: the open data (which sums the effect columns) would show 1 kop.
        last = _published(await conn.fetchrow("SELECT * FROM ledger_entries ORDER BY seq DESC LIMIT 1"))
        last["amount_kop"] = last["financed_delta_kop"] = 1
        await conn.execute("UPDATE ledger_entries SET amount_kop = 1, financed_delta_kop = 1, hash = $2 WHERE seq = $1",
                           last["seq"], row_hash(last))
    finally:
        await conn.close()
    check = (await client.get("/api/v1/ledger/verify")).json()
    assert (check["intact"], check["first_broken_entry"]) == (False, last["entry_id"])
    assert check["problem"] == "amount_kop differ(s) from the entry as posted (content)"

    # The balances the reports read, changed by the service's own role (it keeps them): named too.
    app_role = await asyncpg.connect(libpq_dsn(client.settings.database_url))
    try:
        await app_role.execute("UPDATE balances SET planned_kop = planned_kop + 100 WHERE measure_code = '06-1' AND year = 2021")
    finally:
        await app_role.close()
    check = (await client.get("/api/v1/ledger/verify")).json()
    differing = {(d["measure_code"], d["year"]): d for d in check["balances_differing"]}
    assert check["balances_intact"] is False and set(differing) == {("06-1", 2021), (last["measure_code"], last["year"])}
    assert differing[("06-1", 2021)]["stored"]["planned_kop"] == differing[("06-1", 2021)]["from_entries"]["planned_kop"] + 100


async def test_a_rewritten_history_fails_against_a_head_published_before(ledger):
    client = ledger
    signed = await client.post("/api/v1/ledger/heads")
    assert signed.status_code == 201 and signed.json()["statement"]["entries"] == 20
    # A reader takes the open data and keeps it: the entries, the signed heads, the public keys.
    archive = zipfile.ZipFile(io.BytesIO((await client.get("/api/v1/open-data/fiscal-data-package.zip", headers=PUBLIC)).content))
    entries = [json.loads(line) for line in archive.read("ledger/entries.jsonl").decode().splitlines()]
    [kept, *_] = json.loads(archive.read("ledger/heads.json"))
    keys = {k["key_id"]: load_pem_public_key(k["public_key_pem"].encode()) for k in json.loads(archive.read("ledger/public-keys.json"))}
    assert kept == signed.json()
    # ...and checks it without the service: the signature, then the chain up to the head.
    head = ChainHead.from_statement(kept["statement"])
    keys[head.key_id].verify(base64.b64decode(kept["signature"]), canonical(kept["statement"]))
    originals = {e["entry_id"]: e for e in entries}
    walk = ChainWalk(wanted={head.entries})
    assert all(walk.step(e, originals.get(e["reverses"])) for e in entries)
    assert walk.seen[head.entries] == (head.last_hash, head.totals)

    # The owner rewrites entry 2 (financing of 02-1 in 2020, 3 500,00 thousand UAH) and re-chains.
    conn = await _owner(client)
    try:
        await _rewrite_amount(conn, 2, 35_000_000)
    finally:
        await conn.close()
    # The service's own heads catch it, and it signs nothing over it.
    check = (await client.get("/api/v1/ledger/verify", headers=PUBLIC)).json()
    assert check["first_broken_entry"] is None and check["balances_intact"] is True  # the rewrite is thorough
    assert check["intact"] is False and "entries before it were changed" in check["heads_failing"][0]["problem"]
    refused = await client.post("/api/v1/ledger/heads")
    assert refused.status_code == 409 and refused.json()["type"].endswith("head-does-not-hold")

    # The owner removes the service's heads too: the ledger now looks whole from inside...
    conn = await asyncpg.connect(libpq_dsn(client.settings.migration_database_url))
    try:
        await conn.execute("DELETE FROM chain_heads")
    finally:
        await conn.close()
    assert (await client.get("/api/v1/ledger/verify", headers=PUBLIC)).json()["intact"] is True
    # ...but not against the head the reader kept.
    against = (await client.post("/api/v1/ledger/verify", json=kept, headers=PUBLIC)).json()
    assert against["intact"] is False and against["given_head"]["holds"] is False
    assert "entries before it were changed" in against["given_head"]["problem"]
    # A head made up for the rewritten chain carries no valid signature.
    rewritten = (await client.get("/api/v1/open-data/ledger/entries.jsonl", headers=PUBLIC)).text.splitlines()
    forged = {**kept, "statement": {**kept["statement"], "last_hash": json.loads(rewritten[19])["hash"]}}
    answer = (await client.post("/api/v1/ledger/verify", json=forged, headers=PUBLIC)).json()["given_head"]
    assert (answer["holds"], answer["problem"]) == (False, "the signature does not match the statement")


async def test_the_service_signs_its_head_by_itself_once_a_day(services):
    async with serving(services, "budget-ledger", anchor_check_s=0.2) as client:
        heads = await until(lambda: _heads(client), timeout_s=30)
        assert heads[0]["statement"]["entries"] == 20
        # Not again before a day has passed (`anchor_interval_s`), however often it looks.
        await asyncio.sleep(1.0)
        assert len(await _heads(client)) == 1


async def _heads(client) -> list[dict]:
    return (await client.get("/api/v1/open-data/ledger/heads.json")).json()


async def test_a_closed_year_takes_no_more_entries_and_its_mistakes_are_reversed_in_an_open_year(ledger):
    client = ledger
    assert (await client.post("/api/v1/years/2020/close")).status_code == 200
    late = {"entry_id": "fin-2020-late", "kind": "financing", "holder_code": "08", "measure_code": "08-1", "year": 2020,
            "fund": "general", "kekv": "2240", "amount_kop": 100, "entry_date": "2021-01-15", "document_ref": "р. 2"}
    refused = await client.post("/api/v1/entries", json=late)
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "year"
    # A 2020 financing found wrong: its reversal cannot go into 2020, it goes into 2021.
    wrong = "demo-2020-08-1-08-financing"
    reversal = {"entry_id": "rev-2020-in-2021", "kind": "reversal", "reverses": wrong, "entry_date": "2021-02-01",
                "document_ref": "виправлення"}
    into_closed = await client.post("/api/v1/entries", json=reversal)
    assert into_closed.status_code == 409 and "open year" in into_closed.json()["detail"]
    before = await _financed(client, 2021, "08-1")
    undone = await client.post("/api/v1/entries", json={**reversal, "year": 2021})
    assert undone.status_code == 201 and (undone.json()["year"], undone.json()["financed_delta_kop"]) == (2021, -30_000_000)
    assert await _financed(client, 2021, "08-1") == before - 30_000_000
    assert await _financed(client, 2020, "08-1") == 30_000_000  # the closed year's figures stand
    assert (await client.get("/api/v1/ledger/verify")).json()["intact"] is True
    # The database refuses it too, to whoever inserts (here the service's own role, behind the service's back).
    conn = await asyncpg.connect(libpq_dsn(client.settings.database_url))
    try:
        with pytest.raises(asyncpg.exceptions.CheckViolationError, match="year 2020 is closed"):
            await conn.execute(
                "INSERT INTO ledger_entries (seq, entry_id, kind, holder_code, measure_code, year, fund, kekv, amount_kop, "
                "entry_date, document_ref, author, plan_delta_kop, financed_delta_kop, spent_delta_kop, content, prev_hash, "
                "hash) VALUES (1000, 'x', 'financing', '08', '08-1', 2020, 'general', '2240', 1, '2021-01-01', 'x', 'x', "
                "0, 1, 0, '{}', '', '')")
        # Checked once per statement (migration 0004): one row of many in a closed year refuses them all.
        columns = ("seq, entry_id, kind, holder_code, measure_code, year, fund, kekv, amount_kop, entry_date, "
                   "document_ref, author, plan_delta_kop, financed_delta_kop, spent_delta_kop, content, prev_hash, hash")
        with pytest.raises(asyncpg.exceptions.CheckViolationError, match="year 2020 is closed"):
            await conn.execute(
                f"INSERT INTO ledger_entries ({columns}) SELECT 1000 + g, 'bulk-' || g, 'financing', '08', '08-1', "
                "CASE WHEN g = 3 THEN 2020 ELSE 2021 END, 'general', '2240', 1, '2021-01-01', 'x', 'x', 0, 1, 0, "
                "'{}', '', '' FROM generate_series(1, 5) g")
        assert await conn.fetchval("SELECT count(*) FROM ledger_entries WHERE entry_id LIKE 'bulk-%'") == 0
    finally:
        await conn.close()


async def _financed(client, year: int, measure: str) -> int:
    report = (await client.get("/api/v1/reports/execution", params={"from_year": year, "to_year": year})).json()
    return next(m["financed_kop"] for h in report["holders"] for m in h["measures"] if m["code"] == measure)


async def test_the_chain_gauges_count_the_entries_and_what_the_last_signed_head_covers(ledger):
    """ecity_ledger_chain_entries and ecity_ledger_signed_entries (the ledger's dashboard shows the
    chain growing and the part not yet under a signed head)."""
    from prometheus_client import REGISTRY

    from budget_ledger.adapters import chain_gauges

    client = ledger
    engine = client.app.state.engine  # the service's own, restricted role: it may read both tables
    async def signed_at_start() -> bool:  # the service signs its first head as it starts (the key is there)
        return await chain_gauges.count(engine) == (20, 20)
    await until(signed_at_start, timeout_s=30)  # the demo programme, all of it under that head
    posted = await client.post("/api/v1/entries", json={
        "entry_id": "fin-gauge-1", "kind": "financing", "holder_code": "08", "measure_code": "08-1", "year": 2021,
        "fund": "general", "kekv": "2240", "amount_kop": 100, "entry_date": "2021-03-01", "document_ref": "р. 7"})
    assert posted.status_code == 201, posted.text
    assert await chain_gauges.count(engine) == (21, 20)  # one entry past the last signed head
    assert (await client.post("/api/v1/ledger/heads")).status_code == 201
    assert await chain_gauges.count(engine) == (21, 21)

    worker = asyncio.create_task(chain_gauges.keep_counting(engine, interval_s=0.05))
    try:
        async def published() -> bool:
            return (REGISTRY.get_sample_value("ecity_ledger_chain_entries"),
                    REGISTRY.get_sample_value("ecity_ledger_signed_entries")) == (21, 21)
        await until(published, timeout_s=10)
    finally:
        worker.cancel()
