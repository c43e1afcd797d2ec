"""Payload models of every event type, one module per producing service."""

from ecity_common.events.payloads import budget_ledger, citizen_requests, network_registry, utilities_gateway  # noqa: F401
