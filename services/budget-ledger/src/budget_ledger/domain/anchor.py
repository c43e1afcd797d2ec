"""Signed heads: the ledger's chain anchored outside its database. No I/O.

A hash chain alone cannot tell a rewritten history from the real one: whoever can change the rows
(the owner of the tables) can recompute every later hash too. So, every day and whenever finance
asks, the service signs a statement of the chain's head — how many entries, the last hash, the
totals of their effects — with an Ed25519 key that is not in the database (a file, a Kubernetes
Secret). The statements are published with the open data and the public key. Anyone who kept an
earlier statement re-checks today's published entries against it: a history changed before that
head no longer leads to its hash, and without the key no new statement can be made for it.

The signature covers the canonical JSON of the statement (`chain.canonical`); `adapters/signing.py`
signs and checks it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from budget_ledger.domain.chain import ChainWalk, Totals, canonical

LEDGER = "sumy-ecity/budget-ledger"


@dataclass(frozen=True)
class ChainHead:
    """What is signed: the chain after `entries` entries."""

    entries: int
    last_hash: str
    plan_kop: int
    financed_kop: int
    spent_kop: int
    signed_at: str  # ISO 8601, UTC
    key_id: str  # which key signed it (adapters/signing.py `key_id`)
    ledger: str = LEDGER

    @classmethod
    def of(cls, entries: int, last_hash: str, totals: Totals, *, signed_at: str, key_id: str) -> ChainHead:
        return cls(entries, last_hash, totals.plan_kop, totals.financed_kop, totals.spent_kop, signed_at, key_id)

    @classmethod
    def from_statement(cls, statement: dict) -> ChainHead:
        return cls(**{name: statement[name] for name in cls.__dataclass_fields__})

    def statement(self) -> dict:
        return asdict(self)

    def signed_bytes(self) -> bytes:
        return canonical(self.statement())

    @property
    def totals(self) -> Totals:
        return Totals(self.plan_kop, self.financed_kop, self.spent_kop)


@dataclass(frozen=True)
class SignedHead:
    head: ChainHead
    signature: str  # base64 of the Ed25519 signature of `head.signed_bytes()`

    def as_published(self) -> dict:
        return {"statement": self.head.statement(), "signature": self.signature}


def disagreement(head: ChainHead, walk: ChainWalk) -> str | None:
    """Why the walked chain does not lead to this head, or None when it does. The walk must have
    been asked for `head.entries` (`ChainWalk.wanted`)."""
    if head.ledger != LEDGER:
        return f"a head of another ledger ({head.ledger})"
    if head.entries not in walk.seen:
        if walk.intact:
            return f"the head counts {head.entries} entries; the ledger has {walk.checked}"
        return f"the chain breaks at entry {walk.broken_entry!r} before the head's {head.entries} entries"
    last_hash, totals = walk.seen[head.entries]
    if last_hash != head.last_hash:
        return (f"after {head.entries} entries the chain's hash is {last_hash}, the head signed {head.last_hash}: "
                f"entries before it were changed")
    if totals != head.totals:
        return f"after {head.entries} entries the totals are {totals}, the head signed {head.totals}"
    return None
