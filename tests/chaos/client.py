"""A client as a mobile app or a company's integration would be: a failed or unanswered call is
sent again with the same body and the same `Idempotency-Key`, to the other replica first (a
connection refused or reset, a timeout, a 5xx), then with a capped back-off, until it is answered
or `give_up_s` has passed. Only 127.0.0.1 is ever called."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

RETRY_STATUSES = range(500, 600)
BACKOFF_FIRST_S, BACKOFF_CAP_S = 0.1, 2.0


@dataclass
class CallStats:
    calls: int = 0
    attempts: int = 0
    retried_calls: int = 0  # calls answered only after more than one attempt (or never)
    failovers: int = 0  # attempts sent to another replica than the attempt before
    gave_up: int = 0
    why_retried: Counter = field(default_factory=Counter)  # "connection refused", "503", "timeout" …
    server_errors: list[str] = field(default_factory=list)  # every 5xx other than 503: each is a finding

    def merge_line(self) -> str:
        reasons = ", ".join(f"{why} {n}" for why, n in self.why_retried.most_common())
        return (f"{self.calls} calls, {self.attempts} attempts, {self.retried_calls} needed a retry, "
                f"{self.failovers} failovers, {self.gave_up} gave up; retried for: {reasons or 'nothing'}")


def _why(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused" if "refused" in str(exc).lower() or not str(exc) else "connect error"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection closed"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return "connection reset"
    return type(exc).__name__


class FailoverClient:
    def __init__(self, http: httpx.AsyncClient, urls: list[str], stats: CallStats, *, give_up_s: float,
                 attempt_timeout_s: float = 5.0) -> None:
        for url in urls:
            assert urlsplit(url).hostname == "127.0.0.1", f"only local replicas are called, not {url}"
        self.http = http
        self.urls = urls
        self.stats = stats
        self.give_up_s = give_up_s
        self.attempt_timeout_s = attempt_timeout_s

    async def call(self, method: str, path: str, *, first: int, json=None, headers: dict[str, str] | None = None,
                   ) -> tuple[httpx.Response | None, int]:
        """The first answer that is not a 5xx (or None after `give_up_s`), and how many attempts it
        took. `first`: which replica to try first (callers spread their calls over both)."""
        self.stats.calls += 1
        deadline = time.monotonic() + self.give_up_s
        replica = first % len(self.urls)
        attempt = 0
        while True:
            attempt += 1
            self.stats.attempts += 1
            wait_s = min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2 ** max(0, attempt - 2))
            try:
                response = await self.http.request(method, self.urls[replica] + path, json=json, headers=headers,
                                                   timeout=self.attempt_timeout_s)
            except httpx.TransportError as exc:
                self.stats.why_retried[_why(exc)] += 1
            else:
                if response.status_code not in RETRY_STATUSES:
                    if attempt > 1:
                        self.stats.retried_calls += 1
                    return response, attempt
                self.stats.why_retried[str(response.status_code)] += 1
                if response.status_code != 503:
                    self.stats.server_errors.append(
                        f"{method} {path} on {self.urls[replica]}: {response.status_code} {response.text[:300]}")
                if retry_after := response.headers.get("Retry-After", "").strip():
                    if retry_after.isdigit():
                        wait_s = min(BACKOFF_CAP_S, float(retry_after))
            if time.monotonic() + wait_s > deadline:
                self.stats.retried_calls += 1
                self.stats.gave_up += 1
                return None, attempt
            # The other replica at once the first time (it is likely up); after that, a back-off.
            replica = (replica + 1) % len(self.urls)
            self.stats.failovers += 1
            if attempt > 1:
                await asyncio.sleep(wait_s)
