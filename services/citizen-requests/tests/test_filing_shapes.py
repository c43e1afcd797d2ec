"""The filing path writes its answer and its event's data as plain JSON, without building the
models; both must be exactly what the models would give (unit tests, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import MetaData

from citizen_requests.domain.catalogue import SUMY_CATALOGUE, Catalogue
from citizen_requests.domain.requests import Location
from citizen_requests.entrypoints.http.requests import _view, filed_view
from citizen_requests.use_cases import filing
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from ecity_common.messaging.outbox import Outbox
from ecity_common.messaging.tables import messaging_tables
from ecity_common.settings import ServiceSettings

CATALOGUE = Catalogue(SUMY_CATALOGUE)


@pytest.mark.parametrize("where", [Location(50.9077, 34.7981), Location(51, 35), None])
@pytest.mark.parametrize("code", ["street_light", "pothole", "fallen_tree"])
async def test_a_filing_answer_and_event_are_what_the_models_give(code, where):
    outbox = Outbox(messaging_tables(MetaData()).outbox, ServiceSettings(event_source="/ecity/citizen-requests"))
    category = CATALOGUE[code]
    answers = {a.code: [a.values[0][0] if a.values else "17"] for a in category.attributes if a.required}
    prepared = await filing.prepare_filing(
        None, outbox, catalogue=CATALOGUE, citizen_id="citizen-1",
        new=filing.NewRequest(category_code=code, description="Не світить ліхтар", location=where,
                              address=None if where else "вул. Соборна, 1", answers=answers))
    stored = prepared.request.stored

    assert filed_view(stored) == _view(SimpleNamespace(agency_responsible=None, **stored)).model_dump(mode="json")
    data = prepared.values["payload"]["data"]
    assert data == CitizenRequestSubmitted.model_validate(data).model_dump(mode="json")
    assert data["submitted_at"].endswith("Z") and data["request_id"] == stored["id"]


def test_times_are_written_as_pydantic_writes_them():
    for moment in (datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), datetime(2026, 11, 26, 13, 5, 1, 250, tzinfo=UTC)):
        assert filing.json_time(moment) == CitizenRequestSubmitted(
            request_id="r", service_code="c", handler_kind="department", submitted_at=moment,
        ).model_dump(mode="json")["submitted_at"]
    assert filing.json_time(None) is None
