"""Standard Webhooks (standardwebhooks.com): secrets, signatures, the retry schedule. No I/O.

A message is signed as `v1,<base64 HMAC-SHA256(secret, "{webhook-id}.{webhook-timestamp}.{body}")>`;
while a secret rotates, both the new and the previous one sign, space-separated, so a receiver that
still knows only the old secret keeps verifying. `webhook-id` stays the same on every retry (the
receiver's idempotency key); the timestamp is the attempt's own, so a retry is never "too old".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

SECRET_PREFIX = "whsec_"

# Seconds to wait before each attempt: at once, then over about three days (the spec's suggestion).
RETRY_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
JITTER = 0.2  # ± 20 % of a delay, so that endpoints coming back are not hit by every retry at once
MAX_RETRY_AFTER_S = 86400.0


def new_secret() -> str:
    """24 random bytes, base64, with the `whsec_` prefix the spec and its libraries expect."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(signing_secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(_key(s), signed, hashlib.sha256).digest()).decode() for s in signing_secrets)


def headers(signing_secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(signing_secrets, msg_id, timestamp, body),
        "user-agent": "Sumy-eCity-Webhooks/1",
    }


@dataclass(frozen=True)
class Outcome:
    """What one attempt's result means for the delivery."""

    succeeded: bool
    disable_endpoint: bool = False
    retry_after_s: float | None = None


def judge(status: int | None, retry_after: str | None) -> Outcome:
    """2xx delivers; 410 Gone disables the endpoint (the receiver says it is no more); a 429 or
    503 with Retry-After sets a floor under the next wait; anything else is retried."""
    if status is not None and 200 <= status < 300:
        return Outcome(True)
    if status == 410:  # Gone: the receiver says this endpoint is no more
        return Outcome(False, disable_endpoint=True)
    wait = None
    if status in (429, 503) and retry_after:
        wait = parse_retry_after(retry_after)
    return Outcome(False, retry_after_s=wait)


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), capped at a day."""
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - (now or datetime.now(when.tzinfo))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def next_delay(attempts_made: int, schedule: tuple[float, ...], retry_after_s: float | None = None,
               rng: random.Random | None = None) -> float | None:
    """Seconds until the next attempt after `attempts_made` failed ones; None: give up.
    A Retry-After the receiver sent is a floor: we never come back sooner than it asked."""
    if attempts_made >= len(schedule):
        return None
    base = schedule[attempts_made]
    jittered = base * (1 + (rng or random).uniform(-JITTER, JITTER)) if base else 0.0
    return max(jittered, retry_after_s or 0.0)


@dataclass(frozen=True)
class Settlement:
    """Where a delivery stands after an attempt: `pending` again after `delay_s`, or finished
    (`succeeded` / `failed`); `disable_endpoint` when the receiver answered 410 Gone."""

    status: str
    delay_s: float | None = None
    disable_endpoint: bool = False


def settle(status_code: int | None, retry_after: str | None, attempts_made: int, schedule: tuple[float, ...],
           rng: random.Random | None = None) -> Settlement:
    """The delivery's next state after its `attempts_made`-th attempt answered `status_code`."""
    outcome = judge(status_code, retry_after)
    if outcome.succeeded:
        return Settlement("succeeded")
    if outcome.disable_endpoint:
        return Settlement("failed", disable_endpoint=True)
    delay = next_delay(attempts_made, schedule, outcome.retry_after_s, rng)
    return Settlement("failed") if delay is None else Settlement("pending", delay_s=delay)
