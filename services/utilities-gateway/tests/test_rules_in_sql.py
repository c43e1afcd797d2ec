"""Where SQL says a domain rule again, both say the same: run on the same rows of the real
PostgreSQL, the query and the domain function agree.

- The pull inbox's visibility (adapters/inbox.py mirrors domain/inbox.py).
- Which meter registers a batch simply continues (adapters/meter_readings.py's SERIES statement
  mirrors domain/meters.py's continues_register).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy import insert, select

from utilities_gateway.adapters.inbox import SETTLED_BELOW, visible_query
from utilities_gateway.adapters.meter_readings import SERIES
from utilities_gateway.adapters.tables import company_messages, meter_series, meters
from utilities_gateway.domain.inbox import Cursor, InboxMessage, inbox_order, visible_in_inbox
from utilities_gateway.domain.meters import ReadingIn, Series, continues_register

COMPANIES = ("co-water-demo", "co-heating-demo")


async def test_the_inbox_query_shows_what_the_visibility_rule_says(gateway):
    now = datetime.now(UTC)
    # Messages of two companies, some acknowledged, written by "transactions" in an order other
    # than their sequence numbers' (txid 300 took its number before txid 200 did).
    written = [(company, txid, acked) for txid, company, acked in itertools.product(
        (300, 200, 200, 100, 400), COMPANIES, (False, True, False))]
    async with gateway.app.state.engine.begin() as conn:
        await conn.execute(insert(company_messages), [
            {"id": f"msg_rule_{n}", "company_id": company, "type": "endpoint.test", "txid": txid,
             "body": {"type": "endpoint.test", "timestamp": now.isoformat(), "data": {}},
             "acked_at": now if acked else None} for n, (company, txid, acked) in enumerate(written)])
        rows = (await conn.execute(select(company_messages.c.id, company_messages.c.company_id, company_messages.c.txid,
                                          company_messages.c.seq, company_messages.c.acked_at))).all()
    messages = {r.id: InboxMessage(r.company_id, r.txid, r.seq, r.acked_at) for r in rows}
    seqs = sorted(m.seq for m in messages.values())
    cursors = [Cursor()] + [Cursor(t, s) for t in (100, 200, 300) for s in (seqs[0], seqs[len(seqs) // 2], seqs[-1])]

    checked = 0
    async with gateway.app.state.engine.connect() as conn:
        for company, after, settled in itertools.product(COMPANIES, cursors, (0, 100, 200, 201, 300, 401)):
            in_sql = [r.id for r in await conn.execute(visible_query(company, after, 1000, settled_below=settled))]
            by_rule = [i for i, m in sorted(messages.items(), key=lambda kv: inbox_order(kv[1]))
                       if visible_in_inbox(m, company_id=company, after=after, settled_below=settled)]
            assert in_sql == by_rule, (company, after, settled)
            checked += bool(by_rule)
    assert checked > 20  # the grid shows non-empty pages, not only empty ones

    # The live rule: settled below the oldest running transaction, read in one snapshot.
    async with gateway.app.state.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            settled = await conn.scalar(select(SETTLED_BELOW))
            for company in COMPANIES:
                in_sql = [r.id for r in await conn.execute(visible_query(company, Cursor(), 1000))]
                by_rule = [i for i, m in sorted(messages.items(), key=lambda kv: inbox_order(kv[1]))
                           if visible_in_inbox(m, company_id=company, after=Cursor(), settled_below=settled)]
                assert in_sql == by_rule


def test_a_cursor_reads_back_what_it_wrote():
    assert Cursor.parse("0") == Cursor(0, 0) and Cursor.parse("12.7") == Cursor(12, 7)
    assert str(Cursor(12, 7)) == "12.7" and Cursor.parse(str(Cursor(99, 3))) == Cursor(99, 3)
    assert Cursor(1, 9) < Cursor(2, 0) < Cursor(2, 1)


async def test_the_registers_query_picks_those_the_domain_says_need_a_closer_look(gateway):
    prefix, day = "co-water-demo/", datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    # Stored registers (unit, last value, last time) against a batch's first reading (unit, value, time).
    cases = {
        "00000001": (("m3", None, None), ("m3", 5.0, day)),            # stored, never read: continues
        "00000002": (("m3", 4.0, day - 60), ("m3", 5.0, day)),         # older and smaller: continues
        "00000003": (("m3", 5.0, day - 60), ("m3", 5.0, day)),         # older and equal: continues
        "00000004": (("m3", 6.0, day - 60), ("m3", 5.0, day)),         # older but larger: look closer
        "00000005": (("m3", 4.0, day), ("m3", 5.0, day)),              # the same time: look closer
        "00000006": (("m3", 4.0, day + 60), ("m3", 5.0, day)),         # a backfill: look closer
        "00000007": (("m3", 4.0, day - 60), ("t", 5.0, day)),          # another unit: look closer
        "00000008": (None, ("m3", 5.0, day)),                          # new: nothing stored, continues
    }
    async with gateway.app.state.engine.begin() as conn:
        await conn.execute(insert(meters), [{"meter_id": prefix + m, "company_id": "co-water-demo", "kind": "water"}
                                            for m in cases])
        await conn.execute(insert(meter_series), [
            {"meter_id": prefix + m, "reading_type": "cold_water_volume", "unit": unit, "last_value": value,
             "last_taken_at": datetime.fromtimestamp(ts, UTC) if ts is not None else None}
            for m, ((unit, value, ts), _) in ((m, c) for m, c in cases.items() if c[0] is not None)])
        firsts = {m: (ReadingIn(meter_id=m, reading_type="cold_water_volume", unit=unit, value=value,
                                taken_at=datetime.fromtimestamp(ts, UTC)), ts) for m, (_, (unit, value, ts)) in cases.items()}
        returned = {r.meter_id for r in await conn.execute(SERIES, {
            "m": list(cases), "t": ["cold_water_volume"] * len(cases), "u": [f[0].unit for f in firsts.values()],
            "fts": [f[1] for f in firsts.values()], "fv": [f[0].value for f in firsts.values()], "prefix": prefix})}
    by_rule = {m for m, (stored, _) in cases.items()
               if not continues_register(Series(*stored) if stored else Series(firsts[m][0].unit), *firsts[m])}
    assert returned == by_rule == {"00000004", "00000005", "00000006", "00000007"}
