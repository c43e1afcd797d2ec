"""Use cases of the people who handle requests (staff, and the citizen reopening one), and of the
incidents the network opens. Each runs in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.tables import citizen_requests, request_history
from citizen_requests.domain.deadlines import ExtensionRefused, extend
from citizen_requests.domain.workflow import OPEN, IllegalTransition, can_reopen, check_transition, open311_status
from ecity_common.events.payloads.citizen_requests import CitizenRequestStatusChanged
from ecity_common.messaging.outbox import Outbox


class HandlingRefused(Exception):
    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


async def _load(session: AsyncSession, request_id: str, *, for_update: bool = True):
    query = select(citizen_requests).where(citizen_requests.c.id == request_id)
    row = (await session.execute(query.with_for_update() if for_update else query)).first()
    if row is None:
        raise HandlingRefused(404, "id", f"no request {request_id}")
    return row


async def change_status(
    session: AsyncSession, outbox: Outbox, request_id: str, to_status: str, *, actor: str, note: str | None = None,
    public: bool = True, agency_responsible: str | None = None, now: datetime | None = None,
) -> dict:
    now = now or datetime.now(UTC)
    row = await _load(session, request_id)
    try:
        check_transition(row.status, to_status)
    except IllegalTransition as exc:
        raise HandlingRefused(409, "status", str(exc)) from None
    values = {"status": to_status, "updated_at": now}
    if agency_responsible or to_status not in OPEN:
        values["dispatch_flag"] = None  # someone took it, or it is answered: nothing left to dispatch
    if public and note:
        values["status_notes"] = note  # Open311's status_notes: the latest public note
    if agency_responsible:
        values["agency_responsible"] = agency_responsible
    await session.execute(update(citizen_requests).where(citizen_requests.c.id == request_id).values(**values))
    await session.execute(insert(request_history).values(
        request_id=request_id, at=now, actor=actor, from_status=row.status, to_status=to_status, note=note, public=public))
    await outbox.add(session, CitizenRequestStatusChanged(
        request_id=request_id, service_code=row.service_code, from_status=row.status, to_status=to_status,
        open311_status=open311_status(to_status), public_note=note if public else None,
        agency_responsible=agency_responsible or row.agency_responsible, expected_datetime=row.expected_datetime,
        changed_at=now), aggregate_id=request_id)
    return {"id": request_id, "from_status": row.status, "status": to_status}


async def mark_duplicate(session: AsyncSession, outbox: Outbox, request_id: str, original_id: str, *, actor: str) -> dict:
    if original_id == request_id:
        raise HandlingRefused(422, "original_id", "a request is not a duplicate of itself")
    original = await _load(session, original_id, for_update=False)
    return await change_status(session, outbox, request_id, "duplicate", actor=actor,
                               note=f"Дублює звернення {original.id}; стежте за ним.", public=True)


async def extend_deadline(session: AsyncSession, request_id: str, until: date, reason: str, *, actor: str) -> dict:
    row = await _load(session, request_id)
    try:
        new = extend(row.submitted_at, row.expected_datetime, until, reason)
    except ExtensionRefused as exc:
        raise HandlingRefused(422, "until" if "reason" not in str(exc) else "reason", str(exc)) from None
    now = datetime.now(UTC)
    note = f"Строк розгляду продовжено до {until:%d.%m.%Y}: {reason.strip()}"
    await session.execute(update(citizen_requests).where(citizen_requests.c.id == request_id).values(
        expected_datetime=new, status_notes=note, updated_at=now))
    # The citizen is told why: a public entry in the history.
    await session.execute(insert(request_history).values(
        request_id=request_id, at=now, actor=actor, from_status=row.status, to_status=row.status, note=note, public=True))
    return {"id": request_id, "expected_datetime": new.isoformat()}


async def reopen(session: AsyncSession, outbox: Outbox, request_id: str, *, citizen: str, reason: str, window: timedelta) -> dict:
    row = await _load(session, request_id)
    if row.citizen_id != citizen:
        raise HandlingRefused(404, "id", f"no request {request_id}")
    resolved_at = await session.scalar(select(request_history.c.at).where(
        request_history.c.request_id == request_id, request_history.c.to_status == "resolved").order_by(request_history.c.at.desc()).limit(1))
    if not can_reopen(row.status, resolved_at, datetime.now(UTC), window):
        raise HandlingRefused(409, "status", f"only a resolved request can be reopened, within {window.days} days")
    return await change_status(session, outbox, request_id, "in_progress", actor=citizen, note=f"Відкрито знову: {reason}")


async def history(session: AsyncSession, request_id: str, *, public_only: bool) -> list[dict]:
    query = select(request_history).where(request_history.c.request_id == request_id).order_by(request_history.c.id)
    if public_only:
        query = query.where(request_history.c.public.is_(True))
    return [{"at": r.at.isoformat(), "actor": r.actor if not public_only else None, "from": r.from_status, "to": r.to_status,
             "note": r.note, "public": r.public} for r in await session.execute(query)]


# -- incidents from the network ----------------------------------------------------------------

IT_DEPARTMENT = "ІТ-відділ Сумської міської ради"
NETWORK_CATEGORY = "institution_network"  # the category of the incidents the network opens


def incident_id(outage_id: str, site_id: str, round_: int = 0) -> str:
    # A flapping element keeps its outage id (network-registry reopens the same outage); each time
    # it fails again after its incidents were closed, they open anew as the next round.
    return f"incident-{outage_id}-{site_id}{f'-r{round_}' if round_ else ''}"[:64]


async def open_network_incidents(session: AsyncSession, outage, *, now: datetime | None = None) -> int:
    """One incident request for the IT department per institution cut off, once per outage."""
    now = now or datetime.now(UTC)
    opened = 0
    for site in outage.affected_sites:
        base = incident_id(outage.outage_id, site.site_id)
        earlier = (await session.execute(select(citizen_requests.c.status).where(or_(
            citizen_requests.c.id == base, citizen_requests.c.id.startswith(f"{base}-r", autoescape=True))))).scalars().all()
        if any(status != "closed" for status in earlier):
            continue  # still open from this outage: once per outage
        rid = incident_id(outage.outage_id, site.site_id, len(earlier))
        inserted = await session.execute(pg_insert(citizen_requests).values(
            id=rid, service_code=NETWORK_CATEGORY, citizen_id="network-registry",
            description=f"Немає зв'язку МТКМ: відмова {outage.element_name} ({outage.element_kind}). Об'єкт: {site.name}.",
            address=site.address, status="assigned", agency_responsible=IT_DEPARTMENT, submitted_at=outage.detected_at,
            expected_datetime=outage.detected_at + timedelta(days=15), attributes={"institution": site.name},
            channel="network", status_notes="Зв'язок втрачено; ІТ-відділ працює над відновленням.", updated_at=now,
        ).on_conflict_do_nothing(index_elements=["id"]).returning(citizen_requests.c.id))
        if inserted.first() is not None:
            await session.execute(insert(request_history).values(
                request_id=rid, at=now, actor="network-registry", from_status=None, to_status="assigned",
                note=f"Відмова {outage.element_name}", public=True))
            opened += 1
    return opened


async def close_network_incidents(session: AsyncSession, outbox: Outbox, outage_id: str) -> int:
    rows = (await session.execute(select(citizen_requests.c.id, citizen_requests.c.status).where(
        citizen_requests.c.id.startswith(f"incident-{outage_id}-", autoescape=True)))).all()
    closed = 0
    for row in rows:
        if row.status == "closed":
            continue
        # Staff may have marked one a duplicate or not theirs: those close as they are.
        if row.status in OPEN:
            await change_status(session, outbox, row.id, "resolved", actor="network-registry", note="Зв'язок відновлено.")
        await change_status(session, outbox, row.id, "closed", actor="network-registry")
        closed += 1
    return closed


async def add_comment(session: AsyncSession, outbox: Outbox, row, author: str, staff: bool, text: str) -> dict:
    from citizen_requests.adapters.tables import comments
    from ecity_common.events.payloads.citizen_requests import CitizenRequestCommented

    now = datetime.now(UTC)
    await session.execute(insert(comments).values(request_id=row.id, author=author, staff=staff, text=text, at=now))
    await session.execute(update(citizen_requests).where(citizen_requests.c.id == row.id).values(updated_at=now))
    await outbox.add(session, CitizenRequestCommented(request_id=row.id, by_staff=staff, text=text, commented_at=now),
                     aggregate_id=row.id)
    return {"request_id": row.id, "by_staff": staff, "text": text, "at": now.isoformat()}


async def comments_of(session: AsyncSession, request_id: str) -> list[dict]:
    from citizen_requests.adapters.tables import comments

    rows = await session.execute(select(comments).where(comments.c.request_id == request_id).order_by(comments.c.id))
    return [{"by_staff": r.staff, "text": r.text, "at": r.at.isoformat()} for r in rows]
