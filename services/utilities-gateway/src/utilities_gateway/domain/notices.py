"""What a company is told, and which of its webhook endpoints hear of it. No I/O."""

from __future__ import annotations

from datetime import datetime

from ecity_common.refusals import Invalid
from utilities_gateway.domain.phrases import Phrase

# What a company can be told (and subscribe its endpoints to).
MESSAGE_TYPES = {
    "request.routed": "a citizen's request is now yours",
    "request.commented": "the citizen (or the city) commented on a request of yours",
    "request.reopened": "the citizen reopened a request you resolved",
    "request.closed": "the city closed a request of yours",
    "endpoint.test": "a test message you asked for",
    # Every change to the company's keys, whoever made it: a key stolen and used to rotate is seen.
    "api-key.issued": "the city issued your company a new API key",
    "api-key.rotated": "one of your keys was rotated: a new key exists, the old one expires after the overlap",
    "api-key.revoked": "one of your keys was revoked",
}


def message_body(type_: str, data: dict, now: datetime) -> dict:
    """{type, timestamp, data}: what the pull inbox shows and, byte for byte, what a webhook POSTs."""
    assert type_ in MESSAGE_TYPES, type_
    return {"type": type_, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data}


def subscribes(event_types: list[str], type_: str) -> bool:
    """An endpoint hears of the types it lists; one that lists none hears of every type. (Whether it
    is enabled does not matter here: a disabled endpoint's deliveries wait until it is enabled.)"""
    return not event_types or type_ in event_types


def checked_event_types(types: list[str]) -> list[str]:
    """An endpoint's subscription, sorted and without repeats; Invalid when a type is unknown."""
    unknown = sorted(set(types) - set(MESSAGE_TYPES))
    if unknown:
        raise Invalid("event_types", Phrase("unknown-event-types", unknown=unknown, known=sorted(MESSAGE_TYPES)))
    return sorted(set(types))
