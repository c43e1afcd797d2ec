"""The finance department decides on the expenditures the network registry proposes: lists the
waiting ones, approves one (which posts its expenditure entry) or rejects it saying why; and
sets a budget holder's auto-approval limit (every change kept: who, when, why). Each runs in the
caller's transaction, under the chain's lock, so two officers deciding at once decide once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters import queries
from budget_ledger.domain.ledger import RecordedEntry
from budget_ledger.domain.proposals import (
    AutoApprovalLimit,
    Decision,
    ExpenditureProposal,
    check_decision,
    check_limit,
)
from budget_ledger.use_cases import posting
from ecity_common.messaging.outbox import Outbox
from ecity_common.refusals import NotFound

Status = Literal["proposed", "approved", "rejected"]


@dataclass(frozen=True)
class Proposal:
    proposal: ExpenditureProposal
    decision: Decision | None

    @property
    def status(self) -> Status:
        return self.decision.outcome if self.decision else "proposed"


@dataclass(frozen=True)
class Approved:
    proposal: Proposal
    entry: RecordedEntry
    created: bool  # False: it was approved before (a retry)


async def waiting(session: AsyncSession, status: Status = "proposed", limit: int = 100) -> list[Proposal]:
    return [Proposal(p, d) for p, d in await queries.list_proposals(session, status, limit)]


async def proposal(session: AsyncSession, proposal_id: str) -> Proposal:
    found = (await queries.proposals_by_id(session, {proposal_id})).get(proposal_id)
    if found is None:
        raise NotFound("expenditure proposal", repr(proposal_id))
    return Proposal(*found)


async def approve(session: AsyncSession, outbox: Outbox, proposal_id: str, approver: str) -> Approved:
    """Post the proposal's expenditure, written by the approver; approving it again answers the same."""
    await queries.lock_chain(session)
    found = await proposal(session, proposal_id)
    if not check_decision(found.decision, "approved", None):
        return Approved(found, await posting.entry(session, found.decision.entry_id), created=False)
    [(entry, _)] = await approve_many(session, outbox, [found.proposal], approver=approver)
    return Approved(await proposal(session, proposal_id), entry, created=True)


async def approve_many(session: AsyncSession, outbox: Outbox, proposals: list[ExpenditureProposal], *,
                       approver: str | None = None, limits: dict[str, AutoApprovalLimit] | None = None,
                       ) -> list[tuple[RecordedEntry, Decision]]:
    """Post each proposal's entry and record its approval: by `approver`, or each under its
    holder's auto-approval limit in `limits`. The caller holds the chain's lock."""
    def by(p: ExpenditureProposal) -> tuple[str, int | None]:
        if limits is None:
            return approver, None
        limit = limits[p.holder_code]
        return limit.approver, limit.id

    drafts = [p.entry(author=by(p)[0]) for p in proposals]
    posted = await posting.post_entries(session, outbox, drafts)
    decisions = [Decision(proposal_id=p.proposal_id, outcome="approved", decided_by=by(p)[0], entry_id=p.proposal_id,
                          auto_approval_limit_id=by(p)[1]) for p in proposals]
    await queries.add_decisions(session, decisions)
    return [(done.entry, decision) for done, decision in zip(posted, decisions, strict=True)]


async def reject(session: AsyncSession, proposal_id: str, who: str, reason: str) -> tuple[Proposal, bool]:
    """Record why it does not count; rejecting it again answers the same (False: nothing new)."""
    await queries.lock_chain(session)
    found = await proposal(session, proposal_id)
    if not check_decision(found.decision, "rejected", reason):
        return found, False
    decision = Decision(proposal_id=proposal_id, outcome="rejected", decided_by=who, reason=reason.strip())
    await queries.add_decisions(session, [decision])
    return await proposal(session, proposal_id), True


async def set_auto_approval_limit(session: AsyncSession, holder_code: str, limit_kop: int, who: str,
                                  reason: str) -> AutoApprovalLimit:
    """A new limit for the holder's proposals (0: each waits for finance); the old one stays on record."""
    if await queries.holder_kpkvkmb(session, holder_code) is None:
        raise NotFound("budget holder", repr(holder_code))
    check_limit(limit_kop, reason)
    return await queries.add_limit(session, holder_code, limit_kop, who, reason.strip())


async def auto_approval_limits(session: AsyncSession, holder_code: str) -> list[AutoApprovalLimit]:
    """Newest first: the first is the one in force."""
    if await queries.holder_kpkvkmb(session, holder_code) is None:
        raise NotFound("budget holder", repr(holder_code))
    return await queries.limit_history(session, holder_code)
