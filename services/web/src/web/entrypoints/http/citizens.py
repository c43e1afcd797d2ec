"""The citizens' pages: the categories, filing, my requests, a request's public page, what is
known at an address. Each route reads the form, calls one API, renders one template."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from web.adapters.apis import Refused
from web.domain.filing import errors_by_input, questions_of, read_filing
from web.domain.sessions import CITIZEN
from web.entrypoints.http.edge import checked_form, form_lists, page, see_other, signed_in

router = APIRouter(include_in_schema=False)


def _apis(request: Request):
    return request.app.state.citizen_requests, request.app.state.notifications


@router.get("/")
async def home(request: Request):
    citizens, _ = _apis(request)
    try:
        categories = await citizens.categories()
    except Refused:
        categories = []
    return page(request, "home.html", categories=categories)


async def _category(citizens, code: str) -> tuple[dict, dict]:
    """A category as the list names it, and its Open311 definition (its questions)."""
    definition = await citizens.definition(code)
    categories = {c["service_code"]: c for c in await citizens.categories()}
    return categories.get(code, {"service_code": code, "service_name": code}), definition


def _no_category(request: Request, refused: Refused):
    return page(request, "message.html", refused.status, title="Категорію не знайдено",
                text=refused.problem.get("detail") or refused.problem.get("title"), link="/")


@router.get("/file/{code}")
async def filing_form(request: Request, code: str):
    signed_in(request, CITIZEN)
    citizens, _ = _apis(request)
    try:
        category, definition = await _category(citizens, code)
    except Refused as refused:
        return _no_category(request, refused)
    # One key per form shown: a resubmitted (or double-clicked) form files once.
    return page(request, "file.html", category=category, questions=questions_of(definition), values={"publish": ["on"]}, errors={},
                idempotency_key=str(uuid.uuid4()))


@router.post("/file/{code}")
async def file_request(request: Request, code: str):
    _, token = signed_in(request, CITIZEN)
    form = form_lists(await checked_form(request))
    citizens, _ = _apis(request)
    try:
        category, definition = await _category(citizens, code)
    except Refused as refused:
        return _no_category(request, refused)
    questions = questions_of(definition)
    filed = read_filing(code, questions, form)
    key = (form.get("idempotency_key") or [""])[0] or str(uuid.uuid4())
    errors = filed.errors
    if not errors:
        try:
            answer = await citizens.file(token, filed.body, key)
        except Refused as refused:
            errors = errors_by_input(refused.problem, in_ukrainian=refused.in_ukrainian)
        else:
            return see_other(f"/my/{answer['service_request_id']}?filed=1")
    return page(request, "file.html", 422, category=category,
                questions=questions, values=form, errors=errors, idempotency_key=key)


@router.get("/my")
async def my_requests(request: Request):
    _, token = signed_in(request, CITIZEN)
    citizens, _ = _apis(request)
    found = await citizens.requests(token)
    return page(request, "my.html", requests=found.get("requests") or found.get("items") or [])


@router.get("/my/{request_id}")
async def my_request(request: Request, request_id: str, filed: bool = False):
    _, token = signed_in(request, CITIZEN)
    citizens, _ = _apis(request)
    try:
        found = await citizens.request(token, request_id)
    except Refused as refused:
        return page(request, "message.html", refused.status, title="Звернення не знайдено",
                    text=refused.problem.get("detail") or "", link="/my")
    return page(request, "request.html", r=found, filed=filed, errors={})


@router.post("/my/{request_id}/comment")
async def comment(request: Request, request_id: str):
    return await _act(request, request_id, "comment", "text")


@router.post("/my/{request_id}/reopen")
async def reopen(request: Request, request_id: str):
    return await _act(request, request_id, "reopen", "reason")


async def _act(request: Request, request_id: str, what: str, field: str):
    _, token = signed_in(request, CITIZEN)
    form = await checked_form(request)
    citizens, _ = _apis(request)
    try:
        await getattr(citizens, what)(token, request_id, str(form.get(field) or "").strip())
    except Refused as refused:
        found = await citizens.request(token, request_id)
        messages = errors_by_input(refused.problem, in_ukrainian=refused.in_ukrainian)
        return page(request, "request.html", 422, r=found, filed=False,
                    errors={what: messages.get(field) or next(iter(messages.values()))})
    return see_other(f"/my/{request_id}")


@router.get("/requests/{request_id}")
async def public_request(request: Request, request_id: str):
    citizens, _ = _apis(request)
    try:
        found = await citizens.public_request(request_id)
    except Refused as refused:
        return page(request, "message.html", 404 if refused.status in (404, 422) else refused.status,
                    title="Звернення не знайдено", text="", link="/")
    return page(request, "public.html", r=found)


@router.get("/at")
async def known_at(request: Request, address: str = "", lat: str = "", long: str = ""):
    _, notifications = _apis(request)
    answer, errors = None, {}
    if address or lat or long:
        try:
            answer = await notifications.known_at(address=address.strip() or None, lat=lat or None, long=long or None)
        except Refused as refused:
            errors = {key.removeprefix("query."): message for key, message in
                      ((str(e.get("field", "")), str(e.get("message", ""))) for e in refused.problem.get("errors") or [])}
            if not errors:
                errors = {"": refused.problem.get("detail") or refused.problem.get("title") or ""}
    return page(request, "at.html", answer=answer, errors=errors, address=address, lat=lat, long=long)


@router.get("/map/requests.geojson")
async def requests_map(request: Request, status: str = "open"):
    """citizen-requests' public GeoJSON, from this origin (the pages' scripts ask no one else)."""
    citizens, _ = _apis(request)
    try:
        found = await citizens.public_map("closed" if status == "closed" else "open")
    except Refused:
        found = {"type": "FeatureCollection", "features": []}
    return JSONResponse(found, media_type="application/geo+json")
