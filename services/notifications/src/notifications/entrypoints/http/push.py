"""Web Push at the HTTP edge: the application server key a browser subscribes with, and a
citizen's own devices."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.inputs import Identifier, Int64, Text
from notifications.domain.push import ENDPOINT_MAX
from notifications.use_cases import push_subscriptions

router = APIRouter(prefix="/api/v1", tags=["web push"])
CITIZEN = require_role("citizen")


class VapidPublicKey(BaseModel):
    application_server_key: str = Field(description="base64url of the uncompressed P-256 point: "
                                        "`pushManager.subscribe({applicationServerKey})`")


class PushKeys(BaseModel):
    # Sizes checked exactly by the domain (65 and 16 bytes); these bounds stop a megabyte early.
    p256dh: Text = Field(min_length=1, max_length=100)
    auth: Text = Field(min_length=1, max_length=40)


class NewPushSubscription(BaseModel):
    """As the browser's `PushSubscription.toJSON()` gives it."""

    model_config = ConfigDict(extra="ignore")  # a browser may add members; none is kept

    endpoint: Text = Field(min_length=1, max_length=ENDPOINT_MAX)
    expirationTime: Int64 | None = None  # noqa: N815 - the browser's name; not used: a gone one answers 410
    keys: PushKeys


class PushSubscriptionView(BaseModel):
    id: str
    endpoint: str
    created_at: datetime
    disabled_reason: str | None = None
    disabled_at: datetime | None = None


@router.get("/push/vapid-public-key", response_model=VapidPublicKey, summary="The key a browser subscribes with (public)")
async def vapid_public_key(request: Request) -> dict:
    return {"application_server_key": request.app.state.vapid.public_key}


@router.post("/me/push-subscriptions", status_code=201, response_model=PushSubscriptionView,
             summary="Keep this browser's push subscription for me (citizen)")
async def register(body: NewPushSubscription, request: Request, citizen: Principal = Depends(CITIZEN),
                   db: AsyncSession = Depends(session)) -> dict:
    return await push_subscriptions.register(
        db, citizen.subject, endpoint=body.endpoint, p256dh=body.keys.p256dh, auth=body.keys.auth,
        local=request.app.state.settings.mode == "local")


@router.get("/me/push-subscriptions", response_model=list[PushSubscriptionView], summary="My devices (citizen)")
async def mine(citizen: Principal = Depends(CITIZEN), db: AsyncSession = Depends(session)) -> list[dict]:
    return await push_subscriptions.devices_of(db, citizen.subject)


@router.delete("/me/push-subscriptions/{subscription_id}", status_code=204, response_class=Response,
               summary="Forget one of my devices (citizen)")
async def forget(subscription_id: Identifier, citizen: Principal = Depends(CITIZEN),
                 db: AsyncSession = Depends(session)) -> Response:
    await push_subscriptions.forget(db, citizen.subject, subscription_id)
    return Response(status_code=204)
