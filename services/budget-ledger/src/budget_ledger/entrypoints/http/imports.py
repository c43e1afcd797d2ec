"""Plan and financing lines imported from CSV over HTTP, all or nothing (role finance)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.domain.phrases import Phrase
from budget_ledger.entrypoints.http.answers import Imported, answers
from budget_ledger.entrypoints.http.ledger import FINANCE
from budget_ledger.use_cases import importing
from ecity_common.auth import Principal
from ecity_common.db import session
from ecity_common.inputs import Prose
from ecity_common.web.body_limits import CSV_IMPORT_BODY, body_limit
from ecity_common.web.problems import Problem

router = APIRouter(prefix="/api/v1")


@router.post("/imports", tags=["ledger"], summary="Import plan and financing lines from CSV, all or nothing (role finance)",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}},
             responses={**answers(Imported), 422: {"description": "the validation report: every bad row, nothing imported"}})
@body_limit(CSV_IMPORT_BODY)  # refused (413) while it arrives, once past the limit
async def import_lines(
    request: Request,
    batch_id: str = Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
                          description="names this import; entries get ids import:<batch_id>:<line>:…"),
    layout: Literal["national", "plain"] = "national",
    override_reason: Prose | None = Query(default=None, max_length=1000),
    who: Principal = Depends(FINANCE),
    db: AsyncSession = Depends(session),
) -> dict:
    body = await request.body()
    await db.begin()
    result = await importing.import_file(db, request.app.state.outbox, body, layout, batch_id=batch_id,
                                         author=who.subject, override_reason=override_reason)
    await (db.rollback() if result.problems else db.commit())
    if result.problems:
        raise Problem("import-refused", Phrase("import-refused", count=len(result.problems)),
                      errors=[p.as_error() for p in result.problems])
    return {"batch_id": batch_id, "lines": result.lines, "entries_posted": result.entries_posted}
