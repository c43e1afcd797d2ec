"""The registry's objects over HTTP, NetBox conventions: `/api/v1/sites/`, `devices/`, `links/`,
`changes/`; filters (`name`, `name__ic`, `kind__in`, `installed_on__gte`…), `limit`/`offset`
pages of `{count, next, previous, results}`, `brief`, bulk create/update/delete all or none,
`ETag` and `If-Match`. Writes need `network-admin`, reads `network-read`."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import Principal
from ecity_common.db import session
from ecity_common.web.body_limits import LARGE_JSON_BODY, body_limit
from ecity_common.web.problems import Problem
from network_registry.domain.objects import BOOKKEEPING_FIELDS, KINDS, Filter, ObjectKind
from network_registry.domain.versions import etag, version_in
from network_registry.entrypoints.http.edge import MAX_LIMIT, READ, WRITE, context, page, topology_cache
from network_registry.use_cases import inventory

router = APIRouter(prefix="/api/v1")
OPERATORS = ("", "ic", "in", "gte", "lte")


def _if_match(header: str | None) -> int | None:
    try:
        return version_in(header)
    except ValueError:
        raise Problem(412, "Precondition failed", "If-Match must be an ETag this API gave",
                      errors=[{"field": "If-Match", "message": "not an ETag of this API"}]) from None


def _filters(kind: ObjectKind, params) -> list[Filter]:
    """`?field__op=value` parsed; a parameter that is no filter of this kind is the caller's error (400)."""
    filters = []
    for key, raw in params.items():
        if key in ("limit", "offset", "brief"):
            continue
        field, _, op = key.partition("__")
        if field not in (*BOOKKEEPING_FIELDS, *kind.model.model_fields) or op not in OPERATORS:
            raise Problem(400, "Unknown filter", f"{key} is not a filter of {kind.name}s",
                          errors=[{"field": key, "message": "unknown filter"}])
        value = raw
        if field in kind.date_fields and op in ("", "gte", "lte"):
            try:
                value = date.fromisoformat(raw)
            except ValueError:
                raise Problem(400, "Bad filter", f"{key} takes a date (YYYY-MM-DD)",
                              errors=[{"field": key, "message": "not a date"}]) from None
        filters.append(Filter(field, op, value))
    return filters


def crud_routes(path: str, kind: ObjectKind) -> None:
    tag = [path]

    @router.get(f"/{path}/", tags=tag, summary=f"List {path} (filters, limit/offset, brief)")
    async def list_objects(request: Request, limit: int = Query(50, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0),
                           brief: bool = False, _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
        found = await inventory.list_objects(db, kind, _filters(kind, request.query_params), limit, offset)
        results = found.results
        if brief:
            results = [{"id": r["id"], "name": r["name"], "url": f"/api/v1/{path}/{r['id']}"} for r in results]
        return page(request, found.count, results, limit, offset)

    @router.get(f"/{path}/{{object_id}}", tags=tag, summary=f"One of the {path} (ETag)")
    async def read(object_id: str, response: Response, _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
        obj = await inventory.read(db, kind, object_id)
        response.headers["ETag"] = etag(obj)
        return obj

    @router.post(f"/{path}/", tags=tag, status_code=201, summary="Create one, or a list (all or none)")
    @body_limit(LARGE_JSON_BODY)
    async def create(request: Request, body: dict | list[dict] = Body(...), who: Principal = Depends(WRITE),
                     db: AsyncSession = Depends(session)):
        async with db.begin():
            created = await inventory.create_all(db, context(request, who), kind, body if isinstance(body, list) else [body])
        if isinstance(body, list):
            return created
        return JSONResponse(created[0], status_code=201, headers={"ETag": etag(created[0])})

    @router.patch(f"/{path}/{{object_id}}", tags=tag, summary="Change one (If-Match: its ETag; 412 when stale)")
    async def patch(object_id: str, request: Request, body: dict = Body(...), if_match: str | None = Header(None),
                    who: Principal = Depends(WRITE), db: AsyncSession = Depends(session)) -> JSONResponse:
        expected = _if_match(if_match)
        async with db.begin():
            graph = await topology_cache(request).current(db) if kind.element_kind else None
            obj = await inventory.change(db, context(request, who), kind, object_id, body, expected, graph)
        return JSONResponse(obj, headers={"ETag": etag(obj)})

    @router.patch(f"/{path}/", tags=tag, summary="Change a list of objects, each with its id (all or none)")
    @body_limit(LARGE_JSON_BODY)
    async def bulk_patch(request: Request, body: list[dict] = Body(...), who: Principal = Depends(WRITE),
                         db: AsyncSession = Depends(session)) -> list[dict]:
        async with db.begin():
            return await inventory.change_all(db, context(request, who), kind, body)

    @router.delete(f"/{path}/{{object_id}}", tags=tag, status_code=204, summary="Delete one (If-Match honoured)")
    async def remove(object_id: str, request: Request, if_match: str | None = Header(None), who: Principal = Depends(WRITE),
                     db: AsyncSession = Depends(session)) -> Response:
        expected = _if_match(if_match)
        async with db.begin():
            await inventory.remove(db, context(request, who), kind, object_id, expected)
        return Response(status_code=204)

    @router.delete(f"/{path}/", tags=tag, status_code=204, summary="Delete a list of ids (all or none)")
    @body_limit(LARGE_JSON_BODY)
    async def bulk_remove(request: Request, body: list[dict] = Body(...), who: Principal = Depends(WRITE),
                          db: AsyncSession = Depends(session)) -> Response:
        async with db.begin():
            await inventory.remove_all(db, context(request, who), kind, body)
        return Response(status_code=204)


for _path, _kind in KINDS.items():
    crud_routes(_path, _kind)


@router.get("/changes/", tags=["changes"], summary="The change log: before/after, who, when, request id")
async def change_log(request: Request, limit: int = Query(50, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0),
                     object_type: str | None = None, object_id: str | None = None, request_id: str | None = None,
                     _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
    found = await inventory.change_log(db, object_type=object_type, object_id=object_id, request_id=request_id,
                                       limit=limit, offset=offset)
    return page(request, found.count, found.results, limit, offset)
