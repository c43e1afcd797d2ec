"""A company's own credentials: its API keys and webhook endpoints, and what was delivered."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.db import session
from utilities_gateway.adapters.notices import MESSAGE_TYPES, tell_company
from utilities_gateway.adapters.tables import company_messages, deliveries, delivery_attempts, webhook_endpoints
from utilities_gateway.adapters.webhook_targets import UnsafeTarget, check_target
from utilities_gateway.entrypoints.http.common import company, idempotent, refuse_nulls
from utilities_gateway.use_cases import integrations_admin as credentials
from utilities_gateway.use_cases.integrations_admin import Caller, GatewayRefused

router = APIRouter(prefix="/integrations/v1", tags=["your company: keys and webhooks"])


class EndpointIn(BaseModel):
    url: str = Field(min_length=8, max_length=2000, examples=["https://crm.vodokanal.sumy.ua/hooks/ecity"])
    description: str | None = Field(default=None, max_length=300)
    event_types: list[str] = Field(default_factory=list, max_length=len(MESSAGE_TYPES),
                                   description="empty: every type")


class EndpointChange(BaseModel):
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    description: str | None = Field(default=None, max_length=300)
    event_types: list[str] | None = None
    enabled: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls_where_a_value_is_needed(cls, data):
        return refuse_nulls(data, ("url", "event_types", "enabled"))


def _overlap(request: Request) -> timedelta:
    return timedelta(hours=request.app.state.settings.rotation_overlap_hours)


async def _safe(request: Request, url: str) -> str:
    settings = request.app.state.settings
    try:
        await check_target(url, allow_private=settings.webhook_allow_private_targets, allow_http=settings.webhook_allow_http)
    except UnsafeTarget as exc:
        raise GatewayRefused(422, "url", str(exc)) from None
    return url


@router.get("/company", summary="Your company as the city registered it")
async def me(caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return await credentials.get_company(db, caller.company_id)


@router.get("/api-keys", summary="Your keys (prefixes and states)")
async def list_keys(caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return {"api_keys": await credentials.list_keys(db, caller.company_id)}


@router.post("/api-keys/rotate", status_code=201,
             summary="A new key (shown once); the key you called with keeps working for the overlap")
async def rotate_key(request: Request, caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return await idempotent(request, db, caller.company_id, 201,
                            lambda: credentials.rotate_key(db, caller, _overlap(request)), secret="api_key")


@router.delete("/api-keys/{key_id}", summary="Revoke one of your keys at once")
async def revoke_key(key_id: str, caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    async with db.begin():
        return await credentials.revoke_key(db, caller.company_id, key_id)


@router.post("/webhook-endpoints", status_code=201, summary="Add a webhook endpoint (its secret is in this answer only)")
async def create_endpoint(body: EndpointIn, request: Request, caller: Caller = Depends(company),
                          db: AsyncSession = Depends(session)):
    url = await _safe(request, body.url)
    return await idempotent(request, db, caller.company_id, 201, lambda: credentials.create_endpoint(
        db, request.app.state.secret_box, caller.company_id, url, body.description, body.event_types), secret="secret")


@router.get("/webhook-endpoints", summary="Your webhook endpoints")
async def list_endpoints(caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    rows = await db.execute(select(webhook_endpoints).where(webhook_endpoints.c.company_id == caller.company_id)
                            .order_by(webhook_endpoints.c.created_at))
    return {"webhook_endpoints": [credentials.endpoint_view(r) for r in rows]}


@router.get("/webhook-endpoints/{endpoint_id}", summary="One of your endpoints")
async def get_endpoint(endpoint_id: str, caller: Caller = Depends(company), db: AsyncSession = Depends(session)):
    return credentials.endpoint_view(await credentials.own_endpoint(db, caller.company_id, endpoint_id))


@router.patch("/webhook-endpoints/{endpoint_id}", summary="Change the URL or event types; enable or disable")
async def change_endpoint(endpoint_id: str, body: EndpointChange, request: Request, caller: Caller = Depends(company),
                          db: AsyncSession = Depends(session)):
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise GatewayRefused(422, "body", "nothing to change")
    if "url" in changes:
        changes["url"] = await _safe(request, changes["url"])
    async with db.begin():
        result = await credentials.update_endpoint(db, caller.company_id, endpoint_id, changes)
    request.app.state.dispatcher.wake()  # re-enabled: its waiting deliveries go now
    return result


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret", status_code=201,
             summary="A new signing secret (shown once); the old one also signs during the overlap")
async def rotate_secret(endpoint_id: str, request: Request, caller: Caller = Depends(company),
                        db: AsyncSession = Depends(session)):
    return await idempotent(request, db, caller.company_id, 201, lambda: credentials.rotate_secret(
        db, request.app.state.secret_box, caller.company_id, endpoint_id, _overlap(request)), secret="secret")


@router.post("/webhook-endpoints/{endpoint_id}/test", status_code=202, summary="Send an endpoint.test message to it")
async def test_endpoint(endpoint_id: str, request: Request, caller: Caller = Depends(company),
                        db: AsyncSession = Depends(session)):
    async def work():
        await credentials.own_endpoint(db, caller.company_id, endpoint_id)
        return {"message_id": await tell_company(db, caller.company_id, "endpoint.test", {
            "endpoint_id": endpoint_id, "company_id": caller.company_id}, endpoint_id=endpoint_id)}

    answer = await idempotent(request, db, caller.company_id, 202, work)
    request.app.state.dispatcher.wake()
    return answer


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", summary="Deliveries to an endpoint, each with its attempts")
async def list_deliveries(endpoint_id: str, status: str | None = Query(None, pattern="^(pending|succeeded|failed)$"),
                          limit: int = Query(50, ge=1, le=500), caller: Caller = Depends(company),
                          db: AsyncSession = Depends(session)):
    await credentials.own_endpoint(db, caller.company_id, endpoint_id)
    query = (select(deliveries, company_messages.c.id.label("message_id"), company_messages.c.type)
             .join(company_messages, company_messages.c.seq == deliveries.c.message_seq)
             .where(deliveries.c.endpoint_id == endpoint_id).order_by(deliveries.c.id.desc()).limit(limit))
    if status:
        query = query.where(deliveries.c.status == status)
    found = (await db.execute(query)).all()
    attempts: dict[int, list] = {}
    if found:
        for a in await db.execute(select(delivery_attempts).where(
                delivery_attempts.c.delivery_id.in_([d.id for d in found])).order_by(delivery_attempts.c.id)):
            attempts.setdefault(a.delivery_id, []).append(
                {"attempt": a.attempt, "at": a.at, "status_code": a.status_code, "duration_ms": a.duration_ms, "error": a.error})
    return {"deliveries": [
        {"id": d.id, "message_id": d.message_id, "type": d.type, "status": d.status, "attempts": attempts.get(d.id, []),
         "next_attempt_at": d.next_attempt_at if d.status == "pending" else None, "finished_at": d.finished_at}
        for d in found]}


@router.post("/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver", status_code=202,
             summary="Send a message again (the same webhook-id), as a new delivery")
async def redeliver(endpoint_id: str, delivery_id: int, request: Request, caller: Caller = Depends(company),
                    db: AsyncSession = Depends(session)):
    async def work():
        await credentials.own_endpoint(db, caller.company_id, endpoint_id)
        seq = await db.scalar(select(deliveries.c.message_seq).where(
            deliveries.c.id == delivery_id, deliveries.c.endpoint_id == endpoint_id))
        if seq is None:
            raise GatewayRefused(404, "delivery_id", f"no delivery {delivery_id} to this endpoint")
        return {"delivery_id": await db.scalar(
            insert(deliveries).values(message_seq=seq, endpoint_id=endpoint_id).returning(deliveries.c.id))}

    answer = await idempotent(request, db, caller.company_id, 202, work)
    request.app.state.dispatcher.wake()
    return answer
