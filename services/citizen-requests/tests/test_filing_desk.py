"""The filing desk against the real database: filings waiting together are written together, and
batching changes nothing a citizen sees — the creation limit, the rows written, one bad filing."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import asyncpg
import pytest
from sqlalchemy import text

from citizen_requests.adapters import filing_desk
from citizen_requests.adapters.filing_desk import DeskClosed, FilingDesk
from citizen_requests.adapters.filing_statement import Filing
from citizen_requests.domain.limits import CreationLimits
from citizen_requests.domain.requests import Location
from citizen_requests.use_cases import filing
from ecity_cli.testing import bearer, serving
from ecity_common.db import database_unavailable
from ecity_common.refusals import LimitReached


@pytest.fixture
async def app_client(services):
    async with serving(services, "citizen-requests") as client:
        yield client


async def _filing(app, citizen: str, lat: float = 50.91) -> Filing:
    async with app.state.sessions() as db:
        return await filing.prepare_filing(
            db, app.state.outbox, catalogue=app.state.catalogue.current, citizen_id=citizen,
            new=filing.NewRequest(category_code="pothole", description="Яма", location=Location(lat, 34.79), address=None,
                                  answers={"size": ["medium"]}))


async def _through(desk: FilingDesk, filings: list[Filing]) -> list:
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
    [later] = await _through(FilingDesk(app.state.engine, limit=20, window_s=600),
                             [await _filing(app, "desk-citizen-late", lat=50.9101)])
    assert [d["service_request_id"] for d in later.nearby][:1] == [filings[1].request.id]
    assert {d["service_request_id"] for d in later.nearby} == {f.request.id for f in filings[:4]}
    assert [d["distance_m"] for d in later.nearby] == [0, 11, 11, 22]


async def test_a_citizens_filings_go_one_statement_after_another_and_the_limit_counts_each(app_client):
    app = app_client.app
    [before] = await _through(FilingDesk(app.state.engine, limit=2, window_s=600), [await _filing(app, "desk-busy-citizen")])
    assert before.filed  # one of the two allowed is used
    desk = FilingDesk(app.state.engine, limit=2, window_s=600)  # two lanes
    mine = [await _filing(app, "desk-busy-citizen") for _ in range(3)]
    other = await _filing(app, "desk-other-citizen")
    answers = await _through(desk, [mine[0], mine[1], other, mine[2]])
    # The third of this citizen's waiting filings is refused at the door (two are ahead of it);
    # of the two written, in turn, the database's count lets only the first through.
    assert [a.filed for a in answers] == [True, False, True, False]
    assert desk.statements == 2  # [mine 0, other], then [mine 1]: never two of one citizen at once
    assert await _written(app, [f.request.id for f in [*mine, other]]) == (2, 2, 2)
    with pytest.raises(LimitReached):
        filing.finish(mine[1], answers[1], CreationLimits(per_citizen=2, per_client=600, window_s=600))


async def test_a_filing_whose_request_went_away_before_its_turn_is_not_written(app_client):
    app = app_client.app
    desk = FilingDesk(app.state.engine, limit=20, window_s=600)
    gone, stays = await _filing(app, "desk-gone"), await _filing(app, "desk-stays")
    waiting = asyncio.ensure_future(desk.file(gone))
    await asyncio.sleep(0)
    waiting.cancel()  # the citizen's connection closed, its handler was cancelled
    [answer] = await _through(desk, [stays])
    assert answer.filed and desk.filed == 1
    assert await _written(app, [gone.request.id]) == (0, 0, 0)


async def test_a_database_that_is_down_fails_the_whole_batch_at_once_and_a_stopped_desk_says_so(app_client):
    from ecity_common.db import make_engine

    app = app_client.app
    settings = app.state.settings.model_copy(update={"database_url": "postgresql+asyncpg://ecity@127.0.0.1:1/none"})
    down = make_engine(settings)
    try:
        desk = FilingDesk(down, limit=20, window_s=600)
        answers = await _through(desk, [await _filing(app, f"desk-down-{i}") for i in range(3)])
        assert all(isinstance(a, Exception) for a in answers)
        assert answers[0] is answers[1] is answers[2]  # one attempt for all, not one each
        assert desk.statements == 0
    finally:
        await down.dispose()
    with pytest.raises(DeskClosed):  # its lanes were stopped at the end of _through
        await desk.file(await _filing(app, "desk-late"))


async def _end_filing_sessions(app) -> int:
    """What a database restart or an administrator does to the desk's lanes: their sessions end."""
    async with app.state.engine.connect() as conn:
        ended = await conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND query LIKE '%jsonb_to_recordset%'"))
        return sum(1 for (done,) in ended if done)


async def test_a_lane_whose_connection_the_database_ended_takes_a_new_one_before_writing(app_client):
    app = app_client.app
    desk = FilingDesk(app.state.engine, limit=20, window_s=600, lanes=1)
    lanes = asyncio.create_task(desk.run())
    try:
        assert (await desk.file(before := await _filing(app, "desk-ended-a"))).filed
        assert await _end_filing_sessions(app) == 1  # the lane's own connection, kept between batches
        await asyncio.sleep(0.2)  # the server's goodbye reaches the client
        assert (await desk.file(after := await _filing(app, "desk-ended-b"))).filed  # nobody saw a failure
    finally:
        lanes.cancel()
        await asyncio.gather(lanes, return_exceptions=True)
    assert await _written(app, [before.request.id, after.request.id]) == (2, 2, 2)


async def test_a_connection_lost_during_a_statement_fails_that_batch_as_unavailable_then_a_new_one_is_used(
        app_client, monkeypatch):
    app = app_client.app
    used: list[asyncpg.Connection] = []
    real = filing_desk.file_many_on

    async def lost_once(conn, filings, **kw):
        used.append(conn)
        if len(used) == 1:  # the socket went away with the statement on it: committed or not, unknown
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
        return await real(conn, filings, **kw)

    monkeypatch.setattr(filing_desk, "file_many_on", lost_once)
    desk = FilingDesk(app.state.engine, limit=20, window_s=600, lanes=1)
    answers = await _through(desk, [await _filing(app, f"desk-lost-{i}") for i in range(3)])
    assert all(database_unavailable(a) for a in answers) and answers[0] is answers[2]  # 503s, not one by one
    assert used[0].is_closed()  # discarded, never handed out by the pool again
    [later] = await _through(FilingDesk(app.state.engine, limit=20, window_s=600, lanes=1),
                             [await _filing(app, "desk-lost-later")])
    assert later.filed and used[1] is not used[0]


def test_a_desk_never_holds_every_connection_of_the_pool():
    from ecity_common.db import make_engine
    from ecity_common.settings import ServiceSettings

    engine = make_engine(ServiceSettings(database_pool_size=2))
    with pytest.raises(ValueError, match="every connection"):
        FilingDesk(engine, limit=20, window_s=600, lanes=2)
    FilingDesk(engine, limit=20, window_s=600, lanes=1)


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
    assert isinstance(answers[1], asyncpg.UniqueViolationError)
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
    metrics = (await client.get("/metrics")).text  # named by the route's template, not the path
    assert 'http_requests_total{handler="/api/v1/requests",method="POST",status="2xx"}' in metrics
    await client.get(f"/api/v1/requests/{ids[0]}", headers=bearer(client.settings, "crowd-0", "citizen"))
    assert 'handler="/api/v1/requests/{request_id}",method="GET",status="2xx"' in (await client.get("/metrics")).text
