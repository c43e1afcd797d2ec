"""What the background work of a service counts, for Prometheus (served on `/metrics`).

Every name begins with `ecity_`; the labels are few and fixed (a component, a consumer group, a
dead-letter topic), never an event id. Several apps in one process (the tests) share them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter(
    "ecity_consumer_events_total",
    "Events read by a consumer group, by outcome: handled, duplicate (already in the inbox), "
    "ignored (another consumer's business) or dead_lettered.",
    ("group", "outcome"),
)
DEAD_LETTERS = Counter(
    "ecity_dead_letters_total",
    "Events a consumer group gave up on and sent to a dead-letter topic. Any increase needs a person: "
    "`ecity dlq list` shows them, `ecity dlq replay` sends them again once the cause is fixed.",
    ("dlq_topic", "group"),
)
INFRASTRUCTURE_RETRIES = Counter(
    "ecity_infrastructure_retries_total",
    "Times a background component (consumer, relay, webhook dispatcher) found the database or Kafka "
    "away and backed off; nothing counts against an event for it.",
    ("component",),
)
WAITING_FOR_INFRASTRUCTURE = Gauge(
    "ecity_waiting_for_infrastructure",
    "1 while a background component is backing off because the database or Kafka is away.",
    ("component",),
)
TRANSACTION_CONFLICTS = Counter(
    "ecity_transaction_conflicts_total",
    "Transactions PostgreSQL rolled back as a serialization failure or deadlock, and that were run again.",
    ("component",),
)

# -- the outbox and its relay -----------------------------------------------------------------
OUTBOX_UNSENT = Gauge(
    "ecity_outbox_unsent_events",
    "Events committed to a service's outbox and not yet published to Kafka (measured every "
    "RELAY_BACKLOG_MEASURE_S, 15 s by default).",
    ("service",),
)
OUTBOX_OLDEST_UNSENT = Gauge(
    "ecity_outbox_oldest_unsent_timestamp_seconds",
    "When the oldest unsent outbox event was committed (unix time; 0 when none waits). "
    "time() minus this is how far behind the relay is.",
    ("service",),
)
PUBLISHED = Counter(
    "ecity_outbox_published_total",
    "Events the outbox relay published to Kafka (acknowledged by all in-sync replicas).",
    ("service",),
)
PUBLISH_ERRORS = Counter(
    "ecity_outbox_publish_errors_total",
    "Batches the outbox relay failed to publish, by the error's type (a Kafka error, the database "
    "away, a bug): the batch stays unsent and is tried again.",
    ("service", "error"),
)
PUBLISH_BATCH = Histogram(
    "ecity_outbox_publish_batch_size",
    "Events per batch the relay claimed and published.",
    ("service",),
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000),
)

# -- consumers ---------------------------------------------------------------------------------
CONSUMER_LAG = Gauge(
    "ecity_consumer_lag",
    "Records on a partition that the consumer group has not yet handled: the partition's end offset "
    "minus the group's committed offset, read from the broker every CONSUMER_LAG_MEASURE_S (15 s by "
    "default) apart from the consumer's loop, so a hung consumer's lag still grows (messaging.lag).",
    ("group", "topic", "partition"),
)
CONSUMER_COMMITTED = Gauge(
    "ecity_consumer_committed_offset",
    "The offset the consumer group has committed on a partition (where it starts after a restart; "
    "the partition's first offset while it has committed nothing), read with ecity_consumer_lag. "
    "Standing still while the lag is above 0 is a stuck consumer (EcityConsumerStuck).",
    ("group", "topic", "partition"),
)
HANDLER_DURATION = Histogram(
    "ecity_consumer_handler_duration_seconds",
    "Time a handler took, per event type (one observation per event, or per run of a batch handler).",
    ("group", "event_type"),
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
HANDLER_FAILURES = Counter(
    "ecity_consumer_handler_failures_total",
    "Handler failures per event type and whose fault they were (own, infrastructure, conflict).",
    ("group", "event_type", "failure"),
)
