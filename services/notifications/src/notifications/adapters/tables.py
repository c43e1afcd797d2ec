"""notifications' own tables: whom the service may write to (contacts), who follows which
request (subscriptions) and every message it owes or sent (deliveries)."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from ecity_common.messaging.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)

# A citizen's e-mail address. Used only once confirmed (issue 17: a signed link, not built yet);
# a permanent failure (SMTP 5xx) or an unsubscribe sets disabled_reason and the address is left alone.
contacts = Table(
    "contacts",
    metadata,
    Column("citizen_id", Text, primary_key=True),
    Column("channel", Text, primary_key=True),  # "email" now; "webpush" next
    Column("address", Text, nullable=False),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("disabled_reason", Text),
    Column("disabled_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("channel in ('email')", name="contacts_known_channel"),
)

# Who follows which request. Mirrors citizen-requests' `subscriptions` (request_id, citizen_id, at)
# and adds `role`: the reporter follows their own request automatically ("reporter"), anyone else
# by subscribing ("follower"); `opted_out_at` is a reporter's "stop telling me" (a follower who
# stops is simply deleted). The carry-over is described in the service README.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("request_id", Text, primary_key=True),
    Column("citizen_id", Text, primary_key=True),
    Column("role", Text, nullable=False, server_default="follower"),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("opted_out_at", DateTime(timezone=True)),
    CheckConstraint("role in ('reporter', 'follower')", name="subscriptions_known_role"),
)

# Every statement that writes deliveries rings the dispatchers at commit (ecity_common.doorbell):
# a message goes out within milliseconds instead of at the next poll.
DELIVERIES_CHANNEL = "notifications_deliveries"  # the trigger of migration 0005 names it too

# One row per message owed: (event, recipient, channel) is unique, so an event delivered twice by
# Kafka, or handled again after a crash, finds its rows and adds none. The dispatcher sends rows
# "pending" and marks them "sent" with the Message-ID derived from the same key.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Text, primary_key=True),  # domain.deliveries.delivery_id of the key
    Column("event_id", Text, nullable=False),  # the CloudEvents source + id that caused it
    Column("recipient", Text, nullable=False),  # a citizen id
    Column("channel", Text, nullable=False),
    Column("address", Text, nullable=False),  # where it goes, as the contact was when written
    Column("kind", Text, nullable=False),  # what message: domain.messages renders by kind
    Column("context", Text, nullable=False),  # the message's data, JSON
    Column("status", Text, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("message_id", Text, nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    # A push delivery is owed per device (DeliveryKey.device, its address): the address completes
    # the key (migration 0004). An e-mail's address is the citizen's one on the channel.
    UniqueConstraint("event_id", "recipient", "channel", "address", name="deliveries_once"),
    CheckConstraint("status in ('pending', 'sent', 'failed')", name="deliveries_known_status"),
    # What the dispatcher asks for: the pending ones that are due.
    Index("deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    # What the rate limit asks: a recipient's messages of the last hour.
    Index("deliveries_of_recipient", "recipient", "created_at"),
)

# "My address": a place a citizen wants to hear about. `street`/`house` are the address as
# ecity_common.areas reads it (domain.places.address_key), kept so that an outage given by streets
# finds its places by index instead of reading every place.
places = Table(
    "places",
    metadata,
    Column("id", Text, primary_key=True),
    Column("citizen_id", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("street", Text),
    Column("house", Integer),
    Column("lat", Float),
    Column("long", Float),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("places_of_citizen", "citizen_id"),
    Index("places_by_street", "street", "house"),
    Index("places_by_point", "lat", "long"),
)

# Every provider's outages as their events described them last: utilities' (an area) and the
# network's (the sites it cut off). `as_of` is the event's own time: an older event arriving late
# does not overwrite a newer state. What `GET /api/v1/public/at` answers from.
outages = Table(
    "outages",
    metadata,
    Column("key", Text, primary_key=True),  # "utility:<id>" / "network:<id>"
    Column("provider", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("planned", Boolean, nullable=False),
    Column("area", JSONB),  # ecity_common.areas.Area, for a utility's outage
    Column("sites", JSONB),  # [{name, address, holder_code}], for the network's
    Column("description", Text, nullable=False, server_default=""),
    Column("starts_at", DateTime(timezone=True)),
    Column("expected_end", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("as_of", DateTime(timezone=True), nullable=False),
    Index("outages_active", "key", postgresql_where=text("resolved_at IS NULL")),
)

# Who was told that an outage began (a citizen, or "institution:<holder code>"): they, and only
# they, hear that its end moved and that it is over.
outage_audience = Table(
    "outage_audience",
    metadata,
    Column("outage_key", Text, primary_key=True),
    Column("citizen_id", Text, primary_key=True),
    Column("told_at", DateTime(timezone=True), nullable=False),
)

# The public requests' map, as citizen-requests publishes it (its request.submitted and
# status-changed events): what `public/at` shows nearby and what local alerts match. Only what the
# public list shows: no description, no address, no citizen.
public_requests = Table(
    "public_requests",
    metadata,
    Column("request_id", Text, primary_key=True),
    Column("service_code", Text, nullable=False),
    Column("service_name", Text),  # the category's name, when the event carried it (0007)
    Column("lat", Float, nullable=False),
    Column("long", Float, nullable=False),
    Column("status", Text, nullable=False),
    Column("open", Boolean, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Index("public_requests_open_by_point", "lat", "long", postgresql_where=text("open")),
)

# "Tell me of new requests of these categories within this radius of this point." The bounding box
# is kept so that a new request finds its alerts by index.
local_alerts = Table(
    "local_alerts",
    metadata,
    Column("id", Text, primary_key=True),
    Column("citizen_id", Text, nullable=False),
    Column("lat", Float, nullable=False),
    Column("long", Float, nullable=False),
    Column("radius_m", Integer, nullable=False),
    Column("south", Float, nullable=False),
    Column("north", Float, nullable=False),
    Column("west", Float, nullable=False),
    Column("east", Float, nullable=False),
    Column("categories", JSONB, nullable=False),
    Column("digest", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("local_alerts_of_citizen", "citizen_id"),
    Index("local_alerts_by_box", "south", "north", "west", "east"),
)

# New requests matched to a citizen's alert that wants a daily digest: gathered here, and sent as
# one message the next morning (`digested_on` set when it is written).
alert_matches = Table(
    "alert_matches",
    metadata,
    Column("citizen_id", Text, primary_key=True),
    Column("request_id", Text, primary_key=True),
    Column("service_code", Text, nullable=False),
    Column("service_name", Text),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("digested_on", Date),
)

# A citizen's devices for Web Push: what their browser's PushSubscription.toJSON() gave (the push
# service's endpoint, the browser's P-256 key and auth secret). Made by the browser for this
# service's VAPID key, so confirmed by construction. An endpoint is one browser's: registered again
# (by whoever is signed in on it now) it moves to that citizen. A push service's 404/410 sets
# disabled_reason and it is not written to again.
push_subscriptions = Table(
    "push_subscriptions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("citizen_id", Text, nullable=False),
    Column("endpoint", Text, nullable=False, unique=True),
    Column("p256dh", Text, nullable=False),
    Column("auth", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("disabled_reason", Text),
    Column("disabled_at", DateTime(timezone=True)),
    Index("push_subscriptions_citizen", "citizen_id"),
)
