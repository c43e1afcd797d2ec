"""The Open311 client apps and their API keys (kept as hashes)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from citizen_requests.adapters.tables import open311_clients
from ecity_common.auth import api_key_matches, hash_api_key, parse_api_key


async def client_app(session: AsyncSession, api_key: str | None) -> str | None:
    """The name of the client app whose key this is, or None."""
    key_id = parse_api_key(api_key or "")
    if key_id is None:
        return None
    row = (await session.execute(select(open311_clients).where(
        open311_clients.c.key_id == key_id, open311_clients.c.revoked_at.is_(None)))).first()
    return row.name if row is not None and api_key_matches(api_key, row.key_hash) else None


async def add_if_missing(session: AsyncSession, api_key: str, name: str) -> None:
    key_id = parse_api_key(api_key)
    if key_id is None:
        return
    if await session.scalar(select(open311_clients.c.key_id).where(open311_clients.c.key_id == key_id)) is None:
        await session.execute(insert(open311_clients).values(key_id=key_id, key_hash=hash_api_key(api_key), name=name))
