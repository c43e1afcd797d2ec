"""The execution report printed: CSV for a spreadsheet (no cell of it a formula:
`ecity_common.outputs`), HTML (Jinja2, `templates/`, the charts inline) for a person. The report
itself is built in `domain/report.py`."""

from __future__ import annotations

import io
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from budget_ledger.adapters.charts import execution_chart
from budget_ledger.domain.money import ua_share_unbroken, ua_thousands_unbroken
from budget_ledger.domain.report import ExecutionReport, Line
from ecity_common.outputs import SpreadsheetSafeWriter

CSV_COLUMNS = [
    "from_year", "to_year", "holder_code", "holder_name", "kpkvkmb", "measure_code", "measure_number",
    "measure_name", "kekv", "fund", "planned_kop", "financed_kop", "planned_thousand_uah",
    "financed_thousand_uah", "share_percent", "illustrative",
]


def to_csv(report: ExecutionReport) -> str:
    """One row per measure, then one per holder and the programme total (measure columns empty).
    Machine-readable: comma-separated, '.' decimals, amounts also in exact kopiykas."""
    out = io.StringIO()
    writer = SpreadsheetSafeWriter(out, CSV_COLUMNS, lineterminator="\n")
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

    charts = {by: execution_chart(report, by, "svg").decode() for by in ("holder", "year")} if report.holders else {}
    # The SVG's own XML prologue is dropped to inline it in the page.
    charts = {by: svg[svg.index("<svg"):] for by, svg in charts.items()}
    return _templates.get_template("execution.html.j2").render(report=report, money=ua_thousands_unbroken, share=share, charts=charts)
