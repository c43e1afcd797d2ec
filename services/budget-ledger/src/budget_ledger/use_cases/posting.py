"""Use cases of the budget ledger. Each runs inside the caller's transaction (the API route opens
one; the event consumer already has one), so a posting, its balance and its events commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters.tables import balances, closed_years, ledger_entries, measures
from budget_ledger.domain.ledger import (
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
from budget_ledger.domain.money import share_percent
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


async def post_entry(session: AsyncSession, outbox: Outbox, request: EntryDraft | ReversalRequest) -> Posted:
    return (await post_entries(session, outbox, [request]))[0]


async def post_entries(
    session: AsyncSession, outbox: Outbox, requests: Sequence[EntryDraft | ReversalRequest]
) -> list[Posted]:
    """Post entries in order, all or none: the first that breaks a rule raises and nothing of the
    call is written. Everything the rules need is read in a few statements, the chain and the
    balances are advanced in memory, and the entries, balances and events are written in bulk."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    book = await _Book.load(session, requests)
    posted = [book.post(request) for request in requests]
    await book.write(session, outbox)
    return posted


class _Book:
    """The slice of the ledger a call touches, held in memory while the chain lock is held."""

    def __init__(self, head: tuple[int, str], entries: dict[str, RecordedEntry], reversed_ids: set[str],
                 measures: dict[str, Measure], balances: dict[tuple[str, int], Balance]) -> None:
        self.seq, self.hash = head
        self.entries = entries
        self.reversed_ids = reversed_ids
        self.measures = measures
        self.balances = balances
        self.new: list[RecordedEntry] = []
        self.contents: dict[int, dict] = {}
        self.alerts: list[ExecutionAlertRaised] = []

    @classmethod
    async def load(cls, session: AsyncSession, requests: Sequence[EntryDraft | ReversalRequest]) -> _Book:
        ids = {r.entry_id for r in requests} | {r.reverses for r in requests if isinstance(r, ReversalRequest)}
        rows = (await session.execute(select(ledger_entries).where(ledger_entries.c.entry_id.in_(ids)))).all() if ids else []
        entries = {row.entry_id: _recorded(row) for row in rows}
        reversed_ids = set(
            (await session.execute(select(ledger_entries.c.reverses).where(ledger_entries.c.reverses.in_(ids)))).scalars()
        ) if ids else set()
        all_measures = {
            r.code: Measure(r.code, r.number, r.name_uk, r.holder_code, r.tpkvkmb, r.kfkvk, r.kekv, r.fund)
            for r in await session.execute(select(measures))
        }
        keys = {(r.measure_code, r.year) for r in requests if isinstance(r, EntryDraft)}
        keys |= {(e.draft.measure_code, e.draft.year) for e in entries.values()}
        found: dict[tuple[str, int], Balance] = {}
        if keys:
            codes_ = {k[0] for k in keys}
            for r in await session.execute(select(balances).where(balances.c.measure_code.in_(codes_))):
                found[(r.measure_code, r.year)] = Balance(r.planned_kop, r.financed_kop, r.spent_kop)
        last = (await session.execute(
            select(ledger_entries.c.seq, ledger_entries.c.hash).order_by(ledger_entries.c.seq.desc()).limit(1)
        )).first()
        return cls((last.seq, last.hash) if last else (0, GENESIS_HASH), entries, reversed_ids, all_measures, found)

    def post(self, request: EntryDraft | ReversalRequest) -> Posted:
        original = None
        if isinstance(request, ReversalRequest):
            original = self.entries.get(request.reverses)
            if original is None:
                raise EntryRejected("reverses", f"no entry {request.reverses!r} to reverse")
            draft = reversal_of(original, entry_id=request.entry_id, entry_date=request.entry_date,
                                document_ref=request.document_ref, author=request.author)
        else:
            draft = request
        existing = self.entries.get(draft.entry_id)
        if existing is not None:
            if existing.draft == draft:
                return Posted(existing, created=False)
            raise EntryConflict("entry_id", f"entry {draft.entry_id!r} is already recorded with other content")
        check_draft(draft, self.measures.get(draft.measure_code))
        if original is not None and original.draft.entry_id in self.reversed_ids:
            raise EntryConflict("reverses", f"entry {original.draft.entry_id!r} was already reversed")
        effect = effect_of(draft, original)
        balance = self.balances.setdefault((draft.measure_code, draft.year), Balance())
        check_financing(balance, effect, draft)

        financed_before = balance.financed
        balance.apply(effect)
        self.seq += 1
        content = draft.content()
        entry = RecordedEntry(seq=self.seq, draft=draft, effect=effect, prev_hash=self.hash,
                              hash=chain_hash(self.hash, content))
        self.contents[entry.seq] = content
        self.hash = entry.hash
        self.entries[draft.entry_id] = entry
        if original is not None:
            self.reversed_ids.add(original.draft.entry_id)
        self.new.append(entry)
        if effect.financed > 0 and financed_before < balance.planned <= balance.financed:
            self.alerts.append(ExecutionAlertRaised(
                alert="financing_reached_plan", year=draft.year, measure_code=draft.measure_code,
                holder_code=draft.holder_code, planned_kop=balance.planned, financed_kop=balance.financed,
                share_percent=str(share_percent(balance.financed, balance.planned)),
            ))
        return Posted(entry, created=True)

    async def write(self, session: AsyncSession, outbox: Outbox) -> None:
        if not self.new:
            return
        rows = []
        deltas: dict[tuple[str, int], list[int]] = {}
        for e in self.new:
            content = self.contents[e.seq]
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
        events = [(_recorded_event(e), e.draft.measure_code) for e in self.new]
        events += [(a, a.measure_code) for a in self.alerts]
        await outbox.add_many(session, events)
        self.new, self.alerts, self.contents = [], [], {}


def _recorded_event(e: RecordedEntry) -> LedgerEntryRecorded:
    d = e.draft
    return LedgerEntryRecorded(
        entry_id=d.entry_id, seq=e.seq, kind=d.kind, holder_code=d.holder_code, measure_code=d.measure_code,
        year=d.year, fund=d.fund, kekv=d.kekv, amount_kop=d.amount_kop, plan_delta_kop=e.effect.plan,
        financed_delta_kop=e.effect.financed, spent_delta_kop=e.effect.spent, entry_date=d.entry_date,
        reverses=d.reverses, hash=e.hash,
    )


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
