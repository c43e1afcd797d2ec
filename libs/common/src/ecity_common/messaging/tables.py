"""The outbox and inbox tables, defined once and added to each service's own metadata.

Each service owns its database, so each has its own copy of these tables, created by its own
Alembic migration through `ecity_common.migrations.create_messaging_tables`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    DDL,
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

# The channel the outbox trigger notifies and the relay listens on.
NOTIFY_CHANNEL = "ecity_outbox"


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", Text, nullable=False, unique=True),
        Column("aggregate_type", Text, nullable=False),
        Column("aggregate_id", Text, nullable=False),
        Column("type", Text, nullable=False),
        Column("topic", Text, nullable=False),
        # The CloudEvent attributes and data, exactly as they will be published.
        Column("payload", JSONB, nullable=False),
        # Kafka headers beyond the CloudEvent ones; `traceparent` of the request that wrote it.
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        # The relay scans only unsent rows, and checks per aggregate that no earlier one is unsent.
        Index("outbox_unsent", "id", postgresql_where=text("published_at IS NULL")),
        Index(
            "outbox_unsent_by_aggregate",
            "aggregate_type",
            "aggregate_id",
            "id",
            postgresql_where=text("published_at IS NULL"),
        ),
        Index("outbox_published_at", "published_at", postgresql_where=text("published_at IS NOT NULL")),
    )
    # Every statement that adds outbox rows wakes the relays at commit, with no extra round trip
    # for the writer. NOTIFY is per database, and each service has its own.
    for ddl in (
        f"""CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('{NOTIFY_CHANNEL}', ''); RETURN NULL; END $$""",
        "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()",
    ):
        event.listen(outbox, "after_create", DDL(ddl))
    inbox = Table(
        "inbox",
        metadata,
        Column("source", Text, nullable=False),
        Column("event_id", Text, nullable=False),
        Column("type", Text, nullable=False),
        Column("topic", Text, nullable=False),
        Column("consumer_group", Text, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # CloudEvents: the same source and id is the same event.
        PrimaryKeyConstraint("source", "event_id", name="inbox_pkey"),
    )
    return MessagingTables(outbox=outbox, inbox=inbox)
