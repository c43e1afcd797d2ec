"""The finance department posts to the ledger: entries and reversals, checked against the
rules, chained, and added to the balances; a year closed. Each runs inside the caller's
transaction (the API route opens one; the event consumer already has one), so a posting, its
balance and its events commit together. Checking the whole ledger is `verification.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters import queries
from budget_ledger.domain.chain import entry_row, instant
from budget_ledger.domain.ledger import (
    Balance,
    EntryDraft,
    EntryRejected,
    Measure,
    RecordedEntry,
    check_draft,
    check_financing,
    check_open_year,
    effect_of,
    reaches_plan,
    reversal_of,
)
from budget_ledger.domain.money import share_percent, under_share
from budget_ledger.domain.phrases import Phrase
from ecity_common.events.payloads.budget_ledger import ExecutionAlertRaised, LedgerEntryRecorded
from ecity_common.messaging.outbox import Outbox
from ecity_common.refusals import Conflict, NotFound


@dataclass(frozen=True)
class ReversalRequest:
    entry_id: str
    reverses: str
    entry_date: date
    document_ref: str
    author: str
    # The year it lands in: the cancelled entry's unless given (needed when that year is closed).
    year: int | None = None


@dataclass(frozen=True)
class Posted:
    entry: RecordedEntry
    created: bool  # False: the same entry was already recorded (a retry)


async def find_entry(session: AsyncSession, entry_id: str) -> RecordedEntry | None:
    return await queries.find_entry(session, entry_id)


async def entry(session: AsyncSession, entry_id: str) -> RecordedEntry:
    found = await queries.find_entry(session, entry_id)
    if found is None:
        raise NotFound("entry", repr(entry_id))
    return found


async def find_measure(session: AsyncSession, code: str) -> Measure | None:
    return await queries.find_measure(session, code)


async def balance_of(session: AsyncSession, measure_code: str, year: int) -> Balance:
    return await queries.balance_of(session, measure_code, year)


async def post_entry(session: AsyncSession, outbox: Outbox, request: EntryDraft | ReversalRequest) -> Posted:
    return (await post_entries(session, outbox, [request]))[0]


async def post_entries(
    session: AsyncSession, outbox: Outbox, requests: Sequence[EntryDraft | ReversalRequest]
) -> list[Posted]:
    """Post entries in order, all or none: the first that breaks a rule raises and nothing of the
    call is written. Everything the rules need is read in a few statements, the chain and the
    balances are advanced in memory, and the entries, balances and events are written in bulk."""
    await queries.lock_chain(session)
    book = await _Book.load(session, requests)
    posted = [book.post(request) for request in requests]
    await book.write(session, outbox)
    return posted


class _Book:
    """The slice of the ledger a call touches, held in memory while the chain lock is held."""

    def __init__(self, head: tuple[int, str], entries: dict[str, RecordedEntry], reversed_ids: set[str],
                 measures: dict[str, Measure], balances: dict[tuple[str, int], Balance], closed_years: set[int]) -> None:
        self.seq, self.hash = head
        self.entries = entries
        self.reversed_ids = reversed_ids
        self.measures = measures
        self.balances = balances
        self.closed_years = closed_years
        # One time for the call's entries: the chain covers it, so it is fixed before hashing.
        self.recorded_at = instant(datetime.now(UTC))
        self.new: list[RecordedEntry] = []
        self.rows: dict[int, dict] = {}
        self.alerts: list[ExecutionAlertRaised] = []

    @classmethod
    async def load(cls, session: AsyncSession, requests: Sequence[EntryDraft | ReversalRequest]) -> _Book:
        ids = {r.entry_id for r in requests} | {r.reverses for r in requests if isinstance(r, ReversalRequest)}
        entries = await queries.entries_by_id(session, ids)
        reversed_ids = await queries.reversed_among(session, ids)
        keys = {(r.measure_code, r.year) for r in requests if isinstance(r, EntryDraft)}
        keys |= {(e.draft.measure_code, e.draft.year) for e in entries.values()}
        found = await queries.balances_of(session, {k[0] for k in keys})
        return cls(await queries.chain_head(session), entries, reversed_ids, await queries.all_measures(session), found,
                   await queries.closed(session))

    def post(self, request: EntryDraft | ReversalRequest) -> Posted:
        original = None
        if isinstance(request, ReversalRequest):
            original = self.entries.get(request.reverses)
            if original is None:
                raise EntryRejected("reverses", Phrase("no-entry-to-reverse", entry_id=request.reverses))
            draft = reversal_of(original, entry_id=request.entry_id, entry_date=request.entry_date,
                                document_ref=request.document_ref, author=request.author, year=request.year)
        else:
            draft = request
        existing = self.entries.get(draft.entry_id)
        if existing is not None:
            if existing.draft == draft:
                return Posted(existing, created=False)
            raise Conflict(Phrase("entry-recorded-otherwise", entry_id=draft.entry_id), field="entry_id")
        check_draft(draft, self.measures.get(draft.measure_code))
        if original is not None and original.draft.entry_id in self.reversed_ids:
            raise Conflict(Phrase("entry-reversed-already", entry_id=original.draft.entry_id), field="reverses")
        check_open_year(draft, self.closed_years, original)
        effect = effect_of(draft, original)
        balance = self.balances.setdefault((draft.measure_code, draft.year), Balance())
        check_financing(balance, effect, draft)

        financed_before = balance.financed
        balance.apply(effect)
        self.seq += 1
        row = entry_row(self.seq, draft, effect, self.hash, self.recorded_at)
        entry = RecordedEntry(seq=self.seq, draft=draft, effect=effect, prev_hash=self.hash, hash=row["hash"])
        self.rows[entry.seq] = row
        self.hash = entry.hash
        self.entries[draft.entry_id] = entry
        if original is not None:
            self.reversed_ids.add(original.draft.entry_id)
        self.new.append(entry)
        if reaches_plan(financed_before, balance, effect):
            self.alerts.append(ExecutionAlertRaised(
                alert="financing_reached_plan", year=draft.year, measure_code=draft.measure_code,
                holder_code=draft.holder_code, planned_kop=balance.planned, financed_kop=balance.financed,
                share_percent=str(share_percent(balance.financed, balance.planned)),
            ))
        return Posted(entry, created=True)

    async def write(self, session: AsyncSession, outbox: Outbox) -> None:
        if not self.new:
            return
        await queries.write_entries(session, self.new, self.rows)
        await outbox.add_many_data(session, LedgerEntryRecorded,
                                   [(recorded_event_data(self.rows[e.seq]), e.draft.measure_code) for e in self.new])
        if self.alerts:
            await outbox.add_many(session, [(a, a.measure_code) for a in self.alerts])
        self.new, self.alerts, self.rows = [], [], {}


_RECORDED_FIELDS = tuple(LedgerEntryRecorded.model_fields)


def recorded_event_data(row: dict) -> dict:
    """The `entry.recorded` event of a new entry, as JSON, from its row as hashed (already JSON):
    the row holds every field, checked by the rules, so a bulk posting does not build and validate
    a model per entry (tests hold it equal to `LedgerEntryRecorded`'s own)."""
    return {f: row[f] for f in _RECORDED_FIELDS}


async def close_year(session: AsyncSession, outbox: Outbox, year: int, *, closed_by: str, alert_share: str) -> dict:
    """Close a year: nothing more is posted into it (here and in the database, see
    `domain.ledger.check_open_year`); alert when its execution is under the share. Under the chain's
    lock, so a posting in flight into the year either commits before it closes or sees it closed."""
    await queries.lock_chain(session)
    first_time = await queries.close_year(session, year, closed_by)
    planned, financed = await queries.year_totals(session, year)
    share = share_percent(financed, planned)
    under = under_share(share, alert_share)
    if first_time and under:
        await outbox.add(
            session,
            ExecutionAlertRaised(
                alert="year_closed_under_share", year=year, planned_kop=planned, financed_kop=financed,
                share_percent=str(share), threshold_percent=alert_share,
            ),
            aggregate_id=f"year-{year}",
        )
    return {"year": year, "planned_kop": planned, "financed_kop": financed,
            "share_percent": str(share) if share is not None else None, "alert_raised": first_time and under,
            "already_closed": not first_time}
