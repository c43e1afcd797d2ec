"""Composition root of budget-ledger: `python -m ecity_common.server budget_ledger.main:create_app`."""

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

from budget_ledger.adapters import chain_gauges
from budget_ledger.adapters.signing import SigningKey, TrustedKeys
from budget_ledger.adapters.tables import messaging
from budget_ledger.entrypoints.events import make_handlers
from budget_ledger.entrypoints.http import router
from budget_ledger.settings import Settings
from budget_ledger.use_cases.demo_programme import seed_demo
from budget_ledger.use_cases.verification import connected_as_owner, sign_head_if_due
from ecity_common.messaging.outbox import Outbox
from ecity_common.refusals import Refused
from ecity_common.runtime import ServiceDefinition, create_service_app
from ecity_common.settings import UnsafeSettings

# Inside the package, so an installed (non-editable) image carries its migrations too.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)


async def _least_privilege(app) -> None:
    """The service's role must not be able to change the ledger's tables. Deployed, it refuses to
    start as their owner (a secret mixed up); locally it says so (a benchmark may, on purpose)."""
    async with app.state.sessions() as session:
        owner = await connected_as_owner(session)
    if not owner:
        return
    problem = (f"{app.state.settings.variable('database_url')} connects as the owner of the ledger's tables (or a "
               f"superuser), who can drop its append-only triggers: connect as the restricted "
               f"{app.state.settings.variable('database_app_role')} ({app.state.settings.database_app_role})")
    if app.state.settings.mode == "local":
        log.warning("%s", problem)
        return
    log.critical("refusing to start: %s", problem)
    raise UnsafeSettings([problem])


async def _seed(app) -> None:
    if app.state.settings.seed_demo_data:
        async with app.state.sessions() as session, session.begin():
            await seed_demo(session, app.state.outbox)


async def _sign_heads_daily(app) -> None:
    """Signs the chain's head when the last one is a day old (anchor_interval_s); every replica
    looks, one signs (use_cases/verification.py)."""
    settings, key = app.state.settings, app.state.anchor_key
    if key is None:
        log.warning("no %s: the chain's heads are not signed", settings.variable("anchor_signing_key_file"))
        return
    while True:
        try:
            async with app.state.sessions() as session, session.begin():
                signed = await sign_head_if_due(session, key, app.state.trusted_keys, datetime.now(UTC),
                                                settings.anchor_interval_s)
            if signed is not None:
                log.info("signed the chain's head", extra={"entries": signed.head.entries, "hash": signed.head.last_hash})
        except asyncio.CancelledError:
            raise
        except Refused as exc:  # the chain no longer leads on from the last head: someone must look
            log.critical("the chain's head is not signed: %s", exc.detail)
        except Exception:
            log.error("could not sign the chain's head; trying again later", exc_info=True)
        await asyncio.sleep(settings.anchor_check_s)


async def _count_chain(app) -> None:
    """ecity_ledger_chain_entries and ecity_ledger_signed_entries for the dashboard (adapters/chain_gauges.py)."""
    await chain_gauges.keep_counting(app.state.engine)


def create_app(settings: Settings | None = None):
    settings = settings or Settings()
    app = create_service_app(
        ServiceDefinition(
            settings=settings,
            title="Sumy e-City: budget ledger",
            description="The programme's append-only budget ledger and its execution reports: planned against "
            "financed, per year, budget holder and measure; the ledger's signed heads, and expenditures the "
            "network registry proposes for finance to approve.",
            tables=messaging,
            migrations_dir=MIGRATIONS_DIR,
            routers=[router],
            handlers=make_handlers(Outbox(messaging.outbox, settings)),
            on_startup=[_least_privilege, _seed],
            workers=[_sign_heads_daily, _count_chain],
        )
    )
    # A deployed service without the key does not start (Settings.unsafe); locally it may run unsigned.
    key_file = settings.anchor_signing_key_file
    app.state.anchor_key = SigningKey.load(key_file) if key_file and Path(key_file).is_file() else None
    app.state.trusted_keys = TrustedKeys.of(app.state.anchor_key, settings.anchor_retired_public_key_files)
    app.state.verifying = asyncio.Lock()
    return app
