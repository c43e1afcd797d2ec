"""The ledger's hash chain: history that cannot be rewritten unnoticed. No I/O.

Every entry carries `prev_hash` and `hash` = sha256(prev_hash + "\n" + canonical JSON of its
content): sorted keys, no spaces, UTF-8. The first entry's prev_hash is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json

GENESIS_HASH = "0" * 64


def canonical(content: dict) -> bytes:
    """The serialisation the hash covers: sorted keys, no spaces, UTF-8."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, content: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(content)).hexdigest()


def first_broken(entries: list[tuple[str, dict, str, str]], expected_prev: str = GENESIS_HASH) -> tuple[int, str | None]:
    """Given (entry_id, content, prev_hash, hash) in chain order, starting after the entry whose
    hash is `expected_prev`: how many hold, and the first entry whose link or hash does not."""
    for intact, (entry_id, content, prev_hash, stored) in enumerate(entries):
        if prev_hash != expected_prev or chain_hash(prev_hash, content) != stored:
            return intact, entry_id
        expected_prev = stored
    return len(entries), None
