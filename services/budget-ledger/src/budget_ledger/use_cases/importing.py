"""Import of plan and financing lines from CSV, all or nothing.

Two layouts of the same lines (one budget programme × economic code × fund × year):
- `national`: the national open budget portal's export — semicolon-separated, windows-1251,
  columns `REP_PERIOD`, `COD_CONS_MB_PK` (КПКВКМБ), `COD_CONS_EK` (КЕКВ), optional
  `COD_CONS_MB_FK` (КФКВК) and `FUND_TYP`, amounts in hryvnias `ZAT_AMT` (approved),
  `PLANS_AMT` (plan with changes) and `FAKT_AMT` (actually financed);
- `plain`: UTF-8, comma-separated, `year,kpkvkmb,kekv,fund,planned_uah,financed_uah`.
Amounts are cumulative for the year, so a line *sets* the measure's plan and financing: the import
posts the difference as an appropriation or amendment and a financing. Importing the same file
again changes nothing. Every bad row is reported; if there is one, nothing is posted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters import queries
from budget_ledger.adapters.import_files import ImportLine, Layout, RowProblem, parse
from budget_ledger.domain.ledger import EntryDraft
from budget_ledger.domain.phrases import Phrase
from budget_ledger.use_cases import posting
from ecity_common.messaging.outbox import Outbox
from ecity_common.refusals import Refused


@dataclass
class ImportResult:
    lines: int = 0
    entries_posted: int = 0
    problems: list[RowProblem] = field(default_factory=list)


async def apply(
    session: AsyncSession,
    outbox: Outbox,
    lines: list[ImportLine],
    *,
    batch_id: str,
    author: str,
    override_reason: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Post the differences line by line in the caller's transaction; collect every problem.
    The caller rolls back when `problems` is not empty."""
    result = ImportResult(lines=len(lines))
    catalogue = await queries.measure_catalogue(session)
    for line in lines:
        matches = [m for m in catalogue if m.kpkvkmb == line.kpkvkmb and m.kekv == line.kekv
                   and (line.fund is None or m.fund == line.fund) and (line.kfkvk is None or m.kfkvk == line.kfkvk)]
        if len(matches) != 1:
            fund = Phrase("import-of-fund", fund=line.fund) if line.fund else ""
            said = (Phrase("import-no-measure", kpkvkmb=line.kpkvkmb, kekv=line.kekv, fund=fund) if not matches else
                    Phrase("import-measures", count=len(matches), kpkvkmb=line.kpkvkmb, kekv=line.kekv, fund=fund))
            result.problems.append(RowProblem(line.row, "COD_CONS_MB_PK", said))
            continue
        m = matches[0]
        balance = await queries.balance_of(session, m.code, line.year)
        drafts = []
        plan_change = line.planned_kop - balance.planned
        if plan_change:
            kind = "appropriation" if balance.planned == 0 and plan_change > 0 else "amendment"
            drafts.append(("plan", kind, abs(plan_change), None if kind == "appropriation" else
                           ("increase" if plan_change > 0 else "decrease")))
        financing_change = line.financed_kop - balance.financed
        if financing_change < 0:
            result.problems.append(RowProblem(line.row, "FAKT_AMT", Phrase("import-financed-less")))
            continue
        if financing_change:
            drafts.append(("financing", "financing", financing_change, None))
        for suffix, kind, amount, direction in drafts:
            draft = EntryDraft(
                entry_id=f"import:{batch_id}:{line.row}:{suffix}", kind=kind, holder_code=m.holder, measure_code=m.code,
                year=line.year, fund=m.fund, kekv=m.kekv, amount_kop=amount, entry_date=date.today(),
                document_ref=f"import {batch_id}, line {line.row}", author=author, direction=direction,
                override_reason=override_reason if kind == "financing" else None,
            )
            try:
                result.entries_posted += (await posting.post_entry(session, outbox, draft)).created
            except Refused as exc:
                column = "FAKT_AMT" if exc.field == "amount_kop" else exc.field
                result.problems.append(RowProblem(line.row, column, exc.detail))
        if on_progress:
            on_progress(1)
    return result


async def import_file(session: AsyncSession, outbox: Outbox, data: bytes, layout: Layout, *, batch_id: str, author: str,
                      override_reason: str | None = None) -> ImportResult:
    """A whole file, all or nothing: the caller commits only when the result has no problem
    (it lists them all: the file's, then the ledger's)."""
    lines, problems = parse(data, layout)
    if problems:
        return ImportResult(lines=len(lines), problems=problems)
    return await apply(session, outbox, lines, batch_id=batch_id, author=author, override_reason=override_reason)
