"""What every route of the registry shares: the roles, who writes and under which request id,
page links, and the cached graph."""

from __future__ import annotations

import uuid

from fastapi import Request

from ecity_common.auth import Principal, require_role
from ecity_common.inputs import MAX_OFFSET, Identifier, checked
from network_registry.use_cases.analysis import TopologyCache
from network_registry.use_cases.inventory import Context

READ = require_role("network-read", "network-admin")
WRITE = require_role("network-admin")
MAX_LIMIT = 1000


def request_id(request: Request) -> str:
    """The caller's X-Request-ID, or one for this call: a bulk call's writes share it in the change log
    (so it is an identifier: one line, at most 200 characters)."""
    given = request.headers.get("x-request-id")
    return checked("header.X-Request-ID", given, Identifier) if given else str(uuid.uuid4())


def context(request: Request, who: Principal, message: str | None = None) -> Context:
    return Context(actor=who.subject, request_id=request_id(request), outbox=request.app.state.outbox, message=message)


def page_url(request: Request, offset: int | None) -> str | None:
    return None if offset is None else str(request.url.include_query_params(offset=offset))


def page(request: Request, count: int, results: list, limit: int, offset: int) -> dict:
    """NetBox's page: `next` by offset, while the next offset is within the cap."""
    following = offset + limit if offset + limit < count and offset + limit <= MAX_OFFSET else None
    return {"count": count, "next": page_url(request, following),
            "previous": page_url(request, max(0, offset - limit) if offset else None), "results": results}


def cursor_page(request: Request, count: int, results: list, limit: int, offset: int, next_cursor: str | None,
                by_cursor: bool) -> dict:
    """NetBox's page of a list that only grows (the change log): `next` by cursor, which costs the
    same at any depth, and `next_cursor` itself; `previous` by offset, on a page reached by offset."""
    answer = page(request, count, results, limit, offset)
    following = request.url.remove_query_params("offset").include_query_params(after=next_cursor) if next_cursor else None
    return {**answer, "next": str(following) if following else None, "previous": None if by_cursor else answer["previous"],
            "next_cursor": next_cursor}


def topology_cache(request: Request) -> TopologyCache:
    """One per process, shared by its requests."""
    state = request.app.state
    if not hasattr(state, "topology_cache"):
        state.topology_cache = TopologyCache()
    return state.topology_cache
