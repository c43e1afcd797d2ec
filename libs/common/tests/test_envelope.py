import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData

from ecity_common.events import CloudEvent, InvalidEvent
from ecity_common.events.envelope import kafka_record
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from ecity_common.messaging.outbox import Outbox
from ecity_common.messaging.tables import messaging_tables
from ecity_common.settings import ServiceSettings


def test_binary_mode_round_trip_keeps_every_attribute_and_the_data():
    event = CloudEvent(
        source="/ecity/citizen-requests",
        type="ua.sumy.ecity.citizen-requests.request.submitted.v1",
        subject="r-1",
        time=datetime(2026, 11, 26, 8, 30, tzinfo=UTC),
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        data={"request_id": "r-1", "address": "вул. Соборна, 1"},
    )
    headers = event.kafka_headers()
    assert ("ce_specversion", b"1.0") in headers
    assert ("content-type", b"application/json") in headers
    assert dict(headers)["ce_traceparent"].startswith(b"00-0af7")
    # The value is the data itself, readable by any Kafka tool.
    assert event.kafka_value().decode() == '{"request_id":"r-1","address":"вул. Соборна, 1"}'
    assert CloudEvent.from_kafka(headers, event.kafka_value()) == event


def test_the_relay_sends_a_stored_event_exactly_as_the_model_would():
    outbox = Outbox(messaging_tables(MetaData()).outbox, ServiceSettings(service_name="citizen-requests", event_source="/ecity/citizen-requests"))
    payload = CitizenRequestSubmitted(request_id="r-1", service_code="water_leak", handler_kind="utility", utility_kind="water",
                                      description="Тече труба", address="вул. Соборна, 1",
                                      submitted_at=datetime(2026, 11, 26, 8, 30, 0, 123456, tzinfo=UTC))
    event, row = outbox.stage(payload, aggregate_id="r-1", carrier={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
    stored = json.loads(json.dumps(row["payload"]))  # as JSONB gives it back
    moved = "00-1bf7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01"  # the relay's own span
    value, headers = kafka_record(stored, moved)
    expected = event.model_copy(update={"traceparent": moved})
    assert value == expected.kafka_value() and headers == expected.kafka_headers()
    assert CloudEvent.from_kafka(headers, value) == expected


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        ([], b"{}", "missing header"),
        ([("ce_id", b"1"), ("ce_source", b"/x"), ("ce_type", b"t")], b"{}", "ce_specversion"),
        ([("ce_id", b"1"), ("ce_source", b"/x"), ("ce_type", b"t"), ("ce_specversion", b"1.0")], b"not json", "not JSON"),
        ([("ce_id", b"1"), ("ce_source", b"/x"), ("ce_type", b"t"), ("ce_specversion", b"1.0")], b"[1]", "JSON object"),
        ([("ce_id", b"1"), ("ce_source", b"/x"), ("ce_type", b"t"), ("ce_specversion", b"0.3")], b"{}", "attributes"),
        ([("ce_id", b"\xff"), ("ce_source", b"/x"), ("ce_type", b"t"), ("ce_specversion", b"1.0")], b"{}", "UTF-8"),
    ],
)
def test_records_that_are_not_cloudevents_are_refused_with_the_reason(headers, value, reason):
    with pytest.raises(InvalidEvent, match=reason):
        CloudEvent.from_kafka(headers, value)


def test_a_time_without_zone_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        CloudEvent(source="/x", type="t", time=datetime(2026, 1, 1))


def test_the_outbox_row_is_exactly_the_validated_envelope():
    """Outbox.stage builds the row without re-validating; it must equal what validation gives."""
    import json

    from sqlalchemy import MetaData

    from ecity_cli.testing import submitted
    from ecity_common.messaging.outbox import Outbox
    from ecity_common.messaging.tables import messaging_tables
    from ecity_common.settings import ServiceSettings

    outbox = Outbox(messaging_tables(MetaData()).outbox, ServiceSettings(event_source="/ecity/citizen-requests"))
    event, row = outbox.stage(submitted("r-1"), aggregate_id="r-1")
    stored = json.loads(json.dumps(row["payload"]))  # as JSONB gives it back
    assert CloudEvent.model_validate(stored).model_dump(mode="json") == stored
    assert CloudEvent.model_validate(stored) == CloudEvent.model_validate(event.model_dump())
    assert row["type"] == event.type == "ua.sumy.ecity.citizen-requests.request.submitted.v1"
    assert row["aggregate_type"] == "citizen_request" and row["aggregate_id"] == "r-1" == event.subject
