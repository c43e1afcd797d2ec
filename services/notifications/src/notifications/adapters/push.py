"""Web Push: the payload encrypted for the device (RFC 8291, aes128gcm of RFC 8188, by http_ece),
the sender named by a VAPID JWT (RFC 8292, ES256 by PyJWT), POSTed to the push service with TTL and
Urgency (RFC 8030) by httpx.

The push service answers 201 when it has taken the message: that is "sent" (it delivers to the
device when it comes online, within the TTL). 404/410 say the subscription is gone for good (the
citizen revoked it, the browser dropped it): it is disabled here with the reason and the delivery
fails; 429 and 5xx, or no answer, are tried again (Retry-After honoured when it says seconds)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import http_ece
import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from notifications.adapters import push_subscriptions
from notifications.domain.channels import Outgoing, PermanentFailure, TemporaryFailure
from notifications.domain.push import CHANNEL, b64, payload_of, unb64

log = logging.getLogger(__name__)

JWT_LIFETIME_S = 12 * 3600  # RFC 8292: at most 24 hours; half leaves room for clocks that differ
JWT_RENEW_S = 3600  # a cached JWT is renewed when this close to its expiry


class VapidKey:
    """The service's application server key (EC P-256): it signs every push's JWT, and its public
    half is what a browser subscribes with (`applicationServerKey`)."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key, ec.EllipticCurvePrivateKey) or private_key.curve.name != "secp256r1":
            raise ValueError("a VAPID key is an EC key on P-256")
        self.private_key = private_key
        self.public_key = b64(private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> VapidKey:
        return cls(serialization.load_pem_private_key(Path(path).read_bytes(), password=None))

    @classmethod
    def generated(cls) -> VapidKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    def header(self, audience: str, subject: str, now: float) -> tuple[str, float]:
        """`Authorization: vapid t=…, k=…` for this push service's origin, and when it expires."""
        expires = int(now) + JWT_LIFETIME_S
        token = jwt.encode({"aud": audience, "exp": expires, "sub": subject}, self.private_key, algorithm="ES256",
                           headers={"typ": "JWT"})
        return f"vapid t={token}, k={self.public_key}", expires


def origin_of(endpoint: str) -> str:
    url = urlsplit(endpoint)
    default = {"https": 443, "http": 80}.get(url.scheme)
    port = f":{url.port}" if url.port and url.port != default else ""
    return f"{url.scheme}://{url.hostname}{port}"


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """RFC 8291: a new sender key pair and salt for every message; the body carries the sender's
    public key as its key id, as a push service and the browser expect."""
    sender = ec.generate_private_key(ec.SECP256R1())
    return http_ece.encrypt(payload, salt=os.urandom(16), private_key=sender, dh=unb64(p256dh),
                            auth_secret=unb64(auth), version="aes128gcm")


PREPARED_KEPT = 10_000  # devices read ahead and not yet sent to, across the dispatcher's lanes


class PushChannel:
    name = CHANNEL

    def __init__(self, sessions, vapid: VapidKey, subject: str, *, ttl_s: int = 86_400, urgency: str = "normal",
                 timeout_s: float = 10.0) -> None:
        self.sessions, self.vapid, self.subject = sessions, vapid, subject
        self.ttl_s, self.urgency = ttl_s, urgency
        self.client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)
        self._headers: dict[str, tuple[str, float]] = {}  # origin → (Authorization, expiry)
        self._prepared: dict[str, dict] = {}  # the claimed batch's devices, read at once (prepare)

    async def prepare(self, addresses: list[str]) -> None:
        """The batch's devices in one query: one per push was most of a fan-out's database work.
        Lanes prepare side by side, so what is read joins what is there; a send takes its device
        out. It is only a read-ahead (a send without one reads its own), so when what no send took
        (a message that failed to render) piles up, it is dropped."""
        if len(self._prepared) > PREPARED_KEPT:
            self._prepared = {}
        if addresses:
            async with self.sessions() as session:
                self._prepared.update(await push_subscriptions.load_many(session, addresses))

    def authorization(self, endpoint: str) -> str:
        """One JWT per push service, reused until an hour before it expires: signing each of
        thousands of pushes of one outage would cost more than sending them."""
        origin, now = origin_of(endpoint), time.time()
        cached = self._headers.get(origin)
        if cached is None or cached[1] - now < JWT_RENEW_S:
            cached = self._headers[origin] = self.vapid.header(origin, self.subject, now)
        return cached[0]

    async def send(self, message: Outgoing) -> None:
        # The delivery's address is the subscription's id: its endpoint and keys as they are now.
        device = self._prepared.pop(message.address, None)
        if device is None:
            async with self.sessions() as session:
                device = await push_subscriptions.load(session, message.address)
        if device is None or device["disabled_reason"]:
            raise PermanentFailure("the push subscription was removed or disabled")
        body = await asyncio.to_thread(encrypt, payload_of(message), device["p256dh"], device["auth"])
        headers = {"TTL": str(self.ttl_s), "Urgency": self.urgency, "Content-Encoding": "aes128gcm",
                   "Content-Type": "application/octet-stream", "Authorization": self.authorization(device["endpoint"])}
        try:
            answer = await self.client.post(device["endpoint"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"push service unreachable: {type(exc).__name__}: {exc}") from exc
        status = answer.status_code
        said = f"push service {status} {answer.text[:200]}".strip()
        if 200 <= status < 300:
            return
        if status in (404, 410):
            async with self.sessions() as session, session.begin():
                await push_subscriptions.disable(session, message.address, said, datetime.now(UTC))
            raise PermanentFailure(said)
        if status == 429 or status >= 500:
            raise TemporaryFailure(said, retry_after_s=_seconds(answer.headers.get("retry-after")))
        if status in (401, 403):
            # Our own VAPID signature refused: no fault of the citizen's device, so it is kept; the
            # delivery is tried again (an operator fixing the key sees the reason in last_error).
            raise TemporaryFailure(said)
        raise PermanentFailure(said, address_gone=False)  # 400, 413: this message will never pass; the device stays

    async def close(self) -> None:
        await self.client.aclose()


def _seconds(retry_after: str | None) -> float | None:
    # Only the delta-seconds form: an HTTP date from a push service is rare and the backoff is near.
    if retry_after and retry_after.strip().isdigit():
        return min(float(retry_after.strip()), 3600.0)
    return None
