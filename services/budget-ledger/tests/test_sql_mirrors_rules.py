"""Where the ledger adds up money in SQL, it must say what the domain says: each sum runs both
ways on the same rows in the real PostgreSQL (the demo programme, plus amendments, reversals and
expenditure so that every kind of entry is there)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from budget_ledger.adapters import open_data, queries
from budget_ledger.adapters.tables import balances, ledger_entries, messaging
from budget_ledger.domain.ledger import Balance, EntryDraft
from budget_ledger.domain.report import build, fiscal_phases
from budget_ledger.main import MIGRATIONS_DIR
from budget_ledger.settings import Settings
from budget_ledger.use_cases import posting
from budget_ledger.use_cases.demo_programme import seed_demo
from ecity_common.db import make_engine, make_sessions
from ecity_common.messaging.outbox import Outbox
from ecity_common.migrations import upgrade

YEARS = (2020, 2021, 2022)


@pytest.fixture(scope="module")
def ledger_database(infra):
    url = infra.new_database("ledger_mirrors")
    upgrade(MIGRATIONS_DIR, url)
    return url


def _draft(entry_id: str, kind: str, amount_kop: int, **more) -> EntryDraft:
    return EntryDraft(entry_id=entry_id, kind=kind, holder_code="02", measure_code="02-1", year=2021, fund="general",
                      kekv="3110", amount_kop=amount_kop, entry_date=date(2021, 11, 1), document_ref="test", author="test",
                      **more)


@pytest.fixture
async def ledger(ledger_database):
    engine = make_engine(Settings(database_url=ledger_database))
    outbox = Outbox(messaging.outbox, Settings())
    try:
        async with make_sessions(engine)() as session:
            await session.begin()
            await seed_demo(session, outbox)
            await posting.post_entries(session, outbox, [
                _draft("m-appropriation", "appropriation", 1_000_000),
                _draft("m-cut", "amendment", 250_000, direction="decrease"),
                _draft("m-financing", "financing", 300_000),
                _draft("m-spent", "expenditure", 120_000),
                posting.ReversalRequest("m-undo-appropriation", "m-appropriation", date(2021, 12, 1), "test", "test"),
                posting.ReversalRequest("m-undo-financing", "m-financing", date(2021, 12, 1), "test", "test"),
            ])
            yield session
            await session.rollback()
    finally:
        await engine.dispose()


async def test_a_years_totals_in_sql_are_the_reports_line_of_that_year(ledger):
    for year in YEARS:
        programme, rows = await queries.report_rows(ledger, year, year)
        line = build(programme, year, year, rows).by_year.get(year)
        in_sql = await queries.year_totals(ledger, year)
        assert in_sql == ((line.planned_kop, line.financed_kop) if line else (0, 0)), year


async def test_balances_rebuilt_in_sql_are_the_entries_effects_added_up(ledger):
    entries = (await ledger.execute(select(ledger_entries.c.entry_id).order_by(ledger_entries.c.seq))).scalars().all()
    added: dict[tuple[str, int], Balance] = defaultdict(Balance)
    for entry_id in entries:
        entry = await queries.find_entry(ledger, entry_id)
        added[(entry.draft.measure_code, entry.draft.year)].apply(entry.effect)
    assert await queries.rebuilt_balances(ledger) == dict(added)
    assert await queries.stored_balances(ledger) == dict(added)  # and the projection kept up


async def test_balances_compared_in_sql_name_exactly_the_measure_years_that_differ(ledger):
    """`verify` compares the projection with the entries in one statement; what it says the entries
    add up to is what the domain adds up, and it names every measure-year that differs, no other."""
    assert await queries.balances_differing(ledger) == []
    await ledger.execute(update(balances).where(balances.c.measure_code == "02-1", balances.c.year == 2021)
                         .values(financed_kop=balances.c.financed_kop + 5))
    await ledger.execute(insert(balances).values(measure_code="40-1", year=2022, planned_kop=7))  # no entry behind it
    added: dict[tuple[str, int], Balance] = defaultdict(Balance)
    for entry_id in (await ledger.execute(select(ledger_entries.c.entry_id))).scalars():
        entry = await queries.find_entry(ledger, entry_id)
        added[(entry.draft.measure_code, entry.draft.year)].apply(entry.effect)
    first, second = await queries.balances_differing(ledger)
    truth = added[("02-1", 2021)]
    assert (first["measure_code"], first["year"]) == ("02-1", 2021)
    assert first["from_entries"] == {"planned_kop": truth.planned, "financed_kop": truth.financed, "spent_kop": truth.spent}
    assert first["stored"]["financed_kop"] == truth.financed + 5
    assert second == {"measure_code": "40-1", "year": 2022, "from_entries": {"planned_kop": 0, "financed_kop": 0, "spent_kop": 0},
                      "stored": {"planned_kop": 7, "financed_kop": 0, "spent_kop": 0}}


async def test_open_datas_phases_in_sql_are_the_domains(ledger):
    entries = (await ledger.execute(select(ledger_entries.c.entry_id).order_by(ledger_entries.c.seq))).scalars().all()
    recorded = {e: await queries.find_entry(ledger, e) for e in entries}
    phases: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for entry in recorded.values():
        reversed_kind = recorded[entry.draft.reverses].draft.kind if entry.draft.reverses else None
        adds = fiscal_phases(entry.draft.kind, reversed_kind, entry.effect)
        total = phases[(entry.draft.year, entry.draft.measure_code)]
        for i, kop in enumerate(adds):
            total[i] += kop

    def uah(kop: int) -> str:
        return str((Decimal(kop) / 100).quantize(Decimal("0.01")))

    in_sql = {(r["year"], r["measure_code"]): [r["approved"], r["adjusted"], r["executed"]] for r in await open_data.rows(ledger)}
    assert in_sql == {key: [uah(k) for k in kops] for key, kops in phases.items()}
    assert in_sql[(2021, "02-1")][0] != in_sql[(2021, "02-1")][1]  # the amendment shows: approved is not adjusted
