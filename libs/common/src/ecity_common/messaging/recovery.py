"""How a background loop lives through failures: one behaviour for the consumer, the outbox relay,
the webhook dispatcher and the notifications' senders.

After a failure the loop calls `failed(exc)`: the failure is classified (`ecity_common.failures`),
logged once per outage in words an operator can act on, counted, and the loop then `pause()`s for a
capped exponential back-off. The first success after an outage calls `recovered()`, which says how
long it lasted. While the loop waits for the database or Kafka, `waiting` is true: the service's
readiness says so.
"""

from __future__ import annotations

import asyncio
import logging
import time

from ecity_common.failures import Backoff, Failure, classify
from ecity_common.messaging.metrics import INFRASTRUCTURE_RETRIES, TRANSACTION_CONFLICTS, WAITING_FOR_INFRASTRUCTURE


class Recovery:
    def __init__(self, component: str, log: logging.Logger, *, first_s: float = 0.5, cap_s: float = 30.0) -> None:
        self.component = component
        self._log = log
        self._backoff = Backoff(first_s, cap_s)
        self.waiting_since: float | None = None  # time.monotonic() of the outage's first failure
        self.last_error: str | None = None
        self._retries = INFRASTRUCTURE_RETRIES.labels(component)
        self._conflicts = TRANSACTION_CONFLICTS.labels(component)
        self._gauge = WAITING_FOR_INFRASTRUCTURE.labels(component)

    @property
    def waiting(self) -> bool:
        return self.waiting_since is not None

    def failed(self, exc: BaseException, what: str) -> Failure:
        """Record a failure of `what` (e.g. "a batch of 20 records"); returns whose fault it was."""
        kind = classify(exc)
        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
        if kind is Failure.CONFLICT:
            self._conflicts.inc()
            self._log.info("%s: %s conflicted with another transaction; running it again", self.component, what,
                           extra={"component": self.component, "error": self.last_error})
        elif kind is Failure.INFRASTRUCTURE:
            self._retries.inc()
            if self.waiting_since is None:
                self.waiting_since = time.monotonic()
                self._gauge.set(1)
                # Once per outage: a database restart must not write a traceback a second.
                self._log.warning("%s: the database or Kafka is away (%s); %s will be tried again until it is back",
                                  self.component, self.last_error, what,
                                  extra={"component": self.component, "error": self.last_error})
        else:
            self._log.error("%s: %s failed; trying again", self.component, what, exc_info=exc,
                            extra={"component": self.component})
        return kind

    async def pause(self, stopping: asyncio.Event | None = None) -> None:
        await self._backoff.wait(stopping)

    def recovered(self) -> None:
        if self.waiting_since is not None:
            self._log.warning("%s: the database and Kafka answer again after %.1f s (%d tries)", self.component,
                              time.monotonic() - self.waiting_since, self._backoff.failures,
                              extra={"component": self.component})
            self.waiting_since = None
            self._gauge.set(0)
        self._backoff.reset()

    def readiness(self) -> None:
        """A readiness check: raises while waiting for the infrastructure."""
        if self.waiting_since is not None:
            raise RuntimeError(f"{self.component} waiting {time.monotonic() - self.waiting_since:.0f} s for the "
                               f"database or Kafka: {self.last_error}")
