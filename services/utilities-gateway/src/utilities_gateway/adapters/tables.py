"""utilities-gateway's own tables (migrations/versions holds the same, as Alembic scripts)."""

from sqlalchemy import (
                        ARRAY,
                        BigInteger,
                        Boolean,
                        Column,
                        DateTime,
                        Float,
                        ForeignKey,
                        Identity,
                        Index,
                        Integer,
                        MetaData,
                        PrimaryKeyConstraint,
                        Table,
                        Text,
                        func,
                        text,
)
from sqlalchemy.dialects.postgresql import JSONB

from ecity_common.messaging.tables import messaging_tables
from ecity_common.web.idempotency import idempotency_table

metadata = MetaData()
messaging = messaging_tables(metadata)
idempotency_keys = idempotency_table(metadata)

companies = Table(
    "companies",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),  # water, heating, waste, electricity, gas
    Column("edrpou", Text, nullable=False, unique=True),
    Column("contact_email", Text),
    Column("contact_phone", Text),
    Column("area", JSONB, nullable=False),  # ecity_common.areas.Area
    Column("service_codes", ARRAY(Text), nullable=False, server_default="{}"),  # empty: every category of its kind
    # Lower wins when two companies of a kind serve one place (e.g. a district contractor first).
    Column("priority", Integer, nullable=False, server_default="100"),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Only a hash of each key is kept. A rotated key keeps working until `expires_at` (the overlap
# lets the company roll the new key out without downtime).
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", Text, primary_key=True),
    Column("company_id", Text, ForeignKey("companies.id"), nullable=False, index=True),
    Column("key_hash", Text, nullable=False),
    Column("label", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Text, primary_key=True),
    Column("company_id", Text, ForeignKey("companies.id"), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("description", Text),
    Column("event_types", ARRAY(Text), nullable=False, server_default="{}"),  # empty: every type
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("disabled_reason", Text),
    # HMAC needs the secret itself, so it is stored (never shown again, never logged); while a
    # secret rotates, the previous one also signs until it expires.
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text),
    Column("previous_secret_expires_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Citizens' requests of a utility kind and where they went. company_id is null when routing failed.
routed_requests = Table(
    "routed_requests",
    metadata,
    Column("request_id", Text, primary_key=True),
    Column("company_id", Text, ForeignKey("companies.id"), index=True),
    Column("service_code", Text, nullable=False),
    Column("utility_kind", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("address", Text),
    Column("lat", Float),
    Column("long", Float),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("answer_due", DateTime(timezone=True)),  # the legal deadline citizen-requests computed
    Column("status", Text, nullable=False),  # routed, in_progress, planned, resolved, rejected, unrouted
    Column("routing_failure", Text),
    Column("planned_for", DateTime(timezone=True)),
    Column("public_note", Text),
    Column("routed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# What a company is told, in order: the pull inbox reads it by `seq`, webhooks deliver it.
company_messages = Table(
    "company_messages",
    metadata,
    Column("seq", BigInteger, Identity(), primary_key=True),
    Column("id", Text, nullable=False, unique=True),  # msg_…: the webhook-id, stable across retries
    Column("company_id", Text, ForeignKey("companies.id"), nullable=False),
    Column("type", Text, nullable=False),
    Column("body", JSONB, nullable=False),  # {type, timestamp, data}: exactly what a webhook POSTs
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("acked_at", DateTime(timezone=True)),
    # The writing transaction's id. Identity values are taken in insert order but committed in any
    # order, so a reader going by `seq` alone could pass a message still being committed; going by
    # (txid, seq) below the oldest running transaction, it never can (domain/inbox.py).
    Column("txid", BigInteger, nullable=False, server_default=text("(pg_current_xact_id()::text)::bigint")),
    Index("company_messages_unacked", "company_id", "txid", "seq", postgresql_where=text("acked_at IS NULL")),
)

# Every statement that stages webhook deliveries rings the dispatchers at commit (ecity_common.doorbell).
DELIVERIES_CHANNEL = "utilities_gateway_deliveries"  # the trigger of migration 0005 names it too

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("message_seq", BigInteger, ForeignKey("company_messages.seq"), nullable=False, index=True),
    Column("endpoint_id", Text, ForeignKey("webhook_endpoints.id"), nullable=False, index=True),
    Column("status", Text, nullable=False, server_default="pending"),  # pending, succeeded, failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # A dispatcher holds a delivery while it sends; if it dies, the lease runs out and another
    # one picks it up (the receiver may then see the same webhook-id twice, which is the contract).
    Column("leased_until", DateTime(timezone=True)),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True)),
    Index("deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("delivery_id", BigInteger, ForeignKey("deliveries.id"), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("duration_ms", Float, nullable=False),
    Column("error", Text),
)

outages = Table(
    "outages",
    metadata,
    Column("id", Text, primary_key=True),
    Column("company_id", Text, ForeignKey("companies.id"), nullable=False, index=True),
    Column("kind", Text, nullable=False),
    Column("planned", Boolean, nullable=False),
    Column("area", JSONB, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("expected_end", DateTime(timezone=True)),
    Column("cause", Text),
    Column("status", Text, nullable=False, server_default="active"),  # active, resolved
    Column("reported_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolution_note", Text),
)

meters = Table(
    "meters",
    metadata,
    Column("meter_id", Text, primary_key=True),  # an EIC code, or the company's account number
    # An account number's company is the one whose numbering it is (its first reading makes the row);
    # an EIC's is the one the city bound it to, null once unbound (its readings stay).
    Column("company_id", Text, ForeignKey("companies.id"), nullable=True, index=True),
    Column("kind", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Every change of an EIC's company, as the city made it (domain/meter_bindings.py): the meter's
# company now is meters.company_id; this is how it came to be.
meter_bindings = Table(
    "meter_bindings",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("meter_id", Text, ForeignKey("meters.meter_id"), nullable=False, index=True),
    Column("company_id", Text, ForeignKey("companies.id")),  # null: unbound
    Column("previous_company_id", Text, ForeignKey("companies.id")),
    Column("change", Text, nullable=False),  # bound, transferred, unbound, carried-over
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("by", Text, nullable=False),  # the staff member's subject, "demo data", or the migration
    Column("note", Text),
)

# One cumulative register of a meter (e.g. electricity import and export are two series), with its
# unit and the newest reading, so a batch checks "never decreases" without scanning history.
meter_series = Table(
    "meter_series",
    metadata,
    Column("meter_id", Text, ForeignKey("meters.meter_id"), nullable=False),
    Column("reading_type", Text, nullable=False),
    Column("unit", Text, nullable=False),
    Column("last_value", Float),
    Column("last_taken_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("meter_id", "reading_type", name="meter_series_pkey"),
)

meter_readings = Table(
    "meter_readings",
    metadata,
    Column("meter_id", Text, nullable=False),
    Column("reading_type", Text, nullable=False),
    Column("taken_at", DateTime(timezone=True), nullable=False),
    Column("value", Float, nullable=False),
    Column("source", Text, nullable=False),
    Column("batch_id", Text, nullable=False),
    PrimaryKeyConstraint("meter_id", "reading_type", "taken_at", name="meter_readings_pkey"),
)

# Every call to the integration API: who (company and key id, never the key), what, when, result.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("company_id", Text, index=True),
    Column("actor", Text),  # the key's visible prefix (uk_1a2b3c4d), or "unauthenticated"
    Column("method", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("idempotency_key", Text),
    Column("duration_ms", Float, nullable=False),
    Column("summary", Text),  # e.g. "10000 readings: 9998 accepted, 2 rejected"
)

# Photos a company sends with its progress reports (proof of work): the rows; the pictures are in
# the gateway's own photo store (ecity_common.photos), by content hash. Uploaded first
# (request_id null), then attached to one report on one of the company's requests.
report_photos = Table(
    "report_photos",
    metadata,
    Column("id", Text, primary_key=True),
    Column("company_id", Text, ForeignKey("companies.id"), nullable=False, index=True),
    Column("request_id", Text, ForeignKey("routed_requests.request_id"), index=True),
    Column("report_status", Text),  # the report it came with (in_progress, planned, resolved, rejected)
    Column("content_hash", Text, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
