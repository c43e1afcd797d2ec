"""Money the way the city's reports print it, and the execution share.

Amounts are integer kopiykas everywhere; reports print thousands of hryvnias with two decimals the
Ukrainian way, "43 545,36 тис. грн", and a share with two decimals and a comma, "18,92 %". Rounding
is half-up to 0,01 (of a thousand hryvnias, and of a per cent).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

KOP_PER_THOUSAND_UAH = 100_000
_CENT = Decimal("0.01")
NBSP = "\u00a0"  # keeps "43 545,36" and "тис. грн" on one line in HTML


def thousands(kop: int) -> Decimal:
    """Thousand hryvnias, half-up to 0.01."""
    return (Decimal(kop) / KOP_PER_THOUSAND_UAH).quantize(_CENT, rounding=ROUND_HALF_UP)


def share_percent(financed_kop: int, planned_kop: int) -> Decimal | None:
    """financed / planned × 100, half-up to 0.01; None when nothing was planned."""
    if planned_kop == 0:
        return None
    return (Decimal(financed_kop) * 100 / Decimal(planned_kop)).quantize(_CENT, rounding=ROUND_HALF_UP)


def ua_number(value: Decimal, space: str = " ") -> str:
    """1234567.5 -> '1 234 567,50'."""
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{space.join(groups)},{frac}"


def ua_thousands(kop: int, space: str = " ") -> str:
    """4354536000 kop -> '43 545,36 тис. грн'."""
    return f"{ua_number(thousands(kop), space)} тис. грн"


def ua_share(financed_kop: int, planned_kop: int) -> str:
    share = share_percent(financed_kop, planned_kop)
    return "—" if share is None else f"{ua_number(share)} %"


def kop_from_thousands(text: str) -> int:
    """'43 545,36' or '43545.36' (thousand UAH) -> 4354536000 kop; exact, no float."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    value = Decimal(cleaned) * KOP_PER_THOUSAND_UAH
    if value != value.to_integral_value():
        raise ValueError(f"{text!r} has more precision than a kopiyka")
    return int(value)


def ua_thousands_unbroken(kop: int) -> str:
    """The same with no-break spaces, so a line never breaks inside an amount (HTML, PDF)."""
    return ua_thousands(kop, space=NBSP).replace(" тис. грн", f"{NBSP}тис.{NBSP}грн")


def ua_share_unbroken(financed_kop: int, planned_kop: int) -> str:
    return ua_share(financed_kop, planned_kop).replace(" %", f"{NBSP}%")


def under_share(share: Decimal | None, threshold_percent: str) -> bool:
    """An execution share under the alert threshold (per cent). Nothing planned: no share, no alert."""
    return share is not None and share < Decimal(threshold_percent)
