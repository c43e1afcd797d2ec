"""The async engine and sessions of a service's own database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
from fastapi import Request
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


def make_engine(settings: ServiceSettings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
        json_serializer=_json,
        json_deserializer=orjson.loads,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_pre_ping=settings.database_pool_pre_ping,
        pool_recycle=settings.database_pool_recycle_s,
        # Sent only when not PostgreSQL's default: a connection pooler in front (PgBouncer) may
        # refuse startup parameters it does not know.
        connect_args={"server_settings": {"plan_cache_mode": settings.database_plan_cache_mode}}
        if settings.database_plan_cache_mode != "auto" else {},
    )


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def session(request: Request) -> AsyncIterator[AsyncSession]:
    """FastAPI dependency: one session per request; use cases open the transaction."""
    async with request.app.state.sessions() as s:
        yield s
