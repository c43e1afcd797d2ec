"""Charts people would rather look at than read: planned against financed, per holder or per year.

matplotlib (Agg, no display) draws both SVG (embedded in the HTML report) and PNG. Its bundled
DejaVu Sans has Cyrillic, so Ukrainian labels need no system fonts.
"""

from __future__ import annotations

import io
import textwrap
from decimal import Decimal
from typing import Literal

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from budget_ledger.domain.money import thousands, ua_number, ua_share  # noqa: E402
from budget_ledger.domain.report import ExecutionReport  # noqa: E402
from ecity_common.outputs import xml_text  # noqa: E402

PLANNED_COLOUR, FINANCED_COLOUR = "#9db4d0", "#1f5fa8"


def execution_chart(report: ExecutionReport, by: Literal["holder", "year"], fmt: Literal["svg", "png"]) -> bytes:
    if by == "holder":
        # A holder's name is text in the SVG (glyphs, and the name itself in a comment): a character
        # XML cannot carry would make the picture, and the HTML report it is inlined in, unreadable.
        groups = [(textwrap.fill(xml_text(h.name_uk), 24), h) for h in report.holders.values()]
        title = f"Передбачено і профінансовано за розпорядниками, {report.period}"
    else:
        groups = [(str(year), line) for year, line in sorted(report.by_year.items())]
        title = f"Передбачено і профінансовано за роками, {report.period}"
    labels = [g[0] for g in groups]
    planned = [float(thousands(g[1].planned_kop)) for g in groups]
    financed = [float(thousands(g[1].financed_kop)) for g in groups]

    fig, ax = plt.subplots(figsize=(max(6, 1.9 * len(groups) + 2), 4.6), dpi=110)
    x = range(len(groups))
    width = 0.38
    ax.bar([i - width / 2 for i in x], planned, width, label="Передбачено", color=PLANNED_COLOUR)
    bars = ax.bar([i + width / 2 for i in x], financed, width, label="Фактично профінансовано", color=FINANCED_COLOUR)
    for bar, (_, line) in zip(bars, groups, strict=True):
        ax.annotate(ua_share(line.financed_kop, line.planned_kop), (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(x), labels, fontsize=8)
    ax.set_ylabel("тис. грн")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: ua_number(Decimal(str(v))).removesuffix(",00")))
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    return out.getvalue()
