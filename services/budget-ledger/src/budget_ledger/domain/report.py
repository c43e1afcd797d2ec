"""The programme's execution report: planned against financed, in total, per year, per budget
holder (the appendices) and per measure, with the execution share. No I/O.

`build` turns balance rows into the report; `adapters/report_files.py` prints it as CSV and HTML,
`adapters/pdf.py` as PDF, `adapters/charts.py` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from budget_ledger.domain.ledger import Effect
from budget_ledger.domain.money import share_percent, thousands, ua_share, ua_thousands


@dataclass
class Line:
    """Planned and financed of one measure, one holder, one year or the whole report."""

    planned_kop: int = 0
    financed_kop: int = 0
    spent_kop: int = 0

    def add(self, planned: int, financed: int, spent: int) -> None:
        self.planned_kop += planned
        self.financed_kop += financed
        self.spent_kop += spent

    def as_json(self) -> dict:
        share = share_percent(self.financed_kop, self.planned_kop)
        return {
            "planned_kop": self.planned_kop,
            "financed_kop": self.financed_kop,
            "spent_kop": self.spent_kop,
            "planned_thousand_uah": str(thousands(self.planned_kop)),
            "financed_thousand_uah": str(thousands(self.financed_kop)),
            "share_percent": str(share) if share is not None else None,
            "planned": ua_thousands(self.planned_kop),
            "financed": ua_thousands(self.financed_kop),
            "share": ua_share(self.financed_kop, self.planned_kop),
        }


@dataclass
class MeasureLine(Line):
    code: str = ""
    number: str = ""
    name_uk: str = ""
    kekv: str = ""
    fund: str = ""
    illustrative: bool = False


@dataclass
class HolderSection(Line):
    code: str = ""
    name_uk: str = ""
    is_main: bool = False
    kpkvkmb: str = ""
    measures: dict[str, MeasureLine] = field(default_factory=dict)


@dataclass
class ExecutionReport:
    programme: dict
    from_year: int
    to_year: int
    total: Line = field(default_factory=Line)
    by_year: dict[int, Line] = field(default_factory=dict)
    holders: dict[str, HolderSection] = field(default_factory=dict)

    @property
    def period(self) -> str:
        return str(self.from_year) if self.from_year == self.to_year else f"{self.from_year}–{self.to_year}"

    @property
    def illustrative(self) -> bool:
        return any(m.illustrative for h in self.holders.values() for m in h.measures.values())

    def as_json(self) -> dict:
        return {
            "programme": self.programme,
            "from_year": self.from_year,
            "to_year": self.to_year,
            "rounding": "thousand UAH and per cent, half-up to 0.01",
            "illustrative_split": self.illustrative,
            "total": self.total.as_json(),
            "by_year": [{"year": y, **line.as_json()} for y, line in sorted(self.by_year.items())],
            "holders": [
                {
                    "code": h.code,
                    "name_uk": h.name_uk,
                    "is_main": h.is_main,
                    "kpkvkmb": h.kpkvkmb,
                    **h.as_json(),
                    "measures": [
                        {"code": m.code, "number": m.number, "name_uk": m.name_uk, "kekv": m.kekv, "fund": m.fund,
                         "illustrative": m.illustrative, **m.as_json()}
                        for m in h.measures.values()
                    ],
                }
                for h in self.holders.values()
            ],
        }


def build(programme: dict, from_year: int, to_year: int, rows) -> ExecutionReport:
    """`rows`: balance rows joined with their measure and holder, ordered as the report prints."""
    report = ExecutionReport(programme=programme, from_year=from_year, to_year=to_year)
    for r in rows:
        holder = report.holders.setdefault(
            r.holder_code, HolderSection(code=r.holder_code, name_uk=r.holder_name, is_main=r.is_main, kpkvkmb=r.kpkvkmb)
        )
        measure = holder.measures.setdefault(
            r.measure_code,
            MeasureLine(code=r.measure_code, number=r.number, name_uk=r.measure_name, kekv=r.kekv, fund=r.fund,
                        illustrative=r.illustrative),
        )
        for line in (measure, holder, report.total, report.by_year.setdefault(r.year, Line())):
            line.add(r.planned_kop, r.financed_kop, r.spent_kop)
    return report


def fiscal_phases(kind: str, reversed_kind: str | None, effect: Effect) -> tuple[int, int, int]:
    """What one entry adds, in kopiykas, to the three phases the open data publishes of the same
    money: approved (appropriations as adopted), adjusted (the plan after amendments) and executed
    (financed). A reversal counts in the phase of the entry it cancels.
    `adapters/open_data.py` sums the same in SQL (tested against this)."""
    approved = effect.plan if (reversed_kind or kind) == "appropriation" else 0
    return approved, effect.plan, effect.financed
