"""Web Push as the city speaks it: what a browser's subscription must look like to be kept, and
the small JSON a citizen's device shows (RFC 8030 delivers it, RFC 8291 encrypts it, RFC 8292
signs who sent it; `adapters/push.py` does those).

A subscription is made by the citizen's own browser for this service's key, so it is an address
confirmed by construction: nothing is sent to it to prove it, unlike an e-mail address."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from ecity_common.refusals import Invalid
from notifications.domain.channels import Outgoing
from notifications.domain.phrases import Phrase

CHANNEL = "push"
ENDPOINT_MAX = 2048
# A citizen's phones, tablets and browsers; more is a script, not a person.
DEVICES_PER_CITIZEN = 20
# RFC 8291: the encrypted record must fit a push service's 4096 bytes; 86 of them are the header,
# 16 the tag, 1 the delimiter. The note, the only long part, is cut to leave room to spare.
PAYLOAD_MAX = 3900
BODY_MAX = 1000


def unb64(text: str) -> bytes:
    """base64url as browsers write it (no padding), or with padding; nothing else."""
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=" for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text.rstrip("=")) % 4))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class PushAddress:
    endpoint: str
    p256dh: str  # the browser's P-256 public key, base64url of the 65-byte uncompressed point
    auth: str  # its 16-byte authentication secret, base64url


def push_address(endpoint: str, p256dh: str, auth: str, *, local: bool) -> PushAddress:
    """A browser's PushSubscription, checked: an https endpoint (http only on a developer's
    machine, where the test push service listens), a real point of P-256, a 16-byte secret.
    Field names as PushSubscription.toJSON() writes them."""
    url = urlsplit(endpoint)
    if len(endpoint) > ENDPOINT_MAX:
        raise Invalid("endpoint", Phrase("endpoint-at-most", most=ENDPOINT_MAX))
    if url.scheme not in (("https", "http") if local else ("https",)) or not url.hostname:
        raise Invalid("endpoint", Phrase("endpoint-https"))
    if url.username or url.password or url.fragment:
        raise Invalid("endpoint", Phrase("endpoint-no-credentials"))
    if not local and _internal(url.hostname):
        # The service POSTs to whatever it is given: never to itself or the cluster's inside.
        raise Invalid("endpoint", Phrase("endpoint-on-internet"))
    try:
        point = unb64(p256dh)
    except (ValueError, binascii.Error):
        raise Invalid("keys.p256dh", Phrase("not-base64url")) from None
    if len(point) != 65 or point[0] != 4:
        raise Invalid("keys.p256dh", Phrase("p256dh-uncompressed"))
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise Invalid("keys.p256dh", Phrase("p256dh-not-on-curve")) from None
    try:
        secret = unb64(auth)
    except (ValueError, binascii.Error):
        raise Invalid("keys.auth", Phrase("not-base64url")) from None
    if len(secret) != 16:
        raise Invalid("keys.auth", Phrase("auth-16-bytes"))
    return PushAddress(endpoint, b64(point), b64(secret))


def _internal(host: str) -> bool:
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".svc", ".cluster.local")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not ip.is_global


def payload_of(message: Outgoing) -> bytes:
    """What the device shows: the subject as its title, the message in a few words, where to read
    more and a tag (a newer message about the same request replaces the older one on the device)."""
    body = message.summary or message.text
    if len(body) > BODY_MAX:
        body = body[:BODY_MAX - 1] + "…"
    payload = {"title": message.subject, "body": body, "url": message.link, "tag": message.tag}
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    if len(raw) > PAYLOAD_MAX:  # a long subject or link: the body gives way
        payload["body"] = body[: max(0, len(body) - (len(raw) - PAYLOAD_MAX) // 2 - 1)] + "…"
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return raw
