"""The МТКМ for maps and for people: GeoJSON of sites and links, a picture of the network (drawn
once per version of the network and failures asked about, with an ETag: `ecity_common.web.renders`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import Principal
from ecity_common.db import session
from ecity_common.inputs import Identifier
from ecity_common.web.problems import Problem
from ecity_common.web.renders import rendered
from network_registry.domain.phrases import Phrase
from network_registry.entrypoints.http.answers import MAP_ANSWER, GeoJSON
from network_registry.entrypoints.http.edge import READ, topology_cache
from network_registry.use_cases import analysis

router = APIRouter(prefix="/api/v1")


@router.get("/maps/sites.geojson", tags=["maps"], response_class=GeoJSON, responses=MAP_ANSWER, summary="Sites as GeoJSON points")
async def sites_geojson(_: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> JSONResponse:
    return JSONResponse(await analysis.sites_geojson(db), media_type="application/geo+json")


@router.get("/maps/links.geojson", tags=["maps"], response_class=GeoJSON, responses=MAP_ANSWER, summary="Fibre links as GeoJSON lines")
async def links_geojson(request: Request, _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> JSONResponse:
    return JSONResponse(await analysis.links_geojson(db, topology_cache(request)), media_type="application/geo+json")


@router.get("/analysis/topology.{fmt}", tags=["analysis"], response_class=Response, summary="A picture of the network, failures highlighted",
            responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}},
                       304: {"description": "Not modified: the ETag in If-None-Match is this version's"}})
async def topology_picture(request: Request, fmt: str = Path(json_schema_extra={"enum": ["svg", "png"]}), failed_device: list[Identifier] = Query(default=[], max_length=1000),
                           failed_link: list[Identifier] = Query(default=[], max_length=1000), _: Principal = Depends(READ),
                           db: AsyncSession = Depends(session)) -> Response:
    if fmt not in ("svg", "png"):
        raise Problem("not-found", Phrase("topology-pictures"))
    devices, links = sorted(set(failed_device)), sorted(set(failed_link))
    version = await analysis.network_version(db)
    return await rendered(request, f"topology.{fmt}", (version, tuple(devices), tuple(links)),
                          "image/svg+xml" if fmt == "svg" else "image/png",
                          lambda: analysis.picture(db, topology_cache(request), devices, links, fmt), public=False)
