"""Expenditures proposed by the network registry, and finance's decision on them. No I/O.

An asset commissioned on the МТКМ (the registry's `asset.commissioned` event) says what it cost and
which measure paid; but anything that reaches Kafka can publish that event, and the registry marks
an asset active on an engineer's word or a monitoring probe's "up". So the event only *proposes*
an expenditure. It counts once a finance officer approves it (the approval posts the entry), or
when the holder has an auto-approval limit that finance set, with a reason, and the cost is within
it. A rejection records why. Each proposal is decided once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from budget_ledger.domain.ledger import EntryDraft, Measure, check_draft
from budget_ledger.domain.phrases import Phrase
from ecity_common.refusals import Conflict, Invalid

Outcome = Literal["approved", "rejected"]


@dataclass(frozen=True)
class ExpenditureProposal:
    proposal_id: str  # the id the entry gets when approved
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
    source: str  # the event that proposed it
    event_id: str

    def same_asset_as(self, other: ExpenditureProposal) -> bool:
        """The same proposal again (another event, another delivery): everything but the event agrees."""
        mine = {k: v for k, v in self.__dict__.items() if k not in ("source", "event_id")}
        return mine == {k: v for k, v in other.__dict__.items() if k not in ("source", "event_id")}

    def entry(self, author: str) -> EntryDraft:
        """The expenditure entry an approval posts."""
        return EntryDraft(
            entry_id=self.proposal_id, kind="expenditure", holder_code=self.holder_code, measure_code=self.measure_code,
            year=self.year, fund=self.fund, kekv=self.kekv, amount_kop=self.amount_kop, entry_date=self.commissioned_on,
            document_ref=self.document_ref, author=author,
        )


def proposal_id(asset_id: str) -> str:
    """From the asset, so a second event for the same asset is the same proposal (and the entry
    keeps the id it always had)."""
    return f"network-asset-{asset_id}-commissioned"


def check_proposal(proposal: ExpenditureProposal, measure: Measure | None) -> None:
    """The rules its entry will have to keep, checked when it is proposed: an event naming no
    measure of the programme is a dead letter, not a proposal finance cannot approve."""
    check_draft(proposal.entry(author="proposal"), measure)


@dataclass(frozen=True)
class AutoApprovalLimit:
    id: int
    holder_code: str
    limit_kop: int
    set_by: str
    set_at: datetime
    reason: str

    def covers(self, proposal: ExpenditureProposal) -> bool:
        return proposal.amount_kop <= self.limit_kop

    @property
    def approver(self) -> str:
        """Who an auto-approval names as its author: the limit and the person who set it."""
        return f"auto-approval limit #{self.id} set by {self.set_by}"


def check_limit(limit_kop: int, reason: str) -> None:
    if limit_kop < 0:
        raise Invalid("limit_kop", Phrase("auto-approval-limit"))
    if not reason.strip():
        raise Invalid("reason", Phrase("auto-approval-reason"))


@dataclass(frozen=True)
class Decision:
    proposal_id: str
    outcome: Outcome
    decided_by: str
    decided_at: datetime | None = None
    reason: str | None = None
    entry_id: str | None = None
    auto_approval_limit_id: int | None = None


def check_decision(existing: Decision | None, outcome: Outcome, reason: str | None) -> bool:
    """May this decision be recorded? False: the same one already was (a retry). A proposal is
    decided once; a rejection says why."""
    if outcome == "rejected" and not (reason and reason.strip()):
        raise Invalid("reason", Phrase("rejection-reason"))
    if existing is None:
        return True
    if existing.outcome == outcome:
        return False
    raise Conflict(Phrase("proposal-decided", proposal_id=existing.proposal_id, outcome=existing.outcome,
                          decided_by=existing.decided_by),
                   code="already-approved" if existing.outcome == "approved" else "already-rejected")
