"""Companies' photos of their work (proof of work), sent with their progress reports.

A company uploads a photo first (`upload`: checked, stripped of its metadata, resized by
`ecity_common.photos`, into the gateway's own store), then names it in a progress report
(`attach`, called by company_reports.report in the report's transaction): each photo its own and
not yet attached, at most 5. The report's event carries the photos' public addresses, and
citizen-requests shows them in the request's history.

What is public: a photo attached to a report, which the company sent as its public account of the
work (as its public note is, under its agreement with the city, which holds it to photograph the
work and not people). A photo only uploaded is no one's but the company's. Unlike a citizen's
photos, these are not held for staff to publish; moderation (issue 18, item 2) may change that.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.photos import SIZES, PhotoStore, PhotoWorkshop
from ecity_common.photos.serving import PhotoFile, photo_file
from ecity_common.photos.storage import key
from ecity_common.refusals import Invalid, LimitReached, NotFound
from utilities_gateway.adapters import report_photos as rows
from utilities_gateway.domain.access import Caller
from utilities_gateway.domain.phrases import Phrase

MAX_PER_REPORT = 5
MAX_UNATTACHED = 50  # a company's system uploads a day's photos before it reports


@dataclass
class ReportPhotos:
    """What report photos need, wired once by main."""

    store: PhotoStore
    workshop: PhotoWorkshop
    public_url: str

    def public_address(self, photo_id: str, size: str = "1280") -> str:
        return f"{self.public_url.rstrip('/')}/public/photos/{photo_id}/{size}"


async def upload(db: AsyncSession, desk: ReportPhotos, data: bytes, *, caller: Caller) -> dict:
    photo = await desk.workshop.process(data, field_name="file")  # before any statement: no connection waits on it
    if await rows.unattached_count(db, caller.company_id) >= MAX_UNATTACHED:
        raise LimitReached(Phrase("report-photos-waiting", most=MAX_UNATTACHED), retry_after_s=600)
    for size, rendition in photo.renditions.items():
        await desk.store.put(key(photo.content_hash, size), rendition, photo.media_type)
    photo_id = str(uuid.uuid4())
    await rows.add(db, photo_id=photo_id, company_id=caller.company_id, content_hash=photo.content_hash,
                   width=photo.width, height=photo.height, size=len(photo.renditions["full"]), at=datetime.now(UTC))
    return {"photo_id": photo_id, "width": photo.width, "height": photo.height}


async def attach(db: AsyncSession, desk: ReportPhotos, photo_ids: list[str], *, caller: Caller, request_id: str,
                 status: str) -> list[str]:
    """Attach the company's photos to its report; their public addresses (for the event)."""
    if not photo_ids:
        return []
    if len(set(photo_ids)) != len(photo_ids) or len(photo_ids) > MAX_PER_REPORT:
        raise Invalid("photo_ids", Phrase("report-photos-at-most", most=MAX_PER_REPORT))
    if await rows.attach(db, photo_ids, company_id=caller.company_id, request_id=request_id, status=status) != len(photo_ids):
        raise Invalid("photo_ids", Phrase("report-photo-not-yours"))
    return [desk.public_address(p) for p in photo_ids]


async def public_photo(db: AsyncSession, desk: ReportPhotos, photo_id: str, size: str) -> PhotoFile:
    """A photo attached to a report, for anyone; any other is not found, as one that does not exist."""
    row = await rows.find(db, photo_id) if size in SIZES else None
    if row is None or row.request_id is None:
        raise NotFound("photo", photo_id)
    found = await photo_file(desk.store, row.content_hash, size)
    if found is None:  # the row outlived its object (a deletion that failed half-way)
        raise NotFound("photo", photo_id)
    return found
