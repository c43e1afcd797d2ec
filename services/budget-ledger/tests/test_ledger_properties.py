"""Property-based tests over random workloads, against the real PostgreSQL.

Each example runs in a transaction that is rolled back, on a ledger that starts empty (the
programme's structure only); replays go to a second, equally empty ledger database.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budget_ledger.adapters import queries
from budget_ledger.adapters.signing import TrustedKeys
from budget_ledger.adapters.tables import messaging
from budget_ledger.domain.ledger import Effect, EntryDraft, FinancingOverPlan
from budget_ledger.main import MIGRATIONS_DIR
from budget_ledger.settings import Settings
from budget_ledger.use_cases import posting as service
from budget_ledger.use_cases.demo_programme import MEASURES, seed_structure
from budget_ledger.use_cases.reports import execution_report
from budget_ledger.use_cases.verification import verify_ledger
from ecity_common.db import make_engine, make_sessions
from ecity_common.messaging.outbox import Outbox
from ecity_common.migrations import upgrade
from ecity_common.refusals import Refused

MEASURE_CODES = [m[0] for m in MEASURES]
KEKV_FUND = {m[0]: (m[5], m[6]) for m in MEASURES}


@pytest.fixture(scope="module")
def ledgers(infra):
    urls = [infra.new_database("ledger_a"), infra.new_database("ledger_b")]

    async def structure(url):
        engine = make_engine(Settings(database_url=url))
        async with make_sessions(engine)() as session, session.begin():
            await seed_structure(session)
        await engine.dispose()

    for url in urls:
        upgrade(MIGRATIONS_DIR, url)
        asyncio.run(structure(url))
    return urls


post = st.tuples(
    st.just("post"),
    st.sampled_from(MEASURE_CODES),
    st.sampled_from([2020, 2021, 2022]),
    st.sampled_from(["appropriation", "amendment", "financing", "financing", "expenditure"]),
    st.integers(1, 5_000_000_000),
    st.sampled_from(["increase", "decrease"]),
    st.booleans(),
)
reverse = st.tuples(st.just("reverse"), st.integers(0, 10_000))
repost = st.tuples(st.just("repost"), st.integers(0, 10_000))
workloads = st.lists(st.one_of(post, post, reverse, repost), min_size=1, max_size=40)


def independent_effect(draft: EntryDraft, reversed_effect: Effect | None) -> Effect:
    """The test's own reading of what an entry does, to check the service against."""
    if draft.kind == "reversal":
        return Effect(-reversed_effect.plan, -reversed_effect.financed, -reversed_effect.spent)
    sign = -1 if draft.direction == "decrease" else 1
    return {
        "appropriation": Effect(plan=draft.amount_kop),
        "amendment": Effect(plan=sign * draft.amount_kop),
        "financing": Effect(financed=draft.amount_kop),
        "expenditure": Effect(spent=draft.amount_kop),
    }[draft.kind]


def as_request(draft: EntryDraft):
    if draft.kind == "reversal":
        return service.ReversalRequest(draft.entry_id, draft.reverses, draft.entry_date, draft.document_ref, draft.author)
    return draft


async def run_workload(urls, ops) -> None:
    a, b = (make_engine(Settings(database_url=u)) for u in urls)
    outbox = Outbox(messaging.outbox, Settings())
    try:
        async with make_sessions(a)() as session:
            await session.begin()
            accepted, effects = [], {}
            reversed_by: dict[str, str] = {}
            for n, op in enumerate(ops):
                if op[0] == "post":
                    _, measure, year, kind, amount, direction, override = op
                    kekv, fund = KEKV_FUND[measure]
                    draft = EntryDraft(
                        entry_id=f"e{n}", kind=kind, holder_code=measure[:2], measure_code=measure, year=year, fund=fund,
                        kekv=kekv, amount_kop=amount, entry_date=date(year, 6, 1), document_ref=f"doc {n}", author="prop",
                        direction=direction if kind == "amendment" else None,
                        override_reason="council decision" if override and kind == "financing" else None,
                    )
                    before = await service.balance_of(session, measure, year)
                    try:
                        posted = await service.post_entry(session, outbox, draft)
                    except FinancingOverPlan:
                        assert draft.override_reason is None
                        assert before.financed + amount > before.planned
                        continue
                    after = await service.balance_of(session, measure, year)
                    if kind == "financing" and draft.override_reason is None:
                        assert after.financed <= after.planned  # the plan rule held
                elif not accepted:
                    continue
                elif op[0] == "reverse":
                    target = accepted[op[1] % len(accepted)]
                    request = service.ReversalRequest(f"e{n}", target.entry_id, date(2022, 12, 1), f"doc {n}", "prop")
                    try:
                        posted = await service.post_entry(session, outbox, request)
                    except Refused as exc:
                        assert exc.field == "reverses"
                        assert target.kind == "reversal" or target.entry_id in reversed_by
                        continue
                    assert target.entry_id not in reversed_by and target.kind != "reversal"
                    reversed_by[target.entry_id] = posted.entry.draft.entry_id
                else:  # repost: the same entry again is "already recorded", and changes nothing
                    target = accepted[op[1] % len(accepted)]
                    again = await service.post_entry(session, outbox, as_request(target))
                    assert not again.created and again.entry.draft == target
                    continue
                draft = posted.entry.draft
                assert posted.created
                effects[draft.entry_id] = independent_effect(draft, effects.get(draft.reverses))
                assert posted.entry.effect == effects[draft.entry_id]
                accepted.append(draft)

            # A reversal nets its entry to zero.
            for original, reversal in reversed_by.items():
                e, r = effects[original], effects[reversal]
                assert (e.plan + r.plan, e.financed + r.financed, e.spent + r.spent) == (0, 0, 0)

            # The balances are the sum of the entries' effects, however they are computed.
            expected = defaultdict(lambda: [0, 0, 0])
            for d in accepted:
                e = effects[d.entry_id]
                totals = expected[(d.measure_code, d.year)]
                totals[0] += e.plan
                totals[1] += e.financed
                totals[2] += e.spent
            stored = await queries.stored_balances(session)
            rebuilt = await queries.rebuilt_balances(session)
            as_lists = {k: [v.planned, v.financed, v.spent] for k, v in stored.items()}
            assert as_lists == {k: [v.planned, v.financed, v.spent] for k, v in rebuilt.items()}
            assert {k: v for k, v in as_lists.items()} == {k: v for k, v in expected.items()}

            # Per-holder sums equal the programme totals.
            report = await execution_report(session, 2020, 2022)
            assert sum(h.planned_kop for h in report.holders.values()) == report.total.planned_kop
            assert sum(h.financed_kop for h in report.holders.values()) == report.total.financed_kop
            for h in report.holders.values():
                assert sum(m.financed_kop for m in h.measures.values()) == h.financed_kop
            assert report.total.planned_kop == sum(v[0] for v in expected.values())

            check = await verify_ledger(session, TrustedKeys.of(None, []))
            assert check.intact and check.entries == len(accepted), check.as_json()
            rows = await _rows_but_when(session)
            await session.rollback()

        # Replaying the same entries elsewhere rebuilds the same balances and the same rows; only
        # the time each was recorded differs, and with it (the chain covers it) the hashes.
        async with make_sessions(b)() as replay:
            await replay.begin()
            for d in accepted:
                await service.post_entry(replay, outbox, as_request(d))
            assert await _rows_but_when(replay) == rows
            assert (await verify_ledger(replay, TrustedKeys.of(None, []))).intact
            replayed = await queries.stored_balances(replay)
            assert {k: [v.planned, v.financed, v.spent] for k, v in replayed.items()} == as_lists
            await replay.rollback()
    finally:
        await a.dispose()
        await b.dispose()


async def _rows_but_when(session) -> list[dict]:
    rows = await queries.published_entries(session, 0, 10_000)
    return [{k: v for k, v in r.items() if k not in ("created_at", "prev_hash", "hash")} for r in rows]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=workloads)
def test_random_workloads_keep_the_ledger_consistent(ledgers, ops):
    asyncio.run(run_workload(ledgers, ops))
