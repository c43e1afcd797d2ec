"""Kafka event handlers of the network registry: none yet. It only publishes (`ecity.network.v1`,
through the outbox); the handlers map stays here so that the service has the same shape as the
others, keyed by payload classes' event types (`spec_of(Payload).type`) when it consumes one."""

from __future__ import annotations

from ecity_common.messaging.consumer import Handler


def make_handlers() -> dict[str, Handler]:
    return {}
