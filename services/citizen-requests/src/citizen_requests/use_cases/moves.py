"""How any move of a request in its workflow is written, whoever makes it (staff, the citizen
reopening, a utility company, the network): the request, its history entry and the
`status-changed` event, in the caller's transaction. Whether the move is allowed is decided by
the caller, once (`domain/workflow.py`)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters import requests
from citizen_requests.domain.publication import mask
from citizen_requests.domain.workflow import OPEN, check_transition, open311_status
from ecity_common.events.payloads.citizen_requests import CitizenRequestStatusChanged
from ecity_common.messaging.outbox import Outbox
from ecity_common.refusals import NotFound


async def load(session: AsyncSession, request_id: str):
    """The request, locked until the transaction ends; NotFound when there is none."""
    row = await requests.find(session, request_id, for_update=True)
    if row is None:
        raise NotFound("request", request_id)
    return row


async def record_move(session: AsyncSession, outbox: Outbox, row, to_status: str, *, actor: str, note: str | None = None,
                      public: bool = True, agency_responsible: str | None = None, now: datetime | None = None,
                      photos: list[str] | None = None) -> dict:
    """Write the move of `row` (loaded with `load`) to `to_status`, which the caller has checked;
    `photos`: a company's photos of its work, by their public addresses (shown with the entry)."""
    now = now or datetime.now(UTC)
    values = {"status": to_status, "updated_at": now}
    if agency_responsible or to_status not in OPEN:
        values["dispatch_flag"] = None  # someone took it, or it is answered: nothing left to dispatch
    if public and note:
        values["status_notes"] = note  # Open311's status_notes: the latest public note
    if agency_responsible:
        values["agency_responsible"] = agency_responsible
    await requests.change(session, row.id, **values)
    await requests.add_history(session, row.id, at=now, actor=actor, from_status=row.status, to_status=to_status,
                               note=note, public=public, photos=photos)
    await outbox.add(session, CitizenRequestStatusChanged(
        request_id=row.id, service_code=row.service_code, from_status=row.status, to_status=to_status,
        open311_status=open311_status(to_status), public_note=mask(note) if public and note else None,
        agency_responsible=agency_responsible or row.agency_responsible, expected_datetime=row.expected_datetime,
        changed_at=now), aggregate_id=row.id)
    return {"id": row.id, "from_status": row.status, "status": to_status}


async def record_public_note(session: AsyncSession, outbox: Outbox, row, note: str | None, *, actor: str,
                             expected_datetime: datetime | None = None, now: datetime | None = None,
                             photos: list[str] | None = None) -> None:
    """News on `row` (loaded with `load`) without a move: a term extended, a company's new date for
    planned work or photos of its work. The citizen sees it in the history (and a note as the
    latest public note), and hears of a note: the `status-changed` event with the same status
    before and after, its public note the news."""
    now = now or datetime.now(UTC)
    values = {"updated_at": now}
    if note:
        values["status_notes"] = note
    if expected_datetime is not None:
        values["expected_datetime"] = expected_datetime
    await requests.change(session, row.id, **values)
    await requests.add_history(session, row.id, at=now, actor=actor, from_status=row.status, to_status=row.status,
                               note=note or "", public=True, photos=photos)
    await outbox.add(session, CitizenRequestStatusChanged(
        request_id=row.id, service_code=row.service_code, from_status=row.status, to_status=row.status,
        open311_status=open311_status(row.status), public_note=mask(note) if note else None,
        agency_responsible=row.agency_responsible,
        expected_datetime=expected_datetime or row.expected_datetime, changed_at=now), aggregate_id=row.id)


async def change_status(session: AsyncSession, outbox: Outbox, request_id: str, to_status: str, *, actor: str,
                        note: str | None = None, public: bool = True, agency_responsible: str | None = None,
                        now: datetime | None = None) -> dict:
    """Move a request where its workflow allows (IllegalTransition, a conflict, where it does not)."""
    row = await load(session, request_id)
    check_transition(row.status, to_status)
    return await record_move(session, outbox, row, to_status, actor=actor, note=note, public=public,
                             agency_responsible=agency_responsible, now=now)
