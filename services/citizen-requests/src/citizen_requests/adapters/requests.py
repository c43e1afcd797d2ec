"""Queries and writes of citizens' requests, their history, comments and followers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.overdue import overdue_sql
from citizen_requests.adapters.tables import citizen_requests, comments, request_history, subscriptions
from citizen_requests.domain.pages import Position
from citizen_requests.domain.publication import UNPUBLISHED_CHANNELS
from citizen_requests.domain.workflow import OPEN

COUNT_CAP = 10_000  # public lists count their matches up to here


async def find(session: AsyncSession, request_id: str, *, for_update: bool = False):
    query = select(citizen_requests).where(citizen_requests.c.id == request_id)
    return (await session.execute(query.with_for_update() if for_update else query)).first()


def _newest_first(query, after: Position | None):
    """Newest first, and after a position when paging by cursor: the order a cursor's position
    is in (filing time, then id, both descending), so that no request is skipped or seen twice."""
    at, rid = citizen_requests.c.submitted_at, citizen_requests.c.id
    if after is not None:
        # `at <= ` first: the index on submitted_at finds the start; the rest breaks the ties.
        query = query.where(at <= after.submitted_at, or_(at < after.submitted_at, and_(at == after.submitted_at,
                                                                                          rid < after.request_id)))
    return query.order_by(at.desc(), rid.desc())


async def list_for(session: AsyncSession, *, citizen_id: str | None, status: str | None, needs_dispatcher: bool,
                   limit: int, offset: int, after: Position | None = None) -> list:
    query = select(citizen_requests)
    if citizen_id is not None:
        query = query.where(citizen_requests.c.citizen_id == citizen_id)
    if status:
        query = query.where(citizen_requests.c.status == status)
    if needs_dispatcher:
        query = query.where(citizen_requests.c.dispatch_flag.is_not(None), citizen_requests.c.status.in_(OPEN))
    return (await session.execute(_newest_first(query, after).limit(limit).offset(offset))).all()


async def search(
    session: AsyncSession, *, ids: list[str] | None, service_codes: list[str] | None, start: datetime, end: datetime,
    status_states: set[str] | None, limit: int, offset: int,
) -> list:
    """Open311's search: anyone's, so the published requests only."""
    query = select(citizen_requests).where(citizen_requests.c.channel.not_in(UNPUBLISHED_CHANNELS))
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


async def count_all(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(citizen_requests))


# -- what anyone may see (domain/publication.py) -------------------------------------------------

def _published(service_codes: list[str] | None, status: str | None):
    query = select(citizen_requests).where(citizen_requests.c.channel.not_in(UNPUBLISHED_CHANNELS))
    if service_codes:
        query = query.where(citizen_requests.c.service_code.in_(service_codes))
    if status == "open":
        query = query.where(citizen_requests.c.status.in_(OPEN))
    elif status == "closed":
        query = query.where(citizen_requests.c.status.not_in(OPEN))
    return query


async def published_page(session: AsyncSession, *, service_codes: list[str] | None, status: str | None, limit: int,
                         offset: int, after: Position | None = None) -> tuple[int, list]:
    """The published requests, newest first, and how many there are (counted up to COUNT_CAP + 1:
    an exact count of a million matches costs more than the page itself)."""
    query = _published(service_codes, status)
    counted = await session.scalar(select(func.count()).select_from(query.limit(COUNT_CAP + 1).subquery()))
    rows = await session.execute(_newest_first(query, after).limit(limit).offset(offset))
    return counted, rows.all()


async def published_on_map(session: AsyncSession, *, service_codes: list[str] | None, status: str | None, limit: int) -> list:
    return (await session.execute(_published(service_codes, status).where(citizen_requests.c.lat.is_not(None))
                                  .order_by(citizen_requests.c.submitted_at.desc()).limit(limit))).all()


async def statistics(session: AsyncSession, start: datetime, end: datetime, now: datetime) -> list:
    """Per category of the published requests filed between `start` and `end`: (code, count,
    median hours to resolve, share overdue as of `now`)."""
    resolved = (select(request_history.c.request_id, func.min(request_history.c.at).label("resolved_at"))
                .where(request_history.c.to_status == "resolved").group_by(request_history.c.request_id).subquery())
    answered_at = resolved.c.resolved_at
    late = overdue_sql(citizen_requests.c.expected_datetime, citizen_requests.c.status, answered_at, now)
    hours = func.extract("epoch", answered_at - citizen_requests.c.submitted_at) / 3600
    return (await session.execute(
        select(citizen_requests.c.service_code, func.count(), func.percentile_cont(0.5).within_group(hours),
               func.avg(late))
        .select_from(citizen_requests.outerjoin(resolved, resolved.c.request_id == citizen_requests.c.id))
        .where(citizen_requests.c.submitted_at.between(start, end),
               citizen_requests.c.channel.not_in(UNPUBLISHED_CHANNELS))
        .group_by(citizen_requests.c.service_code).order_by(citizen_requests.c.service_code)
    )).all()


async def public_updates(session: AsyncSession, *, ids: list[str], start: datetime, end: datetime, limit: int) -> list:
    """Open311's servicerequestupdates: the public history entries of published requests between
    `start` and `end`."""
    unpublished = select(citizen_requests.c.id).where(citizen_requests.c.channel.in_(UNPUBLISHED_CHANNELS))
    query = select(request_history).where(request_history.c.public.is_(True), request_history.c.at.between(start, end),
                                          request_history.c.request_id.not_in(unpublished))
    if ids:
        query = query.where(request_history.c.request_id.in_(ids))
    return (await session.execute(query.order_by(request_history.c.id).limit(limit))).all()


# -- history, comments, followers ----------------------------------------------------------------

async def history(session: AsyncSession, request_id: str, *, public_only: bool) -> list:
    query = select(request_history).where(request_history.c.request_id == request_id).order_by(request_history.c.id)
    if public_only:
        query = query.where(request_history.c.public.is_(True))
    return (await session.execute(query)).all()


async def last_resolved_at(session: AsyncSession, request_id: str) -> datetime | None:
    return await session.scalar(select(request_history.c.at).where(
        request_history.c.request_id == request_id, request_history.c.to_status == "resolved")
        .order_by(request_history.c.at.desc()).limit(1))


async def add_history(session: AsyncSession, request_id: str, *, actor: str, from_status: str | None, to_status: str,
                      note: str | None, public: bool, at: datetime | None = None, photos: list[str] | None = None) -> None:
    values = dict(request_id=request_id, actor=actor, from_status=from_status, to_status=to_status, note=note, public=public)
    if photos:
        values["photos"] = photos
    if at is not None:
        values["at"] = at
    await session.execute(insert(request_history).values(**values))


async def change(session: AsyncSession, request_id: str, **values) -> None:
    await session.execute(update(citizen_requests).where(citizen_requests.c.id == request_id).values(**values))


async def add_comment(session: AsyncSession, request_id: str, *, author: str, staff: bool, text: str, at: datetime,
                      publication: str, public_text: str | None) -> int:
    comment_id = await session.scalar(insert(comments).values(
        request_id=request_id, author=author, staff=staff, text=text, at=at, publication=publication,
        public_text=public_text).returning(comments.c.id))
    await change(session, request_id, updated_at=at)
    return comment_id


async def comments_of(session: AsyncSession, request_id: str) -> list:
    return (await session.execute(select(comments).where(comments.c.request_id == request_id).order_by(comments.c.id))).all()


async def follow(session: AsyncSession, request_id: str, citizen_id: str, at: datetime) -> bool:
    """True when this citizen did not follow it already."""
    added = await session.execute(pg_insert(subscriptions).values(request_id=request_id, citizen_id=citizen_id, at=at)
                                  .on_conflict_do_nothing().returning(subscriptions.c.citizen_id))
    return added.first() is not None


async def unfollow(session: AsyncSession, request_id: str, citizen_id: str) -> bool:
    """True when this citizen followed it."""
    gone = await session.execute(delete(subscriptions).where(subscriptions.c.request_id == request_id,
                                                             subscriptions.c.citizen_id == citizen_id)
                                 .returning(subscriptions.c.citizen_id))
    return gone.first() is not None


# -- utility outages and network incidents -------------------------------------------------------

async def open_in_outage(session: AsyncSession, outage_id: str) -> list:
    return (await session.execute(select(citizen_requests.c.id, citizen_requests.c.status).where(
        citizen_requests.c.outage_id == outage_id, citizen_requests.c.status.in_(OPEN)))).all()


async def incident_statuses(session: AsyncSession, base_id: str) -> list[str]:
    """The statuses of the incidents of one outage and site, every round of it."""
    return list((await session.execute(select(citizen_requests.c.status).where(or_(
        citizen_requests.c.id == base_id, citizen_requests.c.id.startswith(f"{base_id}-r", autoescape=True))))).scalars())


async def incidents_of(session: AsyncSession, outage_id: str) -> list:
    return (await session.execute(select(citizen_requests.c.id, citizen_requests.c.status).where(
        citizen_requests.c.id.startswith(f"incident-{outage_id}-", autoescape=True)))).all()


async def add_if_new(session: AsyncSession, **values) -> bool:
    """Write a request the city opens itself (an incident); False when one with its id exists."""
    inserted = await session.execute(pg_insert(citizen_requests).values(**values)
                                     .on_conflict_do_nothing(index_elements=["id"]).returning(citizen_requests.c.id))
    return inserted.first() is not None


async def remove(session: AsyncSession, request_id: str) -> bool:
    """Delete a request with its history, comments and followers (its photos first: adapters/photos.py)."""
    for table in (subscriptions, comments, request_history):
        await session.execute(delete(table).where(table.c.request_id == request_id))
    result = await session.execute(delete(citizen_requests).where(citizen_requests.c.id == request_id))
    return result.rowcount > 0


async def erase_contact(session: AsyncSession, citizen_id: str) -> int:
    """Forget a citizen's contact details on every request they filed; how many requests had them."""
    result = await session.execute(update(citizen_requests).where(citizen_requests.c.citizen_id == citizen_id)
                                   .values(email=None, phone=None, first_name=None, last_name=None))
    return result.rowcount
