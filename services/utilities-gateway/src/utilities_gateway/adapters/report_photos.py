"""The rows of companies' report photos (adapters/tables.py `report_photos`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from utilities_gateway.adapters.tables import report_photos


async def add(session: AsyncSession, *, photo_id: str, company_id: str, content_hash: str, width: int, height: int,
              size: int, at: datetime) -> None:
    await session.execute(insert(report_photos).values(id=photo_id, company_id=company_id, content_hash=content_hash,
                                                       width=width, height=height, bytes=size, created_at=at))


async def unattached_count(session: AsyncSession, company_id: str) -> int:
    return await session.scalar(select(func.count()).select_from(report_photos).where(
        report_photos.c.company_id == company_id, report_photos.c.request_id.is_(None)))


async def attach(session: AsyncSession, photo_ids: list[str], *, company_id: str, request_id: str, status: str) -> int:
    result = await session.execute(
        update(report_photos).where(report_photos.c.id.in_(photo_ids), report_photos.c.company_id == company_id,
                                    report_photos.c.request_id.is_(None))
        .values(request_id=request_id, report_status=status))
    return result.rowcount


async def find(session: AsyncSession, photo_id: str):
    return (await session.execute(select(report_photos).where(report_photos.c.id == photo_id))).first()
