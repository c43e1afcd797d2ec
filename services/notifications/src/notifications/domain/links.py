"""The links in e-mails: confirm an address, unsubscribe (RFC 8058). Each carries a signed token.

A token names what it is for, whose address it is, the address itself and when it stops working,
and is signed with the service's key (HMAC-SHA256). Nothing is stored: the signature proves the
service made it, the address in it must still be the contact's address (a link to an old address
does nothing to a new one), and the purpose keeps a confirmation link from unsubscribing and the
reverse. The token is base64url of compact JSON, a dot, and 128 bits of the HMAC: short enough
for a List-Unsubscribe header on one line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from notifications.domain.phrases import Phrase

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"


class BadLink(ValueError):
    """A token this service did not sign, for another purpose, damaged or expired."""


@dataclass(frozen=True)
class LinkClaim:
    purpose: str
    citizen_id: str
    channel: str
    address: str
    expires: int  # Unix seconds


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Links:
    def __init__(self, key: str, base_url: str, *, confirm_for: timedelta, unsubscribe_for: timedelta) -> None:
        self._key = key.encode()
        self.base_url = base_url.rstrip("/")
        self.confirm_for, self.unsubscribe_for = confirm_for, unsubscribe_for

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:16])

    def token(self, claim: LinkClaim) -> str:
        body = _b64(json.dumps([claim.purpose, claim.citizen_id, claim.channel, claim.address, claim.expires],
                               separators=(",", ":"), ensure_ascii=False).encode())
        return f"{body}.{self._mac(body)}"

    def read(self, token: str, purpose: str, now: datetime) -> LinkClaim:
        """The claim of a token made by this service for `purpose` that still works, or BadLink."""
        body, dot, mac = token.partition(".")
        if not dot or not hmac.compare_digest(mac, self._mac(body)):
            raise BadLink(Phrase("link-damaged"))
        try:
            claim = LinkClaim(*json.loads(_unb64(body)))
        except (ValueError, TypeError) as exc:  # signed by us, so only a key shared with other formats gets here
            raise BadLink(Phrase("link-damaged")) from exc
        if claim.purpose != purpose:
            raise BadLink(Phrase("link-not-for", purpose=purpose))
        if claim.expires < now.timestamp():
            raise BadLink(Phrase("link-expired"))
        return claim

    def confirmation_url(self, citizen_id: str, address: str, now: datetime) -> str:
        claim = LinkClaim(CONFIRM, citizen_id, "email", address, int((now + self.confirm_for).timestamp()))
        return f"{self.base_url}/api/v1/contacts/confirm?token={quote(self.token(claim))}"

    def unsubscribe_url(self, citizen_id: str, channel: str, address: str, now: datetime) -> str:
        claim = LinkClaim(UNSUBSCRIBE, citizen_id, channel, address, int((now + self.unsubscribe_for).timestamp()))
        return f"{self.base_url}/api/v1/unsubscribe?token={quote(self.token(claim))}"
