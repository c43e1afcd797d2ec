"""Use cases of citizen-requests: one function per thing a user does, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import orjson
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from citizen_requests.adapters.tables import citizen_requests, open311_clients
from citizen_requests.domain.catalogue import Category
from citizen_requests.domain.duplicates import OFFERED, distance_sql
from citizen_requests.domain.requests import CitizenRequest, Location, file_request
from citizen_requests.domain.workflow import OPEN
from ecity_common.auth import api_key_matches, parse_api_key
from ecity_common.events.payloads.citizen_requests import CitizenRequestSubmitted
from ecity_common.messaging.outbox import Outbox


@dataclass(frozen=True)
class Contact:
    """Personal data: the citizen and staff see it; public answers and events never carry it."""

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None


# A creation limit per subject (a citizen, an Open311 app): a fixed window that starts with the
# first creation. An upsert, so concurrent creations of one subject wait for each other on its
# row and each sees the latest count (a count of recent requests could not see those in flight).
# It returns a row only when the creation is allowed.
_LIMIT_RULE = """
    ON CONFLICT (subject) DO UPDATE SET
        count = CASE WHEN l.window_start <= now() - make_interval(secs => :window_s) THEN 1 ELSE l.count + 1 END,
        window_start = CASE WHEN l.window_start <= now() - make_interval(secs => :window_s) THEN now()
                            ELSE l.window_start END
    WHERE l.window_start <= now() - make_interval(secs => :window_s) OR l.count < :limit
    RETURNING subject"""
LIMIT_UPSERT = "INSERT INTO creation_limits AS l (subject, window_start, count) VALUES (:subject, now(), 1)" + _LIMIT_RULE
_WITHIN_LIMIT = text(LIMIT_UPSERT)


async def within_limit(session: AsyncSession, subject: str, *, limit: int, window_s: int) -> bool:
    """Count one creation for `subject`; False (and nothing counted) when its window is full."""
    return (await session.execute(_WITHIN_LIMIT, {"subject": subject, "limit": limit, "window_s": window_s})).first() is not None


# Filing is one statement, whatever else it does, for one request or for many filed at once (the
# filing desk, `filing_desk.py`, batches the native API's filings: one statement and one commit for
# all the citizens waiting). Per request: the creation limit (how many this citizen filed in the
# window), the request, its first history entry, the outbox row and the possible duplicates
# (`nearby.py`). The subjects of one statement are distinct (ON CONFLICT may touch a row once), and
# their limit rows are locked in sorted order, so two statements never wait for each other in a
# circle. With no Idempotency-Key not even BEGIN/COMMIT. Prepared once: SQLAlchemy builds and
# caches nothing per call. The nearby ones are read in the statement's snapshot, which does not
# include the requests it files.
_COLUMNS = {  # the keys of each filing's object in the statement's JSON parameter, and their SQL types
    "id": "text", "service_code": "text", "description": "text", "citizen_id": "text", "lat": "float8",
    "long": "float8", "address": "text", "status": "text", "submitted_at": "timestamptz",
    "expected_datetime": "timestamptz", "attributes": "jsonb", "media_url": "text", "address_id": "text",
    "channel": "text", "email": "text", "phone": "text", "first_name": "text", "last_name": "text",
    "outage_id": "text", "status_notes": "text", "event_id": "text", "aggregate_type": "text", "event_type": "text",
    "topic": "text", "payload": "jsonb", "headers": "jsonb", "radius": "float8",
}
_FILE = text("""
WITH d AS (
    SELECT * FROM jsonb_to_recordset(CAST(:filings AS jsonb))
        AS d(""" + ", ".join(f"{c} {t}" for c, t in _COLUMNS.items()) + """, n int)
), allowed AS (
    INSERT INTO creation_limits AS l (subject, window_start, count)
    SELECT citizen_id, now(), 1 FROM d ORDER BY citizen_id""" + _LIMIT_RULE + """
), filed AS (
    INSERT INTO citizen_requests (id, service_code, description, citizen_id, lat, long, address, status, submitted_at,
        expected_datetime, updated_at, attributes, media_url, address_id, channel, email, phone, first_name,
        last_name, outage_id, status_notes)
    SELECT id, service_code, description, citizen_id, lat, long, address, status, submitted_at, expected_datetime,
        submitted_at, attributes, media_url, address_id, channel, email, phone, first_name, last_name,
        outage_id, status_notes
    FROM d WHERE citizen_id IN (SELECT subject FROM allowed)
    RETURNING id
), history AS (
    INSERT INTO request_history (request_id, actor, to_status, public, note)
    SELECT id, citizen_id, status, true, status_notes FROM d JOIN filed USING (id)
), announced AS (
    INSERT INTO outbox (event_id, aggregate_type, aggregate_id, type, topic, payload, headers)
    SELECT event_id, aggregate_type, id, event_type, topic, payload, headers
    FROM d JOIN filed USING (id)
)
SELECT d.n, EXISTS (SELECT 1 FROM filed f WHERE f.id = d.id) AS filed,
       (SELECT coalesce(json_agg(json_build_object('service_request_id', x.id, 'distance_m', round(x.distance),
                                                   'status', x.status, 'requested_datetime', x.submitted_at)
                                 ORDER BY x.distance), '[]')
        FROM (SELECT * FROM (SELECT c.id, c.status, c.submitted_at, """ + distance_sql("d.lat", "d.long", "c.lat", "c.long") + """ AS distance
                             FROM (SELECT id, lat, long, status, submitted_at FROM citizen_requests c
                                   WHERE c.service_code = d.service_code AND c.status = ANY(CAST(:open AS text[]))
                                     AND c.lat BETWEEN d.lat - d.radius / 111320 AND d.lat + d.radius / 111320
                                     AND c.long BETWEEN d.long - d.radius / (111320 * cos(radians(d.lat)))
                                                    AND d.long + d.radius / (111320 * cos(radians(d.lat)))
                                   LIMIT 50) c) near
              WHERE near.distance <= d.radius ORDER BY near.distance LIMIT """ + str(OFFERED) + """) x) AS nearby
FROM d ORDER BY d.n
""")
_OPEN = sorted(OPEN)
# The same statement as the driver takes it ($1, $2, … in SQLAlchemy's order of the names), for a
# connection used through asyncpg itself (the filing desk's lanes).
_FILE_POSITIONAL = _FILE.compile(dialect=asyncpg_dialect())
_FILE_ORDER = tuple(_FILE_POSITIONAL.positiontup or ())


def json_time(moment: datetime | None) -> str | None:
    """A datetime as pydantic writes it in JSON (UTC as "Z")."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


class CreationLimitReached(Exception):
    """The citizen filed as many requests as the window allows."""


@dataclass
class Filing:
    """A request ready to be written: the domain's request and the statement's inputs for it."""

    request: CitizenRequest
    values: dict  # one value per _COLUMNS

    @property
    def subject(self) -> str:
        """Whose creation limit it counts against: the citizen's."""
        return self.values["citizen_id"]


async def prepare_filing(
    db: AsyncSession | AsyncConnection | async_sessionmaker[AsyncSession],
    outbox: Outbox,
    *,
    catalogue: Mapping[str, Category],
    category_code: str,
    description: str,
    citizen_id: str,
    location: Location | None,
    address: str | None,
    answers: dict[str, list[str]] | None = None,
    contact: Contact = Contact(),
    media_url: str | None = None,
    address_id: str | None = None,
    channel: str = "app",
) -> Filing:
    """Check a request against the domain's rules (RequestRejected) and build what filing it writes.
    `db` is read only for a utility category (is the place inside an announced outage?): the
    caller's session or connection, or sessions to open one from only then."""
    request = file_request(catalogue=catalogue, category_code=category_code, description=description, citizen_id=citizen_id,
                           location=location, address=address, answers=answers)
    # Filed inside a utility outage the company announced: linked to it, and the citizen is told
    # at once when supply should return (the answer's status_notes).
    outage = None
    if request.category.utility_kind is not None:
        from citizen_requests.use_cases.company_reports import outage_here, outage_note

        where = (request.category.utility_kind, location.lat if location else None,
                 location.long if location else None, request.address)
        if isinstance(db, async_sessionmaker):
            async with db() as session:
                outage = await outage_here(session, *where)
        else:
            outage = await outage_here(db, *where)
    expected = request.expected_datetime  # (computed from the category's term each time it is read)
    request.stored = row = dict(
        id=request.id, service_code=request.category.code, description=request.description,
        citizen_id=request.citizen_id, lat=location.lat if location else None,
        long=location.long if location else None, address=request.address, status=request.status,
        submitted_at=request.submitted_at, expected_datetime=expected, updated_at=request.submitted_at,
        attributes=request.attributes, media_url=media_url, address_id=address_id, channel=channel,
        email=contact.email, phone=contact.phone, first_name=contact.first_name, last_name=contact.last_name,
        outage_id=outage.id if outage else None, status_notes=outage_note(outage) if outage else None,
    )
    # The event's data in its JSON form, as CitizenRequestSubmitted.model_dump(mode="json") gives
    # it (tested): from the domain's checked values, without building and validating the model.
    _, announced = outbox.stage_data(CitizenRequestSubmitted, {
        "request_id": request.id, "service_code": request.category.code,
        "handler_kind": request.category.handler_kind, "utility_kind": request.category.utility_kind,
        "department": request.category.department, "description": request.description,
        "location": {"lat": location.lat, "long": location.long} if location else None,
        "address": request.address, "submitted_at": json_time(request.submitted_at),
        "expected_datetime": json_time(expected),
    }, aggregate_id=request.id)
    values = {name: row.get(name) for name in _COLUMNS}
    values.update(
        event_id=announced["event_id"], aggregate_type=announced["aggregate_type"], event_type=announced["type"],
        topic=announced["topic"], payload=announced["payload"], headers=announced["headers"],
        radius=request.category.duplicate_radius_m,
    )
    return Filing(request, values)


@dataclass(frozen=True)
class Filed:
    """What writing one filing gave: whether its creation limit let it through, and the open
    requests of its category within its radius, nearest first, as the database saw them."""

    filed: bool
    nearby: list


def _params(filings: list[Filing], limit: int, window_s: int) -> dict:
    if len({f.subject for f in filings}) != len(filings):
        raise ValueError("one statement files at most one request per subject")
    # One JSON parameter (written by orjson, taken apart by PostgreSQL) rather than an array per
    # column: asyncpg encoding 27 arrays was a twentieth of the worker's time under load.
    batch = orjson.dumps([{**f.values, "n": n} for n, f in enumerate(filings)], option=orjson.OPT_NON_STR_KEYS).decode()
    return {"filings": batch, "open": _OPEN, "limit": limit, "window_s": window_s}


async def file_many(db: AsyncSession | AsyncConnection, filings: list[Filing], *, limit: int, window_s: int) -> list[Filed]:
    """Write `filings` (distinct subjects) in one statement, in the caller's transaction if it has
    one; the answers in the same order. A subject may file `limit` requests per `window_s` seconds."""
    rows = (await db.execute(_FILE, _params(filings, limit, window_s))).all()
    return [Filed(row.filed, row.nearby) for row in rows]


async def file_many_on(conn: asyncpg.Connection, filings: list[Filing], *, limit: int, window_s: int) -> list[Filed]:
    """`file_many` on a driver connection of the service's engine (its JSON codecs), outside any
    transaction: the statement is its own commit."""
    params = _params(filings, limit, window_s)
    rows = await conn.fetch(_FILE_POSITIONAL.string, *(params[name] for name in _FILE_ORDER))
    return [Filed(row["filed"], row["nearby"]) for row in rows]


def finish(filing: Filing, filed: Filed) -> CitizenRequest:
    """The filed request with the possible duplicates offered to the citizen."""
    if not filed.filed:
        raise CreationLimitReached()
    filing.request.possible_duplicates = filed.nearby
    return filing.request


async def submit_request(db: AsyncSession | AsyncConnection, outbox: Outbox, *, limit: int = 10**9, window_s: int = 600,
                         **what) -> CitizenRequest:
    """File a request in the caller's transaction (if it has one); `what` as for `prepare_filing`.
    `possible_duplicates` on the answer lists the open requests of its category nearby.
    CreationLimitReached when the citizen filed `limit` requests in the last `window_s` seconds."""
    filing = await prepare_filing(db, outbox, **what)
    (filed,) = await file_many(db, [filing], limit=limit, window_s=window_s)
    return finish(filing, filed)


async def find_request(session: AsyncSession, request_id: str):
    return (await session.execute(select(citizen_requests).where(citizen_requests.c.id == request_id))).first()


async def open311_client(session: AsyncSession, api_key: str | None) -> str | None:
    """The name of the client app whose key this is, or None."""
    key_id = parse_api_key(api_key or "")
    if key_id is None:
        return None
    row = (await session.execute(select(open311_clients).where(
        open311_clients.c.key_id == key_id, open311_clients.c.revoked_at.is_(None)))).first()
    return row.name if row is not None and api_key_matches(api_key, row.key_hash) else None


async def search(
    session: AsyncSession, *, ids: list[str] | None, service_codes: list[str] | None, start: datetime, end: datetime,
    status_states: set[str] | None, limit: int, offset: int,
) -> list:
    query = select(citizen_requests)
    if ids:
        query = query.where(citizen_requests.c.id.in_(ids))  # a list of ids overrides every other filter
    else:
        query = query.where(citizen_requests.c.submitted_at >= start, citizen_requests.c.submitted_at <= end)
        if service_codes:
            query = query.where(citizen_requests.c.service_code.in_(service_codes))
        if status_states is not None:
            query = query.where(citizen_requests.c.status.in_(status_states))
    query = query.order_by(citizen_requests.c.submitted_at.desc(), citizen_requests.c.id).limit(limit).offset(offset)
    return (await session.execute(query)).all()


async def count_requests(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(citizen_requests))


async def list_requests(session: AsyncSession, *, citizen_id: str | None, status: str | None, needs_dispatcher: bool,
                        limit: int, offset: int) -> list:
    query = select(citizen_requests)
    if citizen_id is not None:
        query = query.where(citizen_requests.c.citizen_id == citizen_id)
    if status:
        query = query.where(citizen_requests.c.status == status)
    if needs_dispatcher:
        query = query.where(citizen_requests.c.dispatch_flag.is_not(None), citizen_requests.c.status.in_(OPEN))
    query = query.order_by(citizen_requests.c.submitted_at.desc(), citizen_requests.c.id).limit(limit).offset(offset)
    return (await session.execute(query)).all()
