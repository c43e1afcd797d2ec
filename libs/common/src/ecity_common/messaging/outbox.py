"""Adding events to the transactional outbox, inside the caller's own database transaction.

The row commits or rolls back with the state change it describes, so nothing is published that
was not committed and nothing committed is lost: the relay publishes it later, even after a crash.
The table's trigger NOTIFYs the relay; PostgreSQL delivers that only at commit, so the relay wakes
exactly when it can see the row.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from opentelemetry import propagate
from pydantic import BaseModel
from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.events import CloudEvent, spec_of
from ecity_common.events.catalogue import EventSpec
from ecity_common.events.envelope import new_event_id
from ecity_common.settings import ServiceSettings

# The columns a staged row gives (`Outbox.stage_data`), with their SQL types.
_ROW_TYPES = {"event_id": "text", "aggregate_type": "text", "aggregate_id": "text", "type": "text", "topic": "text",
              "payload": "jsonb", "headers": "jsonb"}


class Outbox:
    def __init__(self, table: Table, settings: ServiceSettings) -> None:
        self._table = table
        self._settings = settings
        self._insert = insert(table)  # built once: SQLAlchemy then reuses its compiled form
        # Many rows in one statement from one jsonb parameter: an executemany had the driver encode
        # and the server execute each row on its own (75 µs an event in the ledger's bulk posting).
        # jsonb rather than json: its nested payloads reach their columns without being parsed again.
        # The function scan yields the rows in the array's order, so their ids keep the order they
        # were staged in (the relay publishes each aggregate's events by id).
        self._insert_rows = text(
            f"INSERT INTO {table.name} ({', '.join(_ROW_TYPES)}) SELECT {', '.join(_ROW_TYPES)} "
            f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({', '.join(f'{c} {t}' for c, t in _ROW_TYPES.items())})"
        )

    def stage(
        self,
        payload: BaseModel,
        *,
        aggregate_id: str,
        subject: str | None = None,
        time: datetime | None = None,
        carrier: dict[str, str] | None = None,
        event_id: str | None = None,
    ) -> tuple[CloudEvent, dict]:
        """The event and the outbox row for `payload`, built but not written."""
        return self.stage_data(type(payload), payload.model_dump(mode="json"), aggregate_id=aggregate_id,
                               subject=subject, time=time, carrier=carrier, event_id=event_id)

    def stage_data(
        self,
        model: type[BaseModel],
        data: dict,
        *,
        aggregate_id: str,
        subject: str | None = None,
        time: datetime | None = None,
        carrier: dict[str, str] | None = None,
        event_id: str | None = None,
    ) -> tuple[CloudEvent, dict]:
        """As `stage`, for data already in its JSON form and built from validated values (bulk
        paths: pydantic would spend more on 10,000 nested models than the whole database work).
        `event_id` is for an event that must keep its id when staged again (a carry-over run twice
        publishes the same ids, and consumers' inboxes skip the repeat); otherwise a new one."""
        spec = spec_of(model)
        if carrier is None:
            carrier = {}
            propagate.inject(carrier)  # the current trace (e.g. the citizen's HTTP request)
        time = time or datetime.now(UTC)
        row = self._row(spec, self._settings.topic(spec.topic), data, aggregate_id, subject, time, carrier, event_id)
        # Every attribute is made here from trusted values, so the envelope skips re-validation
        # (this runs once per event on bulk paths). All of them: for a missing one with a default
        # factory (the id) pydantic inspects the factory's signature, a twentieth of a filing.
        event = CloudEvent.model_construct(
            id=row["event_id"],
            source=self._settings.event_source,
            type=spec.type,
            specversion="1.0",
            time=time,
            subject=subject or aggregate_id,
            datacontenttype="application/json",
            dataschema=None,
            traceparent=carrier.get("traceparent"),
            data=data,
        )
        return event, row

    def _row(self, spec: EventSpec, topic: str, data: dict, aggregate_id: str, subject: str | None, time: datetime,
             carrier: dict[str, str], event_id: str | None = None) -> dict:
        """The outbox row of one event: its CloudEvent as it will be published, and where."""
        event_id = event_id or new_event_id()
        return {
            "event_id": event_id,
            "aggregate_type": spec.aggregate,
            "aggregate_id": aggregate_id,
            "type": spec.type,
            "topic": topic,
            "payload": {
                "id": event_id, "source": self._settings.event_source, "type": spec.type, "specversion": "1.0",
                "time": time.isoformat().replace("+00:00", "Z"), "subject": subject or aggregate_id,
                "datacontenttype": "application/json", "dataschema": None, "traceparent": carrier.get("traceparent"),
                "data": data,
            },
            "headers": {k: v for k, v in carrier.items() if k != "traceparent"},
        }

    async def add(
        self,
        session: AsyncSession,
        payload: BaseModel,
        *,
        aggregate_id: str,
        subject: str | None = None,
        time: datetime | None = None,
    ) -> CloudEvent:
        """Stage `payload` as an event of its catalogue type; it is sent after the commit."""
        event, row = self.stage(payload, aggregate_id=aggregate_id, subject=subject, time=time)
        await session.execute(self._insert, row)
        return event

    async def add_many(self, session: AsyncSession, events: list[tuple[BaseModel, str]]) -> list[CloudEvent]:
        """Stage several events, each with its aggregate id, in one statement."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # one trace context for the whole call
        staged = [self.stage(payload, aggregate_id=aggregate_id, carrier=carrier) for payload, aggregate_id in events]
        await self._write_rows(session, [row for _, row in staged])
        return [event for event, _ in staged]

    async def add_many_data(self, session: AsyncSession, model: type[BaseModel], events: list[tuple[dict, str]]) -> None:
        """Stage several events of one type from JSON-ready data, each with its aggregate id."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        # Only the rows: nobody here needs the events as models (a model each was a tenth of a
        # bulk posting).
        spec = spec_of(model)
        topic = self._settings.topic(spec.topic)
        rows = [self._row(spec, topic, data, aggregate_id, None, datetime.now(UTC), carrier) for data, aggregate_id in events]
        await self._write_rows(session, rows)

    async def _write_rows(self, session: AsyncSession, rows: list[dict]) -> None:
        if len(rows) == 1:
            await session.execute(self._insert, rows[0])
        elif rows:
            await session.execute(self._insert_rows, {"rows": orjson.dumps(rows, option=orjson.OPT_NON_STR_KEYS).decode()})
