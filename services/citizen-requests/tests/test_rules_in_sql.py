"""Where SQL must mirror a rule of the domain, both are run on the same rows of the real
PostgreSQL and must agree: "overdue" (the public statistics), the creation limit (the filing
statement), possible duplicates (the filing statement)."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import DateTime, Integer, Text, column, select, text, values

from citizen_requests.adapters.creation_limits import within_limit
from citizen_requests.adapters.duplicates import nearby_sql
from citizen_requests.adapters.overdue import overdue_sql
from citizen_requests.domain.deadlines import overdue
from citizen_requests.domain.duplicates import Reported, possible_duplicates
from citizen_requests.domain.limits import Window, count_creation
from citizen_requests.domain.workflow import OPEN, TRANSITIONS
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
    counts = [0, 1, limit - 1, limit, limit + 1]
    own_limits = [None, 0, 1, limit + 2]  # the city's; a moderator's: suspended, one, more than the city's
    async with engine.connect() as conn, conn.begin() as tx:
        now = await conn.scalar(text("SELECT now()"))  # the transaction's: the statement's now() too
        cases = {}
        for age, count, own in itertools.product(ages, counts, own_limits):
            subject = f"limit-rule-{uuid.uuid4().hex[:8]}"
            if age is None and (count, own) != (0, None):
                continue  # no row: one case
            window = None if age is None else Window(now - timedelta(seconds=age), count, own)
            if window is not None:
                await conn.execute(text("INSERT INTO creation_limits (subject, window_start, count, own_limit) "
                                        "VALUES (:s, :w, :c, :o)"),
                                   {"s": subject, "w": window.start, "c": window.count, "o": own})
            cases[subject] = window
        for subject, window in cases.items():
            allowed = await within_limit(conn, subject, limit=limit, window_s=window_s)
            row = (await conn.execute(text("SELECT window_start, count, own_limit FROM creation_limits WHERE subject = :s"),
                                      {"s": subject})).first()
            expected = count_creation(window, now, limit=limit, window_s=window_s)
            assert allowed == (expected is not None), (window, row)
            after = Window(row.window_start, row.count, row.own_limit) if row is not None else None
            assert after == (expected if expected is not None else window), (window, after)
        await tx.rollback()


async def test_possible_duplicates_in_sql_agree_with_the_rule(engine):
    code, other = f"dup-rule-{uuid.uuid4().hex[:6]}", f"dup-other-{uuid.uuid4().hex[:6]}"
    centre = (50.9077, 34.7981)
    # Around the centre: every ~8 m north and east up to ~120 m, in each state, and a few that
    # never count (another category, no coordinates).
    spots = [(centre[0] + i * 0.00007, centre[1] + j * 0.00011) for i in range(-4, 5, 2) for j in range(-4, 5, 4)]
    states = sorted(TRANSITIONS)
    async with engine.connect() as conn, conn.begin() as tx:
        now = await conn.scalar(text("SELECT now()"))
        # Every third hidden by a moderator (spam): offered to no one.
        filed = [(f"{code}-{n}", code, states[n % len(states)], lat, long, n % 3 == 0) for n, (lat, long) in enumerate(spots)]
        filed += [(f"{other}-0", other, "submitted", *centre, False), (f"{code}-nowhere", code, "submitted", None, None, False)]
        for rid, service_code, status, lat, long, hidden in filed:
            await conn.execute(text(
                "INSERT INTO citizen_requests (id, service_code, description, citizen_id, lat, long, status, submitted_at,"
                " hidden) VALUES (:id, :code, '', 'dup-rule', :lat, :long, :status, :at, :hidden)"),
                {"id": rid, "code": service_code, "lat": lat, "long": long, "status": status, "at": now, "hidden": hidden})
        reported = [Reported(rid, service_code, status, lat, long, now, hidden)
                    for rid, service_code, status, lat, long, hidden in filed]
        assert any(r.hidden and r.status in OPEN for r in reported)
        assert sum(r.service_code == code and r.status in OPEN for r in reported) >= 10  # more than are offered
        nearby = text(f"SELECT {nearby_sql('d')} FROM (SELECT CAST(:code AS text) AS service_code, CAST(:lat AS float8) AS lat,"
                      " CAST(:long AS float8) AS long, CAST(:radius AS float8) AS radius) d")
        for (lat, long), radius in itertools.product([centre, spots[0], (centre[0] + 0.0003, centre[1])], [5, 30, 50, 100, 1000]):
            in_sql = await conn.scalar(nearby, {"code": code, "lat": lat, "long": long, "radius": radius, "open": sorted(OPEN)})
            in_python = possible_duplicates(code, lat, long, radius, reported)
            assert [(d["service_request_id"], d["distance_m"]) for d in in_sql] == \
                   [(d["service_request_id"], d["distance_m"]) for d in in_python], (lat, long, radius)
        await tx.rollback()
