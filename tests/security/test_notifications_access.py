"""Who may call what in notifications: a citizen manages their own addresses, devices, places,
alerts, subscriptions and data (`/me/…`, by their token's subject: nobody names another citizen);
the links in e-mails are open to anyone, because the signed token in them is the credential (a
citizen's browser or mail client follows them with no sign-in; services/notifications/tests/test_consent.py
shows a forged, expired or misused token refused); the VAPID key and what is known at a place are
public; an institution's address is the IT department's."""

from __future__ import annotations

import pytest
import pytest_asyncio

from ecity_cli.testing import serving

from .doors import ANYONE, EVERY_SERVICE, report, roles, routes_of, token_callers, undecided, walk

CITIZEN = roles("citizen")

DOORS = {
    **EVERY_SERVICE,
    # A citizen's own places and alerts (which ones: only their own, another's is a 404; tested in
    # services/notifications/tests: test_places.py, test_push.py).
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
    # A citizen's devices for Web Push, and the key their browser subscribes with.
    "GET /api/v1/push/vapid-public-key": ANYONE,
    "POST /api/v1/me/push-subscriptions": CITIZEN,
    "GET /api/v1/me/push-subscriptions": CITIZEN,
    "DELETE /api/v1/me/push-subscriptions/{subscription_id}": CITIZEN,
    # Contacts with consent, opt-out, the citizen's data; the links in e-mails.
    "PUT /api/v1/me/contacts/email": CITIZEN,
    "DELETE /api/v1/me/contacts/email": CITIZEN,
    "POST /api/v1/me/subscriptions/{request_id}/opt-out": CITIZEN,
    "POST /api/v1/me/subscriptions/{request_id}/opt-in": CITIZEN,
    "GET /api/v1/me/data": CITIZEN,
    "DELETE /api/v1/me/data": CITIZEN,
    "GET /api/v1/contacts/confirm": ANYONE,
    "GET /api/v1/unsubscribe": ANYONE,
    "POST /api/v1/unsubscribe": ANYONE,
}

PLACEHOLDERS = {"request_id": "req-sec"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def notifications(module_services):
    async with serving(module_services, "notifications") as client:
        yield client


pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_every_route_has_a_decision(notifications):
    assert routes_of(notifications.app), "no routes found: the enumeration is broken"
    assert not (wrong := undecided(notifications.app, DOORS, __name__)), report(wrong, "routes without a decision")


async def test_the_matrix(notifications):
    wrong = await walk(notifications, DOORS, token_callers(notifications.settings), PLACEHOLDERS)
    assert not wrong, report(wrong, "cells of the matrix disagree with DOORS")
