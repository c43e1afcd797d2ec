"""The chain's check on its own (domain/chain.py, domain/anchor.py): no database, rows as the open
data publishes them."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from budget_ledger.domain.anchor import ChainHead, disagreement
from budget_ledger.domain.chain import GENESIS_HASH, ChainWalk, canonical, chain_hash, entry_row, row_hash
from budget_ledger.domain.ledger import EntryDraft, effect_of, reversal_of
from budget_ledger.domain.ledger import RecordedEntry as Recorded

WHEN = "2021-11-01T10:00:00.000000+00:00"


def _draft(entry_id: str, kind: str = "financing", amount: int = 1_000) -> EntryDraft:
    return EntryDraft(entry_id=entry_id, kind=kind, holder_code="02", measure_code="02-1", year=2021, fund="general",
                      kekv="3110", amount_kop=amount, entry_date=date(2021, 11, 1), document_ref="р. 1", author="test")


def _chain() -> list[dict]:
    rows, prev = [], GENESIS_HASH
    drafts = [_draft("a", "appropriation", 5_000), _draft("f"), _draft("s", "expenditure", 300)]
    for seq, d in enumerate(drafts, start=1):
        rows.append(entry_row(seq, d, effect_of(d), prev, WHEN))
        prev = rows[-1]["hash"]
    original = Recorded(2, drafts[1], effect_of(drafts[1]), "", "")
    undo = reversal_of(original, entry_id="r", entry_date=date(2021, 12, 1), document_ref="виправлення", author="test")
    rows.append(entry_row(4, undo, effect_of(undo, original), prev, WHEN))
    return rows


def _walk(rows: list[dict], wanted=()) -> ChainWalk:
    walk = ChainWalk(wanted=set(wanted))
    by_id = {r["entry_id"]: r for r in rows}
    for row in rows:
        if not walk.step(row, by_id.get(row["reverses"])):
            break
    return walk


def test_a_whole_chain_holds_and_states_its_totals():
    walk = _walk(_chain(), wanted={0, 2, 4})
    assert walk.intact and walk.checked == 4
    assert (walk.totals.plan_kop, walk.totals.financed_kop, walk.totals.spent_kop) == (5_000, 0, 300)
    assert walk.seen[0] == (GENESIS_HASH, walk.seen[0][1])


@pytest.mark.parametrize(("change", "problem"), [
    (lambda rows: rows[1].update(amount_kop=2), "the hash does not match the row"),
    (lambda rows: rows[1].update(created_at="2020-01-01T00:00:00.000000+00:00"), "the hash does not match the row"),
    (lambda rows: rows[1]["content"].update(amount_kop=2), "the hash does not match the row"),
    (lambda rows: rows.pop(1), "sequence number 3 where 2 belongs"),
    (lambda rows: rows[1].update(prev_hash="f" * 64), "prev_hash is not the hash"),
    (lambda rows: rows[1].update(chain_version=7), "unknown chain version 7"),
])
def test_any_column_changed_breaks_the_chain_at_that_entry(change, problem):
    rows = _chain()
    change(rows)
    walk = _walk(rows)
    assert walk.checked == 1 and problem in walk.problem


def test_a_row_rehashed_after_a_change_still_shows_where_it_disagrees_with_itself():
    """The hash proves a row unchanged since chained, not right when written: the columns must say
    what the content says, the effect what the entry does."""
    for column, value, problem in [("amount_kop", 2, "amount_kop differ"),
                                   ("financed_delta_kop", 999, "is not what the entry does")]:
        rows = _chain()
        rows[3][column] = value
        rows[3]["hash"] = row_hash(rows[3])
        walk = _walk(rows)
        assert (walk.checked, walk.broken_entry) == (3, "r") and problem in walk.problem


def test_entries_chained_before_version_2_are_checked_over_their_content():
    rows, prev = [], GENESIS_HASH
    for row in _chain():
        legacy = copy.deepcopy(row)
        legacy.update(chain_version=1, prev_hash=prev, hash=chain_hash(prev, row["content"]))
        rows.append(legacy)
        prev = legacy["hash"]
    assert _walk(rows).intact
    rows[2]["spent_delta_kop"] = 1  # not covered by a version 1 hash, still checked
    assert "is not what the entry does" in _walk(rows).problem


def test_a_head_holds_for_its_chain_and_not_for_a_rewritten_one():
    rows = _chain()[:3]  # (the reversal of entry 2 would show a rewrite of it by itself)
    walk = _walk(rows, wanted={3})
    last_hash, totals = walk.seen[3]
    head = ChainHead.of(3, last_hash, totals, signed_at=WHEN, key_id="k")
    assert disagreement(head, walk) is None
    # Rewritten from entry 2 on, every hash recomputed: whole in itself, not the chain that was signed.
    rewritten, prev = copy.deepcopy(rows), rows[0]["hash"]
    rewritten[1]["content"]["amount_kop"] = rewritten[1]["amount_kop"] = rewritten[1]["financed_delta_kop"] = 7
    for row in rewritten[1:]:
        row["prev_hash"] = prev
        row["hash"] = prev = row_hash(row)
    other = _walk(rewritten, wanted={3})
    assert other.intact and "entries before it were changed" in disagreement(head, other)
    assert "the ledger has 3" in disagreement(ChainHead.of(9, last_hash, totals, signed_at=WHEN, key_id="k"), walk)


def test_the_canonical_form_is_what_a_reader_makes_with_the_standard_library():
    """Readers of the open data recompute hashes with plain `json`; the service's faster encoder
    must give the very same bytes, Ukrainian text, escapes and big amounts included."""
    tricky = {"document_ref": "розпорядження № 215 — «ВОЛЗ» \n\t\"q\" \\ / \u2028 \u0001 \x7f 😀", "amount_kop": 10**15,
              "direction": None, "content": {"b": [1, "ї"], "a": -5}, "Ї": True}
    for value in (tricky, *_chain()):
        assert canonical(value) == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
