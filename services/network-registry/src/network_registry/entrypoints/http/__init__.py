"""The registry's HTTP API; the routers in the order their routes are documented (openapi.json)."""

from fastapi import APIRouter

from network_registry.entrypoints.http import analysis, files, maps, monitoring, objects

router = APIRouter()
for _part in (objects, analysis, monitoring, maps, files):
    router.include_router(_part.router)
