"""A company's requests: the ones routed to it, and its progress reports on them (the workflow is
domain/routed_requests.py). Each in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events.payloads.utilities_gateway import RequestStatusChangedByCompany
from ecity_common.messaging.outbox import Outbox
from ecity_common.personal_data import mask
from utilities_gateway.adapters.queries import owned
from utilities_gateway.adapters.tables import routed_requests
from utilities_gateway.domain.access import Caller
from utilities_gateway.domain.routed_requests import (
    ProgressReport,
    check_expected_date,
    check_reportable,
    public_note,
    repeats,
    request_data,
)
from utilities_gateway.use_cases import report_photos


async def _own_row(session: AsyncSession, caller: Caller, request_id: str, *, for_update: bool = False,
                   field: str = "path.request_id"):
    return await owned(session, routed_requests.c.request_id, request_id, caller.company_id, field=field,
                       what="routed request", for_update=for_update)


async def own_request(session: AsyncSession, caller: Caller, request_id: str) -> dict:
    return request_data(await _own_row(session, caller, request_id))


async def report(session: AsyncSession, outbox: Outbox, caller: Caller, request_id: str, progress: ProgressReport,
                 photos: report_photos.ReportPhotos | None = None) -> dict:
    row = await _own_row(session, caller, request_id, for_update=True)
    now = datetime.now(UTC)
    if repeats(row, progress):
        return request_data(row)
    check_reportable(row.status, progress)
    check_expected_date(progress, now)
    updated = (await session.execute(update(routed_requests).where(routed_requests.c.request_id == request_id).values(
        status=progress.status, planned_for=progress.expected_datetime if progress.status == "planned" else row.planned_for,
        public_note=public_note(progress), updated_at=now).returning(routed_requests))).one()
    addresses = await report_photos.attach(session, photos, progress.photo_ids, caller=caller, request_id=request_id,
                                           status=progress.status) if progress.photo_ids and photos else []
    # The company's words, masked (ecity_common.personal_data): a note about a flat often carries
    # the tenant's phone, and no event carries one (the company keeps its own record here).
    await outbox.add(session, RequestStatusChangedByCompany(
        request_id=request_id, company=caller.ref,
        status=progress.status, expected_datetime=progress.expected_datetime,
        reason=mask(progress.reason) if progress.reason else None,
        public_note=mask(progress.public_note) if progress.public_note else None, changed_at=now, photos=addresses),
        aggregate_id=request_id)
    return request_data(updated)


async def list_own(session: AsyncSession, caller: Caller, *, status: str | None, after: str | None, limit: int) -> dict:
    """A page of the company's requests, newest routed first (a company works its newest queue
    first, and a request just routed is at the top); `next_after` is the last request id of the page
    and continues it (None: the last page). Ties in time are broken by request id."""
    t = routed_requests.c
    query = select(routed_requests).where(t.company_id == caller.company_id)
    if status:
        query = query.where(t.status == status)
    if after:
        last = await _own_row(session, caller, after, field="query.after")  # the refusal names what was sent
        query = query.where(tuple_(t.routed_at, t.request_id) < tuple_(last.routed_at, last.request_id))
    found = [request_data(r) for r in await session.execute(query.order_by(t.routed_at.desc(), t.request_id.desc()).limit(limit))]
    return {"requests": found, "next_after": found[-1]["request_id"] if len(found) == limit else None}
