"""The event envelope (CloudEvents 1.0 on Kafka) and the catalogue of every event type."""

from ecity_common.events.catalogue import CATALOGUE, TOPICS, EventSpec, spec_for, spec_of
from ecity_common.events.envelope import CloudEvent, InvalidEvent

__all__ = ["CATALOGUE", "TOPICS", "CloudEvent", "EventSpec", "InvalidEvent", "spec_for", "spec_of"]
