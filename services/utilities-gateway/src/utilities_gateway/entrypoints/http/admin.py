"""The city's integrations staff: companies, their keys, their meters' EICs, routed requests, the
audit log (use_cases/integrations_admin.py, company_credentials.py, meter_bindings.py, routing.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.areas import AreaIn
from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.events.payloads.common import GeoPoint, UtilityKind
from ecity_common.inputs import Cursor, Identifier, Prose, Text, page_size
from ecity_common.web.body_limits import LARGE_JSON_BODY, body_limit
from utilities_gateway.domain.companies import CompanyProfile
from utilities_gateway.domain.meter_bindings import MAX_EICS
from utilities_gateway.entrypoints.http.answers import (
    AuditLog,
    Binding,
    Companies,
    CompanyMeters,
    CompanyView,
    IssuedKey,
    Keys,
    KeyView,
    MeterHistory,
    RoutedRequestForStaff,
    RoutingDecision,
    Unbound,
    answers,
)
from utilities_gateway.entrypoints.http.common import idempotent, refuse_nulls
from utilities_gateway.use_cases import company_credentials, integrations_admin, meter_bindings, routing

router = APIRouter(prefix="/api/v1", tags=["city integrations staff"])
ADMIN = require_role("integrations-admin")


class CompanyChange(BaseModel):
    """Any of a profile's fields (checked by the same rules as a new profile), and `active`."""

    name: Text | None = Field(default=None, min_length=2, max_length=300)
    contact_email: Text | None = Field(default=None, max_length=320)
    contact_phone: Text | None = Field(default=None, max_length=20)
    area: AreaIn | None = None
    service_codes: list[Text] | None = Field(default=None, max_length=100)
    priority: int | None = Field(default=None, ge=0, le=1000)
    active: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls_where_a_value_is_needed(cls, data):
        return refuse_nulls(data, ("name", "area", "service_codes", "priority", "active"))


class KeyRequest(BaseModel):
    label: Text | None = Field(default=None, max_length=100)


class MeterBinding(BaseModel):
    # Each EIC is checked (check character, kind) by the use case, which names the first at fault.
    eics: list[Annotated[Text, Field(min_length=1, max_length=32)]] = Field(
        min_length=1, max_length=MAX_EICS, description="up to 10,000 EIC codes", examples=[["62Z000000000001B"]])
    transfer: bool = Field(default=False, description="move EICs bound to another company to this one")
    note: Prose | None = Field(default=None, max_length=1000, description="why, for the history (an order, a letter)")


class RoutingQuestion(BaseModel):
    kind: UtilityKind
    service_code: Text = Field(min_length=2, max_length=64)
    location: GeoPoint | None = None
    address: Text | None = Field(default=None, max_length=500)


@router.post("/companies", status_code=201, responses=answers(CompanyView, 201), summary="Register a utility company")
@body_limit(LARGE_JSON_BODY)  # its service area
async def create_company(profile: CompanyProfile, request: Request, who: Principal = Depends(ADMIN),
                         db: AsyncSession = Depends(session)):
    return await idempotent(request, db, f"staff:{who.subject}", 201, lambda: integrations_admin.create_company(db, profile))


@router.get("/companies", responses=answers(Companies), summary="Companies, by kind")
async def list_companies(kind: UtilityKind | None = None, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    return {"companies": await integrations_admin.list_companies(db, kind)}


@router.get("/companies/{company_id}", responses=answers(CompanyView), summary="One company")
async def get_company(company_id: Identifier, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    return await integrations_admin.get_company(db, company_id)


@router.patch("/companies/{company_id}", responses=answers(CompanyView), summary="Change a company (area, categories, contact, active)")
@body_limit(LARGE_JSON_BODY)  # its service area
async def change_company(company_id: Identifier, change: CompanyChange, _: Principal = Depends(ADMIN),
                         db: AsyncSession = Depends(session)):
    async with db.begin():
        return await integrations_admin.update_company(db, company_id, change.model_dump(exclude_unset=True, mode="json"))


@router.post("/companies/{company_id}/api-keys", status_code=201, responses=answers(IssuedKey, 201),
             summary="Issue an API key to a company (the key is in this answer only)")
async def issue_key(company_id: Identifier, body: KeyRequest, request: Request, who: Principal = Depends(ADMIN),
                    db: AsyncSession = Depends(session)):
    return await idempotent(request, db, f"staff:{who.subject}", 201,
                            lambda: company_credentials.issue_key(db, company_id, body.label), secret="api_key")


@router.get("/companies/{company_id}/api-keys", responses=answers(Keys), summary="A company's keys (prefixes and states, never the keys)")
async def list_keys(company_id: Identifier, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    await integrations_admin.get_company(db, company_id)
    return {"api_keys": await company_credentials.list_keys(db, company_id)}


@router.delete("/companies/{company_id}/api-keys/{key_id}", responses=answers(KeyView), summary="Revoke a key at once")
async def revoke_key(company_id: Identifier, key_id: Identifier, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    async with db.begin():
        return await company_credentials.revoke_key(db, company_id, key_id)


@router.post("/companies/{company_id}/meters", responses=answers(Binding),
             summary="Bind meters' EICs to a company; with transfer, move them from another company")
@body_limit(LARGE_JSON_BODY)  # 10,000 EICs
async def bind_meters(company_id: Identifier, body: MeterBinding, request: Request, who: Principal = Depends(ADMIN),
                      db: AsyncSession = Depends(session)):
    return await idempotent(request, db, f"staff:{who.subject}", 200, lambda: meter_bindings.bind(
        db, company_id, body.eics, by=who.subject, transfer=body.transfer, note=body.note))


@router.get("/companies/{company_id}/meters", responses=answers(CompanyMeters), summary="The EICs bound to a company, each with how it became the company's")
async def list_meters(company_id: Identifier, after: Identifier | None = None, limit: page_size(1000) = 100,
                      _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    return await meter_bindings.company_meters(db, company_id, after=after or "", limit=limit)


@router.delete("/companies/{company_id}/meters/{eic}", responses=answers(Unbound), summary="Unbind an EIC from its company (its readings stay)")
async def unbind_meter(company_id: Identifier, eic: Identifier, who: Principal = Depends(ADMIN),
                       db: AsyncSession = Depends(session)):
    async with db.begin():
        return await meter_bindings.unbind(db, company_id, eic, by=who.subject)


@router.get("/meters/{eic}/bindings", responses=answers(MeterHistory), summary="An EIC's company, and who bound, moved or unbound it when")
async def meter_bindings_history(eic: Identifier, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    return await meter_bindings.meter_history(db, eic)


@router.get("/routed-requests/{request_id}", responses=answers(RoutedRequestForStaff), summary="Where a citizen's request went, or why it could not go")
async def routed_request(request_id: Identifier, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    return await integrations_admin.routed_request(db, request_id)


@router.post("/routing/check", responses=answers(RoutingDecision), summary="Which company would get a request of this kind at this place")
async def check_routing(question: RoutingQuestion, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    loc = question.location
    decision = await routing.check(db, kind=question.kind, service_code=question.service_code,
                                   lat=loc.lat if loc else None, long=loc.long if loc else None, address=question.address)
    company = decision.company
    return {"outcome": decision.outcome, "reason": decision.reason,
            "company": {"id": company.id, "name": company.name} if company else None}


@router.get("/audit-log", responses=answers(AuditLog), summary="Integration calls: who, what, when, result (newest first; page on with `after`=the page's next_cursor)")
async def read_audit_log(company_id: Identifier | None = None, limit: page_size(1000) = 100,
                         after: Cursor | None = Query(None, description="the next_cursor of the previous page"),
                         _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    return await integrations_admin.read_audit_log(db, company_id=company_id, limit=limit, after=after)
