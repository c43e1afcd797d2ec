"""What fails when something fails, single points of failure, and paths: `/api/v1/analysis/`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import Principal
from ecity_common.db import session
from ecity_common.inputs import Identifier
from network_registry.entrypoints.http.answers import Impact, Path, SinglePoints, answers
from network_registry.entrypoints.http.edge import READ, topology_cache
from network_registry.use_cases import analysis

router = APIRouter(prefix="/api/v1")


@router.get("/analysis/impact", tags=["analysis"], responses={**answers(Impact), 404: {"description": "no such device or link"}}, summary="What is cut off from the core if this device or link fails")
async def impact(request: Request, device: Identifier | None = None, link: Identifier | None = None,
                 _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
    return await analysis.impact(db, topology_cache(request), device, link)


@router.get("/analysis/single-points-of-failure", tags=["analysis"], responses=answers(SinglePoints), summary="Articulation points and bridges relative to the core")
async def spof(request: Request, _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
    return await analysis.single_points_of_failure(db, topology_cache(request))


@router.get("/analysis/path", tags=["analysis"], responses={**answers(Path), 404: {"description": "no working path between the two sites"}}, summary="The path between two sites, by fibre length or by hops")
async def path(request: Request, from_site: Identifier, to_site: Identifier, by: str = Query("length", pattern="^(length|hops)$"),
               _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
    return await analysis.path(db, topology_cache(request), from_site, to_site, by)
