"""The async engine and sessions of a service's own database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import asyncpg
import orjson
from fastapi import Request
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from ecity_common.failures import Failure, classify
from ecity_common.settings import ServiceSettings


def _json(value) -> str:
    # JSONB columns (outbox payloads of up to 1,000 meter readings, areas) are written through
    # orjson: several times faster than json.dumps, and it keeps Ukrainian text as UTF-8.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def database_unavailable(exc: BaseException) -> bool:
    """The database (or the way to it), not what was asked of it, is the trouble: a retry later
    may succeed, and a 503 with Retry-After is the answer. The same judgement as the consumer's
    and the relay's (`ecity_common.failures`), so that HTTP and background work agree."""
    return classify(exc) is Failure.INFRASTRUCTURE


WITHHELD = "(withheld: it would quote the statement's values)"
_ARGUMENT = re.compile(r"(invalid input for query argument \$\d+): ")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The error and those it wraps: SQLAlchemy's `.orig`, the driver's `__cause__`, `__context__`."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]


def withhold_values(exc: BaseException) -> BaseException:
    """The error (and every error it wraps) without the text that quotes a statement's values, so
    that no log line, dead letter or health answer made from it carries a citizen's description,
    e-mail or phone: PostgreSQL's DETAIL ("Failing row contains (…)", "Key (email)=(…) already
    exists"), the value a data exception quotes ('invalid input syntax for type uuid: "…"') and
    the driver's "invalid input for query argument $2: '…'". SQLAlchemy's own list of parameters
    is hidden by the engine (`hide_parameters`). The SQLSTATE, the constraint's, table's and
    column's names and the statement stay: `failures.classify` and whoever debugs need them.
    Changes the errors in place; returns `exc`."""
    chain = list(_chain(exc))
    quoted: list[tuple[str, str]] = []  # (text that quotes values, what is said instead)
    for error in chain:
        if isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError) and error.detail and error.detail != WITHHELD:
            quoted.append((f"DETAIL:  {error.detail}", f"DETAIL:  {WITHHELD}"))
            error.detail = WITHHELD
        message = error.args[0] if error.args and isinstance(error.args[0], str) else ""
        if isinstance(error, asyncpg.DataError) and (argument := _ARGUMENT.match(message)):
            quoted.append((message, f"{argument.group(1)}: {WITHHELD}"))
        # A data exception (SQLSTATE class 22) names the value it could not take at the end, in
        # double quotes.
        sqlstate = getattr(error, "sqlstate", None) or ""
        if sqlstate.startswith("22") and message.endswith('"') and (at := message.find(': "')) != -1:
            quoted.append((message, f"{message[:at]}: {WITHHELD}"))
    # The wrappers wrote the driver's text into their own message when they were made.
    for error in chain:
        if error.args and isinstance(error.args[0], str):
            text = error.args[0]
            for said, instead in quoted:
                text = text.replace(said, instead)
            error.args = (text, *error.args[1:])
    return exc


def make_engine(settings: ServiceSettings) -> AsyncEngine:
    engine = create_async_engine(
        settings.database_url,
        json_serializer=_json,
        json_deserializer=orjson.loads,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_pre_ping=settings.database_pool_pre_ping,
        pool_recycle=settings.database_pool_recycle_s,
        # A database error's text names the statement's parameters unless told not to, and it ends
        # up in the logs (a 500's traceback, the consumer's and the relay's failures): a citizen's
        # description, e-mail or phone would be written there with it.
        hide_parameters=True,
        # Sent only when not PostgreSQL's default: a connection pooler in front (PgBouncer) may
        # refuse startup parameters it does not know.
        connect_args={"server_settings": {"plan_cache_mode": settings.database_plan_cache_mode}}
        if settings.database_plan_cache_mode != "auto" else {},
    )
    withhold_values_of(engine)
    return engine


def withhold_values_of(engine: AsyncEngine) -> None:
    """Every error of the engine's statements is raised through `withhold_values`."""

    @event.listens_for(engine.sync_engine, "handle_error")
    def _withhold(context) -> None:
        withhold_values(context.sqlalchemy_exception or context.original_exception)


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def session(request: Request) -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: one session per request; use cases open the transaction."""
    async with request.app.state.sessions() as s:
        yield s
