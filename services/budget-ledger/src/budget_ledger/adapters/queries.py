"""The ledger's SQL: entries, the balances projection, the programme's structure, the report's
rows and the sums of a year. Use cases call these in their caller's transaction.

Two places here add up money in SQL and so mirror a rule of the domain: `year_totals` (the
execution of a year, as `domain.report` sums it) and `rebuilt_balances` (the entries' effects, as
`domain.ledger.Balance.apply` adds them). `tests/test_sql_mirrors_rules.py` runs both ways on
the same rows in PostgreSQL and checks they agree; `adapters/open_data.py` is tested there too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import orjson
from sqlalchemy import Table, Text, TextClause, any_, func, literal, select, text, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters.tables import (
    auto_approval_limits,
    balances,
    budget_holders,
    chain_heads,
    closed_years,
    expenditure_proposals,
    ledger_entries,
    measures,
    programmes,
    proposal_decisions,
)
from budget_ledger.domain.anchor import ChainHead, SignedHead
from budget_ledger.domain.chain import GENESIS_HASH, ROW_COLUMNS, draft_from, instant
from budget_ledger.domain.ledger import Balance, Effect, Measure, RecordedEntry
from budget_ledger.domain.proposals import AutoApprovalLimit, Decision, ExpenditureProposal

# One chain, one writer at a time: postings serialise on this transaction-scoped advisory lock,
# which also makes the plan check and the balance update race-free.
_CHAIN_LOCK = 0x0B0D6E7

STRUCTURE = {"budget_holders": budget_holders, "measures": measures}


def _rows_insert(table: Table, columns: Sequence[str], suffix: str = "") -> TextClause:
    """An INSERT of many rows that PostgreSQL takes apart from one jsonb parameter (`:rows`, an array
    of objects keyed by column): one statement executed once, where an executemany has the driver
    encode and the server execute every row on its own (a bulk posting writes thousands). jsonb
    rather than json: an entry's `content` reaches its column without being parsed again."""
    quote = postgresql.dialect().identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    typed = ", ".join(f"{quote(c)} {table.c[c].type.compile(dialect=postgresql.dialect())}" for c in columns)
    return text(f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} "
                f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({typed}) {suffix}")


def _among(ids: Iterable[str]):
    """`= ANY(:ids)` with the ids as one array parameter: `IN` would spell out a parameter per id,
    a new statement for each batch size, planned anew (a bulk posting looks up thousands)."""
    return any_(literal(list(ids), ARRAY(Text)))


def _json_rows(rows: Iterable) -> str:
    """Dicts or dataclasses as the JSON array `_rows_insert` takes (dates as ISO strings)."""
    return orjson.dumps(list(rows)).decode()


# -- entries -----------------------------------------------------------------------------------

def _recorded(row) -> RecordedEntry:
    return RecordedEntry(
        seq=row.seq,
        draft=draft_from(row.content),
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
    rows = (await session.execute(select(ledger_entries).where(ledger_entries.c.entry_id == _among(ids)))).all()
    return {row.entry_id: _recorded(row) for row in rows}


async def reversed_among(session: AsyncSession, ids: set[str]) -> set[str]:
    """Which of these entries a reversal already cancels."""
    if not ids:
        return set()
    return set((await session.execute(select(ledger_entries.c.reverses).where(ledger_entries.c.reverses == _among(ids)))).scalars())


async def chain_head(session: AsyncSession) -> tuple[int, str]:
    last = (await session.execute(
        select(ledger_entries.c.seq, ledger_entries.c.hash).order_by(ledger_entries.c.seq.desc()).limit(1)
    )).first()
    return (last.seq, last.hash) if last else (0, GENESIS_HASH)


def published_row(row) -> dict:
    """An entry's row as the chain covers it and the open data publishes it (domain/chain.py)."""
    published = {c: getattr(row, c) for c in ROW_COLUMNS}
    published["entry_date"] = published["entry_date"].isoformat()
    published["created_at"] = instant(published["created_at"])
    return published


_original = ledger_entries.alias("original")


async def chain_page(session: AsyncSession, after_seq: int, limit: int) -> list[tuple[dict, dict | None]]:
    """The next rows in chain order, each with the entry it reverses (its seq, content and effect)."""
    rows = await session.execute(
        select(*ledger_entries.c, _original.c.seq.label("o_seq"), _original.c.content.label("o_content"),
               _original.c.plan_delta_kop.label("o_plan"), _original.c.financed_delta_kop.label("o_financed"),
               _original.c.spent_delta_kop.label("o_spent"))
        .outerjoin(_original, _original.c.entry_id == ledger_entries.c.reverses)
        .where(ledger_entries.c.seq > after_seq).order_by(ledger_entries.c.seq).limit(limit)
    )
    return [
        (published_row(r), None if r.o_seq is None else {
            "seq": r.o_seq, "content": r.o_content, "plan_delta_kop": r.o_plan, "financed_delta_kop": r.o_financed,
            "spent_delta_kop": r.o_spent})
        for r in rows
    ]


async def hash_at(session: AsyncSession, seq: int) -> str | None:
    return await session.scalar(select(ledger_entries.c.hash).where(ledger_entries.c.seq == seq))


async def published_entries(session: AsyncSession, after_seq: int, limit: int) -> list[dict]:
    rows = await session.execute(
        select(ledger_entries).where(ledger_entries.c.seq > after_seq).order_by(ledger_entries.c.seq).limit(limit))
    return [published_row(r) for r in rows]


# Every column, so the row stored is the row hashed (`chain.entry_row`: already JSON, dates and
# the time as the hash covers them).
_INSERT_ENTRIES = _rows_insert(ledger_entries, ROW_COLUMNS)


async def write_entries(session: AsyncSession, entries: list[RecordedEntry], rows: dict[int, dict]) -> None:
    """The entries (their rows as hashed, `chain.entry_row`), and their effects added to the
    balances, in two statements."""
    deltas: dict[tuple[str, int], list[int]] = {}
    for e in entries:
        d = deltas.setdefault((e.draft.measure_code, e.draft.year), [0, 0, 0])
        d[0] += e.effect.plan
        d[1] += e.effect.financed
        d[2] += e.effect.spent
    await session.execute(_INSERT_ENTRIES, {"rows": _json_rows(rows[e.seq] for e in entries)})
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


async def connected_as_owner(session: AsyncSession) -> bool:
    """Whether this connection could change the ledger's tables themselves (drop a trigger): a
    superuser, or a member of the role that owns `ledger_entries`."""
    return bool(await session.scalar(text(
        "SELECT r.rolsuper OR pg_has_role(current_user, t.tableowner, 'MEMBER') "
        "FROM pg_roles r, pg_tables t WHERE r.rolname = current_user "
        "AND t.schemaname = 'public' AND t.tablename = 'ledger_entries'"
    )))


# -- signed heads ------------------------------------------------------------------------------

def _signed(row) -> SignedHead:
    return SignedHead(ChainHead.from_statement(row.statement), row.signature)


async def add_head(session: AsyncSession, signed: SignedHead) -> None:
    head = signed.head
    await session.execute(insert(chain_heads).values(
        entries=head.entries, signed_at=datetime.fromisoformat(head.signed_at), key_id=head.key_id,
        statement=head.statement(), signature=signed.signature))


async def latest_head(session: AsyncSession) -> SignedHead | None:
    row = (await session.execute(select(chain_heads).order_by(chain_heads.c.id.desc()).limit(1))).first()
    return _signed(row) if row else None


async def heads(session: AsyncSession, limit: int | None = None) -> list[SignedHead]:
    """Newest first."""
    query = select(chain_heads).order_by(chain_heads.c.id.desc())
    return [_signed(r) for r in await session.execute(query if limit is None else query.limit(limit))]


async def chain_totals(session: AsyncSession) -> tuple[int, str, Effect]:
    """The head of the chain and the sums of every entry's effect columns."""
    seq, last = await chain_head(session)
    plan, financed, spent = (await session.execute(select(
        func.coalesce(func.sum(ledger_entries.c.plan_delta_kop), 0),
        func.coalesce(func.sum(ledger_entries.c.financed_delta_kop), 0),
        func.coalesce(func.sum(ledger_entries.c.spent_delta_kop), 0)))).one()
    return seq, last, Effect(int(plan), int(financed), int(spent))


# -- proposed expenditures ---------------------------------------------------------------------

_PROPOSAL_FIELDS = tuple(ExpenditureProposal.__dataclass_fields__)
_DECISION_FIELDS = tuple(Decision.__dataclass_fields__)


def _proposal(row) -> ExpenditureProposal:
    return ExpenditureProposal(**{f: getattr(row, f) for f in _PROPOSAL_FIELDS})


def _decision(row) -> Decision | None:
    if row.outcome is None:
        return None
    return Decision(proposal_id=row.proposal_id, outcome=row.outcome, decided_by=row.decided_by,
                    decided_at=row.decided_at, reason=row.reason, entry_id=row.entry_id,
                    auto_approval_limit_id=row.auto_approval_limit_id)


def _proposals_query():
    return (
        select(expenditure_proposals, proposal_decisions.c.outcome, proposal_decisions.c.decided_by,
               proposal_decisions.c.decided_at, proposal_decisions.c.reason, proposal_decisions.c.entry_id,
               proposal_decisions.c.auto_approval_limit_id)
        .outerjoin(proposal_decisions, proposal_decisions.c.proposal_id == expenditure_proposals.c.proposal_id)
    )


async def proposals_by_id(session: AsyncSession, ids: set[str]) -> dict[str, tuple[ExpenditureProposal, Decision | None]]:
    if not ids:
        return {}
    rows = await session.execute(_proposals_query().where(expenditure_proposals.c.proposal_id == _among(ids)))
    return {r.proposal_id: (_proposal(r), _decision(r)) for r in rows}


async def list_proposals(session: AsyncSession, status: str, limit: int) -> list[tuple[ExpenditureProposal, Decision | None]]:
    """Oldest waiting first (the queue); decided ones newest first."""
    query = _proposals_query()
    if status == "proposed":
        query = query.where(proposal_decisions.c.outcome.is_(None)).order_by(expenditure_proposals.c.proposed_at,
                                                                               expenditure_proposals.c.proposal_id)
    else:
        query = query.where(proposal_decisions.c.outcome == status).order_by(proposal_decisions.c.decided_at.desc())
    return [(_proposal(r), _decision(r)) for r in await session.execute(query.limit(limit))]


_INSERT_PROPOSALS = _rows_insert(expenditure_proposals, _PROPOSAL_FIELDS, "ON CONFLICT DO NOTHING")
# The database stamps the time of a decision.
_INSERT_DECISIONS = _rows_insert(proposal_decisions, [f for f in _DECISION_FIELDS if f != "decided_at"])


async def add_proposals(session: AsyncSession, proposals: list[ExpenditureProposal]) -> None:
    if proposals:
        await session.execute(_INSERT_PROPOSALS, {"rows": _json_rows(proposals)})


async def add_decisions(session: AsyncSession, decisions: list[Decision]) -> None:
    if decisions:
        await session.execute(_INSERT_DECISIONS, {"rows": _json_rows(
            {f: getattr(d, f) for f in _DECISION_FIELDS if f != "decided_at"} for d in decisions)})


async def current_limits(session: AsyncSession) -> dict[str, AutoApprovalLimit]:
    """Each holder's newest limit."""
    rows = await session.execute(
        select(auto_approval_limits).distinct(auto_approval_limits.c.holder_code)
        .order_by(auto_approval_limits.c.holder_code, auto_approval_limits.c.id.desc()))
    return {r.holder_code: _limit(r) for r in rows}


def _limit(row) -> AutoApprovalLimit:
    return AutoApprovalLimit(row.id, row.holder_code, row.limit_kop, row.set_by, row.set_at, row.reason)


async def add_limit(session: AsyncSession, holder_code: str, limit_kop: int, set_by: str, reason: str) -> AutoApprovalLimit:
    row = (await session.execute(insert(auto_approval_limits).values(
        holder_code=holder_code, limit_kop=limit_kop, set_by=set_by, reason=reason).returning(auto_approval_limits))).one()
    return _limit(row)


async def limit_history(session: AsyncSession, holder_code: str) -> list[AutoApprovalLimit]:
    rows = await session.execute(select(auto_approval_limits).where(auto_approval_limits.c.holder_code == holder_code)
                                 .order_by(auto_approval_limits.c.id.desc()))
    return [_limit(r) for r in rows]


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


async def balances_differing(session: AsyncSession) -> list[dict]:
    """Every measure and year whose stored balance is not the sum of its entries' effects, in one
    statement (one snapshot: a posting committing meanwhile cannot show as a difference)."""
    e = ledger_entries
    rebuilt = (select(e.c.measure_code, e.c.year, func.sum(e.c.plan_delta_kop).label("planned"),
                      func.sum(e.c.financed_delta_kop).label("financed"), func.sum(e.c.spent_delta_kop).label("spent"))
               .group_by(e.c.measure_code, e.c.year).subquery())
    b = balances
    from_entries = [func.coalesce(rebuilt.c[k], 0) for k in ("planned", "financed", "spent")]
    stored = [func.coalesce(b.c[k], 0) for k in ("planned_kop", "financed_kop", "spent_kop")]
    rows = await session.execute(
        select(func.coalesce(rebuilt.c.measure_code, b.c.measure_code).label("measure_code"),
               func.coalesce(rebuilt.c.year, b.c.year).label("year"), *from_entries, *stored)
        .select_from(rebuilt.join(b, (b.c.measure_code == rebuilt.c.measure_code) & (b.c.year == rebuilt.c.year),
                                  full=True))
        .where(tuple_(*from_entries).is_distinct_from(tuple_(*stored)))
        .order_by("measure_code", "year")
    )
    return [{"measure_code": m, "year": y, "from_entries": {"planned_kop": int(p), "financed_kop": int(f), "spent_kop": int(s)},
             "stored": {"planned_kop": int(bp), "financed_kop": int(bf), "spent_kop": int(bs)}}
            for m, y, p, f, s, bp, bf, bs in rows]


async def year_totals(session: AsyncSession, year: int) -> tuple[int, int]:
    """Planned and financed of a whole year, summed in SQL: `domain.report`'s line of that year."""
    planned, financed = (await session.execute(
        select(func.coalesce(func.sum(balances.c.planned_kop), 0), func.coalesce(func.sum(balances.c.financed_kop), 0))
        .where(balances.c.year == year)
    )).one()
    return int(planned), int(financed)


async def closed(session: AsyncSession) -> set[int]:
    return set((await session.execute(select(closed_years.c.year))).scalars())


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
