"""The photos' rows (adapters/tables.py `photos`); their pictures are in the photo store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.tables import citizen_requests, photos
from citizen_requests.domain.photos import PUBLISHED


async def add(session: AsyncSession, *, photo_id: str, owner: str, content_hash: str, width: int, height: int,
              size: int, at: datetime) -> None:
    await session.execute(insert(photos).values(id=photo_id, owner=owner, content_hash=content_hash, width=width,
                                                height=height, bytes=size, created_at=at))


async def unattached_count(session: AsyncSession, owner: str) -> int:
    return await session.scalar(select(func.count()).select_from(photos).where(
        photos.c.owner == owner, photos.c.request_id.is_(None)))


async def find(session: AsyncSession, photo_id: str):
    """The photo with its request's channel and citizen (null when not attached): what publication
    and its readers look at."""
    query = (select(photos, citizen_requests.c.channel, citizen_requests.c.citizen_id.label("request_citizen"))
             .select_from(photos.outerjoin(citizen_requests, citizen_requests.c.id == photos.c.request_id))
             .where(photos.c.id == photo_id))
    return (await session.execute(query)).first()


async def attach(session: AsyncSession, photo_ids: list[str], *, owner: str, request_id: str,
                 comment_id: int | None = None) -> int:
    """Attach the owner's unattached photos among `photo_ids`; how many were."""
    result = await session.execute(
        update(photos).where(photos.c.id.in_(photo_ids), photos.c.owner == owner, photos.c.request_id.is_(None))
        .values(request_id=request_id, comment_id=comment_id))
    return result.rowcount


async def set_publication(session: AsyncSession, photo_id: str, state: str, *, by: str, at: datetime) -> None:
    await session.execute(update(photos).where(photos.c.id == photo_id)
                          .values(publication=state, publication_by=by, publication_at=at))


async def of_request(session: AsyncSession, request_id: str) -> list:
    return (await session.execute(select(photos).where(photos.c.request_id == request_id)
                                  .order_by(photos.c.created_at, photos.c.id))).all()


async def first_published(session: AsyncSession, request_ids: list[str]) -> dict[str, str]:
    """The first published photo of each of these requests, by request id (Open311's media_url)."""
    if not request_ids:
        return {}
    query = (select(photos.c.request_id, photos.c.id).distinct(photos.c.request_id)
             .where(photos.c.request_id.in_(request_ids), photos.c.publication == PUBLISHED,
                    photos.c.comment_id.is_(None))
             .order_by(photos.c.request_id, photos.c.created_at, photos.c.id))
    return {r.request_id: r.id for r in (await session.execute(query)).all()}


async def remove(session: AsyncSession, *, request_id: str | None = None, owner: str | None = None) -> tuple[int, set[str]]:
    """Delete the rows of a request's photos, or of an owner's: how many, and the content hashes
    no row names any more (whose objects the store may now delete)."""
    condition = photos.c.request_id == request_id if request_id is not None else photos.c.owner == owner
    hashes = [r.content_hash for r in (await session.execute(delete(photos).where(condition)
                                                             .returning(photos.c.content_hash))).all()]
    if not hashes:
        return 0, set()
    # The same picture sent by someone else (or attached elsewhere) keeps its objects.
    still = {r.content_hash for r in (await session.execute(
        select(photos.c.content_hash).where(photos.c.content_hash.in_(set(hashes))).distinct())).all()}
    return len(hashes), set(hashes) - still
