"""A company reports progress on a request routed to it. Use cases in the caller's transaction.

Its own small workflow: routed → in_progress ⇄ planned → resolved, or rejected (not theirs after
all: the city's dispatcher takes it back). resolved and rejected are final for the company; a
citizen's reopening puts the request back in progress (see routing.relay_status).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events.payloads.utilities_gateway import RequestStatusChangedByCompany
from ecity_common.messaging.outbox import Outbox
from utilities_gateway.adapters.tables import routed_requests
from utilities_gateway.use_cases.integrations_admin import Caller, GatewayRefused, owned
from utilities_gateway.use_cases.routing import request_data

# A company reports on what it has and has not finished: any status the report allows, from these.
REPORTABLE = {"routed", "in_progress", "planned"}


class ProgressReport(BaseModel):
    status: Literal["in_progress", "planned", "resolved", "rejected"]
    expected_datetime: AwareDatetime | None = Field(default=None, description="required when planned: when the work is due")
    reason: str | None = Field(default=None, max_length=1000, description="required when rejected")
    public_note: str | None = Field(default=None, max_length=2000, description="the citizen sees it")

    @model_validator(mode="after")
    def _what_each_status_needs(self) -> ProgressReport:
        if self.status == "planned" and self.expected_datetime is None:
            raise ValueError("planned work needs expected_datetime")
        if self.status == "rejected" and not (self.reason and self.reason.strip()):
            raise ValueError("a rejection needs a reason")
        return self


async def own_request(session: AsyncSession, caller: Caller, request_id: str, *, for_update: bool = False):
    return await owned(session, routed_requests.c.request_id, request_id, caller.company_id, field="request_id",
                       what="routed request", for_update=for_update)


async def report(session: AsyncSession, outbox: Outbox, caller: Caller, request_id: str, progress: ProgressReport) -> dict:
    row = await own_request(session, caller, request_id, for_update=True)
    if row.status not in REPORTABLE:
        raise GatewayRefused(409, "status", f"the request is {row.status}; it cannot become {progress.status}")
    now = datetime.now(UTC)
    note = progress.public_note or (progress.reason if progress.status == "rejected" else None)
    updated = (await session.execute(update(routed_requests).where(routed_requests.c.request_id == request_id).values(
        status=progress.status, planned_for=progress.expected_datetime if progress.status == "planned" else row.planned_for,
        public_note=note, updated_at=now).returning(routed_requests))).one()
    await outbox.add(session, RequestStatusChangedByCompany(
        request_id=request_id, company=caller.ref,
        status=progress.status, expected_datetime=progress.expected_datetime, reason=progress.reason,
        public_note=progress.public_note, changed_at=now), aggregate_id=request_id)
    return request_data(updated)


async def list_own(session: AsyncSession, caller: Caller, *, status: str | None, after: str | None, limit: int) -> list[dict]:
    query = select(routed_requests).where(routed_requests.c.company_id == caller.company_id)
    if status:
        query = query.where(routed_requests.c.status == status)
    if after:
        query = query.where(routed_requests.c.request_id > after)
    rows = await session.execute(query.order_by(routed_requests.c.request_id).limit(limit))
    return [request_data(r) for r in rows]
