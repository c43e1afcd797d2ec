"""Alembic plumbing every service's `migrations/env.py` calls, and programmatic upgrade."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine

from ecity_common.db import withhold_values_of
from ecity_common.messaging.tables import messaging_tables

# Any two replicas starting at once migrate one after the other, not both at once.
_MIGRATION_LOCK = 0x0EC17


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    # Built in code, not read from alembic.ini, so that an installed package (a container image)
    # migrates with nothing but itself; alembic.ini beside each service is for the alembic CLI.
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def run_migrations(target_metadata: MetaData, default_url: str) -> None:
    """The body of a service's env.py: online (async engine) or offline (SQL script)."""
    url = context.config.attributes.get("database_url") or default_url
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection) -> None:
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        context.configure(connection=connection, target_metadata=target_metadata, transaction_per_migration=False)
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        engine = create_async_engine(url, hide_parameters=True)  # a data migration's rows stay out of the logs
        withhold_values_of(engine)  # (as the services' engines: db.py)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(migrate)
        finally:
            await engine.dispose()

    asyncio.run(online())


def create_messaging_tables(op) -> None:
    """For a service's first migration: the outbox and inbox as `ecity_common` defines them.

    If these tables ever change, that change comes as a new helper and a new migration in every
    service; this one then stays as it is, so that old migrations keep their meaning.
    """
    tables = messaging_tables(MetaData())
    bind = op.get_bind()
    tables.outbox.create(bind)
    tables.inbox.create(bind)


def drop_messaging_tables(op) -> None:
    """The downgrade of `create_messaging_tables`."""
    op.drop_table("inbox")
    op.drop_table("outbox")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")
