"""Staff manage the service catalogue (role `catalogue-admin`): add a category, change one
(names, handler, term, attributes), withdraw or offer it again. Open311 `services` and filing
follow at once in this replica, within seconds in the others (`adapters/catalogue_store.py`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from citizen_requests.adapters import catalogue_store
from citizen_requests.adapters.catalogue_store import CatalogueCache
from citizen_requests.domain.catalogue import Category
from citizen_requests.domain.phrases import Phrase
from ecity_common.refusals import Conflict, NotFound


def category(cache: CatalogueCache, code: str) -> Category:
    found = cache.current.get(code)
    if found is None:
        raise NotFound("category", code, field="path.code")
    return found


async def save_category(sessions: async_sessionmaker[AsyncSession], cache: CatalogueCache, definition: dict, *,
                        actor: str, create: bool) -> Category:
    """Add a category (Conflict when its code is taken) or replace one (NotFound when there is none)."""
    saved = catalogue_store.from_definition(definition)
    async with sessions() as db, db.begin():
        done = await catalogue_store.save(db, saved, actor=actor, create=create)
    if not done:
        if create:
            raise Conflict(Phrase("category-exists", code=saved.code), code="category-exists", field="code")
        raise NotFound("category", saved.code, field="path.code")
    await cache.refresh(force=True)
    return saved
