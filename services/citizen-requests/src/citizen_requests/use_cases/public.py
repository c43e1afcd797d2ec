"""What anyone may read without a token (`domain/publication.py` decides what of a request):
the public list, map and statistics, and Open311's reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters import requests
from citizen_requests.adapters.requests import COUNT_CAP
from citizen_requests.domain.catalogue import Category
from citizen_requests.domain.deadlines import KYIV
from citizen_requests.domain.pages import next_cursor, position
from citizen_requests.domain.phrases import Phrase
from citizen_requests.domain.publication import anonymised, open311_view, public_update, published
from citizen_requests.domain.workflow import OPEN, TRANSITIONS
from citizen_requests.use_cases import photos
from ecity_common.refusals import Invalid, NotFound

MAX_STATISTICS_PERIOD = timedelta(days=366)
MAX_UPDATES = 1000


def _codes(service_code: str | None) -> list[str] | None:
    return service_code.split(",") if service_code else None


async def public_list(session: AsyncSession, catalogue: Mapping[str, Category], *, service_code: str | None,
                      status: str | None, limit: int, offset: int, after: tuple | None = None) -> dict:
    """A page of the published requests, newest first; `next_cursor` starts the next page (`after`),
    however deep, where an offset stops at its cap."""
    counted, rows = await requests.published_page(session, service_codes=_codes(service_code), status=status,
                                                  limit=limit, offset=offset, after=position(after))
    return {"count": min(counted, COUNT_CAP), "count_is_exact": counted <= COUNT_CAP,
            "results": [anonymised(r, catalogue) for r in rows], "next_cursor": next_cursor(rows, limit)}


async def public_map(session: AsyncSession, catalogue: Mapping[str, Category], *, service_code: str | None,
                     status: str | None, limit: int) -> dict:
    features = []
    for r in await requests.published_on_map(session, service_codes=_codes(service_code), status=status, limit=limit):
        props = anonymised(r, catalogue)
        lat, long = props.pop("lat"), props.pop("long")
        features.append({"type": "Feature", "id": r.id, "geometry": {"type": "Point", "coordinates": [long, lat]},
                         "properties": props})
    return {"type": "FeatureCollection", "features": features}


async def statistics(session: AsyncSession, catalogue: Mapping[str, Category], date_from: date, date_to: date) -> dict:
    """Per category and period (Kyiv days): count, median time to resolve, share overdue."""
    if date_to < date_from or date_to - date_from > MAX_STATISTICS_PERIOD:
        raise Invalid("query.to", Phrase("statistics-period"))
    start = datetime.combine(date_from, time.min, tzinfo=KYIV).astimezone(UTC)
    end = datetime.combine(date_to, time.max, tzinfo=KYIV).astimezone(UTC)
    rows = await requests.statistics(session, start, end, datetime.now(UTC))
    return {"from": date_from.isoformat(), "to": date_to.isoformat(), "categories": [
        {"service_code": code, "service_name": catalogue[code].name_uk if code in catalogue else code, "count": count,
         "median_hours_to_resolve": round(float(median), 1) if median is not None else None,
         "share_overdue_percent": round(float(share) * 100, 2)}
        for code, count, median, share in rows]}


# -- Open311 ------------------------------------------------------------------------------------

async def open311_search(session: AsyncSession, catalogue: Mapping[str, Category], *, ids: list[str], codes: list[str],
                         start: datetime, end: datetime, status: str | None, limit: int, offset: int,
                         photo_desk: photos.PhotoDesk | None = None) -> list[dict]:
    """Open311's search; `status` is Open311's open or closed."""
    states = None if not status else (OPEN if status == "open" else set(TRANSITIONS) - OPEN)
    rows = await requests.search(session, ids=ids, service_codes=codes, start=start, end=end, status_states=states,
                                 limit=limit, offset=offset)
    return await _with_photos(session, photo_desk, [open311_view(r, catalogue) for r in rows])


async def open311_request(session: AsyncSession, catalogue: Mapping[str, Category], request_id: str, *,
                          photo_desk: photos.PhotoDesk | None = None) -> dict:
    row = await requests.find(session, request_id)
    if row is None or not published(row.channel):  # an IT department's incident is not anyone's to read
        raise NotFound("service request", repr(request_id))
    (view,) = await _with_photos(session, photo_desk, [open311_view(row, catalogue)])
    return view


async def _with_photos(session: AsyncSession, photo_desk: photos.PhotoDesk | None, views: list[dict]) -> list[dict]:
    """Open311's media_url: the public address of the request's first published photo, where it
    has one (one query for the page); otherwise what the request had (an Open311 client's URL)."""
    if photo_desk is None or not views:
        return views
    addresses = await photos.first_published(session, photo_desk, [v["service_request_id"] for v in views])
    for view in views:
        if (address := addresses.get(view["service_request_id"])) is not None:
            view["media_url"] = address
    return views


async def open311_token(session: AsyncSession, token: str) -> dict:
    """Requests get their id at once here, so a token is the request's id."""
    row = await requests.find(session, token)
    if row is None or not published(row.channel):
        raise NotFound("request for token", repr(token))
    return {"service_request_id": token, "token": token}


async def open311_updates(session: AsyncSession, *, ids: list[str], start: datetime, end: datetime) -> list[dict]:
    """The common extension: public updates (status changes and their notes) between two times."""
    rows = await requests.public_updates(session, ids=ids, start=start, end=end, limit=MAX_UPDATES)
    return [public_update(r) for r in rows]
