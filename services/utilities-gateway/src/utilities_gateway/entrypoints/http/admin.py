"""The city's integrations staff: companies, their keys, routed requests, the audit log
(use_cases/integrations_admin.py, company_credentials.py, routing.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.areas import AreaIn
from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.events.payloads.common import GeoPoint, UtilityKind
from ecity_common.inputs import Identifier, Text, page_size
from ecity_common.web.body_limits import LARGE_JSON_BODY, body_limit
from utilities_gateway.domain.companies import CompanyProfile
from utilities_gateway.entrypoints.http.common import idempotent, refuse_nulls
from utilities_gateway.use_cases import company_credentials, integrations_admin, routing

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


class RoutingQuestion(BaseModel):
    kind: UtilityKind
    service_code: Text = Field(min_length=2, max_length=64)
    location: GeoPoint | None = None
    address: Text | None = Field(default=None, max_length=500)


@router.post("/companies", status_code=201, summary="Register a utility company")
@body_limit(LARGE_JSON_BODY)  # its service area
async def create_company(profile: CompanyProfile, request: Request, who: Principal = Depends(ADMIN),
                         db: AsyncSession = Depends(session)):
    return await idempotent(request, db, f"staff:{who.subject}", 201, lambda: integrations_admin.create_company(db, profile))


@router.get("/companies", summary="Companies, by kind")
async def list_companies(kind: UtilityKind | None = None, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    return {"companies": await integrations_admin.list_companies(db, kind)}


@router.get("/companies/{company_id}", summary="One company")
async def get_company(company_id: Identifier, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    return await integrations_admin.get_company(db, company_id)


@router.patch("/companies/{company_id}", summary="Change a company (area, categories, contact, active)")
@body_limit(LARGE_JSON_BODY)  # its service area
async def change_company(company_id: Identifier, change: CompanyChange, _: Principal = Depends(ADMIN),
                         db: AsyncSession = Depends(session)):
    async with db.begin():
        return await integrations_admin.update_company(db, company_id, change.model_dump(exclude_unset=True, mode="json"))


@router.post("/companies/{company_id}/api-keys", status_code=201,
             summary="Issue an API key to a company (the key is in this answer only)")
async def issue_key(company_id: Identifier, body: KeyRequest, request: Request, who: Principal = Depends(ADMIN),
                    db: AsyncSession = Depends(session)):
    return await idempotent(request, db, f"staff:{who.subject}", 201,
                            lambda: company_credentials.issue_key(db, company_id, body.label), secret="api_key")


@router.get("/companies/{company_id}/api-keys", summary="A company's keys (prefixes and states, never the keys)")
async def list_keys(company_id: Identifier, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    await integrations_admin.get_company(db, company_id)
    return {"api_keys": await company_credentials.list_keys(db, company_id)}


@router.delete("/companies/{company_id}/api-keys/{key_id}", summary="Revoke a key at once")
async def revoke_key(company_id: Identifier, key_id: Identifier, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    async with db.begin():
        return await company_credentials.revoke_key(db, company_id, key_id)


@router.get("/routed-requests/{request_id}", summary="Where a citizen's request went, or why it could not go")
async def routed_request(request_id: Identifier, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    return await integrations_admin.routed_request(db, request_id)


@router.post("/routing/check", summary="Which company would get a request of this kind at this place")
async def check_routing(question: RoutingQuestion, _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    loc = question.location
    decision = await routing.check(db, kind=question.kind, service_code=question.service_code,
                                   lat=loc.lat if loc else None, long=loc.long if loc else None, address=question.address)
    company = decision.company
    return {"outcome": decision.outcome, "reason": decision.reason,
            "company": {"id": company.id, "name": company.name} if company else None}


@router.get("/audit-log", summary="Integration calls: who, what, when, result (newest first)")
async def read_audit_log(company_id: Identifier | None = None, limit: page_size(1000) = 100,
                         _: Principal = Depends(ADMIN), db: AsyncSession = Depends(session)):
    return await integrations_admin.read_audit_log(db, company_id=company_id, limit=limit)
