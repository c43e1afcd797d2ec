"""The audit log of the integration API: every call, who made it (company and key id, never the
key), what (method, path, Idempotency-Key), when, and the result (status, duration, a summary).

A pure ASGI middleware, so it sees every answer (401s and 500s included) and writes after the
answer is complete, in a transaction of its own: an audit write can neither change nor delay the
company's result, and a failed one is logged, not raised.
"""

from __future__ import annotations

import logging
import time

from utilities_gateway.adapters.audit_log import write_entry

log = logging.getLogger(__name__)
AUDITED_PREFIX = "/integrations/"


class AuditTrail:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(AUDITED_PREFIX):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # what the routes put in request.state
        started, status = time.perf_counter(), 500

        async def watch(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            headers = {k.decode().lower(): v.decode(errors="replace") for k, v in scope.get("headers", [])}
            row = {
                "company_id": state.get("audit_company"), "actor": state.get("audit_actor") or "unauthenticated",
                "method": scope["method"], "path": scope["path"][:500], "status": status,
                "idempotency_key": (headers.get("idempotency-key") or "")[:255] or None,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2), "summary": state.get("audit_summary"),
            }
            try:
                await write_entry(scope["app"].state.sessions, row)
            except Exception:
                log.exception("could not write the audit log entry", extra={"audit": row})
