"""The city's bindings of EICs to companies in SQL: what is stored of a list of EICs, the changes
written (the meter's company now, and the history entry), and the lists the staff read. The rules
are domain/meter_bindings.py.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from utilities_gateway.domain.meter_bindings import Change, Meter

# Staff changes to bindings run one at a time: two lists naming one new EIC for two companies
# would otherwise both find it unbound. They are rare; uploads never take this lock.
BINDINGS_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('meter-bindings'))")
STORED = text("SELECT meter_id, company_id, kind FROM meters WHERE meter_id = ANY(CAST(:ids AS text[]))")
# The meter's company now: created with the binding, or moved.
WRITE = text("""
INSERT INTO meters (meter_id, company_id, kind)
SELECT m, c, :kind FROM unnest(CAST(:m AS text[]), CAST(:c AS text[])) AS q(m, c)
ON CONFLICT (meter_id) DO UPDATE SET company_id = excluded.company_id""")
LOG = text("""
INSERT INTO meter_bindings (meter_id, company_id, previous_company_id, change, by, note)
SELECT m, c, p, h, :by, :note
FROM unnest(CAST(:m AS text[]), CAST(:c AS text[]), CAST(:p AS text[]), CAST(:h AS text[])) AS q(m, c, p, h)""")
# A company's EICs, each with its latest history entry (how and when it became the company's).
COMPANY_METERS = text("""
SELECT m.meter_id, m.kind, b.change, b.at, b.by
FROM meters m
LEFT JOIN LATERAL (SELECT change, at, by FROM meter_bindings b WHERE b.meter_id = m.meter_id
                   ORDER BY b.id DESC LIMIT 1) b ON true
WHERE m.company_id = :company AND m.kind = ANY(CAST(:kinds AS text[])) AND m.meter_id > :after
ORDER BY m.meter_id LIMIT :limit""")
HISTORY = text("""
SELECT company_id, previous_company_id, change, at, by, note FROM meter_bindings WHERE meter_id = :eic ORDER BY id""")


async def take_turn(session: AsyncSession) -> None:
    await session.execute(BINDINGS_LOCK)


async def stored(session: AsyncSession, eics: list[str]) -> dict[str, Meter]:
    rows = await session.execute(STORED, {"ids": eics})
    return {row.meter_id: Meter(row.company_id, row.kind) for row in rows}


async def write(session: AsyncSession, changes: list[Change], kind: str, *, by: str, note: str | None) -> None:
    if not changes:
        return
    m = [c.eic for c in changes]
    await session.execute(WRITE, {"kind": kind, "m": m, "c": [c.company_id for c in changes]})
    await session.execute(LOG, {"by": by, "note": note, "m": m, "c": [c.company_id for c in changes],
                                "p": [c.previous_company_id for c in changes], "h": [c.change for c in changes]})


async def company_meters(session: AsyncSession, company_id: str, kinds: list[str], *, after: str, limit: int) -> list:
    return list(await session.execute(COMPANY_METERS, {"company": company_id, "kinds": kinds, "after": after,
                                                       "limit": limit}))


async def history(session: AsyncSession, eic: str) -> list:
    return list(await session.execute(HISTORY, {"eic": eic}))
