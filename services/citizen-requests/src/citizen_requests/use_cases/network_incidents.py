"""Incidents the network opens (`domain/incidents.py`): one request for the IT department per
institution an MTKM outage cuts off, once per outage; closed when the outage is resolved. Each
use case runs in the consumer's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters import requests
from citizen_requests.domain.incidents import IT_DEPARTMENT, NETWORK_CATEGORY, REPORTER, incident_deadline, incident_id
from citizen_requests.domain.workflow import OPEN
from citizen_requests.use_cases.moves import change_status
from ecity_common.events.payloads.network_registry import NetworkOutageDetected
from ecity_common.messaging.outbox import Outbox


async def open_network_incidents(session: AsyncSession, outage: NetworkOutageDetected, *, now: datetime | None = None) -> int:
    """One incident request for the IT department per institution cut off, once per outage."""
    now = now or datetime.now(UTC)
    opened = 0
    for site in outage.affected_sites:
        base = incident_id(outage.outage_id, site.site_id)
        earlier = await requests.incident_statuses(session, base)
        if any(status != "closed" for status in earlier):
            continue  # still open from this outage: once per outage
        rid = incident_id(outage.outage_id, site.site_id, len(earlier))
        if await requests.add_if_new(
            session, id=rid, service_code=NETWORK_CATEGORY, citizen_id=REPORTER,
            description=f"Немає зв'язку МТКМ: відмова {outage.element_name} ({outage.element_kind}). Об'єкт: {site.name}.",
            address=site.address, status="assigned", agency_responsible=IT_DEPARTMENT, submitted_at=outage.detected_at,
            expected_datetime=incident_deadline(outage.detected_at), attributes={"institution": site.name},
            channel="network", description_publication="private", status_notes="Зв'язок втрачено; ІТ-відділ працює над відновленням.", updated_at=now,
        ):
            await requests.add_history(session, rid, at=now, actor=REPORTER, from_status=None, to_status="assigned",
                                       note=f"Відмова {outage.element_name}", public=True)
            opened += 1
    return opened


async def close_network_incidents(session: AsyncSession, outbox: Outbox, outage_id: str) -> int:
    closed = 0
    for row in await requests.incidents_of(session, outage_id):
        if row.status == "closed":
            continue
        # Staff may have marked one a duplicate or not theirs: those close as they are.
        if row.status in OPEN:
            await change_status(session, outbox, row.id, "resolved", actor=REPORTER, note="Зв'язок відновлено.")
        await change_status(session, outbox, row.id, "closed", actor=REPORTER)
        closed += 1
    return closed
