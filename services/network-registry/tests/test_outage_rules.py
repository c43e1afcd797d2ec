"""The flap window in SQL (adapters.queries.recent_outage) is the domain's rule
(domain.outages.continues_outage): both run on the same outages in the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecity_common.db import make_engine, make_sessions
from ecity_common.migrations import upgrade
from network_registry.adapters import queries
from network_registry.domain.outages import FLAP_WINDOW_S, continues_outage
from network_registry.main import MIGRATIONS_DIR
from network_registry.settings import Settings


@pytest.fixture(scope="module")
def registry_database(infra):
    url = infra.new_database("registry_outages")
    upgrade(MIGRATIONS_DIR, url)
    return url


FAILED_AT = datetime(2021, 10, 5, 9, 30, tzinfo=UTC)
# Seconds before the new failure that each element's last outage was resolved (None: still open).
RESOLVED_BEFORE = [None, -60, 0, 1, FLAP_WINDOW_S - 1, FLAP_WINDOW_S, FLAP_WINDOW_S + 1, 3600, 86_400]


async def test_the_flap_window_in_sql_agrees_with_the_rule(registry_database):
    engine = make_engine(Settings(database_url=registry_database))
    try:
        async with make_sessions(engine)() as session, session.begin():
            resolved = {}
            for n, seconds in enumerate(RESOLVED_BEFORE):
                element = f"dev-{n}"
                resolved[element] = None if seconds is None else FAILED_AT - timedelta(seconds=seconds)
                await queries.add_outage(session, f"outage-{n}", "device", element, FAILED_AT - timedelta(days=1), [])
                if resolved[element] is not None:
                    await queries.resolve_outages(session, "device", element, resolved[element])
            # One element with several past outages: the latest that the failure continues is the one.
            for n, seconds in enumerate((4000, 120, 30)):
                await queries.add_outage(session, f"flapper-{n}", "device", "dev-flapper", FAILED_AT - timedelta(days=1), [])
                await queries.resolve_outages(session, "device", "dev-flapper", FAILED_AT - timedelta(seconds=seconds))

            for element, resolved_at in resolved.items():
                in_sql = await queries.recent_outage(session, "device", element, FAILED_AT)
                assert (in_sql is not None) == continues_outage(resolved_at, FAILED_AT), (element, resolved_at)
            assert await queries.recent_outage(session, "device", "dev-flapper", FAILED_AT) == "flapper-2"
            assert [continues_outage(FAILED_AT - timedelta(seconds=s), FAILED_AT) for s in (4000, 120, 30)] == [False, True, True]
            await session.rollback()
    finally:
        await engine.dispose()


def test_the_rule_itself():
    assert continues_outage(FAILED_AT - timedelta(seconds=FLAP_WINDOW_S - 1), FAILED_AT)
    assert not continues_outage(FAILED_AT - timedelta(seconds=FLAP_WINDOW_S), FAILED_AT)
    assert not continues_outage(None, FAILED_AT)


