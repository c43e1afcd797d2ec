"""A channel carries a rendered message to one address. E-mail now; Web Push and an SMS gateway
later behind the same interface, so the dispatcher never knows which it drives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    address: str
    message_id: str
    subject: str
    text: str
    html: str
    # Whose address it is (a citizen id): the e-mail's one-click unsubscribe link is signed for them.
    recipient: str | None = None


class TemporaryFailure(Exception):
    """Try again later (SMTP 4xx, the server away)."""


class PermanentFailure(Exception):
    """This address will never take it (SMTP 5xx): the contact is disabled with this reason."""


class Channel(Protocol):
    name: str

    async def send(self, message: Outgoing) -> None:
        """Deliver or raise TemporaryFailure / PermanentFailure."""
