"""Photos of requests: uploaded first, attached at filing or to a comment, published by staff,
served to whoever may see them, and deleted with their request or their sender's data.

The pictures are kept by `ecity_common.photos` (processed off the event loop, stored by content
hash); the rows and who may see what are here and in `domain/photos.py`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters import photos as rows
from citizen_requests.domain.photos import (
    MAX_UNATTACHED_PER_OWNER,
    check_attachable,
    seen_by,
    served_publicly,
)
from citizen_requests.domain.phrases import Phrase
from citizen_requests.domain.publication import published
from ecity_common.photos import SIZES, PhotoStore, PhotoWorkshop
from ecity_common.photos.serving import PhotoFile, photo_file
from ecity_common.photos.storage import key
from ecity_common.refusals import Invalid, LimitReached, NotFound


@dataclass
class PhotoDesk:
    """What photos need, wired once by main."""

    store: PhotoStore
    workshop: PhotoWorkshop
    public_url: str  # where the public reaches this service (Open311's media_url is absolute)

    def public_address(self, photo_id: str, size: str = "1280") -> str:
        return f"{self.public_url.rstrip('/')}/api/v1/public/photos/{photo_id}/{size}"


async def upload(db: AsyncSession, desk: PhotoDesk, data: bytes, *, owner: str, read_location: bool) -> dict:
    """Check, strip and store a photo; the row is written in the caller's transaction, pending
    until staff publish it. The place in its GPS EXIF is returned (never kept) if the sender asked.
    The photo is processed before the transaction's first statement: no pooled connection waits
    on a photo's CPU work."""
    photo = await desk.workshop.process(data, read_location=read_location, field_name="file")
    if await rows.unattached_count(db, owner) >= MAX_UNATTACHED_PER_OWNER:
        raise LimitReached(Phrase("photos-waiting", most=MAX_UNATTACHED_PER_OWNER),
                           retry_after_s=600)
    for size, rendition in photo.renditions.items():
        await desk.store.put(key(photo.content_hash, size), rendition, photo.media_type)
    photo_id = str(uuid.uuid4())
    await rows.add(db, photo_id=photo_id, owner=owner, content_hash=photo.content_hash, width=photo.width,
                   height=photo.height, size=len(photo.renditions["full"]), at=datetime.now(UTC))
    answer = {"photo_id": photo_id, "width": photo.width, "height": photo.height}
    if photo.place is not None:
        answer["suggested_place"] = {"lat": photo.place.lat, "long": photo.place.long}
    return answer


async def attach(db: AsyncSession, photo_ids: list[str] | tuple[str, ...], *, owner: str, request_id: str,
                 comment_id: int | None = None) -> None:
    """Attach photos to a request (at filing) or to its comment, in the caller's transaction:
    each must be the caller's own and not yet attached, or nothing is (Invalid naming photo_ids)."""
    ids = check_attachable(photo_ids)
    if ids and await rows.attach(db, ids, owner=owner, request_id=request_id, comment_id=comment_id) != len(ids):
        raise Invalid("photo_ids", Phrase("photo-not-yours"))


async def _load(db: AsyncSession, photo_id: str, size: str):
    if size not in SIZES:
        raise NotFound("photo", photo_id)
    row = await rows.find(db, photo_id)
    if row is None:
        raise NotFound("photo", photo_id)
    return row


async def _file(desk: PhotoDesk, row, size: str) -> PhotoFile:
    found = await photo_file(desk.store, row.content_hash, size)
    if found is None:
        raise NotFound("photo", row.id)
    return found


async def public_photo(db: AsyncSession, desk: PhotoDesk, photo_id: str, size: str) -> PhotoFile:
    """A photo for anyone: only a published one of a public request; any other is not found,
    exactly as one that does not exist."""
    row = await _load(db, photo_id, size)
    if row.request_id is None or not served_publicly(row.publication, request_public=published(row)):
        raise NotFound("photo", photo_id)
    return await _file(desk, row, size)


async def own_photo(db: AsyncSession, desk: PhotoDesk, photo_id: str, size: str, *, reader: str, staff: bool) -> PhotoFile:
    """A photo in any state, for its sender, staff and the citizen whose request it is attached to
    (anyone else's is not found)."""
    row = await _load(db, photo_id, size)
    if not seen_by(row.owner, reader=reader, staff=staff, request_citizen=row.request_citizen):
        raise NotFound("photo", photo_id)
    return await _file(desk, row, size)


def views(photo_rows: list, *, staff: bool) -> list[dict]:
    """A request's photos as its reader (the citizen, staff) sees them: every state, with where
    to fetch each size (the authenticated route)."""
    return [{"photo_id": r.id, "width": r.width, "height": r.height, "publication": r.publication,
             "comment_id": r.comment_id,
             "sizes": {s: f"/api/v1/photos/{r.id}/{s}" for s in SIZES},
             **({"owner": r.owner} if staff else {})} for r in photo_rows]


async def of_request(db: AsyncSession, request_id: str, *, staff: bool) -> list[dict]:
    return views(await rows.of_request(db, request_id), staff=staff)


async def first_published(db: AsyncSession, desk: PhotoDesk, request_ids: list[str]) -> dict[str, str]:
    """The public address of each request's first published photo (the request's own, not a
    comment's), by request id."""
    return {rid: desk.public_address(pid) for rid, pid in (await rows.first_published(db, request_ids)).items()}


async def forget(db: AsyncSession, desk: PhotoDesk, *, request_id: str | None = None, owner: str | None = None) -> int:
    """Delete a request's photos or an owner's, rows and objects, in the caller's transaction.
    The objects go before the commit: if the store fails, the rows stay and the caller may try
    again, rather than rows gone and pictures left behind in the store."""
    removed, unreferenced = await rows.remove(db, request_id=request_id, owner=owner)
    for content_hash in unreferenced:
        for size in SIZES:
            await desk.store.delete(key(content_hash, size))
    return removed
