"""Moderation (`/api/v1/moderation`, role `moderator`): the queue, decisions about descriptions,
comments, photos and whole requests, a citizen's creation limit, and the decisions kept. Parse,
call a use case, shape the answer."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.domain.moderation import MAX_OWN_LIMIT, REDACTED_MAX
from citizen_requests.entrypoints.http.answers import CitizenLimit, Decision, ModerationQueue, RequestDecisions, answers
from citizen_requests.use_cases import moderation
from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.inputs import Cursor, Identifier, Int64, Prose, page_size

router = APIRouter(prefix="/api/v1/moderation", tags=["moderation"])
moderator_only = require_role("moderator")

Reason = Prose  # why: kept with the decision, read by staff only


class TextDecision(BaseModel):
    action: Literal["publish", "redact", "hide"]
    reason: Reason = Field(min_length=1, max_length=2000, description="why (staff read it; the public never does)")
    text: Prose | None = Field(default=None, max_length=REDACTED_MAX,
                               description="redact only: the text the public reads instead (no personal data in it)")


class PhotoDecision(BaseModel):
    action: Literal["publish", "hide"]
    reason: Reason = Field(min_length=1, max_length=2000, description="why (staff read it; the public never does)")


class ListingDecision(BaseModel):
    hidden: bool = Field(description="true: no public list or read shows the request (spam, abuse); false: shown again")
    reason: Reason = Field(min_length=1, max_length=2000)


class LimitDecision(BaseModel):
    limit: int | None = Field(ge=0, le=MAX_OWN_LIMIT, description="requests per window; 0: may not file; "
                                                                  "null: the city's limit again")
    reason: Reason = Field(min_length=1, max_length=2000)


@router.get("/queue", responses=answers(ModerationQueue), summary="What waits for a moderator, oldest first (page on with after=the page's next_cursor)")
async def queue(kind: Literal["description", "comment", "photo"] | None = None,
                after: Cursor | None = Query(None, description="the next_cursor of the previous page"),
                limit: page_size(200) = 50,
                who: Principal = Depends(moderator_only), db: AsyncSession = Depends(session)) -> dict:
    return await moderation.queue(db, kind=kind, after=after, limit=limit)


@router.post("/requests/{request_id}/description", responses=answers(Decision), summary="Publish, redact or hide a request's description")
async def moderate_description(request_id: Identifier, body: TextDecision, request: Request,
                               who: Principal = Depends(moderator_only), db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        return await moderation.moderate_description(db, request.app.state.outbox, request_id, body.action,
                                                     reason=body.reason, moderator=who.subject, text=body.text)


@router.post("/requests/{request_id}/listing", responses=answers(Decision),
             summary="Hide a whole request from the public (spam, abuse), or show it again")
async def set_listing(request_id: Identifier, body: ListingDecision, request: Request,
                      who: Principal = Depends(moderator_only), db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        return await moderation.set_listing(db, request.app.state.outbox, request_id, hidden=body.hidden,
                                            reason=body.reason, moderator=who.subject)


@router.get("/requests/{request_id}/decisions", responses=answers(RequestDecisions),
            summary="Every moderation decision about a request, oldest first")
async def decisions(request_id: Identifier, who: Principal = Depends(moderator_only),
                    db: AsyncSession = Depends(session)) -> dict:
    return {"request_id": request_id, "decisions": await moderation.history(db, request_id)}


@router.post("/comments/{comment_id}", responses=answers(Decision), summary="Publish, redact or hide a comment")
async def moderate_comment(comment_id: Int64, body: TextDecision, request: Request,
                           who: Principal = Depends(moderator_only), db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        return await moderation.moderate_comment(db, request.app.state.outbox, comment_id, body.action,
                                                 reason=body.reason, moderator=who.subject, text=body.text)


@router.post("/photos/{photo_id}", responses=answers(Decision),
             summary="Publish or hide a photo of a request (look at it first: GET /api/v1/photos/{id}/1280)")
async def moderate_photo(photo_id: Identifier, body: PhotoDecision, request: Request,
                         who: Principal = Depends(moderator_only), db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        return await moderation.moderate_photo(db, request.app.state.outbox, photo_id, body.action, reason=body.reason,
                                               moderator=who.subject)


@router.put("/citizens/{citizen_id}/limit", responses=answers(Decision),
            summary="Set a citizen's creation limit (0: may not file; null: the city's)")
async def limit_citizen(citizen_id: Identifier, body: LimitDecision, who: Principal = Depends(moderator_only),
                        db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        return await moderation.limit_citizen(db, citizen_id, body.limit, reason=body.reason, moderator=who.subject)


@router.get("/citizens/{citizen_id}/limit", responses=answers(CitizenLimit),
            summary="A citizen's creation limit and the decisions that set it")
async def citizen_limit(citizen_id: Identifier, who: Principal = Depends(moderator_only),
                        db: AsyncSession = Depends(session)) -> dict:
    return await moderation.citizen_decisions(db, citizen_id)
