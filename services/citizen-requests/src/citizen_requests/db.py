"""citizen-requests' own tables."""

from sqlalchemy import Column, DateTime, Float, MetaData, Table, Text

from ecity_common.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

citizen_requests = Table(
    "citizen_requests",
    metadata,
    Column("id", Text, primary_key=True),
    Column("service_code", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("citizen_id", Text, nullable=False, index=True),
    Column("lat", Float),
    Column("long", Float),
    Column("address", Text),
    Column("status", Text, nullable=False),
    Column("agency_responsible", Text),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
)
