"""The catalogue: every event type of the system, its payload model and its topic.

One topic per producing service, keyed by the aggregate id so that one aggregate's events stay in
order. Types are named `ua.sumy.ecity.<service>.<thing>.<past-tense>.v<N>`; a breaking change to a
payload is a new type (`.v2`), never an edit (the compatibility test enforces it).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

TOPICS: dict[str, str] = {
    "citizen-requests": "ecity.citizen-requests.v1",
    "utilities-gateway": "ecity.utilities.v1",
    "budget-ledger": "ecity.budget.v1",
    "network-registry": "ecity.network.v1",
    # notification.sent / notification.failed: for the audit and the metrics.
    "notifications": "ecity.notifications.v1",
}


# The JSON Schema keyword that marks a payload's field holding personal data, with why the event
# carries it (the generated AsyncAPI document and schemas show it; the producer's README says what
# each event carries, `tests/test_event_personal_data.py`).
PERSONAL_DATA = "x-personal-data"


def personal(why: str) -> dict:
    """`json_schema_extra` of a field holding personal data: `why` the event carries it."""
    return {PERSONAL_DATA: why}


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


@dataclass(frozen=True)
class EventSpec:
    type: str
    producer: str
    aggregate: str
    summary: str
    payload: type[BaseModel]
    # Who reads it (documentation for AsyncAPI, topics and network policies; not enforced).
    consumers: tuple[str, ...] = ()

    @property
    def topic(self) -> str:
        return TOPICS[self.producer]


CATALOGUE: dict[str, EventSpec] = {}
_BY_MODEL: dict[type[BaseModel], EventSpec] = {}


def event_type(type_: str, *, producer: str, aggregate: str, summary: str, consumers: tuple[str, ...] = ()):
    """Class decorator: registers a payload model as the data of one event type."""
    if producer not in TOPICS:
        raise ValueError(f"unknown producer {producer!r}")
    if not type_.startswith(f"ua.sumy.ecity.{producer}."):
        raise ValueError(f"{type_!r} must be named ua.sumy.ecity.{producer}.<thing>.<past-tense>.vN")

    def register(model: type[BaseModel]) -> type[BaseModel]:
        if type_ in CATALOGUE:
            raise ValueError(f"event type {type_!r} registered twice")
        spec = EventSpec(type_, producer, aggregate, summary, model, consumers)
        CATALOGUE[type_] = spec
        _BY_MODEL[model] = spec
        return model

    return register


def spec_for(type_: str) -> EventSpec | None:
    _load_payloads()
    return CATALOGUE.get(type_)


def spec_of(model: type[BaseModel]) -> EventSpec:
    _load_payloads()
    try:
        return _BY_MODEL[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not in the event catalogue") from None


def all_specs() -> list[EventSpec]:
    _load_payloads()
    return sorted(CATALOGUE.values(), key=lambda s: s.type)


_loaded = False


def _load_payloads() -> None:
    # Importing the payload modules registers them; done lazily to avoid an import cycle. The flag
    # spares an import statement on every event staged.
    global _loaded
    if not _loaded:
        from ecity_common.events import payloads  # noqa: F401

        _loaded = True
