"""The pull inbox's visibility rule: which of a company's messages a page may show. No I/O.

A message is written with its transaction's id (txid) and a sequence number. Sequence numbers are
taken in insert order but committed in any order, so a reader going by sequence alone could pass a
message still being committed and never see it. The cursor is therefore (txid, seq), and a page
shows only messages of transactions older than every transaction still running (`settled_below`,
the snapshot's xmin): a message committed later can never sort before a cursor already handed out.

adapters/inbox.py says the same in SQL; tests/test_rules_in_sql.py checks that both agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ecity_common.refusals import Invalid
from utilities_gateway.domain.phrases import Phrase

CURSOR_PATTERN = r"^\d{1,19}(\.\d{1,19})?$"
# Both parts are PostgreSQL bigints; nineteen digits can still say more than one holds.
_LARGEST = 2**63 - 1


@dataclass(frozen=True, order=True)
class Cursor:
    """Where a company's reading of its inbox stands: after (txid, seq). `0` is the start."""

    txid: int = 0
    seq: int = 0

    @classmethod
    def parse(cls, text: str) -> Cursor:
        assert re.fullmatch(CURSOR_PATTERN, text), text  # the route's query pattern has checked it
        txid, _, seq = text.partition(".")
        cursor = cls(int(txid), int(seq or 0))
        if cursor.txid > _LARGEST or cursor.seq > _LARGEST:
            raise Invalid("query.cursor", Phrase("inbox-cursor"))
        return cursor

    def __str__(self) -> str:
        return f"{self.txid}.{self.seq}"


@dataclass(frozen=True)
class InboxMessage:
    company_id: str
    txid: int
    seq: int
    acked_at: datetime | None = None


def visible_in_inbox(message: InboxMessage, *, company_id: str, after: Cursor, settled_below: int) -> bool:
    """Shown on a page read after `after`: the company's own, not yet acknowledged, written by a
    transaction every reader now sees as settled, and past the cursor."""
    return (message.company_id == company_id and message.acked_at is None and message.txid < settled_below
            and Cursor(message.txid, message.seq) > after)


def inbox_order(message: InboxMessage) -> Cursor:
    """Pages run oldest first, by (txid, seq): the order cursors are handed out in."""
    return Cursor(message.txid, message.seq)
