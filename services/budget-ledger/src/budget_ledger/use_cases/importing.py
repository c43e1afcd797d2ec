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

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters.tables import budget_holders, measures
from budget_ledger.domain import codes
from budget_ledger.domain.ledger import EntryDraft, EntryRejected
from budget_ledger.use_cases import posting as service
from ecity_common.messaging.outbox import Outbox

Layout = Literal["national", "plain"]
_FUNDS = {"general": "general", "загальний": "general", "з": "general", "1": "general", "c": "general",
          "special": "special", "спеціальний": "special", "с": "special", "2": "special", "s": "special"}


@dataclass(frozen=True)
class ImportLine:
    row: int  # the line number in the file (the header is line 1)
    year: int
    kpkvkmb: str
    kekv: str
    fund: str | None
    kfkvk: str | None
    planned_kop: int
    financed_kop: int


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str

    def as_error(self) -> dict:
        return {"field": f"rows[{self.row}].{self.column}", "message": self.message}


@dataclass
class ImportResult:
    lines: int = 0
    entries_posted: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def _kop(text: str, row: int, column: str, problems: list[RowProblem]) -> int:
    cleaned = (text or "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned or "0") * 100
    except InvalidOperation:
        problems.append(RowProblem(row, column, f"{text!r} is not an amount in hryvnias"))
        return 0
    if value != value.to_integral_value() or value < 0:
        problems.append(RowProblem(row, column, f"{text!r}: a non-negative amount with at most two decimals"))
        return 0
    return int(value)


def _year(text: str, row: int, column: str, problems: list[RowProblem]) -> int:
    match = re.search(r"(19|20)\d{2}", text or "")
    if not match:
        problems.append(RowProblem(row, column, f"{text!r}: no year in it (e.g. 2021-12 or 01.12.2021)"))
        return 0
    return int(match.group(0))


def parse(data: bytes, layout: Layout) -> tuple[list[ImportLine], list[RowProblem]]:
    if layout == "national":
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError:
            return [], [RowProblem(1, "file", "not windows-1251 text")]
        names = {"year": "REP_PERIOD", "kpkvkmb": "COD_CONS_MB_PK", "kekv": "COD_CONS_EK", "kfkvk": "COD_CONS_MB_FK",
                 "fund": "FUND_TYP", "planned": "PLANS_AMT", "financed": "FAKT_AMT"}
        delimiter = ";"
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [RowProblem(1, "file", "not UTF-8 text")]
        names = {"year": "year", "kpkvkmb": "kpkvkmb", "kekv": "kekv", "kfkvk": "kfkvk", "fund": "fund",
                 "planned": "planned_uah", "financed": "financed_uah"}
        delimiter = ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    required = [names[k] for k in ("year", "kpkvkmb", "kekv", "planned", "financed")]
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        return [], [RowProblem(1, c, "missing column") for c in missing]

    lines: list[ImportLine] = []
    problems: list[RowProblem] = []
    for n, raw in enumerate(reader, start=2):
        before = len(problems)
        get = lambda key: (raw.get(names[key]) or "").strip()  # noqa: E731
        year = _year(get("year"), n, names["year"], problems)
        kpkvkmb, kekv, kfkvk = get("kpkvkmb"), get("kekv"), get("kfkvk") or None
        for check, value, column in ((codes.kpkvkmb, kpkvkmb, "kpkvkmb"), (codes.kekv, kekv, "kekv")):
            try:
                check(value)
            except codes.CodeError as exc:
                problems.append(RowProblem(n, names[column], exc.message))
        if kfkvk:
            try:
                codes.kfkvk(kfkvk)
            except codes.CodeError as exc:
                problems.append(RowProblem(n, names["kfkvk"], exc.message))
        fund = None
        if get("fund"):
            fund = _FUNDS.get(get("fund").lower())
            if fund is None:
                problems.append(RowProblem(n, names["fund"], f"{get('fund')!r}: general/special (загальний/спеціальний, 1/2)"))
        planned = _kop(get("planned"), n, names["planned"], problems)
        financed = _kop(get("financed"), n, names["financed"], problems)
        if len(problems) == before:
            lines.append(ImportLine(n, year, kpkvkmb, kekv, fund, kfkvk, planned, financed))
    return lines, problems


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
    catalogue = (
        await session.execute(
            select(measures.c.code, measures.c.kekv, measures.c.fund, measures.c.kfkvk, measures.c.tpkvkmb,
                   budget_holders.c.code.label("holder"), budget_holders.c.kpkvkmb)
            .join(budget_holders, budget_holders.c.code == measures.c.holder_code)
        )
    ).all()
    for line in lines:
        matches = [m for m in catalogue if m.kpkvkmb == line.kpkvkmb and m.kekv == line.kekv
                   and (line.fund is None or m.fund == line.fund) and (line.kfkvk is None or m.kfkvk == line.kfkvk)]
        if len(matches) != 1:
            what = "no measure" if not matches else f"{len(matches)} measures"
            result.problems.append(RowProblem(line.row, "COD_CONS_MB_PK", f"{what} of the programme for КПКВКМБ {line.kpkvkmb}, КЕКВ {line.kekv}"
                                              + (f", fund {line.fund}" if line.fund else "")))
            continue
        m = matches[0]
        balance = await service.balance_of(session, m.code, line.year)
        drafts = []
        plan_change = line.planned_kop - balance.planned
        if plan_change:
            kind = "appropriation" if balance.planned == 0 and plan_change > 0 else "amendment"
            drafts.append(("plan", kind, abs(plan_change), None if kind == "appropriation" else
                           ("increase" if plan_change > 0 else "decrease")))
        financing_change = line.financed_kop - balance.financed
        if financing_change < 0:
            result.problems.append(RowProblem(line.row, "FAKT_AMT", "financed is less than already recorded: post a reversal instead"))
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
                result.entries_posted += (await service.post_entry(session, outbox, draft)).created
            except EntryRejected as exc:
                column = "FAKT_AMT" if exc.field == "amount_kop" else exc.field
                result.problems.append(RowProblem(line.row, column, exc.message))
        if on_progress:
            on_progress(1)
    return result
