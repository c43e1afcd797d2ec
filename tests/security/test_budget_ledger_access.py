"""Who may call what in budget-ledger: the finance department writes and reads the ledger itself,
signs its head and decides on proposed expenditures; the programme, its execution reports, the
open data (the entries, the signed heads and their keys with it) and the ledger's verification
are published to anyone.

The ledger has no owners of objects (every entry is the department's), so there is no
object-level check here beyond the role."""

from __future__ import annotations

import pytest
import pytest_asyncio

from ecity_cli.testing import serving

from .doors import ANYONE, EVERY_SERVICE, report, roles, routes_of, token_callers, undecided, walk

FINANCE = roles("finance")

DOORS = {
    **EVERY_SERVICE,
    "POST /api/v1/entries": FINANCE,
    "GET /api/v1/entries/{entry_id}": FINANCE,
    "POST /api/v1/ledger/heads": FINANCE,
    "GET /api/v1/expenditure-proposals": FINANCE,
    "GET /api/v1/expenditure-proposals/{proposal_id}": FINANCE,
    "POST /api/v1/expenditure-proposals/{proposal_id}/approve": FINANCE,
    "POST /api/v1/expenditure-proposals/{proposal_id}/reject": FINANCE,
    "PUT /api/v1/budget-holders/{holder_code}/auto-approval-limit": FINANCE,
    "GET /api/v1/budget-holders/{holder_code}/auto-approval-limit": FINANCE,
    # Anyone re-checks the ledger, against its own signed heads or one they kept.
    "GET /api/v1/ledger/verify": ANYONE,
    "POST /api/v1/ledger/verify": ANYONE,
    "POST /api/v1/years/{year}/close": FINANCE,
    "POST /api/v1/imports": FINANCE,
    "POST /api/v1/budget-holders": FINANCE,
    "POST /api/v1/measures": FINANCE,
    # What the city publishes: the programme and how much of it is financed.
    "GET /api/v1/programme": ANYONE,
    "GET /api/v1/reports/execution": ANYONE,
    "GET /api/v1/reports/execution/chart.{fmt}": ANYONE,
    "GET /api/v1/open-data/datapackage.json": ANYONE,
    "GET /api/v1/open-data/execution.csv": ANYONE,
    "GET /api/v1/open-data/fiscal-data-package.zip": ANYONE,
    "GET /api/v1/open-data/ledger/entries.jsonl": ANYONE,
    "GET /api/v1/open-data/ledger/heads.json": ANYONE,
    "GET /api/v1/open-data/ledger/public-keys.json": ANYONE,
}

# A year nobody closes, so the finance officer's call passes the door and changes nothing that
# matters; a proposal and a holder that do not exist (404 past the door).
PLACEHOLDERS = {"fmt": "svg", "year": "2099", "proposal_id": "network-asset-none-commissioned", "holder_code": "99"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ledger(module_services):
    async with serving(module_services, "budget-ledger") as client:
        yield client


pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_every_route_has_a_decision(ledger):
    assert routes_of(ledger.app), "no routes found: the enumeration is broken"
    assert not (wrong := undecided(ledger.app, DOORS, __name__)), report(wrong, "routes without a decision")


async def test_the_matrix(ledger):
    wrong = await walk(ledger, DOORS, token_callers(ledger.settings), PLACEHOLDERS)
    assert not wrong, report(wrong, "cells of the matrix disagree with DOORS")
