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
    # For a device's notification (Web Push): the message in a few words, where to read more, and a
    # tag naming what it is about (a newer message with the same tag replaces the older one).
    summary: str = ""
    link: str | None = None
    tag: str | None = None
    # Whose address it is (a citizen id): the e-mail's one-click unsubscribe link is signed for them.
    recipient: str | None = None


class TemporaryFailure(Exception):
    """Try again later (SMTP 4xx, the server away; a push service's 429 or 5xx)."""

    def __init__(self, detail: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s  # the other side said when (Retry-After); else backoff


class PermanentFailure(Exception):
    """This message will never pass. When the address itself is gone (SMTP 5xx to the recipient, a
    push subscription's 404/410) the contact is disabled with this reason; when only the message
    was refused (SMTP 5xx to its content, a push service's 400/413) the address stays."""

    def __init__(self, detail: str, *, address_gone: bool = True) -> None:
        super().__init__(detail)
        self.address_gone = address_gone


class Channel(Protocol):
    name: str

    async def prepare(self, addresses: list[str]) -> None:
        """Before a batch is sent: read at once what each send would read on its own (push devices)."""

    async def send(self, message: Outgoing) -> None:
        """Deliver or raise TemporaryFailure / PermanentFailure."""
