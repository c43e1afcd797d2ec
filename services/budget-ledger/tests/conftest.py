import pytest

from budget_ledger.main import create_app
from ecity_cli.testing import bearer, running


@pytest.fixture
async def ledger(services):
    """The budget-ledger app running in this process (seeded), and a client with a finance token."""
    settings = services.settings("budget-ledger")
    app = create_app(settings)
    async with running(app) as client:
        client.headers.update(bearer(settings, "finance-officer-1", "finance"))
        client.app, client.settings = app, settings
        yield client
