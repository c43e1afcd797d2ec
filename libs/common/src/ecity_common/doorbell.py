"""A doorbell: PostgreSQL's LISTEN/NOTIFY waking a loop within milliseconds of a commit.

A writer's transaction rings (a trigger's `pg_notify`, delivered at commit, so the loop never wakes
to rows it cannot see yet); the loop waits on `wake` with its slow poll as the backstop. The
listening connection is kept open and opened again when it drops; while it is down the poll
covers, and on reconnecting the bell rings once to catch up on whatever was committed meanwhile.
Used by the outbox relay and by notifications' dispatcher.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


def ring_on_insert(table: str, channel: str) -> list[str]:
    """The DDL that makes every statement inserting into `table` ring `channel` at its commit (a
    statement trigger: one NOTIFY however many rows), for a migration to execute."""
    return [f"""CREATE FUNCTION {table}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_notify('{channel}', ''); RETURN NULL; END $$""",
            f"CREATE TRIGGER {table}_notify AFTER INSERT ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {table}_notify()"]


def stop_ringing(table: str) -> list[str]:
    return [f"DROP TRIGGER {table}_notify ON {table}", f"DROP FUNCTION {table}_notify()"]


def libpq_dsn(sqlalchemy_url: str) -> str:
    """The plain `postgresql://` DSN that asyncpg wants, from a SQLAlchemy URL."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def keep_listening(database_url: str, channel: str, wake: asyncio.Event, stopping: asyncio.Event,
                         *, what: str) -> None:
    """Set `wake` on every NOTIFY on `channel` until `stopping` is set; `what` names the loop in
    the log when the connection is lost."""
    dsn = libpq_dsn(database_url)
    lost = False
    while not stopping.is_set():
        try:
            conn = await asyncpg.connect(dsn)
            try:
                await conn.add_listener(channel, lambda *_: wake.set())
                lost = False
                wake.set()  # catch up on whatever was committed while not listening
                while not conn.is_closed() and not stopping.is_set():
                    await asyncio.sleep(1.0)
            finally:
                await conn.close()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the poll covers us while we reconnect
            if not lost:  # once per outage; the loop's own log says when it is over
                log.warning("%s LISTEN connection lost (%s: %s); reconnecting every second", what, type(exc).__name__, exc)
            lost = True
            await asyncio.sleep(1.0)


async def sleep_until_woken(wake: asyncio.Event, timeout_s: float) -> None:
    try:
        await asyncio.wait_for(wake.wait(), timeout=timeout_s)
    except TimeoutError:
        pass
    wake.clear()
