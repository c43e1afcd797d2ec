"""The ledger's HTTP API; the routers in the order their routes are documented (openapi.json)."""

from fastapi import APIRouter

from budget_ledger.entrypoints.http import imports, ledger, programme, proposals, reports

router = APIRouter()
for _part in (ledger.router, programme.public, reports.router, imports.router, programme.router, proposals.router):
    router.include_router(_part)
