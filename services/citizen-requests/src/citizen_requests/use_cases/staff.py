"""Use cases of the city staff (role `operator`) who handle requests. Each runs in the caller's
transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters import requests
from citizen_requests.domain.deadlines import extend
from citizen_requests.domain.phrases import Phrase
from citizen_requests.use_cases import photos
from citizen_requests.use_cases.moves import change_status, load, record_public_note
from ecity_common.messaging.outbox import Outbox
from ecity_common.refusals import Invalid, NotFound

__all__ = ["change_status", "delete_request", "extend_deadline", "mark_duplicate"]


async def mark_duplicate(session: AsyncSession, outbox: Outbox, request_id: str, original_id: str, *, actor: str) -> dict:
    if original_id == request_id:
        raise Invalid("original_id", Phrase("not-own-duplicate"))
    original = await requests.find(session, original_id)
    if original is None:
        raise NotFound("request", original_id)
    return await change_status(session, outbox, request_id, "duplicate", actor=actor,
                               note=f"Дублює звернення {original.id}; стежте за ним.", public=True)


async def extend_deadline(session: AsyncSession, outbox: Outbox, request_id: str, until: date, reason: str, *,
                          actor: str) -> dict:
    row = await load(session, request_id)
    new = extend(row.submitted_at, row.expected_datetime, until, reason)
    note = f"Строк розгляду продовжено до {until:%d.%m.%Y}: {reason.strip()}"
    # The citizen is told why: a public entry in the history, and the news (notifications).
    await record_public_note(session, outbox, row, note, actor=actor, expected_datetime=new, now=datetime.now(UTC))
    return {"id": request_id, "expected_datetime": new.isoformat()}


async def delete_request(session: AsyncSession, desk: photos.PhotoDesk, request_id: str) -> None:
    """Staff delete a request (filed by mistake, abusive, a test): its photos (their pictures
    too), comments, history and followers with it."""
    row = await requests.find(session, request_id, for_update=True)
    if row is None:
        raise NotFound("request", request_id)
    await photos.forget(session, desk, request_id=request_id)
    await requests.remove(session, request_id)
