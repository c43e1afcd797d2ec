"""The city's integrations staff bind meters' EICs to companies, move and unbind them, and read a
company's EICs and an EIC's history (domain/meter_bindings.py). Each in the caller's transaction.

A change takes the turn of every company it touches (the one an EIC leaves and the one it joins),
the same turn their uploads take (use_cases/meter_readings.py): an upload running when an EIC
moves finishes under the old binding before the move is written, and the next one sees the move.
So two companies' uploads never write one meter's register at once.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.refusals import NotFound
from utilities_gateway.adapters import meter_bindings as bindings
from utilities_gateway.adapters import meter_readings
from utilities_gateway.domain.meter_bindings import Change, binding, unbinding
from utilities_gateway.domain.meters import EIC_KINDS
from utilities_gateway.use_cases.integrations_admin import get_company


async def bind(session: AsyncSession, company_id: str, eics: list[str], *, by: str, transfer: bool = False,
               note: str | None = None) -> dict:
    """Binds `eics` to the company: new ones, unbound ones, and (with `transfer`) another company's."""
    company = await get_company(session, company_id)
    await bindings.take_turn(session)
    changes = binding(company_id, company["kind"], eics, await bindings.stored(session, eics), transfer=transfer)
    await _write(session, changes, company["kind"], by=by, note=note)
    moved = [c for c in changes if c.previous_company_id is not None]
    return {"company_id": company_id, "bound": len(changes) - len(moved), "already_bound": len(set(eics)) - len(changes),
            "transferred": [{"eic": c.eic, "from_company_id": c.previous_company_id} for c in moved]}


async def unbind(session: AsyncSession, company_id: str, eic: str, *, by: str) -> dict:
    """Unbinds an EIC from its company: its readings stay; no company's new ones are accepted."""
    await bindings.take_turn(session)
    stored = await bindings.stored(session, [eic])
    change = unbinding(company_id, eic, stored.get(eic))
    await _write(session, [change], stored[eic].kind, by=by, note=None)
    return {"eic": eic, "company_id": None, "previous_company_id": company_id}


async def _write(session: AsyncSession, changes: list[Change], kind: str, *, by: str, note: str | None) -> None:
    touched = {c.company_id for c in changes} | {c.previous_company_id for c in changes}
    for company_id in sorted(touched - {None}):  # in one order, so two changes never wait on each other
        await meter_readings.take_turn(session, company_id)
    await bindings.write(session, changes, kind, by=by, note=note)


async def company_meters(session: AsyncSession, company_id: str, *, after: str, limit: int) -> dict:
    """The EICs bound to a company, each with how and when it became the company's: `carried-over`
    ones were claimed by a first reading before the city bound EICs, and await the city's look."""
    await get_company(session, company_id)
    rows = await bindings.company_meters(session, company_id, sorted(EIC_KINDS), after=after, limit=limit)
    return {"company_id": company_id, "meters": [
        {"eic": r.meter_id, "kind": r.kind, "change": r.change, "at": r.at, "by": r.by} for r in rows],
        "next_after": rows[-1].meter_id if len(rows) == limit else None}


async def meter_history(session: AsyncSession, eic: str) -> dict:
    """An EIC's company now, and every change that made it so."""
    stored = (await bindings.stored(session, [eic])).get(eic)
    if stored is None or stored.kind not in EIC_KINDS:
        raise NotFound("meter", eic, field="eic")
    return {"eic": eic, "kind": stored.kind, "company_id": stored.company_id, "history": [
        {"company_id": r.company_id, "previous_company_id": r.previous_company_id, "change": r.change, "at": r.at,
         "by": r.by, "note": r.note} for r in await bindings.history(session, eic)]}
