"""Payload models of every event type, one module per producing service."""

from ecity_common.events.payloads import citizen_requests  # noqa: F401
