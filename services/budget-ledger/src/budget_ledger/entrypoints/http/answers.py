"""What the routes answer, for the OpenAPI document only (`responses={…: {"model": …}}`).

The routes return the use cases' dicts as they are: these models describe them and filter nothing
(a `response_model` drops what it does not name: an API break no test would see). A field added
to an answer goes here too, or the API fuzzer (tests/test_fuzz.py), which checks every answer
against the document, says so. Where an answer nests the programme's own records (its holders and
measures, the Fiscal Data Package), the document names the top level and leaves the rest open.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel


class Phases(BaseModel):
    """One line of the execution report: the sums and the printed figures."""

    planned_kop: int
    financed_kop: int
    spent_kop: int
    planned_thousand_uah: str
    financed_thousand_uah: str
    share_percent: str | None
    planned: str
    financed: str
    share: str


class YearLine(Phases):
    year: int


class MeasureLine(Phases):
    code: str
    number: str | None
    name_uk: str
    kekv: str
    fund: str
    illustrative: bool


class HolderSection(Phases):
    code: str
    name_uk: str
    is_main: bool
    kpkvkmb: str | None
    measures: list[MeasureLine]


class ExecutionReport(BaseModel):
    programme: dict[str, Any]
    from_year: int
    to_year: int
    rounding: str
    illustrative_split: bool
    total: Phases
    by_year: list[YearLine]
    holders: list[HolderSection]


class Programme(BaseModel):
    programme: dict[str, Any] | None
    budget_holders: list[dict[str, Any]]
    measures: list[dict[str, Any]]


class Added(BaseModel):
    created: bool  # false: it was there already (201 or 200)


class HeadStatement(BaseModel):
    entries: int
    last_hash: str
    plan_kop: int
    financed_kop: int
    spent_kop: int
    signed_at: str
    key_id: str
    ledger: str


class PublishedHead(BaseModel):
    statement: HeadStatement
    signature: str


class PublicKey(BaseModel):
    key_id: str
    public_key_pem: str


class HeadCheck(BaseModel):
    entries: int
    signed_at: str
    key_id: str
    holds: bool
    problem: str | None


class LedgerCheck(BaseModel):
    intact: bool
    entries_checked: int
    first_broken_entry: str | None
    problem: str | None
    balances_intact: bool
    balances_differing: list[dict[str, Any]]
    heads_checked: int
    heads_failing: list[HeadCheck]
    given_head: HeadCheck | None = None  # when a signed head was given to check


class YearClosed(BaseModel):
    year: int
    planned_kop: int
    financed_kop: int
    share_percent: str | None
    alert_raised: bool
    already_closed: bool


class Imported(BaseModel):
    batch_id: str
    lines: int
    entries_posted: int


class Decision(BaseModel):
    outcome: str
    decided_by: str | None
    decided_at: str | None
    reason: str | None
    entry_id: str | None
    auto_approval_limit_id: int | None


class ProposalView(BaseModel):
    proposal_id: str
    asset_id: str
    asset_kind: str
    name: str
    holder_code: str
    measure_code: str
    year: int
    fund: str
    kekv: str
    amount_kop: int
    commissioned_on: date
    document_ref: str
    source: str
    event_id: str
    status: str
    decision: Decision | None


class LimitView(BaseModel):
    id: int
    holder_code: str
    limit_kop: int
    set_by: str
    set_at: str
    reason: str


class AutoApprovalLimits(BaseModel):
    holder_code: str
    in_force: LimitView | None
    history: list[LimitView]


class FiscalDataPackage(BaseModel):
    """The descriptor (frictionlessdata.io's Fiscal Data Package); its resources and model as the spec has them."""

    profile: Literal["fiscal-data-package"]
    name: str
    title: str
    resources: list[dict[str, Any]]


def answers(model: type[BaseModel] | Any, status: int = 200, description: str | None = None) -> dict:
    """A route's `responses=`: its answer's shape, documented without filtering it."""
    return {status: {"model": model, **({"description": description} if description else {})}}


class Approved(BaseModel):
    proposal: ProposalView
    entry: dict[str, Any]  # the posted entry, as GET /entries/{entry_id} answers it
