"""The filing statement: one statement files a request, whatever else it does, for one request or
for many filed at once (the filing desk, `filing_desk.py`, batches the native API's filings: one
statement and one commit for all the citizens waiting).

Per request: the creation limit (`creation_limits.py`: how many this citizen filed in the window),
the request, its first history entry, the outbox row and the possible duplicates
(`duplicates.py`). The subjects of one statement are distinct (ON CONFLICT may touch a row once),
and their limit rows are locked in sorted order, so two statements never wait for each other in a
circle. With no Idempotency-Key not even BEGIN/COMMIT. Prepared once: SQLAlchemy builds and caches
nothing per call. The nearby ones are read in the statement's snapshot, which does not include the
requests it files.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import orjson
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from citizen_requests.adapters.creation_limits import LIMIT_RULE
from citizen_requests.adapters.duplicates import nearby_sql
from citizen_requests.domain.requests import CitizenRequest
from citizen_requests.domain.workflow import OPEN

COLUMNS = {  # the keys of each filing's object in the statement's JSON parameter, and their SQL types
    "id": "text", "service_code": "text", "description": "text", "citizen_id": "text", "lat": "float8",
    "long": "float8", "address": "text", "status": "text", "submitted_at": "timestamptz",
    "expected_datetime": "timestamptz", "attributes": "jsonb", "media_url": "text", "address_id": "text",
    "channel": "text", "email": "text", "phone": "text", "first_name": "text", "last_name": "text",
    "outage_id": "text", "status_notes": "text", "description_publication": "text", "description_public": "text", "event_id": "text", "aggregate_type": "text", "event_type": "text",
    "topic": "text", "payload": "jsonb", "headers": "jsonb", "radius": "float8",
}
_FILE = text("""
WITH d AS (
    SELECT * FROM jsonb_to_recordset(CAST(:filings AS jsonb))
        AS d(""" + ", ".join(f"{c} {t}" for c, t in COLUMNS.items()) + """, n int)
), allowed AS (
    INSERT INTO creation_limits AS l (subject, window_start, count)
    SELECT citizen_id, now(), 1 FROM d ORDER BY citizen_id""" + LIMIT_RULE + """
), filed AS (
    INSERT INTO citizen_requests (id, service_code, description, citizen_id, lat, long, address, status, submitted_at,
        expected_datetime, updated_at, attributes, media_url, address_id, channel, email, phone, first_name,
        last_name, outage_id, status_notes, description_publication, description_public)
    SELECT id, service_code, description, citizen_id, lat, long, address, status, submitted_at, expected_datetime,
        submitted_at, attributes, media_url, address_id, channel, email, phone, first_name, last_name,
        outage_id, status_notes, description_publication, description_public
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
       """ + nearby_sql("d") + """ AS nearby
FROM d ORDER BY d.n
""")
_OPEN = sorted(OPEN)
# The same statement as the driver takes it ($1, $2, … in SQLAlchemy's order of the names), for a
# connection used through asyncpg itself (the filing desk's lanes).
_FILE_POSITIONAL = _FILE.compile(dialect=asyncpg_dialect())
_FILE_ORDER = tuple(_FILE_POSITIONAL.positiontup or ())


@dataclass
class Filing:
    """A request ready to be written: the domain's request and the statement's inputs for it."""

    request: CitizenRequest
    values: dict  # one value per COLUMNS

    @property
    def subject(self) -> str:
        """Whose creation limit it counts against: the citizen's."""
        return self.values["citizen_id"]


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
