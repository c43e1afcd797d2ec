"""The city's integrations staff: the companies they register and change, where a citizen's
request went, and the audit log of the integration API. Each in the caller's transaction. (A
company's keys and webhook endpoints, which staff issue too: company_credentials.py.)"""

from __future__ import annotations

import uuid

from pydantic import ValidationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.inputs import cursor
from ecity_common.phrases import validation_words
from ecity_common.refusals import Conflict, Invalid, NotFound, field_path
from utilities_gateway.adapters import audit_log
from utilities_gateway.adapters.tables import companies, routed_requests
from utilities_gateway.domain.companies import CompanyProfile
from utilities_gateway.domain.phrases import Phrase
from utilities_gateway.domain.routed_requests import request_data


def company_view(row) -> dict:
    return {"id": row.id, "name": row.name, "kind": row.kind, "edrpou": row.edrpou, "contact_email": row.contact_email,
            "contact_phone": row.contact_phone, "area": row.area, "service_codes": list(row.service_codes),
            "priority": row.priority, "active": row.active, "created_at": row.created_at, "updated_at": row.updated_at}


async def create_company(session: AsyncSession, profile: CompanyProfile, company_id: str | None = None) -> dict:
    values = profile.model_dump(mode="json")
    row_id = company_id or f"co-{profile.kind}-{uuid.uuid4().hex[:8]}"
    try:
        async with session.begin_nested():
            row = (await session.execute(insert(companies).values(id=row_id, **values).returning(companies))).one()
    except IntegrityError:
        raise Conflict(Phrase("edrpou-registered", edrpou=profile.edrpou), field="edrpou",
                       code="edrpou-registered") from None
    return company_view(row)


async def update_company(session: AsyncSession, company_id: str, changes: dict) -> dict:
    """`changes`: any of the profile's fields and `active` (false suspends the company and its keys)."""
    if not changes:
        raise Invalid("body", Phrase("nothing-to-change"))
    profile_fields = set(CompanyProfile.model_fields)
    if profile_fields & set(changes):
        current = await get_company(session, company_id)
        try:  # the changed profile must pass every rule a new one does
            profile = CompanyProfile.model_validate({k: v for k, v in {**current, **changes}.items() if k in profile_fields})
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            raise Invalid(field_path(first["loc"]), validation_words(first)) from None
        changes = {**changes, **{k: v for k, v in profile.model_dump(mode="json").items() if k in changes}}
    row = (await session.execute(update(companies).where(companies.c.id == company_id)
                                 .values(**changes, updated_at=func.now()).returning(companies))).first()
    if row is None:
        raise NotFound("company", company_id, field="path.company_id")
    return company_view(row)


async def get_company(session: AsyncSession, company_id: str) -> dict:
    row = (await session.execute(select(companies).where(companies.c.id == company_id))).first()
    if row is None:
        raise NotFound("company", company_id, field="path.company_id")
    return company_view(row)


async def list_companies(session: AsyncSession, kind: str | None = None) -> list[dict]:
    query = select(companies).order_by(companies.c.kind, companies.c.name)
    if kind:
        query = query.where(companies.c.kind == kind)
    return [company_view(r) for r in await session.execute(query)]


async def routed_request(session: AsyncSession, request_id: str) -> dict:
    """Where a citizen's request went (its company), or why it could not go."""
    row = (await session.execute(select(routed_requests).where(routed_requests.c.request_id == request_id))).first()
    if row is None:
        raise NotFound("routed request", request_id, field="path.request_id")
    return {**request_data(row), "company_id": row.company_id, "routing_failure": row.routing_failure}


async def read_audit_log(session: AsyncSession, *, company_id: str | None, limit: int, after: tuple | None = None) -> dict:
    """A page of the log, newest first; `next_cursor` (null on the last page) starts the next one."""
    before_id = None
    if after is not None:
        if len(after) != 1 or not isinstance(after[0], int):
            raise Invalid("query.after", Phrase("list-cursor"))
        before_id = after[0]
    found = await audit_log.entries(session, company_id=company_id, limit=limit, before_id=before_id)
    return {"entries": found, "next_cursor": cursor(found[-1]["id"]) if len(found) == limit else None}
