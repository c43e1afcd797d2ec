"""Kafka machinery: transactional outbox and its relay, idempotent consumer, dead letters."""
