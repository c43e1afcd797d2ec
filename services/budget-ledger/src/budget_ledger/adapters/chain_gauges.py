"""How long the ledger's hash chain is, and how much of it the last signed head covers, as
Prometheus gauges for the ledger's dashboard: the chain only grows (an entry is never changed or
removed), and what lies past the last signed head is what a rewrite could still touch unseen until
the next head is signed (daily). Counted by one query every `INTERVAL_S` (a scrape must not query
the database); no labels."""

from __future__ import annotations

from prometheus_client import Gauge
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from budget_ledger.adapters.tables import chain_heads, ledger_entries
from ecity_common import gauges

INTERVAL_S = 30.0
CHAIN_ENTRIES = Gauge("ecity_ledger_chain_entries",
                      "Entries in the ledger's hash chain: the last sequence number (the chain has no gaps).")
SIGNED_ENTRIES = Gauge("ecity_ledger_signed_entries",
                       "Entries the last signed head of the chain covers (0 before the first is signed).")


async def count(engine: AsyncEngine) -> tuple[int, int]:
    """(entries in the chain, entries under the last signed head): the first off the primary key's
    end, the second over a table of one row a day."""
    query = select(select(func.coalesce(func.max(ledger_entries.c.seq), 0)).scalar_subquery(),
                   select(func.coalesce(func.max(chain_heads.c.entries), 0)).scalar_subquery())
    async with engine.connect() as conn:
        chain, signed = (await conn.execute(query)).one()
    return int(chain), int(signed)


async def keep_counting(engine: AsyncEngine, interval_s: float = INTERVAL_S) -> None:
    async def counted() -> gauges.Counts:
        return {(): await count(engine)}

    await gauges.keep_counting(counted, (CHAIN_ENTRIES, SIGNED_ENTRIES), what="chain gauges", interval_s=interval_s)
