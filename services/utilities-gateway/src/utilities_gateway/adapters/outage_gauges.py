"""What the city's dispatchers watch of the utilities on a dashboard: outages not yet resolved, per
company and utility kind, planned works apart from accidents, and whether each has begun (planned
works are announced ahead). Counted by one query every `INTERVAL_S` (a scrape must not query the
database), published as a Prometheus gauge. The labels are bounded: the city's contracted companies,
their few kinds, and two yes/no."""

from __future__ import annotations

from prometheus_client import Gauge
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ecity_common import gauges
from utilities_gateway.adapters.tables import outages

INTERVAL_S = 30.0
OUTAGES = Gauge("ecity_outages",
                "Outages not yet resolved, by company, utility kind, planned (works) or not (an accident), "
                "and started (its start has come) or not.", ["company", "kind", "planned", "started"])

Key = tuple[str, str, str, str]  # company, kind, planned, started: the gauge's labels


def _yes_no(value: bool) -> str:
    return "true" if value else "false"


async def count(engine: AsyncEngine) -> dict[Key, int]:
    """{(company, kind, planned, started): outages not yet resolved}."""
    o = outages.c
    started = (o.starts_at <= func.now()).label("started")
    query = (select(o.company_id, o.kind, o.planned, started, func.count())
             .where(o.status == "active").group_by(o.company_id, o.kind, o.planned, started))
    async with engine.connect() as conn:
        return {(company, kind, _yes_no(planned), _yes_no(began)): n
                for company, kind, planned, began, n in await conn.execute(query)}


async def keep_counting(engine: AsyncEngine, interval_s: float = INTERVAL_S) -> None:
    async def counted() -> gauges.Counts:
        return {key: (n,) for key, n in (await count(engine)).items()}

    await gauges.keep_counting(counted, (OUTAGES,), what="outage gauges", interval_s=interval_s)
