"""Payload models of every event type, one module per producing service."""

from ecity_common.events.payloads import (  # noqa: F401
    budget_ledger,
    citizen_requests,
    network_registry,
    notifications,
    utilities_gateway,
)
