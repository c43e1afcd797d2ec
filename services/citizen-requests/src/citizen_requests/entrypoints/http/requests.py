"""The native API `/api/v1` (JWT bearer). Parse, call a use case, shape the answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.filing_desk import DeskClosed
from citizen_requests.adapters.tables import idempotency_keys
from citizen_requests.domain.deadlines import overdue
from citizen_requests.domain.requests import Location, RequestRejected
from citizen_requests.domain.workflow import OPEN
from citizen_requests.use_cases import filing as service
from citizen_requests.use_cases import staff as handling
from citizen_requests.use_cases.filing import json_time
from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.web import idempotency
from ecity_common.web.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["citizen requests"])


class NewRequest(BaseModel):
    service_code: str = Field(min_length=1, max_length=64, examples=["water_leak"])
    description: str = Field(default="", max_length=4000)
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    address: str | None = Field(default=None, max_length=500)
    attributes: dict[str, str | list[str]] = Field(default_factory=dict, description="answers to the category's attributes")


class RequestView(BaseModel):
    service_request_id: str
    service_code: str
    description: str
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
    outage_id: str | None = Field(default=None, description="the utility outage this request was filed in")
    dispatch_flag: str | None = Field(default=None, description="why the city's dispatcher must route it by hand")


def _view(row, history: list[dict] | None = None, *, staff: bool = False) -> RequestView:
    answered = row.status not in OPEN
    return RequestView(
        service_request_id=row.id,
        service_code=row.service_code,
        description=row.description,
        status=row.status,
        status_notes=row.status_notes,
        agency_responsible=row.agency_responsible,
        lat=row.lat,
        long=row.long,
        address=row.address,
        attributes=row.attributes or {},
        requested_datetime=row.submitted_at,
        expected_datetime=row.expected_datetime,
        overdue=bool(row.expected_datetime) and not answered and overdue(row.expected_datetime, None, datetime.now(UTC)),
        history=history or [],
        comments=[],  # (passed: pydantic inspects a default factory's signature on every use)
        outage_id=getattr(row, "outage_id", None),
        dispatch_flag=getattr(row, "dispatch_flag", None) if staff else None,  # internal: why it needs routing
    )


def filed_view(stored: dict) -> dict:
    """A request just filed, as `_view(...).model_dump(mode="json")` gives it (tested), from the
    row as written: building and dumping the model took a twentieth of a filing."""
    expected = stored["expected_datetime"]
    return {
        "service_request_id": stored["id"], "service_code": stored["service_code"],
        "description": stored["description"], "status": stored["status"], "status_notes": stored["status_notes"],
        "agency_responsible": None, "lat": stored["lat"], "long": stored["long"], "address": stored["address"],
        "attributes": stored["attributes"] or {}, "requested_datetime": json_time(stored["submitted_at"]),
        "expected_datetime": json_time(expected),
        "overdue": bool(expected) and stored["status"] in OPEN and overdue(expected, None, datetime.now(UTC)),
        "history": [], "comments": [], "outage_id": stored["outage_id"], "dispatch_flag": None,
    }


@router.post("/requests", status_code=201, response_model=RequestView, summary="File a request (Idempotency-Key honoured)")
async def create_request(body: NewRequest, request: Request, citizen: Principal = Depends(require_role("citizen"))):
    if (body.lat is None) != (body.long is None):
        missing = "long" if body.long is None else "lat"
        raise Problem(422, "Invalid request", f"{missing} is required with the other coordinate",
                      type_="validation-error", errors=[{"field": missing, "message": "give both lat and long"}])
    app = request.app
    settings = app.state.settings

    def shaped(filed) -> dict:
        view = filed_view(filed.stored)
        if body.lat is not None:  # offered, so the citizen may subscribe to one instead
            view["possible_duplicates"] = filed.possible_duplicates
        return view

    try:
        what = dict(
            catalogue=app.state.catalogue.current,
            category_code=body.service_code,
            description=body.description,
            citizen_id=citizen.subject,
            location=Location(body.lat, body.long) if body.lat is not None else None,
            address=body.address,
            answers={k: v if isinstance(v, list) else [v] for k, v in body.attributes.items()},
        )
        if idempotency.HEADER in request.headers:
            async with app.state.sessions() as db, db.begin():  # the key and the request commit together, or neither
                key, stored = await idempotency.claim(db, idempotency_keys, request, citizen.subject)
                if stored is not None:
                    return JSONResponse(stored.body, status_code=stored.status)  # a retry: the first answer
                view = shaped(await service.submit_request(
                    db, app.state.outbox, limit=settings.create_limit_per_citizen,
                    window_s=settings.create_limit_window_s, **what))
                await idempotency.remember(db, idempotency_keys, citizen.subject, key, 201, view)
        else:
            # Nothing to keep beside it: the filing desk writes it with the others filed now.
            filing = await service.prepare_filing(app.state.sessions, app.state.outbox, **what)  # a session only for outages
            view = shaped(service.finish(filing, await app.state.filing_desk.file(filing)))
    except RequestRejected as exc:
        raise Problem(422, "Invalid request", exc.message, type_="validation-error",
                      errors=[{"field": exc.field, "message": exc.message}]) from exc
    except service.CreationLimitReached:
        raise Problem(429, "Too many requests", f"at most {settings.create_limit_per_citizen} requests per "
                      f"{settings.create_limit_window_s // 60} minutes",
                      headers={"Retry-After": str(settings.create_limit_window_s)}) from None
    except DeskClosed:
        raise Problem(503, "Service stopping", "the service is restarting; file the request again",
                      headers={"Retry-After": "1"}) from None
    # orjson: json.dumps took a tenth of the endpoint's time.
    return Response(orjson.dumps(view), status_code=201, media_type="application/json")


@router.get("/requests", summary="My requests (citizen); every request, with triage filters (operator)")
async def list_requests(
    status: str | None = Query(None, max_length=32),
    needs_dispatcher: bool = Query(False, description="operator: only requests no company took"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=100_000),
    who: Principal = Depends(require_role("citizen", "operator")),
    db: AsyncSession = Depends(session),
):
    rows = await service.list_requests(
        db, citizen_id=None if who.has("operator") else who.subject, status=status,
        needs_dispatcher=needs_dispatcher and who.has("operator"), limit=limit, offset=offset)
    return {"requests": [_view(r, staff=who.has("operator")).model_dump(mode="json") for r in rows],
            "limit": limit, "offset": offset}


@router.get("/requests/{request_id}", response_model=RequestView, summary="Read one of my requests")
async def read_request(
    request_id: str,
    citizen: Principal = Depends(require_role("citizen", "operator")),
    db: AsyncSession = Depends(session),
) -> RequestView:
    row = await service.find_request(db, request_id)
    # A citizen sees only their own requests; a stranger's id is simply not found.
    if row is None or (not citizen.has("operator") and row.citizen_id != citizen.subject):
        raise Problem(404, "Not found", f"no request {request_id}")
    # Staff see internal notes and who did what; a citizen sees the public history.
    view = _view(row, await handling.history(db, request_id, public_only=not citizen.has("operator")),
                 staff=citizen.has("operator"))
    view.comments = await handling.comments_of(db, request_id)
    return view


class StatusChange(BaseModel):
    status: str = Field(examples=["in_progress"])
    note: str | None = Field(default=None, max_length=2000)
    public: bool = True
    agency_responsible: str | None = Field(default=None, max_length=200)


class DuplicateOf(BaseModel):
    original_id: str = Field(min_length=1, max_length=64)


class Extension(BaseModel):
    until: date
    reason: str = Field(min_length=1, max_length=2000)


class Reopen(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


async def _handle(db: AsyncSession, work):
    try:
        async with db.begin():
            return await work()
    except handling.HandlingRefused as exc:
        title = {404: "Not found", 409: "Not allowed now", 422: "Invalid request"}[exc.status]
        raise Problem(exc.status, title, exc.message, errors=[{"field": exc.field, "message": exc.message}]) from exc


@router.post("/requests/{request_id}/status", summary="Move a request in its workflow (role operator)")
async def set_status(request_id: str, body: StatusChange, request: Request, staff: Principal = Depends(require_role("operator")),
                     db: AsyncSession = Depends(session)) -> dict:
    return await _handle(db, lambda: handling.change_status(
        db, request.app.state.outbox, request_id, body.status, actor=staff.subject, note=body.note, public=body.public,
        agency_responsible=body.agency_responsible))


@router.post("/requests/{request_id}/duplicate-of", summary="Mark a request as a duplicate of another (role operator)")
async def duplicate_of(request_id: str, body: DuplicateOf, request: Request, staff: Principal = Depends(require_role("operator")),
                       db: AsyncSession = Depends(session)) -> dict:
    return await _handle(db, lambda: handling.mark_duplicate(db, request.app.state.outbox, request_id, body.original_id, actor=staff.subject))


@router.post("/requests/{request_id}/extend", summary="Extend the answer deadline with a reason (role operator; ≤ 45 days in total)")
async def extend_deadline(request_id: str, body: Extension, staff: Principal = Depends(require_role("operator")),
                          db: AsyncSession = Depends(session)) -> dict:
    return await _handle(db, lambda: handling.extend_deadline(db, request_id, body.until, body.reason, actor=staff.subject))


@router.post("/requests/{request_id}/reopen", summary="Reopen my resolved request (role citizen)")
async def reopen(request_id: str, body: Reopen, request: Request, citizen: Principal = Depends(require_role("citizen")),
                 db: AsyncSession = Depends(session)) -> dict:
    window = timedelta(days=request.app.state.settings.reopen_window_days)
    return await _handle(db, lambda: handling.reopen(db, request.app.state.outbox, request_id, citizen=citizen.subject,
                                                     reason=body.reason, window=window))


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


@router.post("/requests/{request_id}/subscribe", status_code=204, summary="Follow someone else's request (role citizen)")
async def subscribe(request_id: str, citizen: Principal = Depends(require_role("citizen")), db: AsyncSession = Depends(session)):
    from sqlalchemy.dialects.postgresql import insert

    from citizen_requests.adapters.tables import subscriptions

    async with db.begin():
        if await service.find_request(db, request_id) is None:
            raise Problem(404, "Not found", f"no request {request_id}")
        await db.execute(insert(subscriptions).values(request_id=request_id, citizen_id=citizen.subject).on_conflict_do_nothing())
    return JSONResponse(None, status_code=204)


@router.post("/requests/{request_id}/comments", status_code=201, summary="Comment on my request (citizen) or any (operator)")
async def comment(request_id: str, body: CommentIn, request: Request,
                  who: Principal = Depends(require_role("citizen", "operator")), db: AsyncSession = Depends(session)) -> dict:
    if "\x00" in body.text:
        raise Problem(422, "Invalid request", "control characters are not allowed",
                      errors=[{"field": "text", "message": "control characters are not allowed"}])
    if "<" in body.text and ">" in body.text:
        raise Problem(422, "Invalid request", "HTML is not allowed", errors=[{"field": "text", "message": "HTML is not allowed"}])
    async with db.begin():
        key, stored = await idempotency.claim(db, idempotency_keys, request, who.subject)
        if stored is not None:
            return JSONResponse(stored.body, status_code=stored.status)  # a retry: the first answer
        row = await service.find_request(db, request_id)
        if row is None or (not who.has("operator") and row.citizen_id != who.subject):
            raise Problem(404, "Not found", f"no request {request_id}")
        added = await handling.add_comment(db, request.app.state.outbox, row, who.subject, who.has("operator"), body.text)
        await idempotency.remember(db, idempotency_keys, who.subject, key, 201, added)
        return added
