"""The ledger over HTTP: the finance department posts entries, reads one, signs the chain's head
and closes a year (role finance); anyone verifies the ledger, against its signed heads or one
they kept from the open data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.domain import codes
from budget_ledger.domain.anchor import ChainHead, SignedHead
from budget_ledger.domain.ledger import EntryDraft, RecordedEntry
from budget_ledger.domain.phrases import Phrase
from budget_ledger.entrypoints.http.answers import LedgerCheck, PublishedHead, YearClosed, answers
from budget_ledger.use_cases import posting, verification
from budget_ledger.use_cases.posting import ReversalRequest
from ecity_common.auth import Principal, require_role
from ecity_common.db import session
from ecity_common.inputs import Identifier, Int64, Prose, Text
from ecity_common.refusals import Invalid, LimitReached, Unavailable
from ecity_common.web.problems import Problem

router = APIRouter(prefix="/api/v1")
FINANCE = require_role("finance")


class EntryIn(BaseModel):
    entry_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$",
                          description="chosen by the client; the idempotency key of the posting")
    kind: Literal["appropriation", "amendment", "financing", "expenditure", "reversal"]
    entry_date: date
    document_ref: Text = Field(min_length=1, max_length=200, description="the source document, e.g. a council decision")
    # Not needed for a reversal: they are taken from the entry it reverses.
    holder_code: Text | None = None
    measure_code: Text | None = Field(default=None, max_length=32)
    year: int | None = Field(default=None, ge=2000, le=2100,
                             description="a reversal's: the cancelled entry's year unless given (it must be open)")
    fund: Literal["general", "special"] | None = None
    kekv: Text | None = None
    amount_kop: int | None = Field(default=None, gt=0, le=10**15, description="positive integer kopiykas")
    direction: Literal["increase", "decrease"] | None = None
    reverses: Identifier | None = Field(default=None, max_length=100)
    override_reason: Prose | None = Field(default=None, max_length=1000)

    @field_validator("holder_code")
    @classmethod
    def _holder(cls, v: str | None) -> str | None:
        return None if v is None else codes.holder_code(v)

    @field_validator("kekv")
    @classmethod
    def _kekv(cls, v: str | None) -> str | None:
        return None if v is None else codes.kekv(v)

    def to_request(self, author: str) -> EntryDraft | ReversalRequest:
        if self.kind == "reversal":
            if not self.reverses:
                raise Invalid("reverses", Phrase("reversal-names-entry"))
            return ReversalRequest(self.entry_id, self.reverses, self.entry_date, self.document_ref, author, self.year)
        missing = [f for f in ("holder_code", "measure_code", "year", "fund", "kekv", "amount_kop") if getattr(self, f) is None]
        if missing:
            raise Problem("validation-error", Phrase("required-for-kind", kind=self.kind, fields=", ".join(missing)),
                          errors=[{"field": f, "message": Phrase("required")} for f in missing])
        return EntryDraft(
            entry_id=self.entry_id, kind=self.kind, holder_code=self.holder_code, measure_code=self.measure_code,
            year=self.year, fund=self.fund, kekv=self.kekv, amount_kop=self.amount_kop, entry_date=self.entry_date,
            document_ref=self.document_ref, author=author, direction=self.direction, reverses=self.reverses,
            override_reason=self.override_reason,
        )


class EntryOut(BaseModel):
    seq: int
    entry_id: str
    kind: str
    holder_code: str
    measure_code: str
    year: int
    fund: str
    kekv: str
    amount_kop: int
    direction: str | None
    entry_date: date
    document_ref: str
    author: str
    reverses: str | None
    override_reason: str | None
    plan_delta_kop: int
    financed_delta_kop: int
    spent_delta_kop: int
    prev_hash: str
    hash: str


def entry_out(entry: RecordedEntry) -> dict:
    d = entry.draft
    return EntryOut(
        seq=entry.seq, **{k: getattr(d, k) for k in EntryDraft.__dataclass_fields__},
        plan_delta_kop=entry.effect.plan, financed_delta_kop=entry.effect.financed, spent_delta_kop=entry.effect.spent,
        prev_hash=entry.prev_hash, hash=entry.hash,
    ).model_dump(mode="json")


@router.post("/entries", tags=["ledger"], status_code=201, summary="Post a ledger entry (role finance)",
             responses={**answers(EntryOut, 201), **answers(EntryOut, 200, "the same entry was already recorded"), 409: {}, 422: {}})
async def post_entry(
    body: EntryIn, request: Request, who: Principal = Depends(FINANCE), db: AsyncSession = Depends(session)
) -> JSONResponse:
    async with db.begin():
        posted = await posting.post_entry(db, request.app.state.outbox, body.to_request(who.subject))
    return JSONResponse(entry_out(posted.entry), status_code=201 if posted.created else 200)


@router.get("/entries/{entry_id}", tags=["ledger"], responses=answers(EntryOut), summary="One entry (role finance)")
async def read_entry(entry_id: Identifier, _: Principal = Depends(FINANCE), db: AsyncSession = Depends(session)) -> dict:
    return entry_out(await posting.entry(db, entry_id))


class HeadStatement(BaseModel):
    ledger: Text = Field(max_length=100)
    entries: Int64 = Field(ge=0)
    last_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    plan_kop: Int64
    financed_kop: Int64
    spent_kop: Int64
    signed_at: Text = Field(max_length=64)
    key_id: Text = Field(max_length=64)


class SignedHeadIn(BaseModel):
    """A signed head as the open data publishes it (`ledger/heads.json`)."""

    statement: HeadStatement
    signature: str = Field(max_length=200, pattern=r"^[A-Za-z0-9+/=]*$",
                           description="Ed25519 over the statement's canonical JSON, base64")

    def signed(self) -> SignedHead:
        return SignedHead(ChainHead(**self.statement.model_dump()), self.signature)


BUSY = {429: {"description": "the ledger is being verified for someone else; Retry-After says when to come back"}}


async def _verified(request: Request, db: AsyncSession, given: SignedHead | None) -> dict:
    # Public and a full pass over the ledger: one at a time per replica, the others told when to come back.
    lock = request.app.state.verifying
    if lock.locked():
        raise LimitReached(Phrase("verification-busy"), retry_after_s=5)
    async with lock:
        return (await verification.verify_ledger(db, request.app.state.trusted_keys, given)).as_json()


@router.get("/ledger/verify", tags=["ledger"], responses={**answers(LedgerCheck), **BUSY}, summary="Verify the ledger: chain, amounts, balances, signed heads (public)")
async def verify(request: Request, db: AsyncSession = Depends(session)) -> dict:
    return await _verified(request, db, None)


@router.post("/ledger/verify", tags=["ledger"], responses={**answers(LedgerCheck), **BUSY},
             summary="Verify the ledger against a signed head kept from the open data (public)")
async def verify_against(body: SignedHeadIn, request: Request, db: AsyncSession = Depends(session)) -> dict:
    return await _verified(request, db, body.signed())


@router.post("/ledger/heads", tags=["ledger"], status_code=201, responses=answers(PublishedHead, 201),
             summary="Sign the chain's head now (role finance); the service also does it daily")
async def sign_head(request: Request, _: Principal = Depends(FINANCE), db: AsyncSession = Depends(session)) -> dict:
    key = request.app.state.anchor_key
    if key is None:
        raise Unavailable(Phrase("no-signing-key"))
    async with db.begin():
        signed = await verification.sign_head(db, key, request.app.state.trusted_keys, datetime.now(UTC))
    return signed.as_published()


@router.post("/years/{year}/close", tags=["ledger"], responses=answers(YearClosed), summary="Close a year; alert if its execution is under the share")
async def close_year(
    request: Request, year: int = PathParam(ge=2000, le=2100), who: Principal = Depends(FINANCE),
    db: AsyncSession = Depends(session),
) -> dict:
    async with db.begin():
        return await posting.close_year(db, request.app.state.outbox, year, closed_by=who.subject,
                                        alert_share=request.app.state.settings.alert_share_percent)
