"""The registry's objects over HTTP, NetBox conventions: `/api/v1/sites/`, `devices/`, `links/`,
`changes/`; filters (`name`, `name__ic`, `kind__in`, `installed_on__gte`…), `limit`/`offset`
pages of `{count, next, previous, results}`, `brief`, bulk create/update/delete all or none,
`ETag` and `If-Match`. Writes need `network-admin`, reads `network-read`."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import Principal
from ecity_common.db import session
from ecity_common.inputs import Cursor, Identifier, Offset, Text, checked, page_size, plain_values
from ecity_common.web.body_limits import LARGE_JSON_BODY, body_limit
from ecity_common.web.problems import Problem
from network_registry.domain.objects import KINDS, Filter, ObjectKind
from network_registry.domain.phrases import Phrase
from network_registry.domain.versions import etag, version_in
from network_registry.entrypoints.http.answers import ChangePage, answers, answers_for
from network_registry.entrypoints.http.edge import MAX_LIMIT, READ, WRITE, context, cursor_page, page, topology_cache
from network_registry.use_cases import inventory

router = APIRouter(prefix="/api/v1")
OPERATORS = ("", "ic", "in", "gte", "lte")
PAGE_PARAMETERS = ("limit", "offset", "brief")


def _if_match(header: str | None) -> int | None:
    try:
        return version_in(header)
    except ValueError:
        raise Problem("precondition-failed", Phrase("if-match-not-ours"),
                      errors=[{"field": "header.if-match", "message": Phrase("not-our-etag")}]) from None


def _filters(kind: ObjectKind, params) -> list[Filter]:
    """`?field__op=value` parsed, each value read as its field's type (a date, a whole number that
    fits the column, text without control characters: `ecity_common.inputs`), or refused as a 422
    naming `query.<name>`. A parameter that is no filter of this kind is the caller's error (400)."""
    plain_values(params, "query")  # the page's own parameters too, and every repeat of a key
    filters = []
    for key, raw in params.multi_items():
        if key in PAGE_PARAMETERS:
            continue
        field, _, op = key.partition("__")
        kind_of_value = kind.filter_type(field, op) if op in OPERATORS else None
        if kind_of_value is None:
            raise Problem("unknown-filter", Phrase("not-a-filter", key=key, kinds=f"{kind.name}s"),
                          errors=[{"field": f"query.{key}", "message": Phrase("unknown-filter")}])
        filters.append(Filter(field, op, checked(f"query.{key}", raw.split(",") if op == "in" else raw, kind_of_value)))
    return filters


def crud_routes(path: str, kind: ObjectKind) -> None:
    tag = [path]
    said = answers_for(kind)

    @router.get(f"/{path}/", tags=tag, responses=said["page"], summary=f"List {path} (filters, limit/offset, brief)")
    async def list_objects(request: Request, limit: page_size(MAX_LIMIT) = 50, offset: Offset = 0,
                           brief: bool = False, _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
        found = await inventory.list_objects(db, kind, _filters(kind, request.query_params), limit, offset)
        results = found.results
        if brief:
            results = [{"id": r["id"], "name": r["name"], "url": f"/api/v1/{path}/{r['id']}"} for r in results]
        return page(request, found.count, results, limit, offset)

    @router.get(f"/{path}/{{object_id}}", tags=tag, responses=said["one"], summary=f"One of the {path} (ETag)")
    async def read(object_id: Identifier, response: Response, _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
        obj = await inventory.read(db, kind, object_id)
        response.headers["ETag"] = etag(obj)
        return obj

    @router.post(f"/{path}/", tags=tag, status_code=201, responses=said["created"], summary="Create one, or a list (all or none)")
    @body_limit(LARGE_JSON_BODY)
    async def create(request: Request, body: dict | list[dict] = Body(...), who: Principal = Depends(WRITE),
                     db: AsyncSession = Depends(session)):
        async with db.begin():
            created = await inventory.create_all(db, context(request, who), kind, body if isinstance(body, list) else [body])
        if isinstance(body, list):
            return created
        return JSONResponse(created[0], status_code=201, headers={"ETag": etag(created[0])})

    @router.patch(f"/{path}/{{object_id}}", tags=tag, responses=said["one"], summary="Change one (If-Match: its ETag; 412 when stale)")
    async def patch(object_id: Identifier, request: Request, body: dict = Body(...), if_match: Text | None = Header(None, max_length=100),
                    who: Principal = Depends(WRITE), db: AsyncSession = Depends(session)) -> JSONResponse:
        expected = _if_match(if_match)
        async with db.begin():
            graph = await topology_cache(request).current(db) if kind.element_kind else None
            obj = await inventory.change(db, context(request, who), kind, object_id, body, expected, graph)
        return JSONResponse(obj, headers={"ETag": etag(obj)})

    @router.patch(f"/{path}/", tags=tag, responses=said["many"], summary="Change a list of objects, each with its id (all or none)")
    @body_limit(LARGE_JSON_BODY)
    async def bulk_patch(request: Request, body: list[dict] = Body(...), who: Principal = Depends(WRITE),
                         db: AsyncSession = Depends(session)) -> list[dict]:
        async with db.begin():
            return await inventory.change_all(db, context(request, who), kind, body)

    @router.delete(f"/{path}/{{object_id}}", tags=tag, status_code=204, summary="Delete one (If-Match honoured)")
    async def remove(object_id: Identifier, request: Request, if_match: Text | None = Header(None, max_length=100), who: Principal = Depends(WRITE),
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


@router.get("/changes/", tags=["changes"], responses=answers(ChangePage), summary="The change log: before/after, who, when, request id")
async def change_log(request: Request, limit: page_size(MAX_LIMIT) = 50, offset: Offset = 0,
                     object_type: Text | None = Query(None, max_length=20), object_id: Identifier | None = None,
                     request_id: Identifier | None = None,
                     after: Cursor | None = Query(None, description="the next_cursor of the previous page"),
                     _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> dict:
    found = await inventory.change_log(db, object_type=object_type, object_id=object_id, request_id=request_id,
                                       limit=limit, offset=offset, after=after)
    return cursor_page(request, found.count, found.results, limit, offset, found.next_cursor, by_cursor=after is not None)
