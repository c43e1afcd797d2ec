"""A citizen's addresses and consent, one-click unsubscribe (RFC 8058), and "everything you hold
about me". Parse, call a use case (use_cases/contacts.py), shape the answer.

The two link routes are anonymous: the signed token in the link is the credential (a citizen opens
it from their mailbox, a mail client posts to it). Their answer is a small page for a browser and
JSON for anything else."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.inputs import Identifier, Text
from ecity_common.refusals import Invalid
from notifications.domain.phrases import Phrase
from notifications.entrypoints.http.answers import Erased, MyData, answers
from notifications.use_cases import contacts

router = APIRouter(prefix="/api/v1", tags=["contacts and consent"])

Token = Query(min_length=3, max_length=2000, pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
              description="the signed token of the link in the e-mail (domain/links.py)")
ONE_CLICK = "One-Click"


class EmailAddress(BaseModel):
    address: Text = Field(min_length=3, max_length=254, examples=["ivan.petrenko@example.org"])


class ContactView(BaseModel):
    channel: str
    address: str
    confirmed: bool
    confirmed_at: datetime | None = None
    disabled_reason: str | None = None
    disabled_at: datetime | None = None


def _answer(request: Request, view: dict, page_text: str, status: int = 200) -> Response:
    if "text/html" in request.headers.get("accept", ""):
        page = (f'<!doctype html><html lang="uk"><head><meta charset="utf-8"><title>Сумський e-City</title></head>'
                f"<body><p>{html.escape(page_text)}</p></body></html>")
        return HTMLResponse(page, status_code=status, headers={"Vary": "Accept"})
    return JSONResponse(ContactView(**view).model_dump(mode="json"), status_code=status, headers={"Vary": "Accept"})


@router.put("/me/contacts/email", status_code=202, response_model=ContactView, responses={429: {"description": "too many confirmation mails this hour"}},
            summary="Give my e-mail address; a confirmation link is mailed to it (role citizen)")
async def give_email(body: EmailAddress, request: Request, citizen: Principal = Depends(require_role("citizen")),
                     db: AsyncSession = Depends(session)):
    settings = request.app.state.settings
    async with db.begin():
        view = await contacts.give_email(db, citizen.subject, body.address, links=request.app.state.links,
                                         now=datetime.now(UTC), message_id_domain=settings.message_id_domain,
                                         per_hour=settings.confirmations_per_hour)
    # 200: already confirmed, nothing mailed; 202: a confirmation link is on its way.
    return JSONResponse(ContactView(**view).model_dump(mode="json"), status_code=200 if view["confirmed"] else 202)


@router.delete("/me/contacts/email", status_code=204, responses={404: {"description": "no address given"}}, summary="Remove my e-mail address (role citizen)")
async def remove_email(citizen: Principal = Depends(require_role("citizen")), db: AsyncSession = Depends(session)):
    async with db.begin():
        await contacts.remove_email(db, citizen.subject)
    return Response(status_code=204)


@router.get("/contacts/confirm", response_model=ContactView, summary="Confirm an address by the link mailed to it (anyone with the link)")
async def confirm(request: Request, token: str = Token, db: AsyncSession = Depends(session)):
    async with db.begin():
        view = await contacts.confirm(db, token, links=request.app.state.links, now=datetime.now(UTC))
    return _answer(request, view, f"Адресу {view['address']} підтверджено: сповіщення надходитимуть на неї.")


@router.get("/unsubscribe", response_model=ContactView,
            summary="What the one-click unsubscribe link would stop; changes nothing (anyone with the link)")
async def unsubscribe_page(request: Request, token: str = Token):
    # A GET changes nothing: link scanners and previews open links (RFC 8058 section 3.2).
    claim = await contacts.unsubscribe_preview(token, links=request.app.state.links, now=datetime.now(UTC))
    view = {"channel": claim.channel, "address": claim.address, "confirmed": False}
    if "text/html" in request.headers.get("accept", ""):
        form = (f'<form method="post"><input type="hidden" name="List-Unsubscribe" value="{ONE_CLICK}">'
                f'<button type="submit">Відписатися</button></form>')
        page = (f'<!doctype html><html lang="uk"><head><meta charset="utf-8"><title>Сумський e-City</title></head>'
                f"<body><p>Більше не надсилати сповіщень на {html.escape(claim.address)}?</p>{form}</body></html>")
        return HTMLResponse(page, headers={"Vary": "Accept"})
    return JSONResponse(ContactView(**view).model_dump(mode="json"), headers={"Vary": "Accept"})


@router.post("/unsubscribe", response_model=ContactView,
             summary="One-click unsubscribe, RFC 8058: body List-Unsubscribe=One-Click (anyone with the link)",
             openapi_extra={"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                 "schema": {"type": "object", "required": ["List-Unsubscribe"],
                            "properties": {"List-Unsubscribe": {"type": "string", "enum": [ONE_CLICK]}}}}}}})
async def unsubscribe(request: Request, token: str = Token, db: AsyncSession = Depends(session)):
    if _one_click(request.headers.get("content-type", ""), await request.body()) != ONE_CLICK:
        raise Invalid("List-Unsubscribe", Phrase("one-click-body", one_click=ONE_CLICK))
    async with db.begin():
        view = await contacts.unsubscribe(db, token, links=request.app.state.links, now=datetime.now(UTC))
    return _answer(request, view, f"Адресу {view['address']} відписано: сповіщень на неї більше не буде.")


def _one_click(content_type: str, body: bytes) -> str | None:
    """The List-Unsubscribe value of the POST body: form-urlencoded, or multipart/form-data, which
    RFC 8058 allows as well."""
    if content_type.startswith("multipart/form-data"):
        form = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        for part in form.iter_parts() if form.is_multipart() else ():
            if part.get_param("name", header="content-disposition") == "List-Unsubscribe":
                return part.get_content().strip()
        return None
    try:
        values = parse_qs(body.decode("ascii"), strict_parsing=False).get("List-Unsubscribe", [])
    except UnicodeDecodeError:
        return None
    return values[0] if len(values) == 1 else None


@router.post("/me/subscriptions/{request_id}/opt-out", status_code=204,
             summary="Stop hearing of a request I filed or follow (role citizen)")
async def opt_out(request_id: Identifier, citizen: Principal = Depends(require_role("citizen")),
                  db: AsyncSession = Depends(session)):
    async with db.begin():
        await contacts.opt_out(db, citizen.subject, request_id, now=datetime.now(UTC))
    return Response(status_code=204)


@router.post("/me/subscriptions/{request_id}/opt-in", status_code=204,
             summary="Hear of a request's news again (role citizen)")
async def opt_in(request_id: Identifier, citizen: Principal = Depends(require_role("citizen")),
                 db: AsyncSession = Depends(session)):
    async with db.begin():
        await contacts.opt_in(db, citizen.subject, request_id)
    return Response(status_code=204)


@router.get("/me/data", responses=answers(MyData), summary="Everything the service holds about me (role citizen)")
async def my_data(citizen: Principal = Depends(require_role("citizen")), db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        return await contacts.my_data(db, citizen.subject)


@router.delete("/me/data", responses=answers(Erased), summary="Erase everything the service holds about me (role citizen)")
async def erase_my_data(citizen: Principal = Depends(require_role("citizen")), db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        return await contacts.erase_my_data(db, citizen.subject)
