"""Meter readings in SQL: one company's uploads in turn, its meters found, registers and stored
readings looked up, readings stored, all with arrays (unnest) so that a batch of 10,000 costs
about the round trips of a batch of 100. The rules the readings are judged by are
domain/meters.py; use_cases/meter_readings.py applies them between these statements.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from utilities_gateway.adapters.tables import meter_readings, meters
from utilities_gateway.domain.meters import ReadingIn, Series

# A company's account numbers are its own numbering (stored behind its id): its first reading of
# one makes the meter, and no other company can name it.
NEW_ACCOUNTS = text("""
INSERT INTO meters (meter_id, company_id, kind) SELECT :prefix || m, :company, :kind FROM unnest(CAST(:ids AS text[])) AS m
ON CONFLICT (meter_id) DO NOTHING""")
# The EICs of a batch that the city has bound to the company (domain/meter_bindings.py); a reading
# never makes an EIC anyone's.
BOUND_EICS = text("SELECT meter_id FROM meters WHERE meter_id = ANY(CAST(:ids AS text[])) AND company_id = :company")
# One company's uploads run one at a time (a transaction-scoped advisory lock on the company):
# their meters are its own, so this alone keeps "never decreases" true between two uploads, for
# one lock instead of 10,000 row locks.
COMPANY_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('meter-readings:' || :company))")
# The registers of the batch. New ones are created with the unit of their first reading. Of the
# existing ones only those that need a closer look come back: a register whose newest stored
# reading is older and not larger than the batch's first, in the same unit, cannot be broken by a
# batch that rises by itself (checked in Python) — the everyday case of a daily upload. The
# WHERE NOT is domain.meters.continues_register (tests/test_rules_in_sql.py checks they agree).
SERIES = text("""
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
NEIGHBOURS = text("""
SELECT q.i,
  (SELECT value FROM meter_readings r WHERE r.meter_id = :prefix || q.m AND r.reading_type = q.t AND r.taken_at = to_timestamp(q.ts)) AS same,
  (SELECT value FROM meter_readings r WHERE r.meter_id = :prefix || q.m AND r.reading_type = q.t AND r.taken_at < to_timestamp(q.ts)
     ORDER BY r.taken_at DESC LIMIT 1) AS before,
  (SELECT value FROM meter_readings r WHERE r.meter_id = :prefix || q.m AND r.reading_type = q.t AND r.taken_at > to_timestamp(q.ts)
     ORDER BY r.taken_at LIMIT 1) AS after
FROM unnest(CAST(:i AS int[]), CAST(:m AS text[]), CAST(:t AS text[]), CAST(:ts AS float8[])) AS q(i, m, t, ts)""")
STORE = text("""
INSERT INTO meter_readings (meter_id, reading_type, taken_at, value, source, batch_id)
SELECT :prefix || m, t, to_timestamp(ts), v, s, :batch FROM unnest(CAST(:m AS text[]), CAST(:t AS text[]), CAST(:ts AS float8[]),
                                                      CAST(:v AS float8[]), CAST(:s AS text[])) AS q(m, t, ts, v, s)
ON CONFLICT DO NOTHING""")
ADVANCE = text("""
UPDATE meter_series s SET last_value = q.v, last_taken_at = to_timestamp(q.ts)
FROM unnest(CAST(:m AS text[]), CAST(:t AS text[]), CAST(:v AS float8[]), CAST(:ts AS float8[])) AS q(m, t, v, ts)
WHERE s.meter_id = :prefix || q.m AND s.reading_type = q.t AND (s.last_taken_at IS NULL OR s.last_taken_at < to_timestamp(q.ts))""")



Candidate = tuple[int, ReadingIn, float]  # (index in the batch, reading, taken_at in epoch seconds)


async def take_turn(session: AsyncSession, company_id: str) -> None:
    await session.execute(COMPANY_LOCK, {"company": company_id})


async def add_accounts(session: AsyncSession, company_id: str, kind: str, prefix: str, meter_ids: list[str]) -> None:
    await session.execute(NEW_ACCOUNTS, {"company": company_id, "kind": kind, "ids": meter_ids, "prefix": prefix})


async def bound_eics(session: AsyncSession, company_id: str, eics: list[str]) -> set[str]:
    """Those of `eics` the city has bound to the company."""
    return set((await session.execute(BOUND_EICS, {"company": company_id, "ids": eics})).scalars())


async def registers(session: AsyncSession, by_series: dict[tuple[str, str], list[Candidate]],
                    prefix: str) -> dict[tuple[str, str], Series]:
    """Every register of the batch: what is stored of those that need it; for the rest (new, or
    simply continued by this batch) only the unit, as if nothing were stored before."""
    keys = list(by_series)
    firsts = [by_series[k][0] for k in keys]
    rows = await session.execute(SERIES, {"m": [k[0] for k in keys], "t": [k[1] for k in keys],
                                          "u": [c[1].unit for c in firsts], "fts": [c[2] for c in firsts],
                                          "fv": [c[1].value for c in firsts], "prefix": prefix})
    closer = {(row.meter_id, row.reading_type): Series(row.unit, row.last_value, row.last_ts) for row in rows}
    return {k: closer.get(k) or Series(first[1].unit) for k, first in zip(keys, firsts, strict=True)}


async def stored_around(session: AsyncSession, older: list[Candidate], prefix: str) -> dict[int, tuple]:
    """For each reading (by index): the stored value at its time, and the ones just before and after."""
    rows = await session.execute(NEIGHBOURS, {
        "i": [c[0] for c in older], "m": [c[1].meter_id for c in older], "t": [c[1].reading_type for c in older],
        "ts": [c[2] for c in older], "prefix": prefix})
    return {row.i: (row.same, row.before, row.after) for row in rows}


async def store(session: AsyncSession, batch_id: str, prefix: str, accepted: list[Candidate],
                advanced: list[tuple[str, str, float, float]]) -> None:
    """The accepted readings, and each register moved forward to its newest (never back)."""
    if accepted:
        await session.execute(STORE, {
            "batch": batch_id, "prefix": prefix, "m": [c[1].meter_id for c in accepted], "t": [c[1].reading_type for c in accepted],
            "ts": [c[2] for c in accepted], "v": [c[1].value for c in accepted], "s": [c[1].source for c in accepted]})
    if advanced:
        await session.execute(ADVANCE, {"prefix": prefix, "m": [a[0] for a in advanced], "t": [a[1] for a in advanced],
                                        "v": [a[2] for a in advanced], "ts": [a[3] for a in advanced]})


async def meter_owner(session: AsyncSession, stored_id: str) -> str | None:
    return await session.scalar(select(meters.c.company_id).where(meters.c.meter_id == stored_id))


async def history(session: AsyncSession, stored_id: str, *, reading_type: str | None, since, limit: int) -> list:
    query = select(meter_readings).where(meter_readings.c.meter_id == stored_id)
    if reading_type:
        query = query.where(meter_readings.c.reading_type == reading_type)
    if since:
        query = query.where(meter_readings.c.taken_at >= since)
    return list(await session.execute(query.order_by(meter_readings.c.taken_at).limit(limit)))
