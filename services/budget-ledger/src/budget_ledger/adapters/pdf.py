"""The human report as PDF, for printing and for the city's archive.

fpdf2 (pure Python, no browser) with matplotlib's bundled DejaVu fonts, which have Cyrillic; the
chart is the same one the HTML report embeds, as PNG.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.fonts import FontFace

from budget_ledger.adapters.charts import execution_chart
from budget_ledger.domain.money import ua_share_unbroken as ua_share
from budget_ledger.domain.money import ua_thousands_unbroken as ua_thousands
from budget_ledger.domain.report import ExecutionReport

_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def to_pdf(report: ExecutionReport) -> bytes:
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.add_font("DejaVu", "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Виконання програми за {report.period}")
    pdf.set_author("Сумська міська рада")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    years = "рік" if report.from_year == report.to_year else "роки"
    pdf.multi_cell(0, 7, f"Інформація про виконання міської програми «{report.programme.get('name_uk', '')}» "
                         f"за {report.period} {years}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 10)
    t = report.total
    pdf.multi_cell(0, 5, f"На реалізацію заходів програми було передбачено {ua_thousands(t.planned_kop)}. Фактичні обсяги "
                         f"фінансування склали {ua_thousands(t.financed_kop)}, що складає "
                         f"{ua_share(t.financed_kop, t.planned_kop)} від запланованого.", new_x="LMARGIN", new_y="NEXT")
    if report.holders:
        pdf.image(execution_chart(report, "holder", "png"), w=170)
    heading = FontFace(emphasis="BOLD", fill_color=(230, 236, 245))
    for n, holder in enumerate(report.holders.values(), start=1):
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 10)
        main = " (головний розпорядник коштів)" if holder.is_main else ""
        pdf.multi_cell(0, 5, f"Додаток {n}. {holder.name_uk}{main}, КПКВКМБ {holder.kpkvkmb}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=(8, 110, 12, 22, 40, 40, 20), text_align=("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
                       headings_style=heading) as table:
            table.row(["№", "Захід", "КЕКВ", "Фонд", "Передбачено", "Фактично профінансовано", "Відсоток"])
            for m in holder.measures.values():
                table.row([m.number, m.name_uk, m.kekv, "загальний" if m.fund == "general" else "спеціальний",
                           ua_thousands(m.planned_kop), ua_thousands(m.financed_kop), ua_share(m.financed_kop, m.planned_kop)])
            table.row(["", "Разом", "", "", ua_thousands(holder.planned_kop), ua_thousands(holder.financed_kop),
                       ua_share(holder.financed_kop, holder.planned_kop)], style=FontFace(emphasis="BOLD"))
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 8)
    note = ("Суми — у тисячах гривень, округлені до 0,01 за правилом «половина вгору»; відсоток — фактично "
            "профінансовано / передбачено × 100, округлений так само.")
    if report.illustrative:
        note += (" Розподіл загальних сум між розпорядниками та заходами — ілюстративний (демонстраційні дані); "
                 "загальні суми за роками — справжні.")
    pdf.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
