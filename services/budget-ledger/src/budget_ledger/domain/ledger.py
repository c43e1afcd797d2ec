"""The programme's budget ledger: entries, their effects, the rules, the hash chain.

No I/O and no framework here: the use cases (`use_cases/posting.py`) load what a rule needs and
call these. The hash chain is in `chain.py`, money and the execution share in `money.py`.

An entry never changes once written. Its kind says what it does to a measure in a year:
- appropriation: the plan (передбачено) grows;
- amendment: the plan changes, up or down (`direction`);
- financing: money actually provided (фактично профінансовано);
- expenditure: money spent on something, e.g. an asset commissioned on the network;
- reversal: cancels exactly one earlier entry (not a reversal), at most once; it lands in the
  year of the entry it cancels, or in another (open) year when that one is closed.
Amounts are positive integer kopiykas; the kind (and an amendment's direction) gives the sign.
A closed year takes no more entries (`check_open_year`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Literal

from budget_ledger.domain.phrases import Phrase
from ecity_common.refusals import Conflict, Invalid

EntryKind = Literal["appropriation", "amendment", "financing", "expenditure", "reversal"]
Fund = Literal["general", "special"]


class EntryRejected(Invalid):
    """The entry breaks one of its rules; `field` names the input at fault. Its text names the
    field too, since that is what a dead letter's error shows the operator."""

    def __str__(self) -> str:
        return f"{self.field}: {self.detail}"


class YearClosed(Conflict):
    """An entry into a year that was closed: its execution is final."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="year", code="year-closed")


class FinancingOverPlan(Conflict):
    """Financing beyond the measure's current plan, with no reason given to allow it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="amount_kop")


@dataclass(frozen=True)
class Measure:
    code: str
    number: str
    name_uk: str
    holder_code: str
    tpkvkmb: str
    kfkvk: str
    kekv: str
    fund: Fund


@dataclass(frozen=True)
class EntryDraft:
    """An entry as posted; its content is what the idempotency key and the hash chain cover."""

    entry_id: str
    kind: EntryKind
    holder_code: str
    measure_code: str
    year: int
    fund: Fund
    kekv: str
    amount_kop: int
    entry_date: date
    document_ref: str
    author: str
    direction: Literal["increase", "decrease"] | None = None
    reverses: str | None = None
    override_reason: str | None = None

    def content(self) -> dict:
        # Flat fields only, so a plain dict beats dataclasses.asdict's deep copy (a hot path).
        data = {name: getattr(self, name) for name in _DRAFT_FIELDS}
        data["entry_date"] = self.entry_date.isoformat()
        return data


_DRAFT_FIELDS = tuple(f.name for f in fields(EntryDraft))


@dataclass(frozen=True)
class Effect:
    """What an entry does to its measure's year, in signed kopiykas."""

    plan: int = 0
    financed: int = 0
    spent: int = 0

    def __neg__(self) -> Effect:
        return Effect(-self.plan, -self.financed, -self.spent)


@dataclass(frozen=True)
class RecordedEntry:
    seq: int
    draft: EntryDraft
    effect: Effect
    prev_hash: str
    hash: str


@dataclass
class Balance:
    planned: int = 0
    financed: int = 0
    spent: int = 0

    def apply(self, effect: Effect) -> None:
        self.planned += effect.plan
        self.financed += effect.financed
        self.spent += effect.spent


def effect_of(draft: EntryDraft, original: RecordedEntry | None = None) -> Effect:
    amount = draft.amount_kop
    match draft.kind:
        case "appropriation":
            return Effect(plan=amount)
        case "amendment":
            return Effect(plan=amount if draft.direction == "increase" else -amount)
        case "financing":
            return Effect(financed=amount)
        case "expenditure":
            return Effect(spent=amount)
        case "reversal":
            assert original is not None
            return -original.effect
    raise AssertionError(draft.kind)


def check_draft(draft: EntryDraft, measure: Measure | None) -> None:
    """Rules an entry must keep on its own (the codes are checked where it is parsed)."""
    if measure is None:
        raise EntryRejected("measure_code", Phrase("measure-not-in-programme", measure_code=draft.measure_code))
    if measure.holder_code != draft.holder_code:
        raise EntryRejected("holder_code", Phrase("measure-of-other-holder", measure_code=measure.code,
                                                   holder_code=measure.holder_code))
    if draft.amount_kop <= 0:
        raise EntryRejected("amount_kop", Phrase("amount-positive"))
    if draft.kind == "amendment" and draft.direction not in ("increase", "decrease"):
        raise EntryRejected("direction", Phrase("amendment-direction"))
    if draft.kind != "amendment" and draft.direction is not None:
        raise EntryRejected("direction", Phrase("direction-only-amendment"))
    if draft.kind != "reversal" and draft.reverses is not None:
        raise EntryRejected("reverses", Phrase("reverses-only-reversal"))


def reversal_of(
    original: RecordedEntry, *, entry_id: str, entry_date: date, document_ref: str, author: str,
    year: int | None = None,
) -> EntryDraft:
    """The entry that cancels `original`: same measure and amount, the opposite effect; in the
    original's year unless another `year` is given (when that one is closed)."""
    if original.draft.kind == "reversal":
        raise EntryRejected("reverses", Phrase("reversal-not-reversed"))
    return replace(
        original.draft,
        entry_id=entry_id,
        kind="reversal",
        year=original.draft.year if year is None else year,
        entry_date=entry_date,
        document_ref=document_ref,
        author=author,
        direction=None,
        reverses=original.draft.entry_id,
        override_reason=None,
    )


def check_open_year(draft: EntryDraft, closed_years: set[int], original: RecordedEntry | None = None) -> None:
    """A closed year's figures are final: nothing more is posted into it. A mistake found in it is
    corrected by a reversal in an open year (the correction shows in the year it was made)."""
    if draft.year not in closed_years:
        return
    if original is not None and original.draft.year == draft.year:
        raise YearClosed(Phrase("entry-of-closed-year", entry_id=original.draft.entry_id, year=draft.year))
    raise YearClosed(Phrase("year-closed", year=draft.year))


def check_financing(balance: Balance, effect: Effect, draft: EntryDraft) -> None:
    """Financing beyond the measure's current plan needs an explicit override with a reason."""
    if effect.financed <= 0 or balance.financed + effect.financed <= balance.planned:
        return
    if draft.override_reason and draft.override_reason.strip():
        return
    raise FinancingOverPlan(Phrase("financing-over-plan", financed=balance.financed + effect.financed,
                                   planned=balance.planned, measure_code=draft.measure_code, year=draft.year))


def reaches_plan(financed_before: int, balance: Balance, effect: Effect) -> bool:
    """This financing is the one that brings the measure's year up to its plan (an alert)."""
    return effect.financed > 0 and financed_before < balance.planned <= balance.financed
