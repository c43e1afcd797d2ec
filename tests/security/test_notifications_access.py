"""Who may call what in notifications. Today it has only what every service serves (its health,
metrics and documentation); the routes of issue 17 come with their decisions here: a citizen's own
addresses, push subscriptions and "everything you hold about me" behind `citizen` (object-level: only
their own), the VAPID public key to anyone, and the links of its e-mails (an address's confirmation,
the one-click unsubscribe) to anyone holding a link the service signed: the signature is their door,
checked past this one, in the service's own tests."""

from __future__ import annotations

import pytest
import pytest_asyncio

from ecity_cli.testing import serving

from .doors import ANYONE, EVERY_SERVICE, report, roles, routes_of, token_callers, undecided, walk

CITIZEN = roles("citizen")

DOORS = {
    **EVERY_SERVICE,
    # A citizen's own places and alerts (object-level below: only their own).
    "POST /api/v1/me/places": CITIZEN,
    "GET /api/v1/me/places": CITIZEN,
    "DELETE /api/v1/me/places/{place_id}": CITIZEN,
    "POST /api/v1/me/alerts": CITIZEN,
    "GET /api/v1/me/alerts": CITIZEN,
    "DELETE /api/v1/me/alerts/{alert_id}": CITIZEN,
    # An institution's official address: the IT department, who knows the sites and their owners.
    "PUT /api/v1/institutions/{holder_code}/email": roles("network-admin"),
    # What is known at a place: outages and anonymised requests, nothing personal.
    "GET /api/v1/public/at": ANYONE,
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def notifications(module_services):
    async with serving(module_services, "notifications") as client:
        yield client


pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_every_route_has_a_decision(notifications):
    assert routes_of(notifications.app), "no routes found: the enumeration is broken"
    assert not (wrong := undecided(notifications.app, DOORS, __name__)), report(wrong, "routes without a decision")


async def test_the_matrix(notifications):
    wrong = await walk(notifications, DOORS, token_callers(notifications.settings))
    assert not wrong, report(wrong, "cells of the matrix disagree with DOORS")
