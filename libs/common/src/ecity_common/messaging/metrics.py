"""What the background work of a service counts, for Prometheus (served on `/metrics`).

Every name begins with `ecity_`; the labels are few and fixed (a component, a consumer group, a
dead-letter topic), never an event id. Several apps in one process (the tests) share them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

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
