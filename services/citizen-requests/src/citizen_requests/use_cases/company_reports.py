"""What the utility companies say back about a request, through utilities-gateway, and what the
citizen then sees. Each use case runs in the consumer's transaction.

- accepted by a company → assigned, `agency_responsible` = the company;
- the company's progress → the same status here, with its public note;
- routing failed / the company rejected it → the request stays where it is, flagged for the
  city's dispatcher with the reason (an internal note: the citizen's request is not "rejected"
  because a company's area was drawn too small).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters import requests
from citizen_requests.domain.utilities import planned_note
from citizen_requests.domain.workflow import OPEN, company_may_move
from citizen_requests.use_cases.moves import record_move, record_public_note
from ecity_common.events.payloads.utilities_gateway import (
    RequestAcceptedByCompany,
    RequestRoutingFailed,
    RequestStatusChangedByCompany,
)
from ecity_common.messaging.outbox import Outbox

GATEWAY = "utilities-gateway"


async def _note(session: AsyncSession, request_id: str, status: str, note: str, *, public: bool,
                photos: list[str] | None = None) -> None:
    await requests.add_history(session, request_id, actor=GATEWAY, from_status=status, to_status=status, note=note,
                               public=public, photos=photos)


async def _move(session: AsyncSession, outbox: Outbox, request_id: str, to_status: str, note: str | None,
                agency: str | None = None, photos: list[str] | None = None) -> bool:
    """Move the request where a company's report may move it (`company_may_move`); a late or
    repeated report is kept as an internal note instead."""
    row = await requests.find(session, request_id, for_update=True)
    if row is None:
        return False
    if not company_may_move(row.status, to_status):
        if note or photos:
            await _note(session, request_id, row.status, f"[{to_status}] {note or ''}", public=False, photos=photos)
        return False
    await record_move(session, outbox, row, to_status, actor=GATEWAY, note=note, agency_responsible=agency, photos=photos)
    return True


async def company_accepted(session: AsyncSession, outbox: Outbox, accepted: RequestAcceptedByCompany) -> None:
    # (a move with the company as agency clears the dispatcher's flag: the request has its company now)
    await _move(session, outbox, accepted.request_id, "assigned", f"Передано: {accepted.company.name}",
                agency=accepted.company.name)


async def company_reported(session: AsyncSession, outbox: Outbox, report: RequestStatusChangedByCompany) -> None:
    if report.status == "rejected":
        await flag_for_dispatcher(session, report.request_id,
                                  f"{report.company.name} повідомляє, що це не їхнє: {report.reason}")
        return
    note = planned_note(report.expected_datetime, report.public_note) if report.status == "planned" else report.public_note
    # A company may go straight from assigned to resolved; from accepted it passes assigned first.
    row = await requests.find(session, report.request_id, for_update=True)
    if row is not None and row.status in ("submitted", "accepted"):
        await _move(session, outbox, report.request_id, "assigned", None, agency=report.company.name)
    photos = list(report.photos) or None  # proof of work: their addresses at the gateway
    moved = await _move(session, outbox, report.request_id, report.status, note, agency=report.company.name,
                        photos=photos)
    if not moved and (note or photos) and row is not None and row.status == report.status and row.status in OPEN:
        # The same status with news (a new date for planned work in the note, photos of the work;
        # the legal term stays the city's): the citizen sees it and hears of it.
        await record_public_note(session, outbox, row, note, actor=GATEWAY, photos=photos)


async def flag_for_dispatcher(session: AsyncSession, request_id: str, reason: str) -> None:
    row = await requests.find(session, request_id, for_update=True)
    if row is None or row.status not in OPEN:
        return
    await requests.change(session, request_id, dispatch_flag=reason[:500], agency_responsible=None)
    await _note(session, request_id, row.status, f"Потребує диспетчера: {reason}", public=False)


async def routing_failed(session: AsyncSession, failed: RequestRoutingFailed) -> None:
    await flag_for_dispatcher(session, failed.request_id, failed.reason)
