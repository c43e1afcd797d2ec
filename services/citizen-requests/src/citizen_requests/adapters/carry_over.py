"""What the carry-over of followers to notifications reads, and how it writes its outbox rows."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.tables import citizen_requests, messaging, subscriptions

BATCH = 1000


async def reporters_and_followers(session: AsyncSession) -> AsyncIterator[list[tuple[str, str, str, object]]]:
    """(role, request id, citizen id, since when) in batches: every request's reporter (since it
    was filed), then every follower (since they subscribed)."""
    queries = [
        select(citizen_requests.c.id, citizen_requests.c.citizen_id, citizen_requests.c.submitted_at)
        .order_by(citizen_requests.c.id),
        select(subscriptions.c.request_id, subscriptions.c.citizen_id, subscriptions.c.at)
        .order_by(subscriptions.c.request_id, subscriptions.c.citizen_id),
    ]
    for role, query in zip(("reporter", "follower"), queries, strict=True):
        result = await session.stream(query.execution_options(yield_per=BATCH))
        async for part in result.partitions(BATCH):
            yield [(role, *row) for row in part]


async def stage_once(session: AsyncSession, rows: list[dict]) -> int:
    """Write outbox rows whose event id is not there yet (a second run while the first's rows are
    still kept adds none); returns how many were new."""
    if not rows:
        return 0
    written = await session.execute(insert(messaging.outbox).values(rows)
                                    .on_conflict_do_nothing(index_elements=["event_id"])
                                    .returning(messaging.outbox.c.event_id))
    return len(written.all())
