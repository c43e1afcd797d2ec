"""The ledger's hash chain, and the check of everything a reader of the ledger sees. No I/O.

An entry is a row of `ledger_entries`; here it is the row as published (`ledger-entries.jsonl` in
the open data): a JSON object of every column, dates as ISO strings. Its `hash` is

- version 2 (every entry since migration 0003): sha256(prev_hash + "\\n" + canonical JSON of every
  column of the row except `hash`) — the typed columns, the effect on the balances (`*_delta_kop`),
  the `content` as posted, the time recorded, the sequence number, the link;
- version 1 (entries written before): sha256(prev_hash + "\\n" + canonical JSON of `content`).

Canonical JSON: sorted keys, no spaces, UTF-8. The first entry's prev_hash is 64 zeros.

A hash that holds proves a row was not changed after it was chained, not that it was right when
written, so `ChainWalk` also checks that the typed columns say what `content` says and that the
effect columns are the effect of that content (`ledger.effect_of`): the open data sums the
`*_delta_kop` columns and the reports read the balances, so those are what must agree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import orjson

from budget_ledger.domain.ledger import Effect, EntryDraft, RecordedEntry, effect_of

GENESIS_HASH = "0" * 64
CHAIN_VERSION = 2
# The columns of an entry's row, in the order the open data prints them; the hash is the last.
ROW_COLUMNS = (
    "seq", "entry_id", "kind", "holder_code", "measure_code", "year", "fund", "kekv", "amount_kop", "direction",
    "entry_date", "document_ref", "author", "reverses", "override_reason", "plan_delta_kop", "financed_delta_kop",
    "spent_delta_kop", "content", "prev_hash", "created_at", "chain_version", "hash",
)
# The columns that repeat the entry as posted; each must equal the same field of `content`.
_POSTED = tuple(c for c in ROW_COLUMNS if c in EntryDraft.__dataclass_fields__)


def canonical(value: dict) -> bytes:
    """The serialisation the hash covers: sorted keys, no spaces, UTF-8 — byte for byte Python's
    `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()`, which is
    how a reader recomputes it (tests/test_chain.py holds them together); orjson makes the same
    bytes three times faster, and a posting hashes every entry."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def chain_hash(prev_hash: str, content: dict) -> str:
    """Version 1: over the content only."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(content)).hexdigest()


def row_hash(row: dict) -> str:
    """Version 2: over every column of the row but the hash itself."""
    covered = {k: v for k, v in row.items() if k != "hash"}
    return hashlib.sha256(row["prev_hash"].encode() + b"\n" + canonical(covered)).hexdigest()


def entry_row(seq: int, draft: EntryDraft, effect: Effect, prev_hash: str, created_at: str) -> dict:
    """The row of a new entry as it is stored and published, hashed (version 2)."""
    content = draft.content()
    row = {
        "seq": seq, **content, "plan_delta_kop": effect.plan, "financed_delta_kop": effect.financed,
        "spent_delta_kop": effect.spent, "content": content, "prev_hash": prev_hash, "created_at": created_at,
        "chain_version": CHAIN_VERSION,
    }
    row["hash"] = row_hash(row)
    return row


def instant(moment: datetime) -> str:
    """A time as the row publishes (and the hash covers) it: UTC, to the microsecond, as PostgreSQL keeps it."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def draft_from(content: dict) -> EntryDraft:
    return EntryDraft(**{**content, "entry_date": date.fromisoformat(content["entry_date"])})


@dataclass(frozen=True)
class Totals:
    """The sums of every entry's effect: what a signed head states beside the last hash."""

    plan_kop: int = 0
    financed_kop: int = 0
    spent_kop: int = 0

    def plus(self, row: dict) -> Totals:
        return Totals(self.plan_kop + row["plan_delta_kop"], self.financed_kop + row["financed_delta_kop"],
                      self.spent_kop + row["spent_delta_kop"])


def _effect_of_row(row: dict) -> Effect:
    return Effect(row["plan_delta_kop"], row["financed_delta_kop"], row["spent_delta_kop"])


def why_broken(row: dict, expected_seq: int, expected_prev: str, original: dict | None) -> str | None:
    """What is wrong with one row in its place in the chain, or None. `original` is the entry a
    reversal cancels (its seq, content and effect columns; itself checked in its own place, earlier)."""
    if row["seq"] != expected_seq:
        return f"sequence number {row['seq']} where {expected_seq} belongs: an entry is missing or moved"
    if row["prev_hash"] != expected_prev:
        return "prev_hash is not the hash of the entry before it"
    version = row.get("chain_version", 1)
    if version not in (1, CHAIN_VERSION):
        return f"unknown chain version {version}"
    recomputed = row_hash(row) if version == CHAIN_VERSION else chain_hash(row["prev_hash"], row["content"])
    if recomputed != row["hash"]:
        return "the hash does not match the row" if version == CHAIN_VERSION else "the hash does not match the content"
    content = row["content"]
    differing = [c for c in _POSTED if row[c] != content.get(c)]
    if differing:
        return f"{', '.join(differing)} differ(s) from the entry as posted (content)"
    try:
        draft = draft_from(content)
    except (TypeError, ValueError) as exc:
        return f"the content is not an entry: {exc}"
    cancelled = None
    if draft.kind == "reversal":
        if original is None or original["seq"] >= row["seq"]:
            return f"reverses {draft.reverses!r}, which is not an earlier entry"
        cancelled = RecordedEntry(seq=original["seq"], draft=draft_from(original["content"]),
                                  effect=_effect_of_row(original), prev_hash="", hash="")
        if cancelled.draft.kind == "reversal":
            return "a reversal cancels a reversal"
    if _effect_of_row(row) != effect_of(draft, cancelled):
        return "plan_delta_kop, financed_delta_kop or spent_delta_kop is not what the entry does"
    return None


@dataclass
class ChainWalk:
    """Walks the chain in order, one page at a time, and stops at the first entry that does not
    hold; meanwhile keeps the running totals and the hash after each entry that `heads` ask for."""

    checked: int = 0
    last_hash: str = GENESIS_HASH
    totals: Totals = field(default_factory=Totals)
    broken_entry: str | None = None
    problem: str | None = None
    # entries → (hash, totals) after that many entries, for the heads to be checked
    wanted: set[int] = field(default_factory=set)
    seen: dict[int, tuple[str, Totals]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if 0 in self.wanted:
            self.seen[0] = (GENESIS_HASH, Totals())

    @property
    def intact(self) -> bool:
        return self.problem is None

    def step(self, row: dict, original: dict | None) -> bool:
        """Check the next row; False once the chain is broken (the walk stops there)."""
        if self.problem is not None:
            return False
        problem = why_broken(row, self.checked + 1, self.last_hash, original)
        if problem is not None:
            self.broken_entry, self.problem = row["entry_id"], problem
            return False
        self.checked += 1
        self.last_hash = row["hash"]
        self.totals = self.totals.plus(row)
        if self.checked in self.wanted:
            self.seen[self.checked] = (self.last_hash, self.totals)
        return True
