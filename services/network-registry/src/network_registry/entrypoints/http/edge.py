"""What every route of the registry shares: the roles, who writes and under which request id,
page links, and the cached graph."""

from __future__ import annotations

import uuid

from fastapi import Request

from ecity_common.auth import Principal, require_role
from network_registry.use_cases.analysis import TopologyCache
from network_registry.use_cases.inventory import Context

READ = require_role("network-read", "network-admin")
WRITE = require_role("network-admin")
MAX_LIMIT = 1000


def request_id(request: Request) -> str:
    """The caller's X-Request-ID, or one for this call: a bulk call's writes share it in the change log."""
    return request.headers.get("x-request-id") or str(uuid.uuid4())


def context(request: Request, who: Principal, message: str | None = None) -> Context:
    return Context(actor=who.subject, request_id=request_id(request), outbox=request.app.state.outbox, message=message)


def page_url(request: Request, offset: int | None) -> str | None:
    return None if offset is None else str(request.url.include_query_params(offset=offset))


def page(request: Request, count: int, results: list, limit: int, offset: int) -> dict:
    return {"count": count, "next": page_url(request, offset + limit if offset + limit < count else None),
            "previous": page_url(request, max(0, offset - limit) if offset else None), "results": results}


def topology_cache(request: Request) -> TopologyCache:
    """One per process, shared by its requests."""
    state = request.app.state
    if not hasattr(state, "topology_cache"):
        state.topology_cache = TopologyCache()
    return state.topology_cache
