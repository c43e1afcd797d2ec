"""The programme's structure — budget holders and measures — and the codes each must carry. No I/O."""

from __future__ import annotations

from dataclasses import dataclass

from budget_ledger.domain import codes
from budget_ledger.domain.phrases import Phrase
from ecity_common.ua_codes import validate_edrpou


@dataclass(frozen=True)
class BudgetHolder:
    code: str
    name_uk: str
    name_en: str
    is_main: bool
    kpkvkmb: str
    edrpou: str

    def check(self) -> None:
        codes.holder_code(self.code)
        codes.kpkvkmb(self.kpkvkmb, holder_code=self.code)
        try:
            validate_edrpou(self.edrpou)
        except ValueError as exc:
            raise codes.CodeError("edrpou", str(exc)) from None


@dataclass(frozen=True)
class MeasureSpec:
    code: str
    number: str
    name_uk: str
    name_en: str
    holder_code: str
    tpkvkmb: str
    kfkvk: str
    kekv: str
    fund: str
    illustrative: bool = False

    def check(self, holder_kpkvkmb: str | None) -> None:
        codes.tpkvkmb(self.tpkvkmb)
        codes.kfkvk(self.kfkvk)
        codes.kekv(self.kekv)
        if holder_kpkvkmb is None:
            raise codes.CodeError("holder_code", Phrase("holder-not-in-programme", holder_code=self.holder_code))
        if holder_kpkvkmb[3:] != self.tpkvkmb:
            raise codes.CodeError("tpkvkmb", Phrase("tpkvkmb-of-holder", kpkvkmb=holder_kpkvkmb))
