"""Ingesting a batch of meter readings: validate each, store the good ones, emit them in parts.

One transaction per batch, a fixed number of statements whatever its size (arrays via unnest), so
a batch of 10,000 costs about what a batch of 100 does in round trips. The meter's registers are
locked for the batch (in a fixed order, so two batches never deadlock), which keeps "a cumulative
value never decreases" true when two uploads for one meter race.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events.payloads.utilities_gateway import MeterReading, MeterReadingsAccepted
from ecity_common.messaging.outbox import Outbox
from utilities_gateway.credentials import Caller
from utilities_gateway.meters import ReadingIn, Rejection, Series, order_problem, static_problem

EVENT_PART = 1000
_READINGS = TypeAdapter(list[ReadingIn])

_CLAIM_METERS = text("""
INSERT INTO meters (meter_id, company_id, kind) SELECT m, :company, :kind FROM unnest(CAST(:ids AS text[])) AS m
ON CONFLICT (meter_id) DO NOTHING""")
_OWNERS = text("SELECT meter_id, company_id FROM meters WHERE meter_id = ANY(CAST(:ids AS text[]))")
_NEW_SERIES = text("""
INSERT INTO meter_series (meter_id, reading_type, unit)
SELECT * FROM unnest(CAST(:m AS text[]), CAST(:t AS text[]), CAST(:u AS text[])) ON CONFLICT DO NOTHING""")
_LOCK_SERIES = text("""
SELECT s.meter_id, s.reading_type, s.unit, s.last_value, s.last_taken_at
FROM meter_series s JOIN unnest(CAST(:m AS text[]), CAST(:t AS text[])) AS q(m, t) ON s.meter_id = q.m AND s.reading_type = q.t
ORDER BY s.meter_id, s.reading_type FOR UPDATE OF s""")
_NEIGHBOURS = text("""
SELECT q.i,
  (SELECT value FROM meter_readings r WHERE r.meter_id = q.m AND r.reading_type = q.t AND r.taken_at = q.ts) AS same,
  (SELECT value FROM meter_readings r WHERE r.meter_id = q.m AND r.reading_type = q.t AND r.taken_at < q.ts
     ORDER BY r.taken_at DESC LIMIT 1) AS before,
  (SELECT value FROM meter_readings r WHERE r.meter_id = q.m AND r.reading_type = q.t AND r.taken_at > q.ts
     ORDER BY r.taken_at LIMIT 1) AS after
FROM unnest(CAST(:i AS int[]), CAST(:m AS text[]), CAST(:t AS text[]), CAST(:ts AS timestamptz[])) AS q(i, m, t, ts)""")
_STORE = text("""
INSERT INTO meter_readings (meter_id, reading_type, taken_at, value, source, batch_id)
SELECT m, t, ts, v, s, :batch FROM unnest(CAST(:m AS text[]), CAST(:t AS text[]), CAST(:ts AS timestamptz[]),
                                         CAST(:v AS float8[]), CAST(:s AS text[])) AS q(m, t, ts, v, s)
ON CONFLICT DO NOTHING""")
_ADVANCE = text("""
UPDATE meter_series s SET last_value = q.v, last_taken_at = q.ts
FROM unnest(CAST(:m AS text[]), CAST(:t AS text[]), CAST(:v AS float8[]), CAST(:ts AS timestamptz[])) AS q(m, t, v, ts)
WHERE s.meter_id = q.m AND s.reading_type = q.t""")


def parse(raw: list) -> tuple[dict[int, ReadingIn], list[Rejection]]:
    """Every reading that is well-formed, by its index in the batch, and why the others are not.
    One validation pass for a clean batch; a second, without the bad ones, when some are bad."""
    try:
        return dict(enumerate(_READINGS.validate_python(raw))), []
    except ValidationError as exc:
        bad: dict[int, Rejection] = {}
        for err in exc.errors(include_url=False):
            index = err["loc"][0] if err["loc"] and isinstance(err["loc"][0], int) else -1
            if index in bad:
                continue
            field = ".".join(str(p) for p in err["loc"][1:]) or "reading"
            meter = raw[index].get("meter_id") if 0 <= index < len(raw) and isinstance(raw[index], dict) else None
            bad[index] = Rejection(index, meter if isinstance(meter, str) else None, field, err["msg"])
        keep = [i for i in range(len(raw)) if i not in bad]
        good = _READINGS.validate_python([raw[i] for i in keep])
        return dict(zip(keep, good, strict=True)), sorted(bad.values(), key=lambda r: r.index)


async def ingest(session: AsyncSession, outbox: Outbox, caller: Caller, raw: list, *, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    batch_id = f"mrb-{uuid.uuid4().hex[:16]}"
    readings, rejected = parse(raw)
    duplicates: list[dict] = []

    def reject(i: int, field: str, reason: str) -> None:
        rejected.append(Rejection(i, readings[i].meter_id, field, reason))
        del readings[i]

    for i, r in list(readings.items()):
        if problem := static_problem(caller.kind, r, now):
            reject(i, *problem)
    # The same meter, register and time twice in one batch: the first counts.
    seen: dict[tuple, int] = {}
    for i, r in list(readings.items()):
        key = (r.meter_id, r.reading_type, r.taken_at)
        if (first := seen.setdefault(key, i)) != i:
            if readings[first].value == r.value:
                duplicates.append({"index": i, "meter_id": r.meter_id, "reason": "repeats reading %d of this batch" % first})
                del readings[i]
            else:
                reject(i, "value", f"another value for the same time in reading {first} of this batch")

    if readings:
        meter_ids = sorted({r.meter_id for r in readings.values()})
        await session.execute(_CLAIM_METERS, {"company": caller.company_id, "kind": caller.kind, "ids": meter_ids})
        foreign = {m for m, owner in (await session.execute(_OWNERS, {"ids": meter_ids})).all() if owner != caller.company_id}
        for i, r in list(readings.items()):
            if r.meter_id in foreign:
                reject(i, "meter_id", "this meter belongs to another company")

    series_keys: dict[tuple[str, str], str] = {}
    for r in sorted(readings.values(), key=lambda r: r.taken_at):
        series_keys.setdefault((r.meter_id, r.reading_type), r.unit)  # a new register takes its first unit
    series: dict[tuple[str, str], Series] = {}
    if series_keys:
        keys = sorted(series_keys)
        m, t = [k[0] for k in keys], [k[1] for k in keys]
        await session.execute(_NEW_SERIES, {"m": m, "t": t, "u": [series_keys[k] for k in keys]})
        for row in (await session.execute(_LOCK_SERIES, {"m": m, "t": t})).all():
            series[(row.meter_id, row.reading_type)] = Series(row.unit, row.last_value, row.last_taken_at)

    # Readings newer than a register's last one chain on from it; older ones (a backfill, or a
    # repeat of a stored reading) are checked against the stored readings around them.
    by_series: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in readings.items():
        by_series[(r.meter_id, r.reading_type)].append(i)
    older = [i for key, idx in by_series.items() for i in idx
             if series[key].last_taken_at is not None and readings[i].taken_at <= series[key].last_taken_at]
    stored: dict[int, tuple] = {}
    if older:
        rows = await session.execute(_NEIGHBOURS, {
            "i": older, "m": [readings[i].meter_id for i in older], "t": [readings[i].reading_type for i in older],
            "ts": [readings[i].taken_at for i in older]})
        stored = {row.i: (row.same, row.before, row.after) for row in rows}

    accepted: list[int] = []
    advanced: dict[tuple[str, str], tuple[float, datetime]] = {}
    for key, idx in by_series.items():
        state = series[key]
        idx.sort(key=lambda i: readings[i].taken_at)
        kept: list[int] = []  # accepted readings of this register, in time order
        for i in idx:
            r = readings[i]
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
            # The batch's own accepted readings (all earlier: `idx` is in time order) raise the floor;
            # later ones are judged against this one in their turn.
            if kept:
                previous = readings[kept[-1]].value
                before = previous if before is None else max(before, previous)
            if problem := order_problem(state, r, before, after):
                rejected.append(Rejection(i, r.meter_id, "unit" if "kept in" in problem else "value", problem))
                continue
            kept.append(i)
            accepted.append(i)
        if kept:
            last = readings[kept[-1]]
            if state.last_taken_at is None or last.taken_at > state.last_taken_at:
                advanced[key] = (last.value, last.taken_at)

    if accepted:
        accepted.sort()
        await session.execute(_STORE, {
            "batch": batch_id, "m": [readings[i].meter_id for i in accepted],
            "t": [readings[i].reading_type for i in accepted], "ts": [readings[i].taken_at for i in accepted],
            "v": [readings[i].value for i in accepted], "s": [readings[i].source for i in accepted]})
    if advanced:
        keys = sorted(advanced)
        await session.execute(_ADVANCE, {"m": [k[0] for k in keys], "t": [k[1] for k in keys],
                                         "v": [advanced[k][0] for k in keys], "ts": [advanced[k][1] for k in keys]})
    if accepted:
        events = []
        for part, start in enumerate(range(0, len(accepted), EVENT_PART), start=1):
            chunk = [readings[i] for i in accepted[start:start + EVENT_PART]]
            events.append((MeterReadingsAccepted(company_id=caller.company_id, batch_id=batch_id, part=part, readings=[
                MeterReading.model_construct(meter_id=r.meter_id, reading_type=r.reading_type, unit=r.unit,
                                             value=r.value, taken_at=r.taken_at, source=r.source) for r in chunk]),
                           caller.company_id))
        await outbox.add_many(session, events)
    rejected.sort(key=lambda r: r.index)
    duplicates.sort(key=lambda d: d["index"])
    return {"batch_id": batch_id, "received": len(raw), "accepted": len(accepted), "duplicates": duplicates,
            "rejected": [{"index": r.index, "meter_id": r.meter_id, "field": r.field, "reason": r.reason} for r in rejected]}

