"""The registry's HTTP API, NetBox conventions: `/api/v1/sites/`, `devices/`, `links/`, `changes/`,
`analysis/`; filters (`name`, `name__ic`, `kind__in`, `installed_on__gte`…), `limit`/`offset`
pages of `{count, next, previous, results}`, `brief`, bulk create/update/delete all or none,
`ETag` and `If-Match`. Writes need `network-admin`, reads `network-read`."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Date, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import Principal, api_key_matches, parse_api_key, require_role
from ecity_common.db import session
from ecity_common.web.problems import Problem
from network_registry.adapters import maps
from network_registry.adapters.tables import changes, monitoring_keys
from network_registry.use_cases import csv_import as csv_io
from network_registry.use_cases import inventory as service
from network_registry.use_cases.inventory import TYPES, Context, ObjectType, RegistryError

router = APIRouter(prefix="/api/v1")
READ = require_role("network-read", "network-admin")
WRITE = require_role("network-admin")
MAX_LIMIT = 1000


def _problem(exc: RegistryError) -> Problem:
    titles = {404: "Not found", 409: "Conflict", 412: "Precondition failed", 422: "Invalid object"}
    return Problem(exc.status, titles.get(exc.status, "Refused"), exc.message,
                   errors=[{"field": exc.field, "message": exc.message}])


def _etag(obj: dict) -> str:
    return f'"{obj["id"]}-v{obj["version"]}"'


def _if_match(header: str | None) -> int | None:
    if not header or header.strip() == "*":
        return None
    try:
        return int(header.strip().strip("W/").strip('"').rsplit("-v", 1)[1])
    except (IndexError, ValueError):
        raise Problem(412, "Precondition failed", "If-Match must be an ETag this API gave",
                      errors=[{"field": "If-Match", "message": "not an ETag of this API"}]) from None


async def topology(request: Request, db: AsyncSession):
    """The cached graph, reloaded when any replica changed a device or link (topology_version)."""
    version, cached = getattr(request.app.state, "topology", (None, None))
    current = await db.scalar(select(service.topology_version.c.version))
    if cached is None or version != current:
        version, cached = await service.load_topology(db)
        request.app.state.topology = (version, cached)
    return cached


def _context(request: Request, who: Principal, message: str | None = None) -> Context:
    return Context(actor=who.subject, request_id=request.headers.get("x-request-id") or str(uuid.uuid4()),
                   outbox=request.app.state.outbox, message=message)


def _filters(kind: ObjectType, params) -> list:
    clauses = []
    for key, raw in params.items():
        if key in ("limit", "offset", "brief"):
            continue
        field, _, op = key.partition("__")
        column = kind.table.c.get(field)
        if column is None or op not in ("", "ic", "in", "gte", "lte"):
            raise Problem(400, "Unknown filter", f"{key} is not a filter of {kind.name}s",
                          errors=[{"field": key, "message": "unknown filter"}])
        value = raw
        if isinstance(column.type, Date) and op in ("", "gte", "lte"):
            try:
                value = date.fromisoformat(raw)
            except ValueError:
                raise Problem(400, "Bad filter", f"{key} takes a date (YYYY-MM-DD)",
                              errors=[{"field": key, "message": "not a date"}]) from None
        clauses.append({"": lambda: column == value, "ic": lambda: column.ilike(f"%{raw}%"),
                        "in": lambda: column.in_(raw.split(",")), "gte": lambda: column >= value,
                        "lte": lambda: column <= value}[op]())
    return clauses


def _page_url(request: Request, offset: int | None) -> str | None:
    return None if offset is None else str(request.url.include_query_params(offset=offset))


def crud_routes(path: str, kind: ObjectType) -> None:
    tag = [path]

    @router.get(f"/{path}/", tags=tag, summary=f"List {path} (filters, limit/offset, brief)")
    async def list_objects(request: Request, limit: int = Query(50, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0),
                           brief: bool = False, _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
        where = and_(true(), *_filters(kind, request.query_params))
        count = await db.scalar(select(func.count()).select_from(kind.table).where(where))
        rows = (await db.execute(select(kind.table).where(where).order_by(kind.table.c.name).limit(limit).offset(offset))).all()
        results = [service._row(r) for r in rows]
        if brief:
            results = [{"id": r["id"], "name": r["name"], "url": f"/api/v1/{path}/{r['id']}"} for r in results]
        return {"count": count, "next": _page_url(request, offset + limit if offset + limit < count else None),
                "previous": _page_url(request, max(0, offset - limit) if offset else None), "results": results}

    @router.get(f"/{path}/{{object_id}}", tags=tag, summary=f"One of the {path} (ETag)")
    async def read(object_id: str, response: Response, _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
        obj = await service.get(db, kind, object_id)
        if obj is None:
            raise Problem(404, "Not found", f"no {kind.name} {object_id!r}")
        response.headers["ETag"] = _etag(obj)
        return obj

    @router.post(f"/{path}/", tags=tag, status_code=201, summary="Create one, or a list (all or none)")
    async def create(request: Request, body: dict | list[dict] = Body(...), who: Principal = Depends(WRITE),
                     db: AsyncSession = Depends(session)):
        items = body if isinstance(body, list) else [body]
        ctx = _context(request, who)
        try:
            async with db.begin():
                created = [await service.create(db, ctx, kind, dict(item)) for item in items]
        except RegistryError as exc:
            raise _bulk_problem(exc, items, created_count=None) from exc
        if isinstance(body, list):
            return created
        return JSONResponse(created[0], status_code=201, headers={"ETag": _etag(created[0])})

    @router.patch(f"/{path}/{{object_id}}", tags=tag, summary="Change one (If-Match: its ETag; 412 when stale)")
    async def patch(object_id: str, request: Request, body: dict = Body(...), if_match: str | None = Header(None),
                    who: Principal = Depends(WRITE), db: AsyncSession = Depends(session)) -> JSONResponse:
        ctx = _context(request, who)
        try:
            async with db.begin():
                graph = await topology(request, db) if kind.element_kind else None
                obj = await service.change(db, ctx, kind, object_id, body, _if_match(if_match), graph)
        except RegistryError as exc:
            raise _problem(exc) from exc
        return JSONResponse(obj, headers={"ETag": _etag(obj)})

    @router.patch(f"/{path}/", tags=tag, summary="Change a list of objects, each with its id (all or none)")
    async def bulk_patch(request: Request, body: list[dict] = Body(...), who: Principal = Depends(WRITE),
                         db: AsyncSession = Depends(session)) -> list[dict]:
        ctx = _context(request, who)
        try:
            async with db.begin():
                return [await service.change(db, ctx, kind, str(item.pop("id", "")), item) for item in map(dict, body)]
        except RegistryError as exc:
            raise _problem(exc) from exc

    @router.delete(f"/{path}/{{object_id}}", tags=tag, status_code=204, summary="Delete one (If-Match honoured)")
    async def remove(object_id: str, request: Request, if_match: str | None = Header(None), who: Principal = Depends(WRITE),
                     db: AsyncSession = Depends(session)) -> Response:
        try:
            async with db.begin():
                await service.remove(db, _context(request, who), kind, object_id, _if_match(if_match))
        except RegistryError as exc:
            raise _problem(exc) from exc
        return Response(status_code=204)

    @router.delete(f"/{path}/", tags=tag, status_code=204, summary="Delete a list of ids (all or none)")
    async def bulk_remove(request: Request, body: list[dict] = Body(...), who: Principal = Depends(WRITE),
                          db: AsyncSession = Depends(session)) -> Response:
        ctx = _context(request, who)
        try:
            async with db.begin():
                for item in body:
                    await service.remove(db, ctx, kind, str(item.get("id", "")))
        except RegistryError as exc:
            raise _problem(exc) from exc
        return Response(status_code=204)


def _bulk_problem(exc: RegistryError, items: list, created_count) -> Problem:
    problem = _problem(exc)
    if len(items) > 1:
        problem.detail = f"nothing was created: {exc.message}"
    return problem


for _path, _kind in TYPES.items():
    crud_routes(_path, _kind)


@router.get("/changes/", tags=["changes"], summary="The change log: before/after, who, when, request id")
async def change_log(request: Request, limit: int = Query(50, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0),
                     object_type: str | None = None, object_id: str | None = None, request_id: str | None = None,
                     _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
    where = [c for c in (changes.c.object_type == object_type if object_type else None,
                         changes.c.object_id == object_id if object_id else None,
                         changes.c.request_id == request_id if request_id else None) if c is not None]
    count = await db.scalar(select(func.count()).select_from(changes).where(*where))
    rows = (await db.execute(select(changes).where(*where).order_by(changes.c.id.desc()).limit(limit).offset(offset))).all()
    return {"count": count, "next": _page_url(request, offset + limit if offset + limit < count else None),
            "previous": _page_url(request, max(0, offset - limit) if offset else None),
            "results": [service._row(r) for r in rows]}


# -- analysis ----------------------------------------------------------------------------------

@router.get("/analysis/impact", tags=["analysis"], summary="What is cut off from the core if this device or link fails")
async def impact(request: Request, device: str | None = None, link: str | None = None,
                 _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
    if bool(device) == bool(link):
        raise Problem(422, "Invalid request", "give exactly one of device or link",
                      errors=[{"field": "device", "message": "give device or link"}])
    graph = await topology(request, db)
    kind, element = ("device", device) if device else ("fibre_link", link)
    if (kind == "device" and element not in graph.devices) or (kind == "fibre_link" and element not in graph.links):
        raise Problem(404, "Not found", f"no {kind} {element!r}")
    result = graph.impact(kind, element)
    details = await service.site_details(db, result.sites_cut_off)
    return {"element_kind": kind, "element_id": element, "devices_cut_off": sorted(result.devices_cut_off),
            "sites_cut_off": sorted(details.values(), key=lambda s: s["name"])}


@router.get("/analysis/single-points-of-failure", tags=["analysis"], summary="Articulation points and bridges relative to the core")
async def spof(request: Request, _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
    graph = await topology(request, db)
    single_homed = await service.site_details(db, graph.single_homed_sites())
    return {**graph.single_points_of_failure(), "single_homed_sites": sorted(single_homed.values(), key=lambda s: s["name"])}


@router.get("/analysis/path", tags=["analysis"], summary="The path between two sites, by fibre length or by hops")
async def path(request: Request, from_site: str, to_site: str, by: str = Query("length", pattern="^(length|hops)$"),
               _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
    graph = await topology(request, db)
    devices = graph.path(from_site, to_site, weight="length" if by == "length" else None)
    if devices is None:
        raise Problem(404, "No path", f"no working path from site {from_site} to site {to_site}")
    return {"from_site": from_site, "to_site": to_site, "by": by, "devices": devices, "hops": len(devices) - 1}


# -- monitoring (the network management system, with an API key) -------------------------------

STATES = {"down": "failed", "up": "active", "maintenance": "maintenance"}


@router.post("/monitoring/status", tags=["monitoring"], summary="The NMS reports a device or link down/up (X-API-Key)")
async def monitoring_status(request: Request, body: dict = Body(..., examples=[{"element_kind": "device", "element_id": "…", "state": "down"}]),
                            x_api_key: str | None = Header(None), db: AsyncSession = Depends(session)) -> dict:
    kinds = {"device": TYPES["devices"], "fibre_link": TYPES["links"]}
    kind, state = kinds.get(body.get("element_kind")), STATES.get(body.get("state"))
    try:
        async with db.begin():
            key_id = parse_api_key(x_api_key or "")
            row = (await db.execute(select(monitoring_keys).where(
                monitoring_keys.c.key_id == key_id, monitoring_keys.c.revoked_at.is_(None)))).first() if key_id else None
            if row is None or not api_key_matches(x_api_key, row.key_hash):
                raise Problem(401, "API key required", "send the monitoring system's key as X-API-Key",
                              headers={"WWW-Authenticate": "ApiKey"})
            if kind is None or state is None or not isinstance(body.get("element_id"), str):
                errors = [{"field": f, "message": m} for f, m, bad in (
                    ("element_kind", "device or fibre_link", kind is None), ("state", "down, up or maintenance", state is None),
                    ("element_id", "the element's id", not isinstance(body.get("element_id"), str))) if bad]
                raise Problem(422, "Invalid report", "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
            ctx = Context(actor=f"nms:{row.name}", request_id=request.headers.get("x-request-id") or str(uuid.uuid4()),
                          outbox=request.app.state.outbox, message=body.get("message"))
            current = await service.get(db, kind, body["element_id"])
            if current is not None and current["status"] == state:
                return {"element_id": current["id"], "status": state, "changed": False}  # a repeated report
            graph = await topology(request, db)
            obj = await service.change(db, ctx, kind, body["element_id"], {"status": state}, topology=graph)
    except RegistryError as exc:
        raise _problem(exc) from exc
    return {"element_id": obj["id"], "status": obj["status"], "changed": True}


# -- maps, pictures and CSV ----------------------------------------------------------------------

async def _site_points(db: AsyncSession) -> dict[str, tuple[float, float]]:
    from network_registry.adapters.tables import sites

    return {r.id: (r.lat, r.long) for r in await db.execute(select(sites.c.id, sites.c.lat, sites.c.long)) if r.lat is not None}


@router.get("/maps/sites.geojson", tags=["maps"], summary="Sites as GeoJSON points")
async def sites_geojson(_: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> JSONResponse:
    rows = [service._row(r) for r in await db.execute(select(TYPES["sites"].table))]
    return JSONResponse(maps.sites_geojson(rows), media_type="application/geo+json")


@router.get("/maps/links.geojson", tags=["maps"], summary="Fibre links as GeoJSON lines")
async def links_geojson(request: Request, _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> JSONResponse:
    graph = await topology(request, db)
    rows = [service._row(r) for r in await db.execute(select(TYPES["links"].table))]
    site_of_device = {d.id: d.site_id for d in graph.devices.values()}
    return JSONResponse(maps.links_geojson(rows, site_of_device, await _site_points(db)), media_type="application/geo+json")


@router.get("/analysis/topology.{fmt}", tags=["analysis"], summary="A picture of the network, failures highlighted",
            responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}})
async def topology_picture(request: Request, fmt: str, failed_device: list[str] = Query(default=[]),
                           failed_link: list[str] = Query(default=[]), _: Principal = Depends(READ),
                           db: AsyncSession = Depends(session)) -> Response:
    if fmt not in ("svg", "png"):
        raise Problem(404, "Not found", "topology.svg or topology.png")
    graph = await topology(request, db)
    failed = [("device", d) for d in failed_device if d in graph.devices] + [("fibre_link", lk) for lk in failed_link if lk in graph.links]
    image = await asyncio.to_thread(maps.picture, graph, await _site_points(db), failed, fmt)
    return Response(image, media_type="image/svg+xml" if fmt == "svg" else "image/png")


@router.get("/csv/{path}", tags=["csv"], summary="Export sites, devices or links as CSV")
async def export_csv(path: str, _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> Response:
    kind = TYPES.get(path)
    if kind is None:
        raise Problem(404, "Not found", "csv/sites, csv/devices or csv/links")
    rows = [service._row(r) for r in await db.execute(select(kind.table).order_by(kind.table.c.name))]
    return Response(csv_io.export(kind, rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{path}.csv"'})


@router.post("/csv/{path}", tags=["csv"], summary="Import sites, devices or links from CSV, all or none (rows with an id update)")
async def import_csv(path: str, request: Request, who: Principal = Depends(WRITE), db: AsyncSession = Depends(session)) -> dict:
    kind = TYPES.get(path)
    if kind is None:
        raise Problem(404, "Not found", "csv/sites, csv/devices or csv/links")
    body = await request.body()
    if len(body) > 20 * 1024 * 1024:
        raise Problem(413, "File too large", "at most 20 MiB per import")
    ctx = _context(request, who, message=f"CSV import of {path}")
    await db.begin()
    report = await csv_io.import_rows(db, ctx, kind, body)
    await (db.rollback() if report.problems else db.commit())
    if report.problems:
        raise Problem(422, "Import refused", f"{len(report.problems)} bad row(s); nothing was imported",
                      errors=[{"field": f"rows[{row}].{field}", "message": message} for row, field, message in report.problems])
    return {"created": report.created, "updated": report.updated, "request_id": ctx.request_id}
