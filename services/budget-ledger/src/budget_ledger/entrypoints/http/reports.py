"""What the public reads over HTTP: the execution report in four formats, its charts, and the
ledger as open data. No role needed.

The printed report, the charts and the open data's CSV and ZIP are made once per version of the
ledger (its chain's head; the ZIP's also its newest signed head) and answered with an ETag (`ecity_common.web.renders`): 304 to a client that has
them, and a posting changes them."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.entrypoints.http.answers import ExecutionReport, FiscalDataPackage, PublicKey, PublishedHead, answers
from budget_ledger.use_cases import reports
from ecity_common.db import session
from ecity_common.web.renders import rendered

router = APIRouter(prefix="/api/v1")
NOT_MODIFIED = {304: {"description": "Not modified: the ETag in If-None-Match is this version's"}}
PRINTED = {"csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@router.get("/reports/execution/chart.{fmt}", tags=["reports"], summary="Planned against financed as a chart (public)",
            response_class=Response, responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}, **NOT_MODIFIED})
async def execution_chart(
    request: Request,
    fmt: Literal["svg", "png"],
    from_year: int = Query(ge=2000, le=2100),
    to_year: int = Query(ge=2000, le=2100),
    by: Literal["holder", "year"] = "holder",
    db: AsyncSession = Depends(session),
) -> Response:
    version = await reports.entries_version(db)
    return await rendered(request, f"execution-chart.{fmt}", (*version, from_year, to_year, by),
                          "image/svg+xml" if fmt == "svg" else "image/png",
                          lambda: reports.execution_chart(db, from_year, to_year, by, fmt))


@router.get("/reports/execution", tags=["reports"], summary="Planned against financed, per holder and measure (public)",
            responses={200: {"model": ExecutionReport, "content": {"text/csv": {}, "text/html": {}, "application/pdf": {}}},
                       **NOT_MODIFIED})
async def execution(
    request: Request,
    from_year: int = Query(ge=2000, le=2100),
    to_year: int = Query(ge=2000, le=2100),
    format: Literal["json", "csv", "html", "pdf"] = "json",
    db: AsyncSession = Depends(session),
):
    if format == "json":
        return (await reports.execution_report(db, from_year, to_year)).as_json()
    name = f"execution-{from_year}-{to_year}"
    disposition = {"csv": f'attachment; filename="{name}.csv"', "pdf": f'inline; filename="{name}.pdf"'}.get(format)
    version = await reports.entries_version(db)
    return await rendered(request, f"execution.{format}", (*version, from_year, to_year), PRINTED[format],
                          lambda: reports.printed_report(db, from_year, to_year, format),
                          headers={"Content-Disposition": disposition} if disposition else None)


@router.get("/open-data/datapackage.json", tags=["open data"], responses=answers(FiscalDataPackage), summary="Fiscal Data Package descriptor (public)")
async def datapackage(db: AsyncSession = Depends(session)) -> dict:
    package, _ = await reports.fiscal_data_package(db)
    return package


@router.get("/open-data/execution.csv", tags=["open data"], response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, **NOT_MODIFIED}, summary="The Fiscal Data Package's data (public)")
async def datapackage_csv(request: Request, db: AsyncSession = Depends(session)) -> Response:
    async def draw() -> bytes:
        _, text = await reports.fiscal_data_package(db)
        return text.encode()

    return await rendered(request, "execution.csv", await reports.entries_version(db), "text/csv; charset=utf-8", draw)


@router.get("/open-data/ledger/entries.jsonl", tags=["open data"],
            summary="Every ledger entry, the row its hash covers, one JSON object a line (public)",
            response_class=StreamingResponse, responses={200: {"content": {"application/x-ndjson": {}}}})
async def ledger_entries(db: AsyncSession = Depends(session)) -> StreamingResponse:
    return StreamingResponse(reports.ledger_entries(db), media_type="application/x-ndjson")


@router.get("/open-data/ledger/heads.json", tags=["open data"], responses=answers(list[PublishedHead]), summary="The chain's signed heads, newest first (public)")
async def ledger_heads(db: AsyncSession = Depends(session)) -> list[dict]:
    return await reports.signed_heads(db)


@router.get("/open-data/ledger/public-keys.json", tags=["open data"], responses=answers(list[PublicKey]), summary="The keys that sign the heads (public)")
async def ledger_keys(request: Request) -> list[dict]:
    return request.app.state.trusted_keys.published()


@router.get("/open-data/fiscal-data-package.zip", tags=["open data"], response_class=Response,
            responses={200: {"content": {"application/zip": {}}}},
            summary="Descriptor, data, the ledger, its signed heads and keys in one ZIP (public)")
async def datapackage_zip(request: Request, db: AsyncSession = Depends(session)) -> Response:
    # The whole ledger in one file: made once per version of the ledger and of its signed heads.
    return await rendered(request, "fiscal-data-package.zip", await reports.open_data_version(db), "application/zip",
                          lambda: reports.fiscal_data_zip(db, request.app.state.trusted_keys),
                          headers={"Content-Disposition": 'attachment; filename="sumy-ecity-programme-execution.zip"'})
