"""Sites, devices and links as CSV: export, and import all or none (rows with an id update)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.auth import Principal
from ecity_common.db import session
from ecity_common.web.body_limits import CSV_IMPORT_BODY, body_limit
from ecity_common.web.problems import Problem
from network_registry.domain.objects import KINDS, ObjectKind
from network_registry.domain.phrases import Phrase
from network_registry.entrypoints.http.answers import Imported, answers
from network_registry.entrypoints.http.edge import READ, WRITE, context
from network_registry.use_cases import csv_import

router = APIRouter(prefix="/api/v1")


# Documented as its three values; _kind answers any other with a 404.
KIND_IN_PATH = Path(json_schema_extra={"enum": list(KINDS)})


def _kind(path: str) -> ObjectKind:
    kind = KINDS.get(path)
    if kind is None:
        raise Problem("not-found", Phrase("csv-paths"))
    return kind


@router.get("/csv/{path}", tags=["csv"], response_class=Response, responses={200: {"content": {"text/csv": {}}}}, summary="Export sites, devices or links as CSV")
async def export_csv(path: str = KIND_IN_PATH, _: Principal = Depends(READ), db: AsyncSession = Depends(session)) -> Response:
    text = await csv_import.export(db, _kind(path))
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{path}.csv"'})


@router.post("/csv/{path}", tags=["csv"], responses=answers(Imported), summary="Import sites, devices or links from CSV, all or none (rows with an id update)",
             # read as bytes (the limit is checked while it arrives); the columns are the export's
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {
                 "type": "string", "description": "a header row with the columns GET /api/v1/csv/{path} writes, then a row per object"}}}}})
@body_limit(CSV_IMPORT_BODY)  # refused (413) while it arrives, once past the limit
async def import_csv(request: Request, path: str = KIND_IN_PATH, who: Principal = Depends(WRITE), db: AsyncSession = Depends(session)) -> dict:
    kind = _kind(path)
    body = await request.body()
    ctx = context(request, who, message=f"CSV import of {path}")
    await db.begin()
    report = await csv_import.import_rows(db, ctx, kind, body)
    await (db.rollback() if report.problems else db.commit())
    if report.problems:
        raise Problem("import-refused", Phrase("bad-rows", count=len(report.problems)),
                      errors=[{"field": f"rows[{row}].{field}", "message": message} for row, field, message in report.problems])
    return {"created": report.created, "updated": report.updated, "request_id": ctx.request_id}
