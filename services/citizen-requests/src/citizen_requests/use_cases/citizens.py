"""What a citizen does with a request once it is filed: read it, follow someone else's, comment
(staff comment the same way), reopen it. Each runs in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters import requests
from citizen_requests.adapters.idempotency import Once
from citizen_requests.domain.pages import next_cursor, position
from citizen_requests.domain.phrases import Phrase
from citizen_requests.domain.publication import PENDING, REOPENED_NOTE, comment_at_writing, mask, published
from citizen_requests.domain.workflow import can_reopen
from citizen_requests.use_cases import photos
from citizen_requests.use_cases.moves import load, record_move
from ecity_common.events.payloads.citizen_requests import (
    CitizenRequestCommented,
    CitizenRequestSubscribed,
    CitizenRequestUnsubscribed,
)
from ecity_common.inputs import unwritable
from ecity_common.messaging.outbox import Outbox
from ecity_common.refusals import Conflict, Invalid, NotFound
from ecity_common.web.idempotency import StoredAnswer


async def visible(session: AsyncSession, request_id: str, *, reader: str, staff: bool):
    """The request as its reader may see it: a citizen sees only their own (a stranger's id is
    simply not found), staff every one."""
    row = await requests.find(session, request_id)
    if row is None or (not staff and row.citizen_id != reader):
        raise NotFound("request", request_id)
    return row


async def read(session: AsyncSession, request_id: str, *, reader: str, staff: bool) -> tuple:
    """The request, its history and its comments. Staff see internal notes and who did what; a
    citizen sees the public history."""
    row = await visible(session, request_id, reader=reader, staff=staff)
    entries = await requests.history(session, request_id, public_only=False)
    # A citizen sees the public history and their own entries (the reason they gave for reopening).
    history = [{"at": r.at.isoformat(), "actor": r.actor if staff else None, "from": r.from_status, "to": r.to_status,
                "note": r.note, "public": r.public, "photos": r.photos or []}
               for r in entries if staff or r.public or r.actor == reader]
    attached = await photos.of_request(session, request_id, staff=staff)
    comments = [{"comment_id": r.id, "by_staff": r.staff, "text": r.text, "at": r.at.isoformat(),
                 "publication": r.publication, "photos": [p for p in attached if p["comment_id"] == r.id]}
                for r in await requests.comments_of(session, request_id)]
    return row, history, comments, [p for p in attached if p["comment_id"] is None]


async def list_requests(session: AsyncSession, *, reader: str, staff: bool, status: str | None, needs_dispatcher: bool,
                        limit: int, offset: int, after: tuple | None = None) -> tuple[list, str | None]:
    """A citizen's own requests; for staff every request, and the triage filter for the dispatcher.
    With the cursor of the next page (`after` a cursor: past any offset), or None on the last."""
    rows = await requests.list_for(session, citizen_id=None if staff else reader, status=status,
                                   needs_dispatcher=needs_dispatcher and staff, limit=limit, offset=offset,
                                   after=position(after))
    return rows, next_cursor(rows, limit)


async def follow(session: AsyncSession, outbox: Outbox, request_id: str, *, citizen: str) -> None:
    """Follow a request: a published one, or one's own. This door stays here although
    notifications keeps who follows what (issue 17): only this service knows whether the request
    exists and whether this citizen may see it. The event tells notifications, in this transaction."""
    row = await requests.find(session, request_id)
    if row is None or not (published(row.channel) or row.citizen_id == citizen):
        raise NotFound("request", request_id)  # an unpublished one is not found, as for its reader
    now = datetime.now(UTC)
    # Kept here too until notifications' carry-over has run everywhere (services/notifications/README.md).
    if await requests.follow(session, request_id, citizen, now):
        await outbox.add(session, CitizenRequestSubscribed(request_id=request_id, citizen_id=citizen, at=now),
                         aggregate_id=request_id)


async def unfollow(session: AsyncSession, outbox: Outbox, request_id: str, *, citizen: str) -> None:
    """Stop following; following nothing is already done (a repeated DELETE says the same)."""
    now = datetime.now(UTC)
    if await requests.unfollow(session, request_id, citizen):
        await outbox.add(session, CitizenRequestUnsubscribed(request_id=request_id, citizen_id=citizen, at=now),
                         aggregate_id=request_id)


async def comment(session: AsyncSession, outbox: Outbox, request_id: str, text: str, *, author: str, staff: bool,
                  once: Once, photo_ids: list[str] | tuple[str, ...] = ()) -> dict | StoredAnswer:
    """Add a comment (a citizen on their own request, staff on any), with the author's uploaded
    photos if any; a retried POST with the same Idempotency-Key gets the first answer instead of
    a second comment."""
    if (reason := unwritable(text, prose=True)) is not None:
        raise Invalid("text", reason)
    if "<" in text and ">" in text:
        raise Invalid("text", Phrase("no-html"))
    stored = await once.claim(session)
    if stored is not None:
        return stored
    row = await visible(session, request_id, reader=author, staff=staff)
    now = datetime.now(UTC)
    publication = comment_at_writing(text, by_staff=staff)
    comment_id = await requests.add_comment(session, row.id, author=author, staff=staff, text=text, at=now,
                                            publication=publication, public_text=mask(text) if publication == PENDING else None)
    if photo_ids:
        await photos.attach(session, photo_ids, owner=author, request_id=row.id, comment_id=comment_id)
    # Masked: no event carries a phone or an e-mail (the original stays here, for staff).
    await outbox.add(session, CitizenRequestCommented(request_id=row.id, by_staff=staff, text=mask(text), commented_at=now),
                     aggregate_id=row.id)
    added = {"request_id": row.id, "comment_id": comment_id, "by_staff": staff, "text": text, "at": now.isoformat(),
             "publication": publication, "photo_ids": list(photo_ids)}
    await once.remember(session, added)
    return added


async def reopen(session: AsyncSession, outbox: Outbox, request_id: str, *, citizen: str, reason: str, window: timedelta) -> dict:
    row = await load(session, request_id)
    if row.citizen_id != citizen:
        raise NotFound("request", request_id)
    resolved_at = await requests.last_resolved_at(session, request_id)
    if not can_reopen(row.status, resolved_at, datetime.now(UTC), window):
        raise Conflict(Phrase("not-reopenable", days=window.days), code="not-reopenable",
                       field="status")
    # can_reopen is the workflow's rule for this move (resolved -> in_progress, by the citizen).
    # The public sees that it was reopened; the reason is the citizen's and the staff's (it is
    # free text about their home, often with a phone number): an internal entry beside the move.
    moved = await record_move(session, outbox, row, "in_progress", actor=citizen, note=REOPENED_NOTE)
    await requests.add_history(session, row.id, actor=citizen, from_status="in_progress", to_status="in_progress",
                               note=f"{REOPENED_NOTE}: {reason}", public=False)
    return moved


async def erase(session: AsyncSession, desk: photos.PhotoDesk, *, citizen: str) -> dict:
    """A citizen's erasure of what this service holds about them that the law lets go: their
    photos (rows and pictures, wherever attached) and their contact details on their requests.
    The requests themselves stay, without them: an appeal and the city's answer to it are a
    record the city keeps (Law "On citizens' appeals"), and others may follow them."""
    removed = await photos.forget(session, desk, owner=citizen)
    erased = await requests.erase_contact(session, citizen)
    return {"photos_deleted": removed, "requests_without_contact": erased}
