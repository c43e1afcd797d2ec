"""The operators' pages: the requests with citizen-requests' triage filters, and a request's page
with a status change (a public note the citizen reads, or an internal one)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from web.adapters.apis import Refused
from web.domain.filing import errors_by_input
from web.domain.sessions import OPERATOR
from web.domain.words import NEXT_STATUSES, STATUSES
from web.entrypoints.http.edge import checked_form, page, see_other, signed_in

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("")
async def requests(request: Request, status: str = "", needs_dispatcher: bool = False):
    _, token = signed_in(request, OPERATOR)
    citizens = request.app.state.citizen_requests
    errors = {}
    try:
        found = await citizens.requests(token, status=status or None, needs_dispatcher=needs_dispatcher, limit=100)
    except Refused as refused:
        found, errors = {}, errors_by_input(refused.problem, in_ukrainian=refused.in_ukrainian)
    template = "staff_rows.html" if request.headers.get("hx-request") else "staff.html"
    return page(request, template, requests=found.get("requests") or found.get("items") or [],
                status=status, needs_dispatcher=needs_dispatcher, statuses=STATUSES, errors=errors)


@router.get("/{request_id}")
async def one(request: Request, request_id: str):
    _, token = signed_in(request, OPERATOR)
    return await _request_page(request, token, request_id, {})


async def _request_page(request: Request, token: str, request_id: str, errors: dict, status_code: int = 200):
    try:
        found = await request.app.state.citizen_requests.request(token, request_id)
    except Refused as refused:
        return page(request, "message.html", refused.status, title="Звернення не знайдено",
                    text=refused.problem.get("detail") or "", link="/staff")
    return page(request, "staff_request.html", status_code, r=found, next_statuses=NEXT_STATUSES.get(found["status"], ()),
                errors=errors)


@router.post("/{request_id}/status")
async def change_status(request: Request, request_id: str):
    _, token = signed_in(request, OPERATOR)
    form = await checked_form(request)
    note = str(form.get("note") or "").strip()
    body = {"status": str(form.get("status") or ""), "note": note or None, "public": form.get("public") == "on"}
    try:
        await request.app.state.citizen_requests.change_status(token, request_id, body)
    except Refused as refused:
        return await _request_page(request, token, request_id, errors_by_input(refused.problem, in_ukrainian=refused.in_ukrainian) | {
            "status": refused.problem.get("detail") or refused.problem.get("title") or ""}, 422)
    return see_other(f"/staff/{request_id}")
