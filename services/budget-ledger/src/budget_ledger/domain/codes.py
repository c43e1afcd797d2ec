"""Ukrainian public-finance codes, validated with the rule a bad one breaks.

- ТПКВКМБ (standard local programme code) and КФКВК (functional code): 4 digits each.
- КПКВКМБ: 7 digits = 2-digit code of the main budget holder + 1-digit executor (1 = the main
  holder itself) + the 4-digit ТПКВКМБ.
- КЕКВ (economic code): 4 digits, from the economic classification of expenditure (order of the
  Ministry of Finance No. 11 of 12.03.2012, as amended): only codes of that list are accepted.
"""

from __future__ import annotations

import re

from budget_ledger.domain.phrases import Phrase
from ecity_common.refusals import Invalid

_FOUR = re.compile(r"^\d{4}$")

# The economic classification of expenditure (КЕКВ) a local programme can use.
KEKV: dict[str, str] = {
    "2000": "Поточні видатки",
    "2100": "Оплата праці і нарахування на заробітну плату",
    "2110": "Оплата праці",
    "2111": "Заробітна плата",
    "2112": "Грошове забезпечення військовослужбовців",
    "2120": "Нарахування на оплату праці",
    "2200": "Використання товарів і послуг",
    "2210": "Предмети, матеріали, обладнання та інвентар",
    "2220": "Медикаменти та перев'язувальні матеріали",
    "2230": "Продукти харчування",
    "2240": "Оплата послуг (крім комунальних)",
    "2250": "Видатки на відрядження",
    "2260": "Видатки та заходи спеціального призначення",
    "2270": "Оплата комунальних послуг та енергоносіїв",
    "2271": "Оплата теплопостачання",
    "2272": "Оплата водопостачання та водовідведення",
    "2273": "Оплата електроенергії",
    "2274": "Оплата природного газу",
    "2275": "Оплата інших енергоносіїв та інших комунальних послуг",
    "2276": "Оплата енергосервісу",
    "2280": "Дослідження і розробки, окремі заходи по реалізації державних (регіональних) програм",
    "2281": "Дослідження і розробки, окремі заходи розвитку по реалізації державних (регіональних) програм",
    "2282": "Окремі заходи по реалізації державних (регіональних) програм, не віднесені до заходів розвитку",
    "2600": "Поточні трансферти",
    "2610": "Субсидії та поточні трансферти підприємствам (установам, організаціям)",
    "2620": "Поточні трансферти органам державного управління інших рівнів",
    "2700": "Соціальне забезпечення",
    "2800": "Інші поточні видатки",
    "3000": "Капітальні видатки",
    "3100": "Придбання основного капіталу",
    "3110": "Придбання обладнання і предметів довгострокового користування",
    "3120": "Капітальне будівництво (придбання)",
    "3122": "Капітальне будівництво (придбання) інших об'єктів",
    "3130": "Капітальний ремонт",
    "3132": "Капітальний ремонт інших об'єктів",
    "3140": "Реконструкція та реставрація",
    "3142": "Реконструкція та реставрація інших об'єктів",
    "3160": "Придбання землі та нематеріальних активів",
    "3200": "Капітальні трансферти",
    "3210": "Капітальні трансферти підприємствам (установам, організаціям)",
}


class CodeError(Invalid, ValueError):
    """A code that breaks its rule, naming the field. Also a ValueError, so that a pydantic
    validator that checks a code reports it as the field's validation error."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)

    def __str__(self) -> str:
        return f"{self.field}: {self.detail}"


def tpkvkmb(code: str, field: str = "tpkvkmb") -> str:
    if not _FOUR.match(code or ""):
        raise CodeError(field, Phrase("tpkvkmb-digits"))
    return code


def kfkvk(code: str, field: str = "kfkvk") -> str:
    if not _FOUR.match(code or ""):
        raise CodeError(field, Phrase("kfkvk-digits"))
    return code


def kekv(code: str, field: str = "kekv") -> str:
    if not _FOUR.match(code or ""):
        raise CodeError(field, Phrase("kekv-digits"))
    if code not in KEKV:
        raise CodeError(field, Phrase("kekv-unknown", code=code))
    return code


def kpkvkmb(code: str, holder_code: str | None = None, field: str = "kpkvkmb") -> str:
    if not re.match(r"^\d{7}$", code or ""):
        raise CodeError(field, Phrase("kpkvkmb-digits"))
    if code[2] == "0":
        raise CodeError(field, Phrase("kpkvkmb-executor"))
    if holder_code is not None and code[:2] != holder_code:
        raise CodeError(field, Phrase("kpkvkmb-holder", holder_code=holder_code))
    return code


def holder_code(code: str, field: str = "holder_code") -> str:
    if not re.match(r"^\d{2}$", code or ""):
        raise CodeError(field, Phrase("holder-code-digits"))
    return code
