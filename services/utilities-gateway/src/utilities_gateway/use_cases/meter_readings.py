"""A company's meter readings: a batch judged reading by reading (domain/meters.py), for EICs the
city has bound to the company only (domain/meter_bindings.py), the good ones stored and emitted in
parts; and a meter's history read back.

One transaction per batch, a fixed number of statements whatever its size (adapters/meter_readings.py),
so a batch of 10,000 costs about what a batch of 100 does in round trips. A company's uploads take
turns (an advisory lock), which keeps "a cumulative value never decreases" true when two of its
uploads for one meter race.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events.payloads.utilities_gateway import MeterReadingsAccepted
from ecity_common.messaging.outbox import Outbox
from utilities_gateway.adapters import meter_readings as store
from utilities_gateway.domain.access import Caller, check_owner
from utilities_gateway.domain.meters import (
    EIC_KINDS,
    NOT_BOUND,
    ReadingIn,
    Rejection,
    order_problem,
    parse,
    static_problem,
    stored_prefix,
)

EVENT_PART = 1000

async def ingest(session: AsyncSession, outbox: Outbox, caller: Caller, raw: list, *, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    batch_id = f"mrb-{uuid.uuid4().hex[:16]}"
    prefix = stored_prefix(caller.kind, caller.company_id)
    parsed, rejected = parse(raw)
    duplicates: list[dict] = []
    # Each candidate: (index, reading, epoch seconds) — comparing floats is much cheaper than
    # comparing aware datetimes, and this runs 10,000 times a batch.
    candidates: list[tuple[int, ReadingIn, float]] = []
    seen: dict[tuple, tuple[int, float]] = {}
    for i, r in parsed.items():
        if problem := static_problem(caller.kind, r, now):
            rejected.append(Rejection(i, r.meter_id, *problem))
            continue
        ts = r.taken_at.timestamp()
        first = seen.setdefault((r.meter_id, r.reading_type, ts), (i, r.value))
        if first[0] != i:  # the same meter, register and time twice in one batch: the first counts
            if first[1] == r.value:
                duplicates.append({"index": i, "meter_id": r.meter_id, "reason": f"repeats reading {first[0]} of this batch"})
            else:
                rejected.append(Rejection(i, r.meter_id, "value", f"another value for the same time in reading {first[0]} of this batch"))
            continue
        candidates.append((i, r, ts))

    if candidates:
        # The turn also waits for the city's change of one of this company's EICs (use_cases/meter_bindings.py),
        # so a batch is judged by the bindings of one moment.
        await store.take_turn(session, caller.company_id)
        named = sorted({r.meter_id for _, r, _ in candidates})
        if caller.kind in EIC_KINDS:
            unbound = set(named) - await store.bound_eics(session, caller.company_id, named)
            for i, r, _ in candidates:
                if r.meter_id in unbound:
                    rejected.append(Rejection(i, r.meter_id, "meter_id", NOT_BOUND))
            candidates = [c for c in candidates if c[1].meter_id not in unbound]
        else:
            await store.add_accounts(session, caller.company_id, caller.kind, prefix, named)

    # Per register, in time order.
    candidates.sort(key=lambda c: (c[1].meter_id, c[1].reading_type, c[2]))
    by_series: dict[tuple[str, str], list[tuple[int, ReadingIn, float]]] = {}
    for c in candidates:
        by_series.setdefault((c[1].meter_id, c[1].reading_type), []).append(c)
    series = await store.registers(session, by_series, prefix) if by_series else {}

    # Readings newer than a register's last one chain on from it; older ones (a backfill, or a
    # repeat of a stored reading) are checked against the stored readings around them.
    older = [c for key, run in by_series.items() if (last := series[key].last_taken_at) is not None
             for c in run if c[2] <= last]
    stored: dict[int, tuple] = {}
    if older:
        stored = await store.stored_around(session, older, prefix)

    accepted: list[tuple[int, ReadingIn, float]] = []
    advanced: list[tuple[str, str, float, float]] = []
    for key, run in by_series.items():
        state = series[key]
        kept_value: float | None = None  # the latest accepted reading of this register in the batch
        last_kept = None
        for c in run:
            i, r, ts = c
            if i in stored:
                same, before, after = stored[i]
                if same is not None:
                    if same == r.value:
                        duplicates.append({"index": i, "meter_id": r.meter_id, "reason": "already stored"})
                    else:
                        rejected.append(Rejection(i, r.meter_id, "value", f"a reading of {same:g} is stored for this time"))
                    continue
            else:
                before, after = state.last_value, None
            if kept_value is not None:  # earlier accepted readings of this batch raise the floor
                before = kept_value if before is None else max(before, kept_value)
            if problem := order_problem(state, r, before, after):
                rejected.append(Rejection(i, r.meter_id, "unit" if "kept in" in problem else "value", problem))
                continue
            kept_value, last_kept = r.value, c
            accepted.append(c)
        if last_kept is not None:  # the statement moves a register forward only, never back
            advanced.append((key[0], key[1], last_kept[1].value, last_kept[2]))

    await store.store(session, batch_id, prefix, accepted, advanced)
    if accepted:
        accepted.sort(key=lambda c: c[0])  # events in the order the company sent them
        await outbox.add_many_data(session, MeterReadingsAccepted, [
            ({"company_id": caller.company_id, "batch_id": batch_id, "part": part, "readings": [
                {"meter_id": r.meter_id, "reading_type": r.reading_type, "unit": r.unit, "value": r.value,
                 "taken_at": r.taken_at.isoformat(), "source": r.source} for _, r, _ in accepted[start:start + EVENT_PART]]},
             caller.company_id)
            for part, start in enumerate(range(0, len(accepted), EVENT_PART), start=1)])
    rejected.sort(key=lambda r: r.index)
    duplicates.sort(key=lambda d: d["index"])
    return {"batch_id": batch_id, "received": len(raw), "accepted": len(accepted), "duplicates": duplicates,
            "rejected": [{"index": r.index, "meter_id": r.meter_id, "field": r.field, "reason": r.reason} for r in rejected]}


async def meter_history(session: AsyncSession, caller: Caller, meter_id: str, *, reading_type: str | None,
                        since: datetime | None, limit: int) -> dict:
    """A meter's readings, oldest first, for the company that owns it."""
    stored_id = stored_prefix(caller.kind, caller.company_id) + meter_id
    check_owner(await store.meter_owner(session, stored_id), caller.company_id, what="readings of meter", key=meter_id,
                field="path.meter_id")
    rows = await store.history(session, stored_id, reading_type=reading_type, since=since, limit=limit)
    return {"meter_id": meter_id, "readings": [
        {"reading_type": r.reading_type, "value": r.value, "taken_at": r.taken_at, "source": r.source,
         "batch_id": r.batch_id} for r in rows]}
