"""Every pattern that reads outside input does work linear in its length (issue 15).

A backtracking regex engine is quadratic or worse on a pattern whose neighbouring quantifiers can
take the same characters (`\\s*\\s*`), or that scans on to the end again from every start
(`<[a-z][^>]*>` on '<a<a<a…'): "вул. Соборна, 1" + 300 spaces + "!" took 2.7 s of the event loop
that serves everyone. Each parser here is fed the input families that hurt it or its kind, at 1 kB
and at 10 kB; ten times the input may cost at most thirty times the work (linear is about ten,
quadratic a hundred). The work is this thread's CPU time, the best of several runs: a ratio on one
machine at one moment, not a threshold of seconds, and what else the machine runs meanwhile does
not count (the wall clock's ratios of the same linear parsers ranged from 1 to 40 on a busy machine).

The other patterns in the tree read what the project itself wrote (tests/, bench/ parse the
output of its own tools) or are anchored and bounded (pydantic `pattern=` constraints, matched by
pydantic-core's linear-time engine).
"""

from __future__ import annotations

import time

import pytest

from budget_ledger.adapters.import_files import parse as parse_import
from budget_ledger.domain.codes import CodeError, kekv, kpkvkmb
from citizen_requests.domain.requests import TAG_START, looks_like_html
from ecity_common.areas import normalise_street, parse_address
from ecity_common.personal_data import mask
from utilities_gateway.domain.meters import is_valid_eic, meter_id_problem

LIMIT = 30  # ten times the input, at most this many times the work

# What each parser is fed: a name and the input at n characters (about).
read_address = parse_address.__wrapped__  # the parser itself, not its cache


def _codes(text: str) -> None:
    for check in (kpkvkmb, kekv):
        try:
            check(text)
        except CodeError:
            pass


def _import_file(text: str) -> None:
    header = "year,kpkvkmb,kekv,planned_uah,financed_uah\n"
    parse_import((header + text).encode(), "plain")


CASES = [
    # The address parser: runs of spaces and tabs between the house's parts, many parts, many numbers.
    ("address, spaces after the house", read_address, lambda n: "вул. Соборна, 1" + " " * n + "!"),
    ("address, spaces inside its last part", read_address, lambda n: "вул. Соборна 1" + " " * n + "!"),
    ("address, tabs and spaces", read_address, lambda n: "вул. Соборна, 1" + " \t" * (n // 2) + "а!"),
    ("address, spaces around a slash", read_address, lambda n: "Соборна, 5" + " " * (n // 2) + "/" + " " * (n // 2) + "x"),
    ("address, one number after another", read_address, lambda n: " 1" * (n // 2) + "!"),
    ("address, many parts", read_address, lambda n: ", 1а" * (n // 4)),
    ("address, slashes and dashes", read_address, lambda n: "Соборна 1" + "/1-" * (n // 3) + "!"),
    ("address, a building word", read_address, lambda n: "Соборна, буд. " + "1" * n),
    ("address, city names", read_address, lambda n: "м. Суми, " * (n // 9) + "Соборна, 1"),
    ("address, digits only", read_address, lambda n: "1" * n),
    ("street words", normalise_street, lambda n: "вул. пр-т " * (n // 10)),
    # The HTML checks of a request's description and a category's names.
    ("html, '<a' repeated", looks_like_html, lambda n: "<a" * (n // 2)),
    ("html, spaces after '<'", looks_like_html, lambda n: "<" + " " * n),
    ("html, spaces around '/'", looks_like_html, lambda n: "<" + " " * (n // 2) + "/" + " " * (n // 2)),
    ("html, '< ' repeated", looks_like_html, lambda n: "< " * (n // 2)),
    ("tag start, spaces after '<'", TAG_START.search, lambda n: "<" + " " * n),
    # The personal-data masking of every public text and event (domain/publication.py): near misses of
    # each kind, so that every alternative runs as far as its bounds let it at every position.
    ("mask, digits", mask, lambda n: "1" * n),
    ("mask, phone-like runs", mask, lambda n: "+38 (0" * (n // 6)),
    ("mask, digits and separators", mask, lambda n: "0 -" * (n // 3)),
    ("mask, an e-mail's local part without '@'", mask, lambda n: "a." * (n // 2)),
    ("mask, '@' repeated", mask, lambda n: "a@b" * (n // 3)),
    ("mask, an e-mail without its dot", mask, lambda n: "a@" + "b" * n),
    ("mask, flat words", mask, lambda n: "кв. " * (n // 4)),
    ("mask, flat words and spaces", mask, lambda n: "квартира   №   " * (n // 15)),
    ("mask, capitals and digits", mask, lambda n: "АБ 12345" * (n // 8)),
    ("mask, nine digits and a letter", mask, lambda n: "123456789a" * (n // 10)),
    # Meter ids, budget codes and an import file's amounts and years.
    ("meter id", lambda t: meter_id_problem.__wrapped__("electricity", t), lambda n: "62Z" + "-" * n),
    ("account number", lambda t: meter_id_problem.__wrapped__("water", t), lambda n: "1" * n + "x"),
    ("EIC", is_valid_eic, lambda n: "0" * n),
    ("budget codes", _codes, lambda n: "1" * n),
    ("import file, a long year and amount", _import_file, lambda n: "19" * (n // 4) + ",0217520,3110," + "1" * (n // 2) + ",0\n"),
]


def _repeats(work, text: str) -> int:
    """How many calls of `work(text)` take about 20 ms of CPU: long enough to time."""
    number = 1
    while True:
        started = time.thread_time()
        for _ in range(number):
            work(text)
        if time.thread_time() - started > 0.02:
            return number
        number *= 4


def _ratio(work, small: str, large: str) -> float:
    """The CPU time of `work(large)` over that of `work(small)`, the best of seven runs of each,
    alternating (the caches and the clock speed then treat both sizes alike)."""
    counts = {text: _repeats(work, text) for text in (small, large)}
    best = dict.fromkeys(counts, float("inf"))
    for _ in range(7):
        for text, number in counts.items():
            started = time.thread_time()
            for _ in range(number):
                work(text)
            best[text] = min(best[text], (time.thread_time() - started) / number)
    return best[large] / best[small]


@pytest.mark.parametrize(("work", "make"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_ten_times_the_input_is_at_most_about_ten_times_the_work(work, make):
    small, large = make(1_000), make(10_000)
    assert 9_000 <= len(large) <= 11_000, len(large)
    ratio = _ratio(work, small, large)
    assert ratio < LIMIT, f"{ratio:.0f} times the time for 10 times the input"


def test_the_address_that_took_seconds_is_read_as_before():
    """The crafted addresses of the issue, at the 500 characters an address may have: what they
    meant before, without the seconds (2.7 s at 300 spaces, cubic)."""
    assert parse_address("вул. Соборна, 1" + " " * 480 + "!") == ("соборна 1 !", None)
    assert parse_address("вул. Соборна, 1" + " " * 480) == ("соборна", 1)
    assert parse_address("вул. Соборна 1" + " " * 480 + "а") == ("соборна", 1)
    assert parse_address("вул. Соборна,\t12 \t -\t а ") == ("соборна", 12)
