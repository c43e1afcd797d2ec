"""The network management system (NMS) reports a device or link down, up or under maintenance,
with its own API key; the registry changes the element's status and what follows from it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import api_key_matches, parse_api_key
from network_registry.adapters import queries
from network_registry.domain.monitoring import StatusReport, changes_anything
from network_registry.domain.objects import BY_ELEMENT_KIND
from network_registry.use_cases import inventory
from network_registry.use_cases.analysis import TopologyCache
from network_registry.use_cases.inventory import Context


async def monitoring_system(session: AsyncSession, presented_key: str | None) -> str | None:
    """The name of the NMS whose key this is, while the key is not revoked; None for any other."""
    key_id = parse_api_key(presented_key or "")
    row = await queries.monitoring_key(session, key_id) if key_id else None
    if row is None or not api_key_matches(presented_key, row.key_hash):
        return None
    return row.name


async def report_status(session: AsyncSession, ctx: Context, cache: TopologyCache, report: StatusReport) -> dict:
    kind = BY_ELEMENT_KIND[report.element_kind]
    current = await queries.find(session, kind, report.element_id)
    if current is not None and not changes_anything(current["status"], report):
        return {"element_id": current["id"], "status": report.status, "changed": False}  # a repeated report
    graph = await cache.current(session)
    obj = await inventory.change(session, ctx, kind, report.element_id, {"status": report.status}, topology=graph)
    return {"element_id": obj["id"], "status": obj["status"], "changed": True}
