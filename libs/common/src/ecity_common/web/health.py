"""`/health/live` (the process answers) and `/health/ready` (its database and Kafka answer, its
background work is not stuck waiting for them, and it is not draining before a shutdown). Each
answers which check fails, never why: the why is in the service's log."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from prometheus_client import Gauge
from pydantic import BaseModel

from ecity_common.web.openapi import own_errors

Check = Callable[[], Awaitable[None]]
log = logging.getLogger("ecity.health")

# Set by every readiness probe (Kubernetes asks every few seconds), per check: what
# EcityReadinessFailing reads. Prometheus scrapes a pod that is not ready too (its address stays in
# the Endpoints, as not ready), so a replica out of the load balancer is still seen, and why.
READY = Gauge("ecity_readiness_check",
              "1 when the readiness check passed at the last probe, 0 when it failed, per check "
              "(database, kafka, background: the service's log says why).", ("check",))


class _Reasons:
    """Why a check fails goes to the log, not the answer (an exception's text can name hosts, users,
    statements): when it starts failing, again every minute while it fails (with the reason of the
    moment), and when it is ok again; not at every probe."""

    REMIND_S = 60.0

    def __init__(self) -> None:
        self._failing_since_log: dict[str, float] = {}

    def note(self, check: str, reason: str | None) -> None:
        said = self._failing_since_log.get(check)
        if reason is None:
            if said is not None:
                log.info("health check %s is ok again", check)
                del self._failing_since_log[check]
        elif said is None or time.monotonic() - said >= self.REMIND_S:
            log.warning("health check %s fails: %s", check, reason)
            self._failing_since_log[check] = time.monotonic()


class Liveness(BaseModel):
    status: Literal["ok", "dead"]
    check: str | None = None  # the one that failed


class Readiness(BaseModel):
    status: Literal["ok", "unavailable", "draining"]
    checks: dict[str, Literal["ok", "unavailable"]]


# The probes answer their own JSON in a 503, not a problem: what an orchestrator and a person read.
ALIVE_ANSWER = {200: {"model": Liveness}}
READY_ANSWER = {200: {"model": Readiness}}
NOT_LIVE = {503: {"description": "a background loop died", "content": {"application/json": {"schema": Liveness.model_json_schema()}}}}
NOT_READY = {503: {"description": "a check fails, or it drains before stopping",
                   "content": {"application/json": {"schema": Readiness.model_json_schema()}}}}


def health_router(checks: dict[str, Check], timeout_s: float = 2.0,
                  live_checks: dict[str, Callable[[], None]] | None = None) -> APIRouter:
    router = APIRouter(tags=["health"])
    reasons = _Reasons()

    @router.get("/health/live", summary="The process is alive", responses=ALIVE_ANSWER)
    @own_errors(NOT_LIVE)
    async def live() -> JSONResponse:
        # Only what a restart cures (a background loop that died); never the database or Kafka,
        # whose outage a restart of every replica would only make worse.
        for name, check in (live_checks or {}).items():
            try:
                check()
            except Exception as exc:  # noqa: BLE001 - the reason goes to the log
                reasons.note(f"live:{name}", f"{type(exc).__name__}: {exc}")
                return JSONResponse({"status": "dead", "check": name}, status_code=503)
        return JSONResponse({"status": "ok"})

    @router.get("/health/ready", summary="Database and Kafka are reachable", responses=READY_ANSWER)
    @own_errors(NOT_READY)
    async def ready(request: Request) -> JSONResponse:
        if getattr(request.app.state, "draining", False):
            # First thing on SIGTERM (ecity_common.server): out of the load balancer, still serving.
            return JSONResponse({"status": "draining", "checks": {}}, status_code=503)

        async def run(name: str, check: Check) -> str:
            try:
                await asyncio.wait_for(check(), timeout_s)
            except Exception as exc:  # noqa: BLE001 - the reason goes to the log
                reasons.note(name, f"{type(exc).__name__}: {exc}"[:500])
                READY.labels(name).set(0)
                return "unavailable"
            reasons.note(name, None)
            READY.labels(name).set(1)
            return "ok"

        results = dict(zip(checks, await asyncio.gather(*(run(n, c) for n, c in checks.items())), strict=True))
        ok = all(v == "ok" for v in results.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": results}, status_code=200 if ok else 503)

    return router
