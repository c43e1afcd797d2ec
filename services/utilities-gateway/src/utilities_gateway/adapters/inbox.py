"""The pull inbox in SQL: a page of a company's messages, and their acknowledgement.

The WHERE clause is domain/inbox.py's `visible_in_inbox` and the ORDER BY its `inbox_order`, said
again for the database (a company's inbox can hold many thousands of messages: they are filtered
where the index is, not in Python). The service's tests/test_rules_in_sql.py runs both on the same
rows and checks that they agree; change one, change the other.
"""

from __future__ import annotations

from sqlalchemy import func, literal, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from utilities_gateway.adapters.tables import company_messages
from utilities_gateway.domain.inbox import Cursor

# The oldest transaction still running, as this statement's snapshot sees it: everything older is settled.
SETTLED_BELOW = text("(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")


def visible_query(company_id: str, after: Cursor, limit: int, settled_below: int | None = None):
    """`settled_below`: None for the live snapshot (what the API reads); a number for the tests."""
    m = company_messages.c
    settled = SETTLED_BELOW if settled_below is None else literal(settled_below)
    return (select(m.txid, m.seq, m.id, m.body)
            .where(m.company_id == company_id, m.acked_at.is_(None), m.txid < settled,
                   tuple_(m.txid, m.seq) > tuple_(after.txid, after.seq))
            .order_by(m.txid, m.seq).limit(limit))


async def read_page(session: AsyncSession, company_id: str, after: Cursor, limit: int) -> list:
    return (await session.execute(visible_query(company_id, after, limit))).all()


async def acknowledge(session: AsyncSession, company_id: str, ids: list[str]) -> list[str]:
    """The ids that were the company's and waiting; the others (unknown, acknowledged before) stay as they are."""
    m = company_messages.c
    return list((await session.execute(update(company_messages).where(
        m.company_id == company_id, m.id.in_(ids), m.acked_at.is_(None),
    ).values(acked_at=func.now()).returning(m.id))).scalars())
