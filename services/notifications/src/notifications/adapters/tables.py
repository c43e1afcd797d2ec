"""notifications' own tables: whom the service may write to (contacts), who follows which
request (subscriptions) and every message it owes or sent (deliveries)."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

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
    # the key (migration 0003). An e-mail's address is the citizen's one on the channel.
    UniqueConstraint("event_id", "recipient", "channel", "address", name="deliveries_once"),
    CheckConstraint("status in ('pending', 'sent', 'failed')", name="deliveries_known_status"),
    # What the dispatcher asks for: the pending ones that are due.
    Index("deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
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
