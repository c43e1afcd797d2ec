"""Anyone checks the ledger; the service signs its head.

`verify_ledger` recomputes everything a reader of the ledger sees: the chain over every stored
column, the typed amounts and effects against the entry as posted, the balances projection
(rebuilt from the entries and compared with the table the reports read), and every signed head
(its signature, and that the chain still leads to it), plus one a caller kept from the open data.

`sign_head` signs a statement of the chain's head with the key outside the database
(domain/anchor.py says why), daily (`sign_head_if_due`, a background job) and when finance asks.
It first checks that the chain since the last signed head still leads on from it, so a history
rewritten before that head is never signed over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from budget_ledger.adapters import queries
from budget_ledger.adapters.signing import SigningKey, TrustedKeys
from budget_ledger.domain.anchor import ChainHead, SignedHead, disagreement
from budget_ledger.domain.chain import ChainWalk, instant
from budget_ledger.domain.phrases import Phrase
from ecity_common.refusals import Conflict

PAGE = 10_000


@dataclass(frozen=True)
class HeadCheck:
    head: SignedHead
    problem: str | None

    def as_json(self) -> dict:
        return {"entries": self.head.head.entries, "signed_at": self.head.head.signed_at,
                "key_id": self.head.head.key_id, "holds": self.problem is None, "problem": self.problem}


@dataclass(frozen=True)
class LedgerCheck:
    entries: int
    first_broken: str | None
    problem: str | None
    balances_differing: list[dict] = field(default_factory=list)
    heads: list[HeadCheck] = field(default_factory=list)
    given: HeadCheck | None = None

    @property
    def intact(self) -> bool:
        return (self.first_broken is None and not self.balances_differing
                and all(h.problem is None for h in [*self.heads, *([self.given] if self.given else [])]))

    def as_json(self) -> dict:
        return {
            "intact": self.intact,
            "entries_checked": self.entries,
            "first_broken_entry": self.first_broken,
            "problem": self.problem,
            "balances_intact": not self.balances_differing,
            "balances_differing": self.balances_differing,
            "heads_checked": len(self.heads),
            "heads_failing": [h.as_json() for h in self.heads if h.problem is not None],
            **({"given_head": self.given.as_json()} if self.given else {}),
        }


async def _walk(session: AsyncSession, walk: ChainWalk) -> ChainWalk:
    after = walk.checked
    while True:
        rows = await queries.chain_page(session, after, PAGE)
        for row, original in rows:
            if not walk.step(row, original):
                return walk
        if len(rows) < PAGE:
            return walk
        after = rows[-1][0]["seq"]


async def verify_ledger(session: AsyncSession, trusted: TrustedKeys, given: SignedHead | None = None) -> LedgerCheck:
    stored = await queries.heads(session)
    wanted = {h.head.entries for h in stored} | ({given.head.entries} if given else set())
    walk = await _walk(session, ChainWalk(wanted=wanted))

    def check(signed: SignedHead) -> HeadCheck:
        return HeadCheck(signed, trusted.why_not_signed(signed) or disagreement(signed.head, walk))

    return LedgerCheck(
        entries=walk.checked, first_broken=walk.broken_entry, problem=walk.problem,
        balances_differing=await queries.balances_differing(session),
        heads=[check(h) for h in stored], given=check(given) if given else None,
    )


async def sign_head(session: AsyncSession, key: SigningKey, trusted: TrustedKeys, now: datetime) -> SignedHead:
    """Sign the chain's head as it is now, after checking that it leads on from the last signed one."""
    await queries.lock_chain(session)  # the head and its totals of one moment
    previous = await queries.latest_head(session)
    walk = ChainWalk()
    if previous is not None:
        why = trusted.why_not_signed(previous)
        if why is None and previous.head.entries and (
                await queries.hash_at(session, previous.head.entries)) != previous.head.last_hash:
            why = f"entry {previous.head.entries} no longer has the hash that head signed: entries before it were changed"
        if why is not None:
            raise Conflict(Phrase("head-does-not-hold", signed_at=previous.head.signed_at, why=why),
                           code="head-does-not-hold")
        walk = ChainWalk(checked=previous.head.entries, last_hash=previous.head.last_hash, totals=previous.head.totals)
    await _walk(session, walk)
    if not walk.intact:
        raise Conflict(Phrase("chain-broken", entry_id=walk.broken_entry, problem=walk.problem), code="chain-broken")
    head = ChainHead.of(walk.checked, walk.last_hash, walk.totals, signed_at=instant(now), key_id=key.key_id)
    signed = SignedHead(head, key.sign(head.signed_bytes()))
    await queries.add_head(session, signed)
    return signed


async def sign_head_if_due(session: AsyncSession, key: SigningKey, trusted: TrustedKeys, now: datetime,
                           interval_s: float) -> SignedHead | None:
    """The daily head: signed when the last one is `interval_s` old (one replica does it; the
    others, after the chain's lock, find it fresh)."""
    await queries.lock_chain(session)
    latest = await queries.latest_head(session)
    if latest is not None and datetime.fromisoformat(latest.head.signed_at) > now - timedelta(seconds=interval_s):
        return None
    return await sign_head(session, key, trusted, now)


async def connected_as_owner(session: AsyncSession) -> bool:
    """Whether the service's own connection could alter the ledger's tables (it must not)."""
    return await queries.connected_as_owner(session)
