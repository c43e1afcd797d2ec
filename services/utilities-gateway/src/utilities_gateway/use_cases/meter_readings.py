"""Ingesting a batch of meter readings: validate each, store the good ones, emit them in parts.

One transaction per batch, a fixed number of statements whatever its size (arrays via unnest), so
a batch of 10,000 costs about what a batch of 100 does in round trips. A company's uploads take
turns (an advisory lock), which keeps "a cumulative value never decreases" true when two of its
uploads for one meter race.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events.payloads.utilities_gateway import MeterReadingsAccepted
from ecity_common.messaging.outbox import Outbox
from utilities_gateway.domain.meters import ReadingIn, Rejection, Series, order_problem, static_problem, stored_prefix
from utilities_gateway.use_cases.integrations_admin import Caller

EVENT_PART = 1000
_READINGS = TypeAdapter(list[ReadingIn])

# Claims new meters for the company and answers only the ones that are someone else's. DO UPDATE
# (a no-op, and only on a foreign meter) rather than DO NOTHING: it waits for and sees a meter
# another company is claiming at this very moment, which a plain SELECT's snapshot would miss.
_CLAIM_METERS = text("""
WITH claimed AS (
    INSERT INTO meters (meter_id, company_id, kind) SELECT :prefix || m, :company, :kind FROM unnest(CAST(:ids AS text[])) AS m
    ON CONFLICT (meter_id) DO UPDATE SET kind = meters.kind WHERE meters.company_id <> :company
    RETURNING meter_id, company_id
)
SELECT substr(meter_id, length(:prefix) + 1) FROM claimed WHERE company_id <> :company""")
# One company's uploads run one at a time (a transaction-scoped advisory lock on the company):
# their meters are its own, so this alone keeps "never decreases" true between two uploads, for
# one lock instead of 10,000 row locks.
_COMPANY_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('meter-readings:' || :company))")
# The registers of the batch. New ones are created with the unit of their first reading. Of the
# existing ones only those that need a closer look come back: a register whose newest stored
# reading is older and not larger than the batch's first, in the same unit, cannot be broken by a
# batch that rises by itself (checked in Python) — the everyday case of a daily upload.
_SERIES = text("""
WITH wanted AS (
    SELECT * FROM unnest(CAST(:m AS text[]), CAST(:t AS text[]), CAST(:u AS text[]), CAST(:fts AS float8[]),
                         CAST(:fv AS float8[])) AS q(m, t, u, fts, fv)
), created AS (
    INSERT INTO meter_series (meter_id, reading_type, unit) SELECT :prefix || m, t, u FROM wanted ON CONFLICT DO NOTHING
)
SELECT w.m AS meter_id, s.reading_type, s.unit, s.last_value, extract(epoch FROM s.last_taken_at)::float8 AS last_ts
FROM meter_series s JOIN wanted w ON s.meter_id = :prefix || w.m AND s.reading_type = w.t
WHERE NOT (s.unit = w.u AND (s.last_taken_at IS NULL OR (s.last_taken_at < to_timestamp(w.fts) AND s.last_value <= w.fv)))""")
# Times travel as epoch seconds (float8 arrays encode far faster than timestamptz ones).
_NEIGHBOURS = text("""
SELECT q.i,
  (SELECT value FROM meter_readings r WHERE r.meter_id = :prefix || q.m AND r.reading_type = q.t AND r.taken_at = to_timestamp(q.ts)) AS same,
  (SELECT value FROM meter_readings r WHERE r.meter_id = :prefix || q.m AND r.reading_type = q.t AND r.taken_at < to_timestamp(q.ts)
     ORDER BY r.taken_at DESC LIMIT 1) AS before,
  (SELECT value FROM meter_readings r WHERE r.meter_id = :prefix || q.m AND r.reading_type = q.t AND r.taken_at > to_timestamp(q.ts)
     ORDER BY r.taken_at LIMIT 1) AS after
FROM unnest(CAST(:i AS int[]), CAST(:m AS text[]), CAST(:t AS text[]), CAST(:ts AS float8[])) AS q(i, m, t, ts)""")
_STORE = text("""
INSERT INTO meter_readings (meter_id, reading_type, taken_at, value, source, batch_id)
SELECT :prefix || m, t, to_timestamp(ts), v, s, :batch FROM unnest(CAST(:m AS text[]), CAST(:t AS text[]), CAST(:ts AS float8[]),
                                                      CAST(:v AS float8[]), CAST(:s AS text[])) AS q(m, t, ts, v, s)
ON CONFLICT DO NOTHING""")
_ADVANCE = text("""
UPDATE meter_series s SET last_value = q.v, last_taken_at = to_timestamp(q.ts)
FROM unnest(CAST(:m AS text[]), CAST(:t AS text[]), CAST(:v AS float8[]), CAST(:ts AS float8[])) AS q(m, t, v, ts)
WHERE s.meter_id = :prefix || q.m AND s.reading_type = q.t AND (s.last_taken_at IS NULL OR s.last_taken_at < to_timestamp(q.ts))""")


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
        await session.execute(_COMPANY_LOCK, {"company": caller.company_id})
        meter_ids = sorted({r.meter_id for _, r, _ in candidates})
        foreign = set((await session.execute(_CLAIM_METERS, {
            "company": caller.company_id, "kind": caller.kind, "ids": meter_ids, "prefix": prefix})).scalars())
        if foreign:
            for i, r, _ in candidates:
                if r.meter_id in foreign:
                    rejected.append(Rejection(i, r.meter_id, "meter_id", "this meter belongs to another company"))
            candidates = [c for c in candidates if c[1].meter_id not in foreign]

    # Per register, in time order.
    candidates.sort(key=lambda c: (c[1].meter_id, c[1].reading_type, c[2]))
    by_series: dict[tuple[str, str], list[tuple[int, ReadingIn, float]]] = {}
    for c in candidates:
        by_series.setdefault((c[1].meter_id, c[1].reading_type), []).append(c)
    series = await _series(session, by_series, prefix) if by_series else {}

    # Readings newer than a register's last one chain on from it; older ones (a backfill, or a
    # repeat of a stored reading) are checked against the stored readings around them.
    older = [c for key, run in by_series.items() if (last := series[key].last_taken_at) is not None
             for c in run if c[2] <= last]
    stored: dict[int, tuple] = {}
    if older:
        rows = await session.execute(_NEIGHBOURS, {
            "i": [c[0] for c in older], "m": [c[1].meter_id for c in older], "t": [c[1].reading_type for c in older],
            "ts": [c[2] for c in older], "prefix": prefix})
        stored = {row.i: (row.same, row.before, row.after) for row in rows}

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

    if accepted:
        await session.execute(_STORE, {
            "batch": batch_id, "prefix": prefix, "m": [c[1].meter_id for c in accepted], "t": [c[1].reading_type for c in accepted],
            "ts": [c[2] for c in accepted], "v": [c[1].value for c in accepted], "s": [c[1].source for c in accepted]})
    if advanced:
        await session.execute(_ADVANCE, {"prefix": prefix, "m": [a[0] for a in advanced], "t": [a[1] for a in advanced],
                                         "v": [a[2] for a in advanced], "ts": [a[3] for a in advanced]})
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


async def _series(session: AsyncSession, by_series: dict, prefix: str) -> dict[tuple[str, str], Series]:
    """Every register of the batch: what is stored of those that need it; for the rest (new, or
    simply continued by this batch) only the unit, as if nothing were stored before."""
    keys = list(by_series)
    firsts = [by_series[k][0] for k in keys]
    rows = await session.execute(_SERIES, {"m": [k[0] for k in keys], "t": [k[1] for k in keys],
                                           "u": [c[1].unit for c in firsts], "fts": [c[2] for c in firsts],
                                           "fv": [c[1].value for c in firsts], "prefix": prefix})
    closer = {(row.meter_id, row.reading_type): Series(row.unit, row.last_value, row.last_ts) for row in rows}
    return {k: closer.get(k) or Series(first[1].unit) for k, first in zip(keys, firsts, strict=True)}
