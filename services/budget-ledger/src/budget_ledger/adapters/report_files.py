"""The programme's execution report: planned against financed, per holder and per measure.

`build` turns balance rows into the report (pure); `execution_report` reads them; `to_json`,
`to_csv` and `to_html` print it for an API client, a spreadsheet and a person.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters.tables import balances, budget_holders, measures, programmes
from budget_ledger.domain.money import share_percent, thousands, ua_share, ua_share_unbroken, ua_thousands, ua_thousands_unbroken


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


async def execution_report(session: AsyncSession, from_year: int, to_year: int) -> ExecutionReport:
    programme = (await session.execute(select(programmes))).first()
    rows = await session.execute(
        select(
            balances.c.year, balances.c.planned_kop, balances.c.financed_kop, balances.c.spent_kop,
            measures.c.code.label("measure_code"), measures.c.number, measures.c.name_uk.label("measure_name"),
            measures.c.kekv, measures.c.fund, measures.c.illustrative,
            budget_holders.c.code.label("holder_code"), budget_holders.c.name_uk.label("holder_name"),
            budget_holders.c.is_main, budget_holders.c.kpkvkmb,
        )
        .join(measures, measures.c.code == balances.c.measure_code)
        .join(budget_holders, budget_holders.c.code == measures.c.holder_code)
        .where(balances.c.year.between(from_year, to_year))
        .order_by(budget_holders.c.is_main.desc(), budget_holders.c.code, measures.c.number, balances.c.year)
    )
    about = {"code": programme.code, "name_uk": programme.name_uk, "name_en": programme.name_en,
             "start_year": programme.start_year, "end_year": programme.end_year} if programme else {}
    return build(about, from_year, to_year, rows)


CSV_COLUMNS = [
    "from_year", "to_year", "holder_code", "holder_name", "kpkvkmb", "measure_code", "measure_number",
    "measure_name", "kekv", "fund", "planned_kop", "financed_kop", "planned_thousand_uah",
    "financed_thousand_uah", "share_percent", "illustrative",
]


def to_csv(report: ExecutionReport) -> str:
    """One row per measure, then one per holder and the programme total (measure columns empty).
    Machine-readable: comma-separated, '.' decimals, amounts also in exact kopiykas."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()

    def row(line: Line, **extra) -> dict:
        data = line.as_json()
        return {"from_year": report.from_year, "to_year": report.to_year, "planned_kop": line.planned_kop,
                "financed_kop": line.financed_kop, "planned_thousand_uah": data["planned_thousand_uah"],
                "financed_thousand_uah": data["financed_thousand_uah"], "share_percent": data["share_percent"] or "",
                **extra}

    for h in report.holders.values():
        for m in h.measures.values():
            writer.writerow(row(m, holder_code=h.code, holder_name=h.name_uk, kpkvkmb=h.kpkvkmb, measure_code=m.code,
                                measure_number=m.number, measure_name=m.name_uk, kekv=m.kekv, fund=m.fund,
                                illustrative=str(m.illustrative).lower()))
        writer.writerow(row(h, holder_code=h.code, holder_name=h.name_uk, kpkvkmb=h.kpkvkmb))
    writer.writerow(row(report.total, holder_name="Разом по програмі"))
    return out.getvalue()


_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html", "j2"]),
)


def to_html(report: ExecutionReport) -> str:
    def share(line: Line) -> str:
        return ua_share_unbroken(line.financed_kop, line.planned_kop)

    from budget_ledger.adapters.charts import execution_chart

    charts = {by: execution_chart(report, by, "svg").decode() for by in ("holder", "year")} if report.holders else {}
    # The SVG's own XML prologue is dropped to inline it in the page.
    charts = {by: svg[svg.index("<svg"):] for by, svg in charts.items()}
    return _templates.get_template("execution.html.j2").render(report=report, money=ua_thousands_unbroken, share=share, charts=charts)
