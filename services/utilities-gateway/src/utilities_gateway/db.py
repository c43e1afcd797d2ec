"""utilities-gateway's own tables."""

from sqlalchemy import Column, DateTime, Float, MetaData, Table, Text, func

from ecity_common.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

# Citizens' requests of a utility kind, as they arrive; routing to a company fills `company_id`.
incoming_requests = Table(
    "incoming_requests",
    metadata,
    Column("request_id", Text, primary_key=True),
    Column("service_code", Text, nullable=False),
    Column("utility_kind", Text, nullable=False),
    Column("address", Text),
    Column("lat", Float),
    Column("long", Float),
    Column("company_id", Text),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
