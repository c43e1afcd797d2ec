"""A company's own credentials: its API keys and webhook endpoints, and what was delivered
(use_cases/company_credentials.py)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.db import session
from ecity_common.inputs import Identifier, Int64, Text, page_size
from utilities_gateway.domain.access import Caller
from utilities_gateway.domain.notices import MESSAGE_TYPES
from utilities_gateway.entrypoints.http.answers import (
    CompanyView,
    Deliveries,
    Endpoints,
    EndpointView,
    EndpointWithSecret,
    Keys,
    KeyView,
    Redelivery,
    RotatedKey,
    TestSent,
    answers,
)
from utilities_gateway.entrypoints.http.common import company, idempotent, refuse_nulls
from utilities_gateway.use_cases import company_credentials, integrations_admin
from utilities_gateway.use_cases.company_credentials import TargetPolicy

router = APIRouter(prefix="/integrations/v1", tags=["your company: keys and webhooks"])


class EndpointIn(BaseModel):
    url: Text = Field(min_length=8, max_length=2000, examples=["https://crm.vodokanal.sumy.ua/hooks/ecity"])
    description: Text | None = Field(default=None, max_length=300)
    event_types: list[Text] = Field(default_factory=list, max_length=len(MESSAGE_TYPES),
                                   description="empty: every type")


class EndpointChange(BaseModel):
    url: Text | None = Field(default=None, min_length=8, max_length=2000)
    description: Text | None = Field(default=None, max_length=300)
    event_types: list[Text] | None = Field(default=None, max_length=len(MESSAGE_TYPES))
    enabled: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls_where_a_value_is_needed(cls, data):
        return refuse_nulls(data, ("url", "event_types", "enabled"))


def _overlap(request: Request) -> timedelta:
    return timedelta(hours=request.app.state.settings.rotation_overlap_hours)


def _targets(request: Request) -> TargetPolicy:
    settings = request.app.state.settings
    return TargetPolicy(allow_private=settings.webhook_allow_private_targets, allow_http=settings.webhook_allow_http)


@router.get("/company", responses=answers(CompanyView), summary="Your company as the city registered it")
async def me(caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return await integrations_admin.get_company(db, caller.company_id)


@router.get("/api-keys", responses=answers(Keys), summary="Your keys (prefixes and states)")
async def list_keys(caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return {"api_keys": await company_credentials.list_keys(db, caller.company_id)}


@router.post("/api-keys/rotate", status_code=201, responses=answers(RotatedKey, 201),
             summary="A new key (shown once, never replayed); the key you called with keeps working for the overlap")
async def rotate_key(request: Request, caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return await idempotent(request, db, caller.company_id, 201,
                            lambda: company_credentials.rotate_key(db, caller, _overlap(request)), secret="api_key")


@router.delete("/api-keys/{key_id}", responses=answers(KeyView), summary="Revoke the key you call with, at once (other keys: the city's staff)")
async def revoke_key(key_id: Identifier, caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    async with db.begin():
        return await company_credentials.revoke_own_key(db, caller, key_id)


@router.post("/webhook-endpoints", status_code=201, responses=answers(EndpointWithSecret, 201), summary="Add a webhook endpoint (its secret is in this answer only)")
async def create_endpoint(body: EndpointIn, request: Request, caller: Caller = Depends(company),
                          db: AsyncSession = Depends(session)):
    # The URL is vetted (its name resolved) before the transaction, which holds no connection meanwhile.
    url = await company_credentials.vet_url(body.url, _targets(request))
    return await idempotent(request, db, caller.company_id, 201, lambda: company_credentials.create_endpoint(
        db, request.app.state.secret_box, caller.company_id, url, body.description, body.event_types), secret="secret")


@router.get("/webhook-endpoints", responses=answers(Endpoints), summary="Your webhook endpoints")
async def list_endpoints(caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return {"webhook_endpoints": await company_credentials.list_endpoints(db, caller.company_id)}


@router.get("/webhook-endpoints/{endpoint_id}", responses=answers(EndpointView), summary="One of your endpoints")
async def get_endpoint(endpoint_id: Identifier, caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return await company_credentials.get_endpoint(db, caller.company_id, endpoint_id)


@router.patch("/webhook-endpoints/{endpoint_id}", responses=answers(EndpointView), summary="Change the URL or event types; enable or disable")
async def change_endpoint(endpoint_id: Identifier, body: EndpointChange, request: Request, caller: Caller = Depends(company),
                          db: AsyncSession = Depends(session)):
    changes = body.model_dump(exclude_unset=True)
    if "url" in changes:  # vetted before the transaction, as for a new endpoint
        changes["url"] = await company_credentials.vet_url(changes["url"], _targets(request))
    async with db.begin():
        result = await company_credentials.update_endpoint(db, caller.company_id, endpoint_id, changes)
    request.app.state.dispatcher.wake()  # re-enabled: its waiting deliveries go now
    return result


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret", status_code=201, responses=answers(EndpointWithSecret, 201),
             summary="A new signing secret (shown once); the old one also signs during the overlap")
async def rotate_secret(endpoint_id: Identifier, request: Request, caller: Caller = Depends(company),
                        db: AsyncSession = Depends(session)):
    return await idempotent(request, db, caller.company_id, 201, lambda: company_credentials.rotate_secret(
        db, request.app.state.secret_box, caller.company_id, endpoint_id, _overlap(request)), secret="secret")


@router.post("/webhook-endpoints/{endpoint_id}/test", status_code=202, responses=answers(TestSent, 202), summary="Send an endpoint.test message to it")
async def test_endpoint(endpoint_id: Identifier, request: Request, caller: Caller = Depends(company),
                        db: AsyncSession = Depends(session)):
    answer = await idempotent(request, db, caller.company_id, 202,
                              lambda: company_credentials.send_test_message(db, caller.company_id, endpoint_id))
    request.app.state.dispatcher.wake()
    return answer


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", responses=answers(Deliveries), summary="Deliveries to an endpoint, each with its attempts")
async def list_deliveries(endpoint_id: Identifier, status: str | None = Query(None, pattern="^(pending|succeeded|failed)$"),
                          limit: page_size(500) = 50, caller: Caller = Depends(company),
                          db: AsyncSession = Depends(session)):
    return await company_credentials.list_deliveries(db, caller.company_id, endpoint_id, status=status, limit=limit)


@router.post("/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver", status_code=202, responses=answers(Redelivery, 202),
             summary="Send a message again (the same webhook-id), as a new delivery")
async def redeliver(endpoint_id: Identifier, delivery_id: Int64, request: Request, caller: Caller = Depends(company),
                    db: AsyncSession = Depends(session)):
    answer = await idempotent(request, db, caller.company_id, 202,
                              lambda: company_credentials.redeliver(db, caller.company_id, endpoint_id, delivery_id))
    request.app.state.dispatcher.wake()
    return answer
