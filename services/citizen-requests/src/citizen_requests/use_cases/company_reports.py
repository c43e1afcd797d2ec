"""What the utility companies say back, through utilities-gateway, and what the citizen then sees.
Each use case runs in the consumer's transaction.

- accepted by a company → assigned, `agency_responsible` = the company;
- the company's progress → the same status here, with its public note;
- routing failed / the company rejected it → the request stays where it is, flagged for the
  city's dispatcher with the reason (an internal note: the citizen's request is not "rejected"
  because a company's area was drawn too small);
- outages → kept, so a request filed inside one is linked to it and the citizen is told when
  supply should return; when it is resolved, linked open requests get a public note.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.tables import citizen_requests, request_history, utility_outages
from citizen_requests.domain.deadlines import KYIV
from citizen_requests.domain.workflow import OPEN, TRANSITIONS
from citizen_requests.use_cases.staff import HandlingRefused, change_status
from ecity_common.areas import Area
from ecity_common.events.payloads.utilities_gateway import (
    OutageFacts,
    RequestAcceptedByCompany,
    RequestRoutingFailed,
    RequestStatusChangedByCompany,
    UtilityOutageResolved,
)
from ecity_common.messaging.outbox import Outbox

GATEWAY = "utilities-gateway"


async def _note(session: AsyncSession, request_id: str, status: str, note: str, *, public: bool) -> None:
    await session.execute(insert(request_history).values(
        request_id=request_id, actor=GATEWAY, from_status=status, to_status=status, note=note, public=public))


async def _current(session: AsyncSession, request_id: str):
    return (await session.execute(select(citizen_requests.c.status).where(
        citizen_requests.c.id == request_id).with_for_update())).first()


async def _move(session: AsyncSession, outbox: Outbox, request_id: str, to_status: str, note: str | None,
                agency: str | None = None) -> bool:
    """Move the request if its workflow allows; a late or repeated report is kept as an internal
    note instead (events from a company may arrive after the city closed the request)."""
    row = await _current(session, request_id)
    if row is None:
        return False
    # Only a request still being handled moves: a resolved one reopens by the citizen's hand alone.
    if row.status not in OPEN or to_status == row.status or to_status not in TRANSITIONS.get(row.status, set()):
        if note:
            await _note(session, request_id, row.status, f"[{to_status}] {note}", public=False)
        return False
    try:
        await change_status(session, outbox, request_id, to_status, actor=GATEWAY, note=note,
                            agency_responsible=agency)
    except HandlingRefused:
        return False
    return True


async def company_accepted(session: AsyncSession, outbox: Outbox, accepted: RequestAcceptedByCompany) -> None:
    # (change_status clears the dispatcher's flag: the request has its company now)
    await _move(session, outbox, accepted.request_id, "assigned", f"Передано: {accepted.company.name}",
                agency=accepted.company.name)


def _local(when: datetime) -> str:
    return when.astimezone(KYIV).strftime("%d.%m.%Y %H:%M")


async def company_reported(session: AsyncSession, outbox: Outbox, report: RequestStatusChangedByCompany) -> None:
    if report.status == "rejected":
        await flag_for_dispatcher(session, report.request_id,
                                  f"{report.company.name} повідомляє, що це не їхнє: {report.reason}")
        return
    note = report.public_note
    if report.status == "planned" and report.expected_datetime is not None:
        planned = f"Роботи заплановано на {_local(report.expected_datetime)}"
        note = f"{planned}. {note}" if note else planned
    # A company may go straight from assigned to resolved; from accepted it passes assigned first.
    row = await _current(session, report.request_id)
    if row is not None and row.status in ("submitted", "accepted"):
        await _move(session, outbox, report.request_id, "assigned", None, agency=report.company.name)
    moved = await _move(session, outbox, report.request_id, report.status, note, agency=report.company.name)
    if not moved and note and row is not None and row.status == report.status and row.status in OPEN:
        # The same status with news (a new date for planned work, a note): the citizen sees it.
        await session.execute(update(citizen_requests).where(citizen_requests.c.id == report.request_id)
                              .values(status_notes=note))
        await _note(session, report.request_id, row.status, note, public=True)


async def flag_for_dispatcher(session: AsyncSession, request_id: str, reason: str) -> None:
    row = await _current(session, request_id)
    if row is None or row.status not in OPEN:
        return
    await session.execute(update(citizen_requests).where(citizen_requests.c.id == request_id).values(
        dispatch_flag=reason[:500], agency_responsible=None))
    await _note(session, request_id, row.status, f"Потребує диспетчера: {reason}", public=False)


async def routing_failed(session: AsyncSession, failed: RequestRoutingFailed) -> None:
    await flag_for_dispatcher(session, failed.request_id, failed.reason)


async def outage_known(session: AsyncSession, outage: OutageFacts) -> None:
    values = dict(kind=outage.company.kind, company_name=outage.company.name, planned=outage.planned,
                  area=outage.area.model_dump(mode="json", exclude_none=True), area_description=outage.area_description,
                  starts_at=outage.starts_at, expected_end=outage.expected_end, cause=outage.cause)
    await session.execute(pg_insert(utility_outages).values(id=outage.outage_id, **values)
                          .on_conflict_do_update(index_elements=["id"], set_=values))


async def outage_resolved(session: AsyncSession, resolved: UtilityOutageResolved) -> None:
    await session.execute(update(utility_outages).where(utility_outages.c.id == resolved.outage_id)
                          .values(resolved_at=resolved.resolved_at))
    linked = (await session.execute(select(citizen_requests.c.id, citizen_requests.c.status).where(
        citizen_requests.c.outage_id == resolved.outage_id, citizen_requests.c.status.in_(OPEN)))).all()
    for row in linked:
        await _note(session, row.id, row.status, f"{resolved.company.name}: постачання відновлено {_local(resolved.resolved_at)}.",
                    public=True)


async def outage_here(session: AsyncSession, kind: str, lat: float | None, long: float | None,
                      address: str | None, now: datetime | None = None):
    """The active outage of this kind that covers the place, if any (the soonest to end)."""
    now = now or datetime.now(UTC)
    rows = (await session.execute(select(utility_outages).where(
        utility_outages.c.kind == kind, utility_outages.c.resolved_at.is_(None),
        utility_outages.c.starts_at <= now))).all()
    covering = [r for r in rows if Area.model_validate(r.area).covers(lat=lat, long=long, address=address)]
    return min(covering, key=lambda r: r.expected_end or datetime.max.replace(tzinfo=UTC), default=None)


def outage_note(outage) -> str:
    what = "Планові роботи" if outage.planned else "Аварійне відключення"
    until = f" Орієнтовне відновлення: {_local(outage.expected_end)}." if outage.expected_end else ""
    cause = f" Причина: {outage.cause}." if outage.cause else ""
    return f"{what} ({outage.company_name}, {outage.area_description}).{cause}{until}"
