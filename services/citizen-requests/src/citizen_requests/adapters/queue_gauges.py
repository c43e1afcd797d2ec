"""What an operator of the city's desks watches on a dashboard: requests still open and those past
their legal answer term, per department (or utility) that handles them. Counted by one query every
`INTERVAL_S` (a scrape must not query the database), published as Prometheus gauges."""

from __future__ import annotations

from prometheus_client import Gauge
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from citizen_requests.adapters.tables import categories, citizen_requests
from citizen_requests.domain.workflow import OPEN
from ecity_common import gauges

INTERVAL_S = 30.0
OPEN_REQUESTS = Gauge("ecity_requests_open", "Citizens' requests still being handled, by who handles them.", ["handler"])
OVERDUE_REQUESTS = Gauge("ecity_requests_overdue",
                         "Citizens' requests still open past their legal answer term, by who handles them.", ["handler"])


async def count(engine: AsyncEngine) -> dict[str, tuple[int, int]]:
    """{handler: (open, overdue)}; the handler is the category's department, or its utility kind."""
    handler = func.coalesce(categories.c.definition["department"].astext,
                            categories.c.definition["utility_kind"].astext, "other").label("handler")
    r = citizen_requests.c
    query = (select(handler, func.count(), func.count().filter(r.expected_datetime < func.now()))
             .select_from(citizen_requests.outerjoin(categories, categories.c.code == r.service_code))
             .where(r.status.in_(sorted(OPEN))).group_by(handler))
    async with engine.connect() as conn:
        return {row[0]: (row[1], row[2]) for row in await conn.execute(query)}


async def keep_counting(engine: AsyncEngine, interval_s: float = INTERVAL_S) -> None:
    async def counted() -> gauges.Counts:
        return {(handler,): figures for handler, figures in (await count(engine)).items()}

    await gauges.keep_counting(counted, (OPEN_REQUESTS, OVERDUE_REQUESTS), what="queue gauges", interval_s=interval_s)
