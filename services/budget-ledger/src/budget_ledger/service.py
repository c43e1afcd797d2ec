"""Use cases of the budget ledger. Each runs inside the caller's transaction (the API route opens
one; the event consumer already has one), so a posting, its balance and its events commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.db import balances, closed_years, ledger_entries, measures
from budget_ledger.domain import (
    GENESIS_HASH,
    Balance,
    Effect,
    EntryDraft,
    EntryRejected,
    Measure,
    RecordedEntry,
    chain_hash,
    check_draft,
    check_financing,
    effect_of,
    first_broken,
    reversal_of,
)
from budget_ledger.money import share_percent
from ecity_common.events.payloads.budget_ledger import ExecutionAlertRaised, LedgerEntryRecorded
from ecity_common.messaging.outbox import Outbox

# One chain, one writer at a time: postings serialise on this transaction-scoped advisory lock,
# which also makes the plan check and the balance update race-free.
_CHAIN_LOCK = 0x0B0D6E7


class EntryConflict(EntryRejected):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, status=409)


@dataclass(frozen=True)
class ReversalRequest:
    entry_id: str
    reverses: str
    entry_date: date
    document_ref: str
    author: str


@dataclass(frozen=True)
class Posted:
    entry: RecordedEntry
    created: bool  # False: the same entry was already recorded (a retry)


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


async def find_entry(session: AsyncSession, entry_id: str) -> RecordedEntry | None:
    row = (await session.execute(select(ledger_entries).where(ledger_entries.c.entry_id == entry_id))).first()
    return _recorded(row) if row else None


async def find_measure(session: AsyncSession, code: str) -> Measure | None:
    row = (await session.execute(select(measures).where(measures.c.code == code))).first()
    if row is None:
        return None
    return Measure(row.code, row.number, row.name_uk, row.holder_code, row.tpkvkmb, row.kfkvk, row.kekv, row.fund)


async def balance_of(session: AsyncSession, measure_code: str, year: int) -> Balance:
    row = (
        await session.execute(
            select(balances).where(balances.c.measure_code == measure_code, balances.c.year == year)
        )
    ).first()
    return Balance(row.planned_kop, row.financed_kop, row.spent_kop) if row else Balance()


async def post_entry(
    session: AsyncSession, outbox: Outbox, request: EntryDraft | ReversalRequest
) -> Posted:
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})

    original = None
    if isinstance(request, ReversalRequest):
        original = await find_entry(session, request.reverses)
        if original is None:
            raise EntryRejected("reverses", f"no entry {request.reverses!r} to reverse")
        draft = reversal_of(
            original,
            entry_id=request.entry_id,
            entry_date=request.entry_date,
            document_ref=request.document_ref,
            author=request.author,
        )
    else:
        draft = request

    existing = await find_entry(session, draft.entry_id)
    if existing is not None:
        if existing.draft == draft:
            return Posted(existing, created=False)
        raise EntryConflict("entry_id", f"entry {draft.entry_id!r} is already recorded with other content")

    measure = await find_measure(session, draft.measure_code)
    check_draft(draft, measure)
    if original is not None:
        already = await session.scalar(select(ledger_entries.c.entry_id).where(ledger_entries.c.reverses == original.draft.entry_id))
        if already is not None:
            raise EntryConflict("reverses", f"entry {original.draft.entry_id!r} was already reversed by {already!r}")
    effect = effect_of(draft, original)
    balance = await balance_of(session, draft.measure_code, draft.year)
    check_financing(balance, effect, draft)

    last = (await session.execute(select(ledger_entries.c.seq, ledger_entries.c.hash).order_by(ledger_entries.c.seq.desc()).limit(1))).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS_HASH)
    content = draft.content()
    entry = RecordedEntry(seq=seq, draft=draft, effect=effect, prev_hash=prev_hash, hash=chain_hash(prev_hash, content))
    await session.execute(
        insert(ledger_entries).values(
            seq=seq,
            **{k: v for k, v in content.items() if k != "entry_date"},
            entry_date=draft.entry_date,
            plan_delta_kop=effect.plan,
            financed_delta_kop=effect.financed,
            spent_delta_kop=effect.spent,
            content=content,
            prev_hash=prev_hash,
            hash=entry.hash,
        )
    )
    await session.execute(
        insert(balances)
        .values(measure_code=draft.measure_code, year=draft.year, planned_kop=effect.plan,
                financed_kop=effect.financed, spent_kop=effect.spent)
        .on_conflict_do_update(
            index_elements=["measure_code", "year"],
            set_={
                "planned_kop": balances.c.planned_kop + effect.plan,
                "financed_kop": balances.c.financed_kop + effect.financed,
                "spent_kop": balances.c.spent_kop + effect.spent,
            },
        )
    )
    await outbox.add(
        session,
        LedgerEntryRecorded(
            entry_id=draft.entry_id, seq=seq, kind=draft.kind, holder_code=draft.holder_code,
            measure_code=draft.measure_code, year=draft.year, fund=draft.fund, kekv=draft.kekv,
            amount_kop=draft.amount_kop, plan_delta_kop=effect.plan, financed_delta_kop=effect.financed,
            spent_delta_kop=effect.spent, entry_date=draft.entry_date, reverses=draft.reverses, hash=entry.hash,
        ),
        aggregate_id=draft.measure_code,
    )
    after = Balance(balance.planned + effect.plan, balance.financed + effect.financed, balance.spent + effect.spent)
    if effect.financed > 0 and after.planned > 0 and balance.financed < balance.planned <= after.financed:
        await outbox.add(
            session,
            ExecutionAlertRaised(
                alert="financing_reached_plan", year=draft.year, measure_code=draft.measure_code,
                holder_code=draft.holder_code, planned_kop=after.planned, financed_kop=after.financed,
                share_percent=str(share_percent(after.financed, after.planned)),
            ),
            aggregate_id=draft.measure_code,
        )
    return Posted(entry, created=True)


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    first_broken: str | None

    @property
    def intact(self) -> bool:
        return self.first_broken is None


async def verify_chain(session: AsyncSession, page: int = 10_000) -> ChainCheck:
    """Recompute every hash in order; name the first entry whose link or hash does not hold."""
    after, count, prev = 0, 0, GENESIS_HASH
    while True:
        rows = (
            await session.execute(
                select(ledger_entries.c.seq, ledger_entries.c.entry_id, ledger_entries.c.content,
                       ledger_entries.c.prev_hash, ledger_entries.c.hash)
                .where(ledger_entries.c.seq > after).order_by(ledger_entries.c.seq).limit(page)
            )
        ).all()
        if not rows:
            return ChainCheck(count, None)
        intact, broken = first_broken([(r.entry_id, r.content, r.prev_hash, r.hash) for r in rows], prev)
        count += intact
        if broken is not None:
            return ChainCheck(count, broken)
        after, prev = rows[-1].seq, rows[-1].hash


async def rebuilt_balances(session: AsyncSession) -> dict[tuple[str, int], Balance]:
    """The balances recomputed from the entries alone (to check the projection)."""
    rows = await session.execute(
        select(ledger_entries.c.measure_code, ledger_entries.c.year,
               func.sum(ledger_entries.c.plan_delta_kop), func.sum(ledger_entries.c.financed_delta_kop),
               func.sum(ledger_entries.c.spent_delta_kop))
        .group_by(ledger_entries.c.measure_code, ledger_entries.c.year)
    )
    return {(m, y): Balance(int(p), int(f), int(s)) for m, y, p, f, s in rows}


async def stored_balances(session: AsyncSession) -> dict[tuple[str, int], Balance]:
    rows = await session.execute(select(balances))
    return {(r.measure_code, r.year): Balance(r.planned_kop, r.financed_kop, r.spent_kop) for r in rows}


async def close_year(session: AsyncSession, outbox: Outbox, year: int, *, closed_by: str, alert_share: str) -> dict:
    """Close a year: no more effects on it are expected; alert when its execution is under the share."""
    inserted = await session.execute(
        insert(closed_years).values(year=year, closed_by=closed_by).on_conflict_do_nothing().returning(closed_years.c.year)
    )
    first_time = inserted.first() is not None
    planned, financed = (
        await session.execute(
            select(func.coalesce(func.sum(balances.c.planned_kop), 0), func.coalesce(func.sum(balances.c.financed_kop), 0))
            .where(balances.c.year == year)
        )
    ).one()
    share = share_percent(int(financed), int(planned))
    under = share is not None and share < Decimal(alert_share)
    if first_time and under:
        await outbox.add(
            session,
            ExecutionAlertRaised(
                alert="year_closed_under_share", year=year, planned_kop=int(planned), financed_kop=int(financed),
                share_percent=str(share), threshold_percent=alert_share,
            ),
            aggregate_id=f"year-{year}",
        )
    return {"year": year, "planned_kop": int(planned), "financed_kop": int(financed),
            "share_percent": str(share) if share is not None else None, "alert_raised": first_time and under,
            "already_closed": not first_time}
