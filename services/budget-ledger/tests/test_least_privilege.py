"""The service's own database role may add to the ledger and read it, and nothing more: it cannot
drop the append-only triggers, alter a table, or change or delete an entry. The owner migrates."""

from __future__ import annotations

import asyncpg
import pytest

from ecity_common.doorbell import libpq_dsn

# What migration 0003 grants, table by table; a table the service gets later needs its line here
# (and in its migration): the test below fails for a table nobody decided about.
EXPECTED = {
    "ledger_entries": {"SELECT", "INSERT"},
    "balances": {"SELECT", "INSERT", "UPDATE"},
    "closed_years": {"SELECT", "INSERT"},
    "programmes": {"SELECT", "INSERT"},
    "budget_holders": {"SELECT", "INSERT"},
    "measures": {"SELECT", "INSERT"},
    "chain_heads": {"SELECT", "INSERT"},
    "expenditure_proposals": {"SELECT", "INSERT"},
    "proposal_decisions": {"SELECT", "INSERT"},
    "auto_approval_limits": {"SELECT", "INSERT"},
    "outbox": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "inbox": {"SELECT", "INSERT"},
    "alembic_version": set(),
}
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")

REFUSED = [
    "DROP TRIGGER ledger_entries_no_update_or_delete ON ledger_entries",
    "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_no_update_or_delete",
    "ALTER TABLE ledger_entries DISABLE TRIGGER ALL",
    "ALTER TABLE ledger_entries ADD COLUMN note text",
    "DROP FUNCTION ledger_entries_are_append_only() CASCADE",
    "UPDATE ledger_entries SET amount_kop = 1 WHERE seq = 3",
    "DELETE FROM ledger_entries WHERE seq = 20",
    "TRUNCATE ledger_entries CASCADE",
    "DELETE FROM closed_years",  # a closed year is never reopened
    "UPDATE chain_heads SET entries = 0",
    "DELETE FROM chain_heads",
    "UPDATE proposal_decisions SET outcome = 'approved'",
    "DELETE FROM auto_approval_limits",
    "CREATE TABLE ledger_shadow (seq bigint)",
]


async def test_the_services_role_adds_to_the_ledger_but_cannot_change_it(ledger):
    client = ledger
    settings = client.settings
    # It works as that role: the demo data was posted and a new entry goes in.
    entry = {"entry_id": "fin-as-app-role", "kind": "financing", "holder_code": "08", "measure_code": "08-1", "year": 2021,
             "fund": "general", "kekv": "2240", "amount_kop": 100, "entry_date": "2021-12-01", "document_ref": "р. 1"}
    assert (await client.post("/api/v1/entries", json=entry)).status_code == 201
    conn = await asyncpg.connect(libpq_dsn(settings.database_url))
    try:
        assert await conn.fetchval("SELECT current_user") == settings.database_app_role == "budget_ledger_app"
        for sql in REFUSED:
            with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
                await conn.execute(sql)
        assert await conn.fetchval("SELECT count(*) FROM ledger_entries") == 21
    finally:
        await conn.close()


async def test_each_table_grants_the_service_exactly_what_its_code_does(ledger):
    owner = await asyncpg.connect(libpq_dsn(ledger.settings.migration_database_url))
    try:
        role = ledger.settings.database_app_role
        tables = [r["tablename"] for r in await owner.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        granted = {}
        for table in tables:
            granted[table] = {p for p in PRIVILEGES
                              if await owner.fetchval("SELECT has_table_privilege($1, $2, $3)", role, f"public.{table}", p)}
        assert granted == EXPECTED
        # Not the owner of anything, not a superuser, not able to make roles or databases.
        assert not await owner.fetchval("SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = $1", role)
        assert await owner.fetchval("SELECT count(*) FROM pg_tables WHERE tableowner = $1", role) == 0
    finally:
        await owner.close()


def test_a_deployed_ledger_refuses_to_start_as_the_owner_of_its_tables(services, processes):
    """A secret mixed up in a cluster (the owner's given to the Deployment) stops the pod, naming it."""
    owner = services.database_url("budget-ledger")
    service = processes(services.process("budget-ledger", mode="deployed", seed_demo_data="false", database_url=owner))
    assert service.wait_exit(180) != 0  # it migrates first (as the owner, rightly): more than a plain start
    log = service.log_file.read_text()
    assert "refusing to start" in log and "BUDGET_LEDGER_DATABASE_URL connects as the owner" in log, log[-3000:]
