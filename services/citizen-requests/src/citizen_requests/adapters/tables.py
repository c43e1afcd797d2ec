"""citizen-requests' own tables."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
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

from citizen_requests.domain.publication import PUBLICATION_STATES
from ecity_common.messaging.tables import messaging_tables
from ecity_common.web.idempotency import idempotency_table

metadata = MetaData()
messaging = messaging_tables(metadata)
idempotency_keys = idempotency_table(metadata)

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
    Column("status_notes", Text),
    Column("expected_datetime", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("attributes", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("media_url", Text),
    Column("address_id", Text),
    Column("zipcode", Text),
    Column("email", Text),
    Column("phone", Text),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("channel", Text, nullable=False, server_default="app"),
    # Why the request is back with the city's dispatcher (no company serves the place, or the
    # company said it is not theirs); null when nobody needs to act on routing.
    Column("dispatch_flag", Text),
    # The utility outage the request was filed in (the citizen was told when supply returns).
    Column("outage_id", Text),
    # How far the description is on its way to the public, and the text the public sees (masked or
    # redacted); domain/publication.py. Pending unless filing decides: safe for a row written another way.
    Column("description_publication", Text, nullable=False, server_default="pending"),
    Column("description_public", Text),
    CheckConstraint(f"description_publication IN {PUBLICATION_STATES}", name="citizen_requests_description_publication"),
    Index("citizen_requests_submitted_at", "submitted_at"),  # Open311 date ranges, public lists
    Index("citizen_requests_category_place", "service_code", "lat", "long"),  # possible duplicates nearby
)

# How many creations a subject (a citizen, an Open311 client app) made in its current window.
creation_limits = Table(
    "creation_limits",
    metadata,
    Column("subject", Text, primary_key=True),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False),
)

# The service catalogue: each category's definition (catalogue.Category as JSON), in display order.
categories = Table(
    "categories",
    metadata,
    Column("code", Text, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("definition", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()),
    Column("updated_by", Text, nullable=False),
)

# Outages the utility companies announced (through utilities-gateway), for linking new requests.
utility_outages = Table(
    "utility_outages",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("company_name", Text, nullable=False),
    Column("planned", Boolean, nullable=False),
    Column("area", JSONB, nullable=False),
    Column("area_description", Text, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("expected_end", DateTime(timezone=True)),
    Column("cause", Text),
    Column("resolved_at", DateTime(timezone=True)),
)

open311_clients = Table(
    "open311_clients",
    metadata,
    Column("key_id", Text, primary_key=True),
    Column("key_hash", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
)

request_history = Table(
    "request_history",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("request_id", Text, ForeignKey("citizen_requests.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("from_status", Text),
    Column("to_status", Text, nullable=False),
    Column("note", Text),
    Column("public", Boolean, nullable=False, server_default=text("true")),
    # A company's photos of its work with this entry (their public addresses, at the gateway).
    Column("photos", JSONB),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("request_id", Text, ForeignKey("citizen_requests.id"), primary_key=True),
    Column("citizen_id", Text, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

comments = Table(
    "comments",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("request_id", Text, ForeignKey("citizen_requests.id"), nullable=False, index=True),
    Column("author", Text, nullable=False),
    Column("staff", Boolean, nullable=False),
    Column("text", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("publication", Text, nullable=False, server_default="pending"),  # as a description's
    Column("public_text", Text),
    CheckConstraint(f"publication IN {PUBLICATION_STATES}", name="comments_publication"),
)

# Photos citizens (and staff) sent: the rows; the pictures are in the photo store, by content hash
# (ecity_common.photos). A photo is uploaded first (request_id null), then attached at filing or
# to a comment; what of it is public is domain/photos.py's rule.
photos = Table(
    "photos",
    metadata,
    Column("id", Text, primary_key=True),
    Column("owner", Text, nullable=False),  # who sent it: a citizen's (or a staff member's) subject
    Column("request_id", Text, ForeignKey("citizen_requests.id")),
    Column("comment_id", BigInteger, ForeignKey("comments.id")),
    Column("content_hash", Text, nullable=False),  # sha256 of the full-size JPEG: its objects' keys
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("bytes", Integer, nullable=False),  # of the full size, as stored
    Column("publication", Text, nullable=False, server_default="pending"),
    Column("publication_by", Text),
    Column("publication_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("publication in ('pending', 'published', 'hidden')", name="photos_publication_state"),
    Index("photos_request", "request_id"),
    Index("photos_owner", "owner"),
    Index("photos_content_hash", "content_hash"),
)
