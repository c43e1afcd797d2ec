"""The filing desk against the real database: filings waiting together are written together, and
batching changes nothing a citizen sees — the creation limit, the rows written, one bad filing."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from citizen_requests import service
from citizen_requests.domain import Location
from citizen_requests.filing_desk import FilingDesk
from ecity_cli.testing import bearer, serving


@pytest.fixture
async def app_client(services):
    async with serving(services, "citizen-requests") as client:
        yield client


async def _filing(app, citizen: str, lat: float = 50.91) -> service.Filing:
    async with app.state.sessions() as db:
        return await service.prepare_filing(
            db, app.state.outbox, catalogue=app.state.catalogue.current, category_code="pothole",
            description="Яма", citizen_id=citizen, location=Location(lat, 34.79), address=None,
            answers={"size": ["medium"]})


async def _through(desk: FilingDesk, filings: list[service.Filing]) -> list:
    """Queue every filing first, then open the desk: what it does with a queue it finds."""
    waiting = [asyncio.ensure_future(desk.file(f)) for f in filings]
    await asyncio.sleep(0)
    lanes = asyncio.create_task(desk.run())
    try:
        return await asyncio.gather(*waiting, return_exceptions=True)
    finally:
        lanes.cancel()
        await asyncio.gather(lanes, return_exceptions=True)


async def _written(app, ids: list[str]) -> tuple[int, int, int]:
    async with app.state.engine.connect() as conn:
        return tuple([(await conn.execute(text(sql), {"ids": ids})).scalar() for sql in (
            "SELECT count(*) FROM citizen_requests WHERE id = ANY(:ids)",
            "SELECT count(*) FROM request_history WHERE request_id = ANY(:ids)",
            "SELECT count(*) FROM outbox WHERE aggregate_id = ANY(:ids)")])


async def test_filings_waiting_together_are_written_in_one_statement(app_client):
    app = app_client.app
    filings = [await _filing(app, f"desk-citizen-{i}", lat=50.91 + i * 0.0001) for i in range(6)]
    desk = FilingDesk(app.state.engine, limit=20, window_s=600)
    answers = await _through(desk, filings)
    assert [a.filed for a in answers] == [True] * 6
    assert desk.statements == 1 and desk.filed == 6
    assert await _written(app, [f.request.id for f in filings]) == (6, 6, 6)
    # Filings of one statement are not offered to each other (11 m apart, all new); a later one
    # 11 m north of the first is offered those within the pothole's 30 m, nearest first.
    assert [a.nearby for a in answers] == [[]] * 6
    [later] = await _through(desk, [await _filing(app, "desk-citizen-late", lat=50.9101)])
    assert [d["service_request_id"] for d in later.nearby][:1] == [filings[1].request.id]
    assert {d["service_request_id"] for d in later.nearby} == {f.request.id for f in filings[:4]}
    assert [d["distance_m"] for d in later.nearby] == [0, 11, 11, 22]


async def test_a_citizens_second_filing_goes_into_the_next_statement_and_the_limit_counts_each(app_client):
    app = app_client.app
    mine = [await _filing(app, "desk-busy-citizen") for _ in range(3)]
    other = await _filing(app, "desk-other-citizen")
    desk = FilingDesk(app.state.engine, limit=2, window_s=600, lanes=1)  # one lane: statements in turn
    answers = await _through(desk, [mine[0], mine[1], other, mine[2]])
    assert [a.filed for a in answers] == [True, True, True, False]  # the third is over the limit of 2
    assert desk.statements == 3  # [first, other], [second], [third]
    assert await _written(app, [f.request.id for f in [*mine, other]]) == (3, 3, 3)
    with pytest.raises(service.CreationLimitReached):
        service.finish(mine[2], answers[3])


async def test_one_bad_filing_does_not_fail_the_others_in_its_statement(app_client):
    app = app_client.app
    [first] = await _through(FilingDesk(app.state.engine, limit=20, window_s=600), [done := await _filing(app, "desk-a")])
    assert first.filed
    # A filing that cannot be written: the id of a request that already exists.
    clash = await _filing(app, "desk-b")
    clash = dataclasses.replace(clash, values={**clash.values, "id": done.request.id, "event_id": str(uuid.uuid4())})
    good = [await _filing(app, f"desk-c{i}") for i in range(2)]
    desk = FilingDesk(app.state.engine, limit=20, window_s=600)
    answers = await _through(desk, [good[0], clash, good[1]])
    assert isinstance(answers[1], IntegrityError)
    assert answers[0].filed and answers[2].filed
    assert await _written(app, [g.request.id for g in good]) == (2, 2, 2)
    async with app.state.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM outbox WHERE event_id = :e"),
                                   {"e": clash.values["event_id"]})).scalar() == 0  # nothing of it written


async def test_many_citizens_filing_at_once_through_the_api_all_get_their_request(app_client):
    client = app_client
    body = {"service_code": "street_light", "description": "Темно", "lat": 50.91, "long": 34.79}
    answers = await asyncio.gather(*(client.post("/api/v1/requests", headers=bearer(client.settings, f"crowd-{i}", "citizen"),
                                                 json=body) for i in range(24)))
    assert [a.status_code for a in answers] == [201] * 24
    ids = [a.json()["service_request_id"] for a in answers]
    assert len(set(ids)) == 24 and await _written(client.app, ids) == (24, 24, 24)
    desk = client.app.state.filing_desk
    assert desk.filed == 24 and 1 <= desk.statements <= 24
