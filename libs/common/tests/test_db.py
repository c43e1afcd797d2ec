"""The service engine's connection settings, against the real PostgreSQL."""

from sqlalchemy import text

from ecity_common.db import make_engine
from ecity_common.settings import ServiceSettings


async def test_each_connection_plans_as_the_service_asks(infra):
    url = infra.new_database("plans")
    for mode in ("auto", "force_custom_plan"):
        engine = make_engine(ServiceSettings(database_url=url, database_plan_cache_mode=mode))
        try:
            async with engine.connect() as conn:
                assert await conn.scalar(text("SHOW plan_cache_mode")) == mode
        finally:
            await engine.dispose()
