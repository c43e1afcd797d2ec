"""The native API `/api/v1` (JWT bearer). Parse, call a use case, shape the answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, WithJsonSchema
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.idempotency import HEADER as IDEMPOTENCY_KEY
from citizen_requests.adapters.idempotency import Once
from citizen_requests.domain.deadlines import overdue
from citizen_requests.domain.phrases import Phrase
from citizen_requests.domain.publication import offered_duplicate
from citizen_requests.domain.requests import Location
from citizen_requests.entrypoints.http.answers import Comment, Extended, Moved, answers
from citizen_requests.use_cases import citizens, filing, staff
from citizen_requests.use_cases.filing import json_time
from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.inputs import PROSE_PATTERN, Cursor, Identifier, Offset, Prose, Text, page_size
from ecity_common.web.idempotency import StoredAnswer
from ecity_common.web.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["citizen requests"])


# An answer to a category's attribute. Its rule (no control character but tab and line breaks) is
# shown here and kept by the domain, for this API and Open311 alike, naming the field attributes.<code>
# (Open311's edge names it attribute[<code>], its form field).
Answer = Annotated[str, WithJsonSchema({"type": "string", "pattern": PROSE_PATTERN, "maxLength": 4000})]


class NewRequest(BaseModel):
    service_code: Text = Field(min_length=1, max_length=64, examples=["water_leak"])
    description: Prose = Field(default="", max_length=4000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    address: Text | None = Field(default=None, max_length=500)
    attributes: dict[str, Answer | list[Answer]] = Field(default_factory=dict,
                                                         description="answers to the category's attributes")
    publish: bool = Field(default=True, description="false: never publish the description (the request is still "
                                                    "listed anonymised: category, status, a rounded place)")
    photo_ids: list[Identifier] = Field(default_factory=list, max_length=5,
                                        description="photos uploaded first (POST /api/v1/photos), at most 5")


class RequestView(BaseModel):
    service_request_id: str
    service_code: str
    description: str
    description_publication: str = Field(description="published, pending (waits for staff: it may hold personal "
                                                     "data), private (not to be published) or hidden")
    status: str
    status_notes: str | None = None
    agency_responsible: str | None
    lat: float | None
    long: float | None
    address: str | None
    attributes: dict = Field(default_factory=dict)
    requested_datetime: datetime
    expected_datetime: datetime | None = None
    overdue: bool = False
    history: list[dict] = Field(default_factory=list)
    comments: list[dict] = Field(default_factory=list)
    photos: list[dict] = Field(default_factory=list, description="the request's photos, each with its publication state")
    outage_id: str | None = Field(default=None, description="the utility outage this request was filed in")
    dispatch_flag: str | None = Field(default=None, description="why the city's dispatcher must route it by hand")


class RequestList(BaseModel):  # (documents GET /requests; the route returns its dict)
    requests: list[RequestView]
    limit: int
    offset: int
    next_cursor: str | None


def _view(row, history: list[dict] | None = None, *, staff: bool = False) -> RequestView:
    return RequestView(
        service_request_id=row.id,
        service_code=row.service_code,
        description=row.description,
        description_publication=row.description_publication,
        status=row.status,
        status_notes=row.status_notes,
        agency_responsible=row.agency_responsible,
        lat=row.lat,
        long=row.long,
        address=row.address,
        attributes=row.attributes or {},
        requested_datetime=row.submitted_at,
        expected_datetime=row.expected_datetime,
        overdue=overdue(row.expected_datetime, datetime.now(UTC), status=row.status),
        history=history or [],
        comments=[],  # (passed: pydantic inspects a default factory's signature on every use)
        photos=[],
        outage_id=getattr(row, "outage_id", None),
        dispatch_flag=getattr(row, "dispatch_flag", None) if staff else None,  # internal: why it needs routing
    )


def filed_view(stored: dict) -> dict:
    """A request just filed, as `_view(...).model_dump(mode="json")` gives it (tested), from the
    row as written: building and dumping the model took a twentieth of a filing."""
    expected = stored["expected_datetime"]
    return {
        "service_request_id": stored["id"], "service_code": stored["service_code"],
        "description": stored["description"], "description_publication": stored["description_publication"],
        "status": stored["status"], "status_notes": stored["status_notes"],
        "agency_responsible": None, "lat": stored["lat"], "long": stored["long"], "address": stored["address"],
        "attributes": stored["attributes"] or {}, "requested_datetime": json_time(stored["submitted_at"]),
        "expected_datetime": json_time(expected),
        "overdue": overdue(expected, datetime.now(UTC), status=stored["status"]),
        "history": [], "comments": [], "photos": [], "outage_id": stored["outage_id"], "dispatch_flag": None,
    }


@router.post("/requests", status_code=201, response_model=RequestView, responses={429: {}}, summary="File a request (Idempotency-Key honoured)")
async def create_request(body: NewRequest, request: Request, citizen: Principal = Depends(require_role("citizen"))):
    if (body.lat is None) != (body.long is None):
        missing = "long" if body.long is None else "lat"
        raise Problem("validation-error", Phrase("coordinate-required", missing=missing),
                      errors=[{"field": missing, "message": Phrase("both-coordinates")}])
    located = body.lat is not None

    def shaped(filed) -> dict:
        view = filed_view(filed.stored)
        if located:  # offered, so the citizen may subscribe to one instead (as public as the rest)
            view["possible_duplicates"] = [offered_duplicate(d, filed.category) for d in filed.possible_duplicates]
        if body.photo_ids:
            view["photos"] = [{"photo_id": p, "publication": "pending"} for p in body.photo_ids]
        return view

    new = filing.NewRequest(
        category_code=body.service_code, description=body.description,
        location=Location(body.lat, body.long) if located else None, address=body.address,
        answers={k: v if isinstance(v, list) else [v] for k, v in body.attributes.items()}, publish=body.publish,
        photo_ids=tuple(body.photo_ids))
    # With a key, the first answer is kept (the citizen's own keys) and a retry gets it again.
    once = Once(request, citizen.subject, 201) if IDEMPOTENCY_KEY in request.headers else None
    answer = await filing.file_request(request.app.state.filing, new, filer=filing.Filer(citizen.subject), once=once,
                                       shape=shaped)
    if isinstance(answer, StoredAnswer):
        return JSONResponse(answer.body, status_code=answer.status)
    # orjson: json.dumps took a tenth of the endpoint's time.
    return Response(orjson.dumps(answer), status_code=201, media_type="application/json")


@router.get("/requests", responses=answers(RequestList), summary="My requests (citizen); every request, with triage filters (operator)")
async def list_requests(
    status: Text | None = Query(None, max_length=32),
    needs_dispatcher: bool = Query(False, description="operator: only requests no company took"),
    limit: page_size(500) = 50,
    offset: Offset = 0,
    after: Cursor | None = Query(None, description="the next_cursor of the previous page: pages past any offset"),
    who: Principal = Depends(require_role("citizen", "operator")),
    db: AsyncSession = Depends(session),
):
    rows, next_cursor = await citizens.list_requests(db, reader=who.subject, staff=who.has("operator"), status=status,
                                                     needs_dispatcher=needs_dispatcher, limit=limit, offset=offset,
                                                     after=after)
    return {"requests": [_view(r, staff=who.has("operator")).model_dump(mode="json") for r in rows],
            "limit": limit, "offset": offset, "next_cursor": next_cursor}


@router.get("/requests/{request_id}", response_model=RequestView, summary="Read one of my requests")
async def read_request(
    request_id: Identifier,
    citizen: Principal = Depends(require_role("citizen", "operator")),
    db: AsyncSession = Depends(session),
) -> RequestView:
    row, history, comments, attached = await citizens.read(db, request_id, reader=citizen.subject,
                                                           staff=citizen.has("operator"))
    view = _view(row, history, staff=citizen.has("operator"))
    view.comments = comments
    view.photos = attached
    return view


class StatusChange(BaseModel):
    status: Text = Field(max_length=32, examples=["in_progress"])
    note: Prose | None = Field(default=None, max_length=2000)
    public: bool = True
    agency_responsible: Text | None = Field(default=None, max_length=200)


class DuplicateOf(BaseModel):
    original_id: Identifier = Field(max_length=64)


class Extension(BaseModel):
    until: date
    reason: Prose = Field(min_length=1, max_length=2000)


class Reopen(BaseModel):
    reason: Prose = Field(min_length=1, max_length=2000)


@router.post("/requests/{request_id}/status", responses=answers(Moved), summary="Move a request in its workflow (role operator)")
async def set_status(request_id: Identifier, body: StatusChange, request: Request,
                     operator: Principal = Depends(require_role("operator")), db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        return await staff.change_status(db, request.app.state.outbox, request_id, body.status, actor=operator.subject,
                                         note=body.note, public=body.public, agency_responsible=body.agency_responsible)


@router.post("/requests/{request_id}/duplicate-of", responses=answers(Moved), summary="Mark a request as a duplicate of another (role operator)")
async def duplicate_of(request_id: Identifier, body: DuplicateOf, request: Request,
                       operator: Principal = Depends(require_role("operator")), db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        return await staff.mark_duplicate(db, request.app.state.outbox, request_id, body.original_id, actor=operator.subject)


@router.post("/requests/{request_id}/extend", responses=answers(Extended), summary="Extend the answer deadline with a reason (role operator; ≤ 45 days in total)")
async def extend_deadline(request_id: Identifier, body: Extension, request: Request,
                          operator: Principal = Depends(require_role("operator")), db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        return await staff.extend_deadline(db, request.app.state.outbox, request_id, body.until, body.reason, actor=operator.subject)


@router.post("/requests/{request_id}/reopen", responses=answers(Moved), summary="Reopen my resolved request (role citizen)")
async def reopen(request_id: Identifier, body: Reopen, request: Request, citizen: Principal = Depends(require_role("citizen")),
                 db: AsyncSession = Depends(session)) -> dict:
    window = timedelta(days=request.app.state.settings.reopen_window_days)
    async with db.begin():
        return await citizens.reopen(db, request.app.state.outbox, request_id, citizen=citizen.subject, reason=body.reason,
                                     window=window)


class CommentIn(BaseModel):
    text: Prose = Field(min_length=1, max_length=2000)
    photo_ids: list[Identifier] = Field(default_factory=list, max_length=5,
                                        description="photos uploaded first (POST /api/v1/photos), at most 5")


@router.post("/requests/{request_id}/subscribe", status_code=204, summary="Follow someone else's request (role citizen)")
async def subscribe(request_id: Identifier, request: Request, citizen: Principal = Depends(require_role("citizen")),
                    db: AsyncSession = Depends(session)):
    async with db.begin():
        await citizens.follow(db, request.app.state.outbox, request_id, citizen=citizen.subject)
    return JSONResponse(None, status_code=204)


@router.delete("/requests/{request_id}/subscribe", status_code=204, summary="Stop following a request (role citizen)")
async def unsubscribe(request_id: Identifier, request: Request, citizen: Principal = Depends(require_role("citizen")),
                      db: AsyncSession = Depends(session)):
    async with db.begin():
        await citizens.unfollow(db, request.app.state.outbox, request_id, citizen=citizen.subject)
    return JSONResponse(None, status_code=204)


@router.post("/requests/{request_id}/comments", status_code=201, responses=answers(Comment, 201), summary="Comment on my request (citizen) or any (operator)")
async def comment(request_id: Identifier, body: CommentIn, request: Request,
                  who: Principal = Depends(require_role("citizen", "operator")), db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        added = await citizens.comment(db, request.app.state.outbox, request_id, body.text, author=who.subject,
                                       staff=who.has("operator"), once=Once(request, who.subject, 201),
                                       photo_ids=body.photo_ids)
    if isinstance(added, StoredAnswer):
        return JSONResponse(added.body, status_code=added.status)  # a retry: the first answer
    return added


@router.delete("/requests/{request_id}", status_code=204,
               summary="Delete a request with its photos, comments and history (role operator)")
async def delete_request(request_id: Identifier, request: Request, operator: Principal = Depends(require_role("operator")),
                         db: AsyncSession = Depends(session)):
    async with db.begin():
        await staff.delete_request(db, request.app.state.photos, request_id)
    return JSONResponse(None, status_code=204)


@router.delete("/me/data", status_code=204, summary="Erase my photos and my contact details on my requests (role citizen)")
async def erase_my_data(request: Request, citizen: Principal = Depends(require_role("citizen")),
                        db: AsyncSession = Depends(session)):
    async with db.begin():
        await citizens.erase(db, request.app.state.photos, citizen=citizen.subject)
    return JSONResponse(None, status_code=204)
