"""Which company a meter's EIC belongs to: the city's word, never a company's. No I/O.

An EIC names a metering point uniquely in Europe. Were a meter the company's that first sent a
reading for it, a company could claim another's meters by sending first (issue 16). So the city's
integrations staff bind each EIC to the company that meters it, and move it when a network changes
hands; a company's reading for an EIC not bound to it is refused (domain/meters.py `NOT_BOUND`).
Every change is kept: from which company to which, who, when, and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecity_common.refusals import Conflict, Invalid, NotFound
from utilities_gateway.domain.meters import EIC_KINDS, MAX_BATCH, meter_id_problem
from utilities_gateway.domain.phrases import Phrase

# What a change did, as the history keeps it.
BOUND, TRANSFERRED, UNBOUND = "bound", "transferred", "unbound"
# A meter a company claimed by its first reading before the city bound EICs (migration 0004): kept
# as it was, so no accepted reading is lost, and listed as such for the city to confirm or move.
CARRIED_OVER = "carried-over"
# One call binds as many EICs as one batch of readings can name.
MAX_EICS = MAX_BATCH


@dataclass(frozen=True)
class Meter:
    """What is stored of a metering point: whose it is now (None: unbound) and its kind."""

    company_id: str | None
    kind: str


@dataclass(frozen=True)
class Change:
    eic: str
    company_id: str | None  # None: unbound
    previous_company_id: str | None
    change: str


def check_meters_named_by_eic(kind: str) -> None:
    if kind not in EIC_KINDS:
        raise Invalid("company_id", Phrase("meters-are-accounts", kind=kind))


def binding(company_id: str, kind: str, eics: list[str], stored: dict[str, Meter], *, transfer: bool) -> list[Change]:
    """The changes that bind `eics` to the company (of `kind`); those already its own need none.
    An EIC bound to another company moves only when the staff say `transfer`: a mistyped EIC must
    not quietly take a meter from the company that meters it. Refused as a whole, naming the first
    EIC at fault (`eics[3]`), so a list is either bound or left as it was."""
    check_meters_named_by_eic(kind)
    changes: list[Change] = []
    seen: set[str] = set()
    for i, eic in enumerate(eics):
        if problem := meter_id_problem(kind, eic):
            raise Invalid(f"eics[{i}]", problem)
        if eic in seen:  # the same EIC twice in one list binds it once
            continue
        seen.add(eic)
        meter = stored.get(eic)
        if meter is None:
            changes.append(Change(eic, company_id, None, BOUND))
            continue
        if meter.kind != kind:
            raise Invalid(f"eics[{i}]", Phrase("eic-of-other-kind", eic=eic, meter_kind=meter.kind, kind=kind))
        if meter.company_id == company_id:
            continue
        if meter.company_id is None:
            changes.append(Change(eic, company_id, None, BOUND))
        elif transfer:
            changes.append(Change(eic, company_id, meter.company_id, TRANSFERRED))
        else:
            raise Conflict(Phrase("eic-bound-elsewhere", eic=eic, company_id=meter.company_id),
                           field=f"eics[{i}]", code="eic-bound-elsewhere")
    return changes


def unbinding(company_id: str, eic: str, meter: Meter | None) -> Change:
    """Unbinding an EIC from the company it is bound to (anything else: no such meter of this company).
    Its readings stay; from now on nobody's new ones are accepted until the city binds it again."""
    if meter is None or meter.company_id != company_id:
        raise NotFound("meter", eic, field="eic")  # (another company's answers as one that does not exist)
    return Change(eic, None, company_id, UNBOUND)
