"""network-registry's own tables: the МТКМ's sites, devices and fibre links, their change log,
the outages they cause, and the keys of the network management system."""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from ecity_common.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)


def _common(*columns):
    return (
        Column("id", Text, primary_key=True),
        *columns,
        # Bumped by every write: the ETag, and what If-Match is checked against.
        Column("version", Integer, nullable=False, server_default="1"),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


sites = Table(
    "sites", metadata,
    *_common(
        Column("name", Text, nullable=False, unique=True),
        Column("kind", Text, nullable=False),
        Column("address", Text),
        Column("lat", Float),
        Column("long", Float),
        Column("owner_holder_code", Text),  # the budget holder that owns it
        Column("status", Text, nullable=False),
    ),
)

devices = Table(
    "devices", metadata,
    *_common(
        Column("name", Text, nullable=False, unique=True),
        Column("role", Text, nullable=False),
        Column("manufacturer", Text),
        Column("model", Text),
        Column("serial", Text, unique=True),
        Column("mgmt_ip", Text, unique=True),
        Column("site_id", Text, ForeignKey("sites.id"), nullable=False, index=True),
        Column("status", Text, nullable=False),
        Column("cost_kop", BigInteger),
        Column("measure_code", Text),
        Column("holder_code", Text),
        Column("commissioned_on", Date),
    ),
)

links = Table(
    "links", metadata,
    *_common(
        Column("name", Text, nullable=False, unique=True),
        Column("a_device_id", Text, ForeignKey("devices.id"), nullable=False, index=True),
        Column("b_device_id", Text, ForeignKey("devices.id"), nullable=False, index=True),
        Column("fibre_count", Integer, nullable=False),
        Column("length_m", Float, nullable=False),
        Column("route", JSONB),  # GeoJSON LineString
        Column("status", Text, nullable=False),
        Column("installed_on", Date),
        Column("cost_kop", BigInteger),
        Column("measure_code", Text),
        Column("holder_code", Text),
        Column("commissioned_on", Date),
    ),
)

changes = Table(
    "changes", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("object_type", Text, nullable=False),
    Column("object_id", Text, nullable=False),
    Column("action", Text, nullable=False),  # create, update, delete
    Column("before", JSONB),
    Column("after", JSONB),
    Column("actor", Text, nullable=False),
    Column("request_id", Text, nullable=False),  # groups one bulk call
    Column("message", Text),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("changes_object", "object_type", "object_id"),
)

outages = Table(
    "outages", metadata,
    Column("id", Text, primary_key=True),
    Column("element_kind", Text, nullable=False),
    Column("element_id", Text, nullable=False),
    Column("detected_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("affected_sites", JSONB, nullable=False),
    # One open outage per element: a flapping element does not open another.
    Index("outages_one_open", "element_kind", "element_id", unique=True, postgresql_where=text("resolved_at IS NULL")),
)

monitoring_keys = Table(
    "monitoring_keys", metadata,
    Column("key_id", Text, primary_key=True),
    Column("key_hash", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
)

# Bumped by every write to sites, devices or links, in the writer's transaction (so writers serialise on
# it and it names one state of the network): each replica knows when its cached graph and its drawn
# pictures of the network are stale.
topology_version = Table("topology_version", metadata, Column("id", Integer, primary_key=True), Column("version", BigInteger, nullable=False))
