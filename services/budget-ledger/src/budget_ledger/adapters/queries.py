"""The ledger's SQL: entries, the balances projection, the programme's structure, the report's
rows and the sums of a year. Use cases call these in their caller's transaction.

Two places here add up money in SQL and so mirror a rule of the domain: `year_totals` (the
execution of a year, as `domain.report` sums it) and `rebuilt_balances` (the entries' effects, as
`domain.ledger.Balance.apply` adds them). `tests/test_sql_mirrors_rules.py` runs both ways on
the same rows in PostgreSQL and checks they agree; `adapters/open_data.py` is tested there too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters.tables import balances, budget_holders, closed_years, ledger_entries, measures, programmes
from budget_ledger.domain.chain import GENESIS_HASH
from budget_ledger.domain.ledger import Balance, Effect, EntryDraft, Measure, RecordedEntry

# One chain, one writer at a time: postings serialise on this transaction-scoped advisory lock,
# which also makes the plan check and the balance update race-free.
_CHAIN_LOCK = 0x0B0D6E7

STRUCTURE = {"budget_holders": budget_holders, "measures": measures}


# -- entries -----------------------------------------------------------------------------------

def _draft_from(content: dict) -> EntryDraft:
    return EntryDraft(**{**content, "entry_date": date.fromisoformat(content["entry_date"])})


def _recorded(row) -> RecordedEntry:
    return RecordedEntry(
        seq=row.seq,
        draft=_draft_from(row.content),
        effect=Effect(row.plan_delta_kop, row.financed_delta_kop, row.spent_delta_kop),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _measure(row) -> Measure:
    return Measure(row.code, row.number, row.name_uk, row.holder_code, row.tpkvkmb, row.kfkvk, row.kekv, row.fund)


async def lock_chain(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})


async def find_entry(session: AsyncSession, entry_id: str) -> RecordedEntry | None:
    row = (await session.execute(select(ledger_entries).where(ledger_entries.c.entry_id == entry_id))).first()
    return _recorded(row) if row else None


async def entries_by_id(session: AsyncSession, ids: set[str]) -> dict[str, RecordedEntry]:
    if not ids:
        return {}
    rows = (await session.execute(select(ledger_entries).where(ledger_entries.c.entry_id.in_(ids)))).all()
    return {row.entry_id: _recorded(row) for row in rows}


async def reversed_among(session: AsyncSession, ids: set[str]) -> set[str]:
    """Which of these entries a reversal already cancels."""
    if not ids:
        return set()
    return set((await session.execute(select(ledger_entries.c.reverses).where(ledger_entries.c.reverses.in_(ids)))).scalars())


async def chain_head(session: AsyncSession) -> tuple[int, str]:
    last = (await session.execute(
        select(ledger_entries.c.seq, ledger_entries.c.hash).order_by(ledger_entries.c.seq.desc()).limit(1)
    )).first()
    return (last.seq, last.hash) if last else (0, GENESIS_HASH)


async def chain_page(session: AsyncSession, after_seq: int, limit: int) -> Sequence:
    return (await session.execute(
        select(ledger_entries.c.seq, ledger_entries.c.entry_id, ledger_entries.c.content,
               ledger_entries.c.prev_hash, ledger_entries.c.hash)
        .where(ledger_entries.c.seq > after_seq).order_by(ledger_entries.c.seq).limit(limit)
    )).all()


async def write_entries(session: AsyncSession, entries: list[RecordedEntry], contents: dict[int, dict]) -> None:
    """The entries, and their effects added to the balances, in two statements."""
    rows = []
    deltas: dict[tuple[str, int], list[int]] = {}
    for e in entries:
        content = contents[e.seq]
        rows.append({**content, "entry_date": e.draft.entry_date, "seq": e.seq, "plan_delta_kop": e.effect.plan,
                     "financed_delta_kop": e.effect.financed, "spent_delta_kop": e.effect.spent,
                     "content": content, "prev_hash": e.prev_hash, "hash": e.hash})
        d = deltas.setdefault((e.draft.measure_code, e.draft.year), [0, 0, 0])
        d[0] += e.effect.plan
        d[1] += e.effect.financed
        d[2] += e.effect.spent
    await session.execute(insert(ledger_entries), rows)
    upsert = insert(balances).values(
        [{"measure_code": m, "year": y, "planned_kop": p, "financed_kop": f, "spent_kop": s}
         for (m, y), (p, f, s) in deltas.items()]
    )
    await session.execute(upsert.on_conflict_do_update(
        index_elements=["measure_code", "year"],
        set_={
            "planned_kop": balances.c.planned_kop + upsert.excluded.planned_kop,
            "financed_kop": balances.c.financed_kop + upsert.excluded.financed_kop,
            "spent_kop": balances.c.spent_kop + upsert.excluded.spent_kop,
        },
    ))


# -- balances ----------------------------------------------------------------------------------

async def balance_of(session: AsyncSession, measure_code: str, year: int) -> Balance:
    row = (await session.execute(
        select(balances).where(balances.c.measure_code == measure_code, balances.c.year == year)
    )).first()
    return Balance(row.planned_kop, row.financed_kop, row.spent_kop) if row else Balance()


async def balances_of(session: AsyncSession, measure_codes: Iterable[str]) -> dict[tuple[str, int], Balance]:
    codes = set(measure_codes)
    if not codes:
        return {}
    return {(r.measure_code, r.year): Balance(r.planned_kop, r.financed_kop, r.spent_kop)
            for r in await session.execute(select(balances).where(balances.c.measure_code.in_(codes)))}


async def stored_balances(session: AsyncSession) -> dict[tuple[str, int], Balance]:
    rows = await session.execute(select(balances))
    return {(r.measure_code, r.year): Balance(r.planned_kop, r.financed_kop, r.spent_kop) for r in rows}


async def rebuilt_balances(session: AsyncSession) -> dict[tuple[str, int], Balance]:
    """The balances recomputed from the entries alone (to check the projection)."""
    rows = await session.execute(
        select(ledger_entries.c.measure_code, ledger_entries.c.year,
               func.sum(ledger_entries.c.plan_delta_kop), func.sum(ledger_entries.c.financed_delta_kop),
               func.sum(ledger_entries.c.spent_delta_kop))
        .group_by(ledger_entries.c.measure_code, ledger_entries.c.year)
    )
    return {(m, y): Balance(int(p), int(f), int(s)) for m, y, p, f, s in rows}


async def year_totals(session: AsyncSession, year: int) -> tuple[int, int]:
    """Planned and financed of a whole year, summed in SQL: `domain.report`'s line of that year."""
    planned, financed = (await session.execute(
        select(func.coalesce(func.sum(balances.c.planned_kop), 0), func.coalesce(func.sum(balances.c.financed_kop), 0))
        .where(balances.c.year == year)
    )).one()
    return int(planned), int(financed)


async def close_year(session: AsyncSession, year: int, closed_by: str) -> bool:
    """Close it; False when it was closed already."""
    inserted = await session.execute(
        insert(closed_years).values(year=year, closed_by=closed_by).on_conflict_do_nothing().returning(closed_years.c.year)
    )
    return inserted.first() is not None


# -- the programme's structure -----------------------------------------------------------------

async def find_measure(session: AsyncSession, code: str) -> Measure | None:
    row = (await session.execute(select(measures).where(measures.c.code == code))).first()
    return _measure(row) if row else None


async def all_measures(session: AsyncSession) -> dict[str, Measure]:
    return {r.code: _measure(r) for r in await session.execute(select(measures))}


async def measure_catalogue(session: AsyncSession) -> Sequence:
    """Every measure with its holder's code and КПКВКМБ: what an import line is matched against."""
    return (await session.execute(
        select(measures.c.code, measures.c.kekv, measures.c.fund, measures.c.kfkvk, measures.c.tpkvkmb,
               budget_holders.c.code.label("holder"), budget_holders.c.kpkvkmb)
        .join(budget_holders, budget_holders.c.code == measures.c.holder_code)
    )).all()


async def programme_code(session: AsyncSession) -> str | None:
    return await session.scalar(select(programmes.c.code))


async def add_programme(session: AsyncSession, values: dict) -> None:
    await session.execute(insert(programmes).values(values).on_conflict_do_nothing())


async def holder_kpkvkmb(session: AsyncSession, holder_code: str) -> str | None:
    return await session.scalar(select(budget_holders.c.kpkvkmb).where(budget_holders.c.code == holder_code))


async def structure_row(session: AsyncSession, table: str, key: str, value: str):
    t = STRUCTURE[table]
    return (await session.execute(select(t).where(t.c[key] == value))).mappings().first()


async def add_structure_row(session: AsyncSession, table: str, values: dict) -> None:
    await session.execute(insert(STRUCTURE[table]).values(values))


async def programme_with_structure(session: AsyncSession) -> dict:
    prog = (await session.execute(select(programmes))).mappings().first()
    holders = (await session.execute(select(budget_holders).order_by(budget_holders.c.is_main.desc(), budget_holders.c.code))).mappings().all()
    ms = (await session.execute(select(measures).order_by(measures.c.holder_code, measures.c.number))).mappings().all()
    return {"programme": dict(prog) if prog else None, "budget_holders": [dict(h) for h in holders],
            "measures": [dict(m) for m in ms]}


# -- the execution report ----------------------------------------------------------------------

async def report_rows(session: AsyncSession, from_year: int, to_year: int) -> tuple[dict, Sequence]:
    """The programme, and its balance rows joined with measure and holder, in the report's order."""
    programme = (await session.execute(select(programmes))).first()
    rows = await session.execute(
        select(
            balances.c.year, balances.c.planned_kop, balances.c.financed_kop, balances.c.spent_kop,
            measures.c.code.label("measure_code"), measures.c.number, measures.c.name_uk.label("measure_name"),
            measures.c.kekv, measures.c.fund, measures.c.illustrative,
            budget_holders.c.code.label("holder_code"), budget_holders.c.name_uk.label("holder_name"),
            budget_holders.c.is_main, budget_holders.c.kpkvkmb,
        )
        .join(measures, measures.c.code == balances.c.measure_code)
        .join(budget_holders, budget_holders.c.code == measures.c.holder_code)
        .where(balances.c.year.between(from_year, to_year))
        .order_by(budget_holders.c.is_main.desc(), budget_holders.c.code, measures.c.number, balances.c.year)
    )
    about = {"code": programme.code, "name_uk": programme.name_uk, "name_en": programme.name_en,
             "start_year": programme.start_year, "end_year": programme.end_year} if programme else {}
    return about, rows.all()
