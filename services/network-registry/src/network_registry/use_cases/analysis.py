"""Engineers ask what a failure would cut off, where the single points of failure are, and the
path between two sites; the answers come from the cached graph (domain.topology)."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.refusals import Invalid, NotFound
from network_registry.adapters import maps, queries
from network_registry.domain.objects import LINKS, SITES
from network_registry.domain.phrases import Phrase
from network_registry.domain.topology import Topology


class TopologyCache:
    """The graph, reloaded when any replica changed a site, device or link (the topology_version
    row): the low-point index is built once per change, not per question."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.topology: Topology | None = None

    async def current(self, session: AsyncSession) -> Topology:
        now = await queries.topology_version_now(session)
        if self.topology is None or self.version != now:
            self.version, self.topology = await queries.load_topology(session)
        return self.topology


async def impact(session: AsyncSession, cache: TopologyCache, device: str | None, link: str | None) -> dict:
    if bool(device) == bool(link):
        raise Invalid("query.device", Phrase("one-of-device-or-link"))
    graph = await cache.current(session)
    kind, element = ("device", device) if device else ("fibre_link", link)
    if (kind == "device" and element not in graph.devices) or (kind == "fibre_link" and element not in graph.links):
        raise NotFound(kind, repr(element))
    result = graph.impact(kind, element)
    details = await queries.site_details(session, result.sites_cut_off)
    return {"element_kind": kind, "element_id": element, "devices_cut_off": sorted(result.devices_cut_off),
            "sites_cut_off": sorted(details.values(), key=lambda s: s["name"])}


async def single_points_of_failure(session: AsyncSession, cache: TopologyCache) -> dict:
    graph = await cache.current(session)
    single_homed = await queries.site_details(session, graph.single_homed_sites())
    return {**graph.single_points_of_failure(), "single_homed_sites": sorted(single_homed.values(), key=lambda s: s["name"])}


async def path(session: AsyncSession, cache: TopologyCache, from_site: str, to_site: str, by: str) -> dict:
    graph = await cache.current(session)
    devices = graph.path(from_site, to_site, weight="length" if by == "length" else None)
    if devices is None:
        raise NotFound("working path", f"from site {from_site} to site {to_site}", code="no-path")
    return {"from_site": from_site, "to_site": to_site, "by": by, "devices": devices, "hops": len(devices) - 1}


async def sites_geojson(session: AsyncSession) -> dict:
    return maps.sites_geojson(await queries.every(session, SITES))


async def links_geojson(session: AsyncSession, cache: TopologyCache) -> dict:
    graph = await cache.current(session)
    site_of_device = {d.id: d.site_id for d in graph.devices.values()}
    return maps.links_geojson(await queries.every(session, LINKS), site_of_device, await queries.site_points(session))


async def network_version(session: AsyncSession) -> int:
    """Which state of the network a picture shows (moved by every write to a site, device or link)."""
    return await queries.topology_version_now(session)


async def picture(session: AsyncSession, cache: TopologyCache, failed_devices: list[str], failed_links: list[str], fmt: str) -> bytes:
    graph = await cache.current(session)
    failed = [("device", d) for d in failed_devices if d in graph.devices] + [("fibre_link", lk) for lk in failed_links if lk in graph.links]
    points = await queries.site_points(session)
    return await asyncio.to_thread(maps.picture, graph, points, failed, fmt)  # CPU work off the event loop
