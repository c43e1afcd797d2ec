"""Composition root of budget-ledger: `python -m ecity_common.server budget_ledger.main:create_app`."""

from pathlib import Path

from budget_ledger.adapters.tables import messaging
from budget_ledger.entrypoints.events import make_handlers
from budget_ledger.entrypoints.http import router
from budget_ledger.settings import Settings
from budget_ledger.use_cases.demo_programme import seed_demo
from ecity_common.messaging.outbox import Outbox
from ecity_common.runtime import ServiceDefinition, create_service_app

# Inside the package, so an installed (non-editable) image carries its migrations too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


async def _seed(app) -> None:
    if app.state.settings.seed_demo_data:
        async with app.state.sessions() as session, session.begin():
            await seed_demo(session, app.state.outbox)


def create_app(settings: Settings | None = None):
    settings = settings or Settings()
    return create_service_app(
        ServiceDefinition(
            settings=settings,
            title="Sumy e-City: budget ledger",
            description="The programme's append-only budget ledger and its execution reports: planned against "
            "financed, per year, budget holder and measure.",
            tables=messaging,
            migrations_dir=MIGRATIONS_DIR,
            routers=[router],
            handlers=make_handlers(Outbox(messaging.outbox, settings)),
            on_startup=[_seed],
        )
    )
