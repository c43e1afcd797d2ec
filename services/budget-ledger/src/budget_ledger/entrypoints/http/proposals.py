"""Proposed expenditures over HTTP (role finance): the ones waiting, approving one (it posts the
entry) or rejecting it with a reason; and a budget holder's auto-approval limit."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.domain.proposals import AutoApprovalLimit
from budget_ledger.entrypoints.http.answers import Approved, AutoApprovalLimits, LimitView, ProposalView, answers
from budget_ledger.entrypoints.http.ledger import FINANCE, entry_out
from budget_ledger.use_cases import proposals
from budget_ledger.use_cases.proposals import Proposal
from ecity_common.auth import Principal
from ecity_common.db import session
from ecity_common.inputs import Identifier, Prose, page_size

router = APIRouter(prefix="/api/v1")
ProposalId = Identifier
HolderCode = Annotated[str, PathParam(pattern=r"^\d{2}$")]


def _proposal(found: Proposal) -> dict:
    p, d = found.proposal, found.decision
    return {
        **asdict(p), "commissioned_on": p.commissioned_on.isoformat(), "status": found.status,
        "decision": None if d is None else {
            "outcome": d.outcome, "decided_by": d.decided_by,
            "decided_at": d.decided_at.isoformat() if d.decided_at else None, "reason": d.reason,
            "entry_id": d.entry_id, "auto_approval_limit_id": d.auto_approval_limit_id},
    }


def _limit(limit: AutoApprovalLimit) -> dict:
    return {**asdict(limit), "set_at": limit.set_at.isoformat()}


class Rejection(BaseModel):
    reason: Prose = Field(min_length=1, max_length=1000, description="why it does not count")


class LimitIn(BaseModel):
    limit_kop: int = Field(ge=0, le=10**15, description="proposals of this holder costing up to this many kopiykas are "
                           "approved at once; 0: every one waits for finance")
    reason: Prose = Field(min_length=1, max_length=1000, description="why these need no one's approval")


@router.get("/expenditure-proposals", tags=["proposals"], responses=answers(list[ProposalView]), summary="Proposed expenditures, the waiting ones first (role finance)")
async def list_proposals(
    status: Literal["proposed", "approved", "rejected"] = "proposed", limit: page_size(1000) = 100,
    _: Principal = Depends(FINANCE), db: AsyncSession = Depends(session),
) -> list[dict]:
    return [_proposal(p) for p in await proposals.waiting(db, status, limit)]


@router.get("/expenditure-proposals/{proposal_id}", tags=["proposals"], responses=answers(ProposalView), summary="One proposed expenditure (role finance)")
async def read_proposal(proposal_id: ProposalId, _: Principal = Depends(FINANCE),
                        db: AsyncSession = Depends(session)) -> dict:
    return _proposal(await proposals.proposal(db, proposal_id))


@router.post("/expenditure-proposals/{proposal_id}/approve", tags=["proposals"], status_code=201,
             summary="Approve a proposed expenditure: its entry is posted (role finance)",
             responses={**answers(Approved, 201), **answers(Approved, 200, "it was approved before"), 409: {"description": "rejected before, or "
                        "its year is closed"}})
async def approve(request: Request, proposal_id: ProposalId, who: Principal = Depends(FINANCE),
                  db: AsyncSession = Depends(session)) -> JSONResponse:
    async with db.begin():
        approved = await proposals.approve(db, request.app.state.outbox, proposal_id, who.subject)
    return JSONResponse({"proposal": _proposal(approved.proposal), "entry": entry_out(approved.entry)},
                        status_code=201 if approved.created else 200)


@router.post("/expenditure-proposals/{proposal_id}/reject", tags=["proposals"], 
             summary="Reject a proposed expenditure, saying why (role finance)",
             responses={**answers(ProposalView), 409: {"description": "approved before"}})
async def reject(body: Rejection, proposal_id: ProposalId, who: Principal = Depends(FINANCE),
                 db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        found, _ = await proposals.reject(db, proposal_id, who.subject, body.reason)
    return _proposal(found)


@router.put("/budget-holders/{holder_code}/auto-approval-limit", tags=["proposals"], responses=answers(LimitView),
            summary="Set a holder's auto-approval limit for proposed expenditures; every change is kept (role finance)")
async def set_limit(body: LimitIn, holder_code: HolderCode, who: Principal = Depends(FINANCE),
                    db: AsyncSession = Depends(session)) -> dict:
    async with db.begin():
        return _limit(await proposals.set_auto_approval_limit(db, holder_code, body.limit_kop, who.subject, body.reason))


@router.get("/budget-holders/{holder_code}/auto-approval-limit", tags=["proposals"], responses=answers(AutoApprovalLimits),
            summary="A holder's auto-approval limit in force and every earlier one (role finance)")
async def read_limit(holder_code: HolderCode, _: Principal = Depends(FINANCE),
                     db: AsyncSession = Depends(session)) -> dict:
    history = [_limit(limit) for limit in await proposals.auto_approval_limits(db, holder_code)]
    return {"holder_code": holder_code, "in_force": history[0] if history else None, "history": history}
