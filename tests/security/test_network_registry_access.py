"""Who may call what in network-registry: the IT department's engineers (`network-admin`) write
the МТКМ registry, `network-read` reads it (so do the admins); the network management system
reports elements down and up with its own key (`X-API-Key: nms_…`). Nothing is public: the
registry maps the city's network and the institutions on it.

No owners of objects here: every object is the IT department's, so the role is the whole check."""

from __future__ import annotations

import pytest
import pytest_asyncio

from ecity_cli.testing import serving

from .doors import EVERY_SERVICE, MONITORING_KEY, Caller, report, roles, routes_of, token_callers, undecided, walk

READ, WRITE = roles("network-read", "network-admin"), roles("network-admin")


def _objects(kind: str) -> dict:
    return {
        f"GET /api/v1/{kind}/": READ,
        f"GET /api/v1/{kind}/{{object_id}}": READ,
        f"POST /api/v1/{kind}/": WRITE,
        f"PATCH /api/v1/{kind}/{{object_id}}": WRITE,
        f"PATCH /api/v1/{kind}/": WRITE,
        f"DELETE /api/v1/{kind}/{{object_id}}": WRITE,
        f"DELETE /api/v1/{kind}/": WRITE,
    }


DOORS = {
    **EVERY_SERVICE,
    **_objects("sites"), **_objects("devices"), **_objects("links"),
    "GET /api/v1/changes/": READ,
    "GET /api/v1/csv/{path}": READ,
    "POST /api/v1/csv/{path}": WRITE,
    "GET /api/v1/maps/sites.geojson": READ,
    "GET /api/v1/maps/links.geojson": READ,
    "GET /api/v1/analysis/impact": READ,
    "GET /api/v1/analysis/single-points-of-failure": READ,
    "GET /api/v1/analysis/path": READ,
    "GET /api/v1/analysis/topology.{fmt}": READ,
    "POST /api/v1/monitoring/status": MONITORING_KEY,
}

# A picture format the route does not draw: past the door it answers 404 at once, where drawing
# the network took seconds per caller (the pictures have their own tests).
PLACEHOLDERS = {"fmt": "txt", "path": "sites"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def registry(module_services):
    async with serving(module_services, "network-registry") as client:
        yield client


pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_every_route_has_a_decision(registry):
    assert routes_of(registry.app), "no routes found: the enumeration is broken"
    assert not (wrong := undecided(registry.app, DOORS, __name__)), report(wrong, "routes without a decision")


async def test_the_matrix(registry):
    callers = token_callers(registry.settings) + [
        Caller("the monitoring system's key", {"X-API-Key": registry.settings.demo_monitoring_key}, key=MONITORING_KEY),
        Caller("a made-up monitoring key", {"X-API-Key": "nms_nobody01_local-development-only-key"}),
    ]
    wrong = await walk(registry, DOORS, callers, PLACEHOLDERS)
    assert not wrong, report(wrong, "cells of the matrix disagree with DOORS")
