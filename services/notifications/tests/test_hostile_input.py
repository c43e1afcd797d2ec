"""Hostile input is refused, never a 500 (issue 15): each case here once broke a route. Each answer
is a 422 problem naming the field."""

from __future__ import annotations

import pytest

from ecity_cli.testing import bearer, serving


@pytest.fixture
async def notifications(services, mailbox):
    async with serving(services, "notifications", smtp_port=mailbox.port) as client:
        yield client


def refused(answer, field: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]], answer.text


async def test_an_institutions_address_refuses_control_characters(notifications):
    """The API fuzzer's input (sent as JSON, the first character a surrogate pair): a NUL in the
    address went past its pattern to the database (500)."""
    staff = bearer(notifications.settings, "it-dept", "network-admin")
    for address in ("\U000cbee0\x00@7ev.JQCrIUlw", "school5\x00@osvita.sumy.ua", "school5\x1b@osvita.sumy.ua",
                    "school5\x7f@osvita.sumy.ua"):
        refused(await notifications.put("/api/v1/institutions/41/email", json={"email": address}, headers=staff), "email")
    kept = await notifications.put("/api/v1/institutions/41/email", json={"email": "school5@osvita.sumy.ua"}, headers=staff)
    assert kept.status_code == 200, kept.text
    assert kept.json()["email"] == "school5@osvita.sumy.ua"
