"""Plan and financing lines in a CSV file, in one of two layouts (the national open budget
portal's export, or a plain one); every bad row reported with its line and column.
What the lines do to the ledger is `use_cases/importing.py`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from budget_ledger.domain import codes
from budget_ledger.domain.phrases import Phrase
from ecity_common.inputs import MAX_IMPORT_ROWS

Layout = Literal["national", "plain"]
MAX_UAH = 10**13  # = 10**15 kopiykas, what one ledger entry may carry (`entrypoints/http/ledger.py`)
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


def _kop(text: str, row: int, column: str, problems: list[RowProblem]) -> int:
    cleaned = (text or "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        uah = Decimal(cleaned or "0")
    except InvalidOperation:
        uah = None
    if uah is None or not uah.is_finite():
        problems.append(RowProblem(row, column, Phrase("import-not-an-amount", text=text)))
        return 0
    # '1e999999' is a Decimal too: refused before any arithmetic, which built an integer of a
    # million digits (seconds of CPU) or overflowed (a 500), as 'Infinity' did. The ledger's ceiling.
    if uah.copy_abs() > MAX_UAH:
        problems.append(RowProblem(row, column, Phrase("import-amount-at-most", text=text, most=MAX_UAH)))
        return 0
    value = uah * 100
    if value != value.to_integral_value() or value < 0:
        problems.append(RowProblem(row, column, Phrase("import-amount-decimals", text=text)))
        return 0
    return int(value)


def _year(text: str, row: int, column: str, problems: list[RowProblem]) -> int:
    match = re.search(r"(19|20)\d{2}", text or "")
    if not match:
        problems.append(RowProblem(row, column, Phrase("import-no-year", text=text)))
        return 0
    return int(match.group(0))


def parse(data: bytes, layout: Layout) -> tuple[list[ImportLine], list[RowProblem]]:
    if layout == "national":
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError:
            return [], [RowProblem(1, "file", Phrase("import-not-windows-1251"))]
        names = {"year": "REP_PERIOD", "kpkvkmb": "COD_CONS_MB_PK", "kekv": "COD_CONS_EK", "kfkvk": "COD_CONS_MB_FK",
                 "fund": "FUND_TYP", "planned": "PLANS_AMT", "financed": "FAKT_AMT"}
        delimiter = ";"
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [RowProblem(1, "file", Phrase("not-utf-8"))]
        names = {"year": "year", "kpkvkmb": "kpkvkmb", "kekv": "kekv", "kfkvk": "kfkvk", "fund": "fund",
                 "planned": "planned_uah", "financed": "financed_uah"}
        delimiter = ","
    # newline="": the csv module splits the lines itself, so a bare \r (an old Mac file) ends a
    # line instead of landing inside a field, which the reader refuses (csv.Error).
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines: list[ImportLine] = []
    problems: list[RowProblem] = []
    try:
        _read_lines(reader, names, lines, problems)
    except csv.Error as exc:  # e.g. a field longer than the csv module's 128 KiB: no sense can be made of the rest
        problems.append(RowProblem(reader.line_num + 1, "file", Phrase("not-csv-from-here", reason=str(exc))))
    return lines, problems


def _read_lines(reader: csv.DictReader, names: dict[str, str], lines: list[ImportLine], problems: list[RowProblem]) -> None:
    required = [names[k] for k in ("year", "kpkvkmb", "kekv", "planned", "financed")]
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        problems.extend(RowProblem(1, c, Phrase("import-missing-column")) for c in missing)
        return
    for n, raw in enumerate(reader, start=2):
        if n - 1 > MAX_IMPORT_ROWS:
            problems.append(RowProblem(n, "file", Phrase("too-many-rows", most=MAX_IMPORT_ROWS)))
            return
        before = len(problems)
        get = lambda key: (raw.get(names[key]) or "").strip()  # noqa: E731
        year = _year(get("year"), n, names["year"], problems)
        kpkvkmb, kekv, kfkvk = get("kpkvkmb"), get("kekv"), get("kfkvk") or None
        for check, value, column in ((codes.kpkvkmb, kpkvkmb, "kpkvkmb"), (codes.kekv, kekv, "kekv")):
            try:
                check(value)
            except codes.CodeError as exc:
                problems.append(RowProblem(n, names[column], exc.detail))
        if kfkvk:
            try:
                codes.kfkvk(kfkvk)
            except codes.CodeError as exc:
                problems.append(RowProblem(n, names["kfkvk"], exc.detail))
        fund = None
        if get("fund"):
            fund = _FUNDS.get(get("fund").lower())
            if fund is None:
                problems.append(RowProblem(n, names["fund"], Phrase("import-fund", fund=get("fund"))))
        planned = _kop(get("planned"), n, names["planned"], problems)
        financed = _kop(get("financed"), n, names["financed"], problems)
        if len(problems) == before:
            lines.append(ImportLine(n, year, kpkvkmb, kekv, fund, kfkvk, planned, financed))
