"""Where SQL must mirror a rule of the domain, both are run on the same rows of the real
PostgreSQL and must agree: "overdue" (the public statistics), the creation limit (the filing
statement)."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import DateTime, Integer, Text, column, select, text, values

from citizen_requests.adapters.creation_limits import within_limit
from citizen_requests.adapters.overdue import overdue_sql
from citizen_requests.domain.deadlines import overdue
from citizen_requests.domain.limits import Window, count_creation
from citizen_requests.domain.workflow import TRANSITIONS
from citizen_requests.main import MIGRATIONS_DIR
from ecity_common.db import make_engine
from ecity_common.migrations import upgrade


@pytest.fixture
async def engine(services):
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, services.database_url("citizen-requests"))
    engine = make_engine(services.settings("citizen-requests"))
    yield engine
    await engine.dispose()


async def test_overdue_in_sql_agrees_with_the_rule(engine):
    async with engine.connect() as conn:
        now = await conn.scalar(text("SELECT now()"))
        moments = [None, now - timedelta(days=2), now - timedelta(days=1), now, now + timedelta(days=1)]
        rows = [(n, expected, status, answered)
                for n, (expected, status, answered) in enumerate(itertools.product(moments, sorted(TRANSITIONS), moments))]
        cases = values(column("n", Integer), column("expected", DateTime(timezone=True)), column("status", Text),
                       column("answered_at", DateTime(timezone=True)), name="cases").data(rows)
        in_sql = dict((await conn.execute(select(cases.c.n, overdue_sql(cases.c.expected, cases.c.status,
                                                                           cases.c.answered_at, now)))).all())
    in_python = {n: int(overdue(expected, now, status=status, answered_at=answered)) for n, expected, status, answered in rows}
    assert in_sql == in_python
    assert 0 < sum(in_python.values()) < len(rows)  # both answers are among the cases


async def test_the_creation_limit_in_sql_agrees_with_the_rule(engine):
    limit, window_s = 3, 600
    ages = [None, 0, 10, window_s - 1, window_s, window_s + 1, 5 * window_s]  # seconds since the window started
    counts = [1, limit - 1, limit, limit + 1]
    async with engine.connect() as conn, conn.begin() as tx:
        now = await conn.scalar(text("SELECT now()"))  # the transaction's: the statement's now() too
        cases = {}
        for age, count in itertools.product(ages, counts):
            subject = f"limit-rule-{uuid.uuid4().hex[:8]}"
            window = None if age is None else Window(now - timedelta(seconds=age), count)
            if window is not None:
                await conn.execute(text("INSERT INTO creation_limits (subject, window_start, count) VALUES (:s, :w, :c)"),
                                   {"s": subject, "w": window.start, "c": window.count})
            cases[subject] = window
        for subject, window in cases.items():
            allowed = await within_limit(conn, subject, limit=limit, window_s=window_s)
            row = (await conn.execute(text("SELECT window_start, count FROM creation_limits WHERE subject = :s"),
                                      {"s": subject})).first()
            expected = count_creation(window, now, limit=limit, window_s=window_s)
            assert allowed == (expected is not None), (window, row)
            after = Window(row.window_start, row.count) if row is not None else None
            assert after == (expected if expected is not None else window), (window, after)
        await tx.rollback()

