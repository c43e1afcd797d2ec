"""The catalogue in the database: one row per category (its definition as JSON), seeded with the
Sumy catalogue when empty, and a cache every replica keeps fresh.

Filing a request reads the catalogue on every call, so it is served from memory; a change made
through the API reloads it at once in the replica that made it, and the others see it within
`catalogue_refresh_s` (they compare a cheap version stamp: the newest change and the row count).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict

from sqlalchemy import Text, func, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.tables import categories
from citizen_requests.domain.catalogue import SUMY_CATALOGUE, Attribute, Catalogue, Category

log = logging.getLogger(__name__)


def to_definition(category: Category) -> dict:
    """A category as JSON (what the table keeps and the API shows)."""
    data = asdict(category)
    data["keywords"] = list(category.keywords)
    data["attributes"] = [{**asdict(a), "values": [{"key": k, "name": n} for k, n in a.values]} for a in category.attributes]
    return data


def from_definition(data: dict) -> Category:
    attributes = tuple(
        Attribute(**{**a, "values": tuple((v["key"], v["name"]) for v in a.get("values", []))})
        for a in data.get("attributes", []))
    return Category(**{**data, "keywords": tuple(data.get("keywords", [])), "attributes": attributes})


async def _version(session: AsyncSession) -> str:
    # Every row's code and change time, hashed: any change to any row changes it, whatever order
    # concurrent changes commit in (a newest-change stamp could miss one committed late).
    return await session.scalar(select(func.md5(func.coalesce(func.string_agg(
        categories.c.code + ":" + func.cast(func.extract("epoch", categories.c.updated_at), Text), aggregate_order_by(
            ",", categories.c.code)), ""))))


async def load(session: AsyncSession) -> Catalogue:
    # The stamp first: a change committed between the two reads then shows as a newer stamp at the
    # next refresh (and is loaded), instead of hiding under the stamp it brought.
    version = await _version(session)
    rows = (await session.execute(select(categories.c.definition).order_by(categories.c.position, categories.c.code))).scalars()
    return Catalogue([from_definition(d) for d in rows], version=version)


async def seed_if_empty(session: AsyncSession) -> bool:
    if await session.scalar(select(func.count()).select_from(categories)):
        return False
    await session.execute(insert(categories).on_conflict_do_nothing(), [  # two replicas starting at once
        {"code": c.code, "position": i, "definition": to_definition(c), "updated_by": "seed"}
        for i, c in enumerate(SUMY_CATALOGUE)])
    return True


async def save(session: AsyncSession, category: Category, *, actor: str, create: bool) -> bool:
    """Write a category; False when `create` and the code exists (or not `create` and it does not)."""
    definition = to_definition(category)
    if create:
        position = (await session.scalar(select(func.coalesce(func.max(categories.c.position), -1)))) + 1
        inserted = await session.execute(insert(categories).values(
            code=category.code, position=position, definition=definition, updated_by=actor,
        ).on_conflict_do_nothing().returning(categories.c.code))
        return inserted.first() is not None
    updated = await session.execute(update(categories).where(categories.c.code == category.code).values(
        definition=definition, updated_by=actor, updated_at=func.clock_timestamp()).returning(categories.c.code))
    return updated.first() is not None


class CatalogueCache:
    """The current snapshot, for the routes; `refresh` reloads it when the database changed."""

    def __init__(self, sessions, refresh_s: float) -> None:
        self._sessions = sessions
        self._refresh_s = refresh_s
        self.current = Catalogue([])

    async def start(self) -> None:
        async with self._sessions() as session, session.begin():
            if await seed_if_empty(session):
                log.info("catalogue seeded with the Sumy categories")
            self.current = await load(session)

    async def refresh(self, *, force: bool = False) -> None:
        async with self._sessions() as session:
            if force or await _version(session) != self.current.version:
                self.current = await load(session)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                await self.refresh()
            except Exception:  # a database blip: keep serving the last snapshot
                log.warning("catalogue refresh failed; keeping the current one", exc_info=True)
