"""`/health/live` (the process answers) and `/health/ready` (its database and Kafka answer, its
background work is not stuck waiting for them, and it is not draining before a shutdown)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[None]]


def health_router(checks: dict[str, Check], timeout_s: float = 2.0,
                  live_checks: dict[str, Callable[[], None]] | None = None) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live", summary="The process is alive", responses={503: {}})
    async def live() -> JSONResponse:
        # Only what a restart cures (a background loop that died); never the database or Kafka,
        # whose outage a restart of every replica would only make worse.
        for name, check in (live_checks or {}).items():
            try:
                check()
            except Exception as exc:  # noqa: BLE001 - the reason is the answer
                return JSONResponse({"status": "dead", "check": name, "reason": str(exc)[:300]}, status_code=503)
        return JSONResponse({"status": "ok"})

    @router.get("/health/ready", summary="Database and Kafka are reachable", responses={503: {}})
    async def ready(request: Request) -> JSONResponse:
        if getattr(request.app.state, "draining", False):
            # First thing on SIGTERM (ecity_common.server): out of the load balancer, still serving.
            return JSONResponse({"status": "draining", "checks": {}}, status_code=503)

        async def run(check: Check) -> str:
            try:
                await asyncio.wait_for(check(), timeout_s)
                return "ok"
            except Exception as exc:  # noqa: BLE001 - the reason is the answer
                return f"unavailable: {type(exc).__name__}: {exc}"[:300]

        results = dict(zip(checks, await asyncio.gather(*(run(c) for c in checks.values())), strict=True))
        ok = all(v == "ok" for v in results.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": results}, status_code=200 if ok else 503)

    return router
