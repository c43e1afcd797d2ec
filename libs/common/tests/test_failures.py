"""Whose fault a failure is: errors made for real against PostgreSQL and Kafka, then classified."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ecity_cli.infra import free_port
from ecity_common.db import make_engine
from ecity_common.doorbell import libpq_dsn
from ecity_common.failures import Backoff, Failure, classify
from ecity_common.settings import ServiceSettings


async def _raised(coro) -> BaseException:
    try:
        await coro
    except Exception as exc:  # noqa: BLE001 - the exception is what is examined
        return exc
    raise AssertionError("no exception")


async def test_a_database_that_is_not_there_is_the_infrastructure():
    url = f"postgresql+asyncpg://ecity@127.0.0.1:{free_port()}/nothing"
    engine = make_engine(ServiceSettings(database_url=url))
    try:
        async def query():
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

        assert classify(await _raised(query())) is Failure.INFRASTRUCTURE
        assert classify(await _raised(asyncpg.connect(libpq_dsn(url)))) is Failure.INFRASTRUCTURE
    finally:
        await engine.dispose()


async def test_a_session_the_server_ends_is_the_infrastructure_and_a_refused_statement_is_the_work(infra):
    url = infra.new_database("failures")
    engine = make_engine(ServiceSettings(database_url=url))
    try:
        async with engine.connect() as victim, engine.connect() as admin:
            pid = await victim.scalar(text("SELECT pg_backend_pid()"))
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            ended = await _raised(victim.execute(text("SELECT 1")))
        assert isinstance(ended, DBAPIError)
        assert classify(ended) is Failure.INFRASTRUCTURE

        async with engine.connect() as conn:
            # A constraint, a cast, a statement timeout: the server answered about the work itself.
            refused = await _raised(conn.execute(text("SELECT 1/0")))
            assert classify(refused) is Failure.OWN
        async with engine.connect() as conn:
            await conn.execute(text("SET statement_timeout = '50ms'"))
            timed_out = await _raised(conn.execute(text("SELECT pg_sleep(1)")))
            assert classify(timed_out) is Failure.OWN
    finally:
        await engine.dispose()


async def test_a_deadlock_is_a_conflict_to_run_again(infra):
    dsn = libpq_dsn(infra.new_database("deadlock"))
    setup = await asyncpg.connect(dsn)
    await setup.execute("CREATE TABLE t (id int PRIMARY KEY, n int); INSERT INTO t VALUES (1, 0), (2, 0)")
    await setup.close()
    a, b = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        ta, tb = a.transaction(), b.transaction()
        await ta.start()
        await tb.start()
        await a.execute("UPDATE t SET n = 1 WHERE id = 1")
        await b.execute("UPDATE t SET n = 1 WHERE id = 2")
        results = await asyncio.gather(a.execute("UPDATE t SET n = 2 WHERE id = 2"),
                                       b.execute("UPDATE t SET n = 2 WHERE id = 1"), return_exceptions=True)
        [deadlock] = [r for r in results if isinstance(r, BaseException)]
        assert classify(deadlock) is Failure.CONFLICT
        # Wrapped by a handler of ours, it is still a conflict.
        try:
            raise ValueError("routing failed") from deadlock
        except ValueError as wrapped:
            assert classify(wrapped) is Failure.CONFLICT
    finally:
        await a.close()
        await b.close()


async def test_a_broker_that_is_not_there_is_the_infrastructure():
    producer = AIOKafkaProducer(bootstrap_servers=f"127.0.0.1:{free_port()}", request_timeout_ms=1000)
    failure = await _raised(producer.start())
    await producer.stop()
    assert isinstance(failure, KafkaConnectionError)
    assert classify(failure) is Failure.INFRASTRUCTURE
    assert classify(KafkaTimeoutError()) is Failure.INFRASTRUCTURE


@pytest.mark.parametrize("exc", [ValueError("bad attribute"), KeyError("company"), FileNotFoundError("x.csv"),
                                 RuntimeError("a bug")])
def test_the_work_s_own_failures(exc):
    assert classify(exc) is Failure.OWN


def test_the_back_off_grows_to_its_cap_and_starts_over():
    backoff = Backoff(first_s=0.5, cap_s=4.0)
    delays = [backoff.next_delay() for _ in range(7)]
    ceilings = [0.5, 1, 2, 4, 4, 4, 4]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True)), delays
    backoff.reset()
    assert backoff.next_delay() <= 0.5
