"""Events that budget-ledger publishes on `ecity.budget.v1`, keyed by measure code."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from ecity_common.events.catalogue import event_type

EntryKind = Literal["appropriation", "amendment", "financing", "expenditure", "reversal"]


@event_type(
    "ua.sumy.ecity.budget-ledger.entry.recorded.v1",
    producer="budget-ledger",
    aggregate="measure",
    summary="An entry was appended to the programme's budget ledger.",
)
class LedgerEntryRecorded(BaseModel):
    entry_id: str
    seq: int
    kind: EntryKind
    holder_code: str
    measure_code: str
    year: int
    fund: Literal["general", "special"]
    kekv: str
    amount_kop: int = Field(gt=0)
    # Signed effects of this entry on the plan, on financing and on spending, in kopiykas.
    plan_delta_kop: int
    financed_delta_kop: int
    spent_delta_kop: int
    entry_date: date
    reverses: str | None = None
    hash: str


@event_type(
    "ua.sumy.ecity.budget-ledger.execution-alert.raised.v1",
    producer="budget-ledger",
    aggregate="measure",
    summary="A measure's financing reached its plan, or a closed year's execution is under the alert share.",
)
class ExecutionAlertRaised(BaseModel):
    alert: Literal["financing_reached_plan", "year_closed_under_share"]
    year: int
    measure_code: str | None = None
    holder_code: str | None = None
    planned_kop: int
    financed_kop: int
    share_percent: str = Field(description="financed / planned × 100, half-up to 0.01, e.g. '18.92'")
    threshold_percent: str | None = None
