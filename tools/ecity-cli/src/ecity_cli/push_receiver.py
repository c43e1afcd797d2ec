"""A push service for tests: a real HTTP server on 127.0.0.1 that takes Web Push messages as a
browser vendor's push service would, and proves them rather than trusting them.

- It hands out subscriptions as a browser makes them (`PushReceiver.device()`): a P-256 key pair
  and a 16-byte auth secret of its own, an endpoint on itself, `toJSON()`'s shape.
- It checks the sender's VAPID header (RFC 8292: `vapid t=<JWT>, k=<key>`): the ES256 signature
  against k, `aud` its own origin, `exp` in the future and at most 24 h away, `sub` present, and k
  the application server key the subscription was made for. Otherwise 401 (no or broken
  credentials) or 403 (signed, but not for this push service or this subscription).
- It decrypts the body (RFC 8291 aes128gcm) with the device's private key and auth secret, and
  keeps the JSON payload: a test reads what the device would show, so encryption is proven.
- It answers 410 for a device it is told is gone (`gone(device)`).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ecity_cli.infra import free_port

MAX_JWT_LIFETIME_S = 24 * 3600


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class VapidRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def check_vapid(authorization: str | None, *, origin: str, now: float | None = None,
                application_server_key: str | None = None) -> dict:
    """The claims of a valid `Authorization: vapid t=…, k=…` for a push service at `origin`, or
    VapidRefused with the status a push service answers."""
    now = time.time() if now is None else now
    if not authorization or not authorization.lower().startswith("vapid "):
        raise VapidRefused(401, "no vapid credentials")
    params = {}
    for part in authorization[6:].split(","):
        name, _, value = part.strip().partition("=")
        params[name.strip().lower()] = value.strip()
    token, key = params.get("t"), params.get("k")
    if not token or not key:
        raise VapidRefused(401, "vapid needs t and k")
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(key))
    except (ValueError, TypeError):
        raise VapidRefused(401, "k is not a P-256 public key") from None
    try:
        if jwt.get_unverified_header(token).get("alg") != "ES256":
            raise VapidRefused(401, "the JWT is not ES256")
        # Expiry, audience and subject are checked below, each with its own answer.
        claims = jwt.decode(token, public, algorithms=["ES256"], options={"verify_exp": False, "verify_aud": False})
    except jwt.PyJWTError as exc:
        raise VapidRefused(401, f"the JWT does not verify against k: {exc}") from None
    if application_server_key is not None and key != application_server_key:
        raise VapidRefused(403, "k is not the key this subscription was made for")
    if claims.get("aud") != origin:
        raise VapidRefused(403, f"aud {claims.get('aud')!r} is not this push service ({origin})")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now:
        raise VapidRefused(403, "the JWT has expired or has no exp")
    if exp > now + MAX_JWT_LIFETIME_S:
        raise VapidRefused(403, "exp is more than 24 hours away")
    if not claims.get("sub"):
        raise VapidRefused(403, "no sub: the sender names no contact")
    return claims


@dataclass
class Device:
    """One browser's subscription: its keys stay here, as in a browser."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    application_server_key: str | None
    received: list[dict] = field(default_factory=list)  # decrypted payloads, in order
    headers: list[dict[str, str]] = field(default_factory=list)
    # Answers to give before taking anything (a busy push service: 429 with Retry-After, a 503).
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    @property
    def p256dh(self) -> str:
        return b64(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def subscription(self) -> dict:
        """As `PushSubscription.toJSON()` gives it to a page."""
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": self.p256dh, "auth": b64(self.auth)}}

    def decrypt(self, body: bytes) -> bytes:
        return http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")


@dataclass
class PushReceiver:
    origin: str
    devices: dict[str, Device] = field(default_factory=dict)  # by the endpoint's token
    refused: list[tuple[int, str]] = field(default_factory=list)  # what it turned away, and why
    gone_tokens: set[str] = field(default_factory=set)

    def device(self, application_server_key: str | None = None) -> Device:
        token = secrets.token_urlsafe(16)
        device = Device(f"{self.origin}/push/{token}", ec.generate_private_key(ec.SECP256R1()), secrets.token_bytes(16),
                        application_server_key)
        self.devices[token] = device
        return device

    def answer_next(self, device: Device, status: int, headers: dict[str, str] | None = None) -> None:
        """The device's next push (once its VAPID header is checked) gets this answer instead."""
        device.script.append((status, headers or {}))

    def gone(self, device: Device) -> None:
        """From now on its endpoint answers 410, as after the citizen revoked the permission."""
        self.gone_tokens.add(device.endpoint.rsplit("/", 1)[1])

    @property
    def received(self) -> list[dict]:
        return [payload for device in self.devices.values() for payload in device.received]


@asynccontextmanager
async def push_receiver() -> AsyncIterator[PushReceiver]:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from ecity_cli.testing import serving_locally  # the pytest plugin's module: loaded when a test runs

    port = free_port()
    receiver = PushReceiver(origin=f"http://127.0.0.1:{port}")

    def refuse(status: int, reason: str) -> Response:
        receiver.refused.append((status, reason))
        return Response(reason, status_code=status)

    async def push(request: Request) -> Response:
        token = request.path_params["token"]
        device = receiver.devices.get(token)
        if device is None:
            return refuse(404, "no such subscription")
        try:
            check_vapid(request.headers.get("authorization"), origin=receiver.origin,
                        application_server_key=device.application_server_key)
        except VapidRefused as exc:
            return refuse(exc.status, exc.reason)
        if token in receiver.gone_tokens:
            return refuse(410, "push subscription has unsubscribed or expired")
        if device.script:
            status, headers = device.script.pop(0)
            receiver.refused.append((status, "scripted"))
            return Response(f"scripted {status}", status_code=status, headers=headers)
        if not request.headers.get("ttl", "").isdigit():
            return refuse(400, "TTL is required (RFC 8030)")
        if request.headers.get("content-encoding") != "aes128gcm":
            return refuse(415, "only aes128gcm")
        body = await request.body()
        if len(body) > 4096:
            return refuse(413, "payload too large")
        try:
            payload = json.loads(device.decrypt(body))
        except Exception as exc:  # noqa: BLE001 - whatever breaks, the sender's encryption is wrong
            return refuse(400, f"cannot decrypt: {type(exc).__name__}: {exc}")
        device.received.append(payload)
        device.headers.append(dict(request.headers))
        return Response(status_code=201, headers={"Location": f"{receiver.origin}/message/{secrets.token_urlsafe(8)}"})

    app = Starlette(routes=[Route("/push/{token}", push, methods=["POST"])])
    async with serving_locally(app, port):
        yield receiver
