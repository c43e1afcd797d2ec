"""What the public reads over HTTP: the execution report in four formats, its charts, and the
ledger as open data. No role needed."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.use_cases import reports
from ecity_common.db import session

router = APIRouter(prefix="/api/v1")


@router.get("/reports/execution/chart.{fmt}", tags=["reports"], summary="Planned against financed as a chart (public)",
            responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}})
async def execution_chart(
    fmt: Literal["svg", "png"],
    from_year: int = Query(ge=2000, le=2100),
    to_year: int = Query(ge=2000, le=2100),
    by: Literal["holder", "year"] = "holder",
    db: AsyncSession = Depends(session),
) -> Response:
    image = await reports.execution_chart(db, from_year, to_year, by, fmt)
    return Response(image, media_type="image/svg+xml" if fmt == "svg" else "image/png")


@router.get("/reports/execution", tags=["reports"], summary="Planned against financed, per holder and measure (public)",
            responses={200: {"content": {"application/json": {}, "text/csv": {}, "text/html": {}, "application/pdf": {}}}})
async def execution(
    from_year: int = Query(ge=2000, le=2100),
    to_year: int = Query(ge=2000, le=2100),
    format: Literal["json", "csv", "html", "pdf"] = "json",
    db: AsyncSession = Depends(session),
):
    report = await reports.execution_report(db, from_year, to_year)
    name = f"execution-{from_year}-{to_year}"
    if format == "csv":
        return PlainTextResponse(await reports.printed(report, "csv"), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if format == "html":
        return HTMLResponse(await reports.printed(report, "html"))
    if format == "pdf":
        return Response(await reports.printed(report, "pdf"), media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})
    return report.as_json()


@router.get("/open-data/datapackage.json", tags=["open data"], summary="Fiscal Data Package descriptor (public)")
async def datapackage(db: AsyncSession = Depends(session)) -> dict:
    package, _ = await reports.fiscal_data_package(db)
    return package


@router.get("/open-data/execution.csv", tags=["open data"], summary="The Fiscal Data Package's data (public)")
async def datapackage_csv(db: AsyncSession = Depends(session)) -> PlainTextResponse:
    _, text = await reports.fiscal_data_package(db)
    return PlainTextResponse(text, media_type="text/csv; charset=utf-8")


@router.get("/open-data/ledger/entries.jsonl", tags=["open data"],
            summary="Every ledger entry, the row its hash covers, one JSON object a line (public)",
            responses={200: {"content": {"application/x-ndjson": {}}}})
async def ledger_entries(db: AsyncSession = Depends(session)) -> StreamingResponse:
    return StreamingResponse(reports.ledger_entries(db), media_type="application/x-ndjson")


@router.get("/open-data/ledger/heads.json", tags=["open data"], summary="The chain's signed heads, newest first (public)")
async def ledger_heads(db: AsyncSession = Depends(session)) -> list[dict]:
    return await reports.signed_heads(db)


@router.get("/open-data/ledger/public-keys.json", tags=["open data"], summary="The keys that sign the heads (public)")
async def ledger_keys(request: Request) -> list[dict]:
    return request.app.state.trusted_keys.published()


@router.get("/open-data/fiscal-data-package.zip", tags=["open data"],
            summary="Descriptor, data, the ledger, its signed heads and keys in one ZIP (public)")
async def datapackage_zip(request: Request, db: AsyncSession = Depends(session)) -> Response:
    return Response(await reports.fiscal_data_zip(db, request.app.state.trusted_keys), media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="sumy-ecity-programme-execution.zip"'})
