"""CloudEvents 1.0 envelope, carried on Kafka in *binary content mode*.

Binary mode (not structured) because the value then is the event data itself: any Kafka tool
shows a readable JSON payload, and brokers, Strimzi and log compaction never need to parse an
envelope. The attributes travel as headers `ce_<attribute>` and `datacontenttype` as
`content-type`, exactly as the CloudEvents Kafka protocol binding says. The W3C `traceparent`
rides along as the distributed-tracing extension (`ce_traceparent`).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

_ATTRIBUTES = ("id", "source", "specversion", "type", "time", "subject", "dataschema", "traceparent")


class InvalidEvent(ValueError):
    """A Kafka record that is not a CloudEvent we can read; retrying will never fix it."""


def _kafka_headers(attributes: dict[str, Any], content_type: str) -> list[tuple[str, bytes]]:
    headers: list[tuple[str, bytes]] = []
    for name in _ATTRIBUTES:
        value = attributes.get(name)
        if value is None:
            continue
        text = value.isoformat() if isinstance(value, datetime) else str(value)
        headers.append((f"ce_{name}", text.encode()))
    headers.append(("content-type", content_type.encode()))
    return headers


def kafka_record(stored: dict[str, Any], traceparent: str | None) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The Kafka value and headers of an event kept in its JSON form (an outbox row's payload),
    with `traceparent` as its trace: what `CloudEvent.kafka_value()` and `kafka_headers()` give,
    without building the model. The relay sends thousands a second, and what the outbox stored
    was made from a valid event."""
    attributes = {**stored, "traceparent": traceparent}
    if stored.get("time"):  # as the model holds it: "+00:00" in the header, not the stored "Z"
        attributes["time"] = datetime.fromisoformat(stored["time"])
    headers = _kafka_headers(attributes, stored.get("datacontenttype") or "application/json")
    return orjson.dumps(stored.get("data") or {}, option=orjson.OPT_NON_STR_KEYS), headers


def new_event_id() -> str:
    return str(uuid.uuid4())


class CloudEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_event_id, min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    specversion: Literal["1.0"] = "1.0"
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = None
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    traceparent: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a time zone")
        return value

    # -- Kafka binary content mode ---------------------------------------------------------

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        return _kafka_headers({name: getattr(self, name) for name in _ATTRIBUTES}, self.datacontenttype)

    def kafka_value(self) -> bytes:
        return orjson.dumps(self.data, option=orjson.OPT_NON_STR_KEYS)  # compact UTF-8 JSON, as json.dumps would

    @classmethod
    def from_kafka(cls, headers: list[tuple[str, bytes]] | None, value: bytes | None) -> CloudEvent:
        attrs: dict[str, Any] = {}
        for key, raw in headers or ():
            try:
                text = raw.decode() if raw is not None else None
            except UnicodeDecodeError as exc:
                raise InvalidEvent(f"header {key!r} is not UTF-8") from exc
            if key == "content-type":
                attrs["datacontenttype"] = text
            elif key.startswith("ce_") and key[3:] in _ATTRIBUTES:
                attrs[key[3:]] = text
        missing = [a for a in ("id", "source", "type", "specversion") if not attrs.get(a)]
        if missing:
            raise InvalidEvent(f"not a CloudEvent: missing header(s) {', '.join('ce_' + m for m in missing)}")
        try:
            data = json.loads(value) if value else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidEvent(f"data is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidEvent("data must be a JSON object")
        try:
            return cls(**attrs, data=data)
        except ValidationError as exc:
            raise InvalidEvent(f"bad CloudEvent attributes: {exc.errors(include_url=False)}") from exc
