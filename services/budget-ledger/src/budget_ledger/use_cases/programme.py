"""The finance department keeps the programme's structure: budget holders and measures, each
added once (the same again is accepted, other content under the same code is a conflict)."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters import queries
from budget_ledger.domain.phrases import Phrase
from budget_ledger.domain.programme import BudgetHolder, MeasureSpec
from ecity_common.refusals import Conflict, Invalid


async def _add(session: AsyncSession, table: str, key: str, values: dict) -> bool:
    existing = await queries.structure_row(session, table, key, values[key])
    if existing is None:
        await queries.add_structure_row(session, table, values)
        return True
    if any(existing[k] != v for k, v in values.items()):
        raise Conflict(Phrase("exists-with-other-content", key=values[key]), field=key)
    return False


async def add_holder(session: AsyncSession, holder: BudgetHolder) -> bool:
    holder.check()
    programme = await queries.programme_code(session)
    if programme is None:
        raise Invalid("programme", Phrase("no-programme"))
    return await _add(session, "budget_holders", "code", {**asdict(holder), "programme_code": programme})


async def add_measure(session: AsyncSession, measure: MeasureSpec) -> bool:
    measure.check(await queries.holder_kpkvkmb(session, measure.holder_code))
    return await _add(session, "measures", "code", asdict(measure))


async def programme(session: AsyncSession) -> dict:
    """The programme, its budget holders and measures, as the public sees them."""
    return await queries.programme_with_structure(session)
