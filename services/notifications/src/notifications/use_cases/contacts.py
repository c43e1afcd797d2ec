"""A citizen's addresses and their consent: give an address (a confirmation link is mailed to it),
confirm it by that link, unsubscribe by the link in any e-mail (RFC 8058) or remove it, opt out of
a request's news, and read or erase everything the service holds about them. Each runs in the
caller's transaction.

An address is written to only once its owner confirmed it (adapters/deliveries.py
`usable_addresses`); the confirmation mail itself is the one exception, and it says so.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from ecity_common.refusals import Conflict, Invalid, LimitReached, NotFound
from notifications.adapters import consent, deliveries
from notifications.domain.contacts import UNSUBSCRIBED, email_problem, normal_email
from notifications.domain.deliveries import DeliveryKey, delivery_id, message_id
from notifications.domain.links import CONFIRM, UNSUBSCRIBE, BadLink, LinkClaim, Links
from notifications.domain.phrases import Phrase

EMAIL = "email"
CONFIRMATION = "contact_confirmation"  # the deliveries' kind of a confirmation mail


def _contact_view(row) -> dict:
    return {"channel": row.channel, "address": row.address, "confirmed": row.confirmed_at is not None,
            "confirmed_at": row.confirmed_at, "disabled_reason": row.disabled_reason, "disabled_at": row.disabled_at}


async def give_email(session: AsyncSession, citizen_id: str, address: str, *, links: Links, now: datetime,
                     message_id_domain: str, per_hour: int) -> dict:
    """Keep the citizen's e-mail address, unconfirmed, and owe it a mail with the confirmation
    link; an address already confirmed and in use is left as it is."""
    if (problem := email_problem(address)) is not None:
        raise Invalid("address", problem)
    address = normal_email(address)
    current = await consent.contact(session, citizen_id, EMAIL)
    if current is not None and current.address == address and current.confirmed_at and not current.disabled_reason:
        return _contact_view(current)
    if await consent.confirmations_since(session, citizen_id, CONFIRMATION, now - timedelta(hours=1)) >= per_hour:
        raise LimitReached(Phrase("confirmations-per-hour", most=per_hour), retry_after_s=3600)
    await consent.put_unconfirmed(session, citizen_id, EMAIL, address, now)
    # Each request for a link is a message of its own (a second one, for a mail that went astray,
    # is sent too), so its key names this request rather than a Kafka event.
    key = DeliveryKey(f"{CONFIRMATION}#{uuid.uuid4()}", citizen_id, EMAIL)
    await deliveries.owe(session, [{
        "id": delivery_id(key), "event_id": key.event_id, "recipient": citizen_id, "channel": EMAIL,
        "address": address, "kind": CONFIRMATION, "message_id": message_id(key, message_id_domain),
        "context": {"address": address, "link": links.confirmation_url(citizen_id, address, now),
                    "valid_until": now + links.confirm_for},
    }])
    return _contact_view(await consent.contact(session, citizen_id, EMAIL))


def _claim(links: Links, token: str, purpose: str, now: datetime) -> LinkClaim:
    try:
        return links.read(token, purpose, now)
    except BadLink as exc:
        raise Invalid("query.token", exc.args[0]) from exc  # its Phrase


async def confirm(session: AsyncSession, token: str, *, links: Links, now: datetime) -> dict:
    """The citizen clicked the link in the confirmation mail: their address may be written to."""
    claim = _claim(links, token, CONFIRM, now)
    confirmed = await consent.confirm(session, claim.citizen_id, claim.channel, claim.address, now)
    if confirmed is None:
        raise Conflict(Phrase("address-replaced"), field="query.token")
    return _contact_view(confirmed)


async def unsubscribe_preview(token: str, *, links: Links, now: datetime) -> LinkClaim:
    """What a one-click link would unsubscribe, without doing it (a GET: link scanners follow those)."""
    return _claim(links, token, UNSUBSCRIBE, now)


async def unsubscribe(session: AsyncSession, token: str, *, links: Links, now: datetime) -> dict:
    """One-click unsubscribe (RFC 8058): the address is disabled, and nothing pending goes to it."""
    claim = _claim(links, token, UNSUBSCRIBE, now)
    disabled = await consent.disable(session, claim.citizen_id, claim.channel, claim.address, UNSUBSCRIBED, now)
    if disabled is None:  # replaced or removed since: nothing of theirs is written to that address now
        return {"channel": claim.channel, "address": claim.address, "confirmed": False, "confirmed_at": None,
                "disabled_reason": UNSUBSCRIBED, "disabled_at": None}
    return _contact_view(disabled)


async def remove_email(session: AsyncSession, citizen_id: str) -> None:
    if not await consent.remove_contact(session, citizen_id, EMAIL):
        raise NotFound("contact", EMAIL)


async def opt_out(session: AsyncSession, citizen_id: str, request_id: str, *, now: datetime) -> None:
    """Stop hearing of this request's news (a reporter or a follower); `opt_in` undoes it."""
    if not await consent.set_opted_out(session, request_id, citizen_id, now):
        raise NotFound("subscription", request_id)


async def opt_in(session: AsyncSession, citizen_id: str, request_id: str) -> None:
    if not await consent.set_opted_out(session, request_id, citizen_id, None):
        raise NotFound("subscription", request_id)


async def my_data(session: AsyncSession, citizen_id: str) -> dict:
    """Everything the service holds about this citizen, and nothing about anyone else: their
    contacts, what they follow, and every message owed or sent to them."""
    held = await consent.held_about(session, citizen_id)
    for row in held["deliveries"]:
        row["context"].pop("link", None)  # a working confirmation token is not data about them
    return {"citizen_id": citizen_id, **held}


async def erase_my_data(session: AsyncSession, citizen_id: str) -> dict:
    """Delete every row of this citizen (the deliveries with the addresses they went to). What
    citizen-requests holds (their requests) is that service's to erase."""
    return {"citizen_id": citizen_id, "erased": await consent.erase(session, citizen_id)}
