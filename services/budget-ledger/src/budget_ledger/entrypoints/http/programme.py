"""The programme's structure over HTTP: anyone reads it; the finance department adds budget
holders and measures (codes checked; the same again answers 200)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.domain.programme import BudgetHolder, MeasureSpec
from budget_ledger.entrypoints.http.answers import Added, Programme, answers
from budget_ledger.entrypoints.http.ledger import FINANCE
from budget_ledger.use_cases import programme as programme_structure
from ecity_common.auth import Principal
from ecity_common.db import session
from ecity_common.inputs import Text

public = APIRouter(prefix="/api/v1")  # documented before the reports, as it always was
router = APIRouter(prefix="/api/v1")


@public.get("/programme", tags=["programme"], responses=answers(Programme), summary="The programme, its budget holders and measures (public)")
async def programme(db: AsyncSession = Depends(session)) -> dict:
    return await programme_structure.programme(db)


class HolderIn(BaseModel):
    code: Text = Field(description="2-digit code of the budget holder", examples=["02"])
    name_uk: Text = Field(min_length=1, max_length=300)
    name_en: Text = Field(min_length=1, max_length=300)
    is_main: bool = False
    kpkvkmb: Text = Field(description="7 digits: holder code, executor, ТПКВКМБ", examples=["0217520"])
    edrpou: Text = Field(description="8 digits with its check digit")


class MeasureIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9.-]+$", examples=["02-3"])
    number: Text = Field(min_length=1, max_length=16)
    name_uk: Text = Field(min_length=1, max_length=500)
    name_en: Text = Field(min_length=1, max_length=500)
    holder_code: Text
    tpkvkmb: Text
    kfkvk: Text
    kekv: Text
    fund: Literal["general", "special"]


ADDED = {**answers(Added, 201), **answers(Added, 200, "it was there already")}


async def _added(db: AsyncSession, add) -> JSONResponse:
    async with db.begin():
        created = await add()
    return JSONResponse({"created": created}, status_code=201 if created else 200)


@router.post("/budget-holders", tags=["programme"], status_code=201, responses=ADDED, summary="Add a budget holder (role finance)")
async def add_holder(body: HolderIn, _: Principal = Depends(FINANCE), db: AsyncSession = Depends(session)) -> JSONResponse:
    return await _added(db, lambda: programme_structure.add_holder(db, BudgetHolder(**body.model_dump())))


@router.post("/measures", tags=["programme"], status_code=201, responses=ADDED, summary="Add a measure of the programme (role finance)")
async def add_measure(body: MeasureIn, _: Principal = Depends(FINANCE), db: AsyncSession = Depends(session)) -> JSONResponse:
    return await _added(db, lambda: programme_structure.add_measure(db, MeasureSpec(**body.model_dump())))
