import pytest

from ecity_cli.testing import serving


@pytest.fixture
async def ledger(services):
    """The budget-ledger app running in this process (seeded), and a client with a finance token."""
    async with serving(services, "budget-ledger", "finance", subject="finance-officer-1") as client:
        yield client
