"""Reads that more than one use case makes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.areas import Area
from utilities_gateway.adapters.tables import companies
from utilities_gateway.domain.access import check_owner
from utilities_gateway.domain.companies import Company


async def owned(session: AsyncSession, key_column, key: str, company_id: str, *, field: str, what: str,
                for_update: bool = False):
    """The row of `key_column` = `key` if it is the company's (domain.access.check_owner refuses otherwise)."""
    query = select(key_column.table).where(key_column == key)
    row = (await session.execute(query.with_for_update() if for_update else query)).first()
    check_owner(row.company_id if row is not None else None, company_id, what=what, key=key, field=field)
    return row


async def companies_of_kind(session: AsyncSession, kind: str) -> list[Company]:
    """The active companies of a kind, for domain.companies.route to choose from."""
    rows = await session.execute(select(companies).where(companies.c.kind == kind, companies.c.active))
    return [Company(id=r.id, name=r.name, kind=r.kind, area=Area.model_validate(r.area),
                    service_codes=frozenset(r.service_codes), priority=r.priority) for r in rows]


async def served_area(session: AsyncSession, company_id: str) -> Area:
    """The area the company serves, as the city registered it."""
    return Area.model_validate(await session.scalar(select(companies.c.area).where(companies.c.id == company_id)))
