"""HTTP routes of the budget ledger: the finance department posts, the public reads reports."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters import charts, open_data, pdf
from budget_ledger.adapters.report_files import execution_report, to_csv, to_html
from budget_ledger.adapters.tables import budget_holders, measures, programmes
from budget_ledger.domain import codes
from budget_ledger.domain.ledger import EntryDraft, EntryRejected, RecordedEntry
from budget_ledger.use_cases import importing as imports
from budget_ledger.use_cases import posting as service
from budget_ledger.use_cases import programme as structure
from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.web.problems import Problem

router = APIRouter(prefix="/api/v1")
FINANCE = require_role("finance")


class EntryIn(BaseModel):
    entry_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$",
                          description="chosen by the client; the idempotency key of the posting")
    kind: Literal["appropriation", "amendment", "financing", "expenditure", "reversal"]
    entry_date: date
    document_ref: str = Field(min_length=1, max_length=200, description="the source document, e.g. a council decision")
    # Not needed for a reversal: they are taken from the entry it reverses.
    holder_code: str | None = None
    measure_code: str | None = Field(default=None, max_length=32)
    year: int | None = Field(default=None, ge=2000, le=2100)
    fund: Literal["general", "special"] | None = None
    kekv: str | None = None
    amount_kop: int | None = Field(default=None, gt=0, le=10**15, description="positive integer kopiykas")
    direction: Literal["increase", "decrease"] | None = None
    reverses: str | None = Field(default=None, max_length=100)
    override_reason: str | None = Field(default=None, max_length=1000)

    @field_validator("holder_code")
    @classmethod
    def _holder(cls, v: str | None) -> str | None:
        return None if v is None else codes.holder_code(v)

    @field_validator("kekv")
    @classmethod
    def _kekv(cls, v: str | None) -> str | None:
        return None if v is None else codes.kekv(v)

    def to_request(self, author: str) -> EntryDraft | service.ReversalRequest:
        if self.kind == "reversal":
            if not self.reverses:
                raise EntryRejected("reverses", "a reversal names the entry it reverses")
            return service.ReversalRequest(self.entry_id, self.reverses, self.entry_date, self.document_ref, author)
        missing = [f for f in ("holder_code", "measure_code", "year", "fund", "kekv", "amount_kop") if getattr(self, f) is None]
        if missing:
            raise Problem(422, "Invalid request", f"required for a {self.kind}: {', '.join(missing)}",
                          type_="validation-error", errors=[{"field": f, "message": "required"} for f in missing])
        return EntryDraft(
            entry_id=self.entry_id, kind=self.kind, holder_code=self.holder_code, measure_code=self.measure_code,
            year=self.year, fund=self.fund, kekv=self.kekv, amount_kop=self.amount_kop, entry_date=self.entry_date,
            document_ref=self.document_ref, author=author, direction=self.direction, reverses=self.reverses,
            override_reason=self.override_reason,
        )


class EntryOut(BaseModel):
    seq: int
    entry_id: str
    kind: str
    holder_code: str
    measure_code: str
    year: int
    fund: str
    kekv: str
    amount_kop: int
    direction: str | None
    entry_date: date
    document_ref: str
    author: str
    reverses: str | None
    override_reason: str | None
    plan_delta_kop: int
    financed_delta_kop: int
    spent_delta_kop: int
    prev_hash: str
    hash: str


def _out(entry: RecordedEntry) -> dict:
    d = entry.draft
    return EntryOut(
        seq=entry.seq, **{k: getattr(d, k) for k in EntryDraft.__dataclass_fields__},
        plan_delta_kop=entry.effect.plan, financed_delta_kop=entry.effect.financed, spent_delta_kop=entry.effect.spent,
        prev_hash=entry.prev_hash, hash=entry.hash,
    ).model_dump(mode="json")


def _rejected(exc: EntryRejected) -> Problem:
    kind = "conflict" if exc.status == 409 else "validation-error"
    return Problem(exc.status, "Entry refused" if exc.status == 409 else "Invalid entry", exc.message, type_=kind,
                   errors=[{"field": exc.field, "message": exc.message}])


@router.post("/entries", tags=["ledger"], status_code=201, summary="Post a ledger entry (role finance)",
             responses={200: {"description": "the same entry was already recorded"}, 409: {}, 422: {}})
async def post_entry(
    body: EntryIn, request: Request, who: Principal = Depends(FINANCE), db: AsyncSession = Depends(session)
) -> JSONResponse:
    try:
        async with db.begin():
            posted = await service.post_entry(db, request.app.state.outbox, body.to_request(who.subject))
    except codes.CodeError as exc:
        raise Problem(422, "Invalid entry", exc.message, type_="validation-error",
                      errors=[{"field": exc.field, "message": exc.message}]) from exc
    except EntryRejected as exc:
        raise _rejected(exc) from exc
    return JSONResponse(_out(posted.entry), status_code=201 if posted.created else 200)


@router.get("/entries/{entry_id}", tags=["ledger"], summary="One entry (role finance)")
async def read_entry(entry_id: str, _: Principal = Depends(FINANCE), db: AsyncSession = Depends(session)) -> dict:
    entry = await service.find_entry(db, entry_id)
    if entry is None:
        raise Problem(404, "Not found", f"no entry {entry_id!r}")
    return _out(entry)


@router.get("/ledger/verify", tags=["ledger"], summary="Recompute the hash chain (role finance)")
async def verify(_: Principal = Depends(FINANCE), db: AsyncSession = Depends(session)) -> dict:
    check = await service.verify_chain(db)
    return {"intact": check.intact, "entries_checked": check.entries, "first_broken_entry": check.first_broken}


@router.post("/years/{year}/close", tags=["ledger"], summary="Close a year; alert if its execution is under the share")
async def close_year(
    request: Request, year: int = PathParam(ge=2000, le=2100), who: Principal = Depends(FINANCE),
    db: AsyncSession = Depends(session),
) -> dict:
    async with db.begin():
        return await service.close_year(db, request.app.state.outbox, year, closed_by=who.subject,
                                        alert_share=request.app.state.settings.alert_share_percent)


@router.get("/programme", tags=["programme"], summary="The programme, its budget holders and measures (public)")
async def programme(db: AsyncSession = Depends(session)) -> dict:
    prog = (await db.execute(select(programmes))).mappings().first()
    holders = (await db.execute(select(budget_holders).order_by(budget_holders.c.is_main.desc(), budget_holders.c.code))).mappings().all()
    ms = (await db.execute(select(measures).order_by(measures.c.holder_code, measures.c.number))).mappings().all()
    return {"programme": dict(prog) if prog else None, "budget_holders": [dict(h) for h in holders],
            "measures": [dict(m) for m in ms]}


@router.get("/reports/execution/chart.{fmt}", tags=["reports"], summary="Planned against financed as a chart (public)",
            responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}})
async def execution_chart(
    fmt: Literal["svg", "png"],
    from_year: int = Query(ge=2000, le=2100),
    to_year: int = Query(ge=2000, le=2100),
    by: Literal["holder", "year"] = "holder",
    db: AsyncSession = Depends(session),
) -> Response:
    _check_span(from_year, to_year)
    report = await execution_report(db, from_year, to_year)
    image = await asyncio.to_thread(charts.execution_chart, report, by, fmt)  # CPU work off the event loop
    return Response(image, media_type="image/svg+xml" if fmt == "svg" else "image/png")


def _check_span(from_year: int, to_year: int) -> None:
    if to_year < from_year:
        raise Problem(422, "Invalid request", "to_year is before from_year", type_="validation-error",
                      errors=[{"field": "to_year", "message": "must not be before from_year"}])


@router.get("/reports/execution", tags=["reports"], summary="Planned against financed, per holder and measure (public)",
            responses={200: {"content": {"application/json": {}, "text/csv": {}, "text/html": {}, "application/pdf": {}}}})
async def execution(
    from_year: int = Query(ge=2000, le=2100),
    to_year: int = Query(ge=2000, le=2100),
    format: Literal["json", "csv", "html", "pdf"] = "json",
    db: AsyncSession = Depends(session),
):
    _check_span(from_year, to_year)
    report = await execution_report(db, from_year, to_year)
    name = f"execution-{from_year}-{to_year}"
    if format == "csv":
        return PlainTextResponse(to_csv(report), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if format == "html":
        return HTMLResponse(await asyncio.to_thread(to_html, report))
    if format == "pdf":
        return Response(await asyncio.to_thread(pdf.to_pdf, report), media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})
    return report.as_json()


@router.get("/open-data/datapackage.json", tags=["open data"], summary="Fiscal Data Package descriptor (public)")
async def datapackage(db: AsyncSession = Depends(session)) -> dict:
    package, _ = await open_data.fiscal_data_package(db)
    return package


@router.get("/open-data/execution.csv", tags=["open data"], summary="The Fiscal Data Package's data (public)")
async def datapackage_csv(db: AsyncSession = Depends(session)) -> PlainTextResponse:
    _, text = await open_data.fiscal_data_package(db)
    return PlainTextResponse(text, media_type="text/csv; charset=utf-8")


@router.get("/open-data/fiscal-data-package.zip", tags=["open data"], summary="Descriptor and data in one ZIP (public)")
async def datapackage_zip(db: AsyncSession = Depends(session)) -> Response:
    package, text = await open_data.fiscal_data_package(db)
    return Response(open_data.as_zip(package, text), media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="sumy-ecity-programme-execution.zip"'})


MAX_IMPORT_BYTES = 20 * 1024 * 1024


@router.post("/imports", tags=["ledger"], summary="Import plan and financing lines from CSV, all or nothing (role finance)",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}},
             responses={422: {"description": "the validation report: every bad row, nothing imported"}})
async def import_lines(
    request: Request,
    batch_id: str = Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
                          description="names this import; entries get ids import:<batch_id>:<line>:…"),
    layout: Literal["national", "plain"] = "national",
    override_reason: str | None = Query(default=None, max_length=1000),
    who: Principal = Depends(FINANCE),
    db: AsyncSession = Depends(session),
) -> dict:
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise Problem(413, "File too large", f"at most {MAX_IMPORT_BYTES // 1024 // 1024} MiB per import")
    lines, problems = imports.parse(body, layout)
    result = imports.ImportResult(lines=len(lines), problems=problems)
    if not problems:
        await db.begin()
        result = await imports.apply(db, request.app.state.outbox, lines, batch_id=batch_id, author=who.subject,
                                     override_reason=override_reason)
        await (db.rollback() if result.problems else db.commit())
    if result.problems:
        raise Problem(422, "Import refused", f"{len(result.problems)} problem(s); nothing was imported",
                      type_="import-validation", errors=[p.as_error() for p in result.problems])
    return {"batch_id": batch_id, "lines": result.lines, "entries_posted": result.entries_posted}


class HolderIn(BaseModel):
    code: str = Field(description="2-digit code of the budget holder", examples=["02"])
    name_uk: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)
    is_main: bool = False
    kpkvkmb: str = Field(description="7 digits: holder code, executor, ТПКВКМБ", examples=["0217520"])
    edrpou: str = Field(description="8 digits with its check digit")


class MeasureIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9.-]+$", examples=["02-3"])
    number: str = Field(min_length=1, max_length=16)
    name_uk: str = Field(min_length=1, max_length=500)
    name_en: str = Field(min_length=1, max_length=500)
    holder_code: str
    tpkvkmb: str
    kfkvk: str
    kekv: str
    fund: Literal["general", "special"]


async def _structure(db: AsyncSession, add) -> JSONResponse:
    try:
        async with db.begin():
            created = await add()
    except codes.CodeError as exc:
        raise Problem(422, "Invalid code", exc.message, type_="validation-error",
                      errors=[{"field": exc.field, "message": exc.message}]) from exc
    except EntryRejected as exc:
        raise _rejected(exc) from exc
    return JSONResponse({"created": created}, status_code=201 if created else 200)


@router.post("/budget-holders", tags=["programme"], status_code=201, summary="Add a budget holder (role finance)")
async def add_holder(body: HolderIn, _: Principal = Depends(FINANCE), db: AsyncSession = Depends(session)) -> JSONResponse:
    return await _structure(db, lambda: structure.add_holder(db, structure.BudgetHolder(**body.model_dump())))


@router.post("/measures", tags=["programme"], status_code=201, summary="Add a measure of the programme (role finance)")
async def add_measure(body: MeasureIn, _: Principal = Depends(FINANCE), db: AsyncSession = Depends(session)) -> JSONResponse:
    return await _structure(db, lambda: structure.add_measure(db, structure.MeasureSpec(**body.model_dump())))
