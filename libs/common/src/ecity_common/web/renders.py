"""Pictures and documents drawn once per version of what they show, answered with an ETag.

budget-ledger's public report as HTML or PDF and its charts, and network-registry's picture of
the network, cost matplotlib or fpdf a good part of a second of CPU each; what they show changes
only when the ledger or the network does. So a route names what it draws and the version of the
data it draws from (`rendered`), and:

- the ETag is made of those (a weak one: a PDF's creation date may differ between two drawings
  of the same thing), so a client that has this version gets 304, with nothing drawn or sent;
- `Cache-Control: no-cache` lets a browser or a proxy keep the copy but ask each time, so a new
  posting shows at once, and asking costs the service one small query for the version;
- otherwise the drawing comes from the process's `Renders` (least recently used out, bounded in
  number and bytes); a key is drawn once even when many ask at once (after a posting, everyone's
  copy is stale together), and at most `at_once` drawings run at a time, whatever the keys.

The version is read before the drawing reads its data, so that a drawing is never older than
the version it is kept under (at worst newer: drawn again when the version moves on).
`ecity_renders_total{what}` counts the drawings actually made.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable

from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import Response

RENDERS = Counter("ecity_renders_total", "Pictures and documents drawn, not served from the render cache, by what.",
                  ("what",))


class Renders:
    """The latest drawings of one process, by ETag."""

    def __init__(self, max_entries: int = 256, max_bytes: int = 32 * 1024 * 1024, at_once: int = 2) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._drawing: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._slots = asyncio.Semaphore(at_once)

    def _known(self, tag: str) -> bytes | None:
        content = self._kept.get(tag)
        if content is not None:
            self._kept.move_to_end(tag)
        return content

    async def get(self, what: str, tag: str, draw: Callable[[], Awaitable[bytes]]) -> bytes:
        """The drawing named `tag`: kept, or drawn now by `draw` (each caller brings its own, on its
        own database session: whoever draws, the others wait for it and take its result)."""
        if (content := self._known(tag)) is not None:
            return content
        lock = self._drawing.get(tag)
        if lock is None:
            lock = self._drawing[tag] = asyncio.Lock()
        async with lock:
            if (content := self._known(tag)) is not None:
                return content  # drawn while this caller waited
            async with self._slots:
                content = await draw()
            RENDERS.labels(what).inc()
            self._keep(tag, content)
            return content

    def _keep(self, tag: str, content: bytes) -> None:
        if len(content) > self.max_bytes:
            return
        self._kept[tag] = content
        self._bytes += len(content)
        while len(self._kept) > self.max_entries or self._bytes > self.max_bytes:
            _, dropped = self._kept.popitem(last=False)
            self._bytes -= len(dropped)


def renders_of(request: Request) -> Renders:
    """The app's render cache (made on first use)."""
    state = request.app.state
    if not hasattr(state, "renders"):
        state.renders = Renders()
    return state.renders


def etag_of(*parts: Hashable) -> str:
    return 'W/"' + hashlib.sha256(repr(parts).encode()).hexdigest()[:32] + '"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110's weak comparison of If-None-Match (a list of ETags, or *) with ours."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(theirs.strip().removeprefix("W/") == ours for theirs in if_none_match.split(","))


async def rendered(request: Request, what: str, version: tuple, media_type: str, draw: Callable[[], Awaitable[bytes]],
                   *, public: bool = True, headers: dict[str, str] | None = None) -> Response:
    """The answer of a route that draws `what` (its format included) for `version` (the data's
    version, read before `draw` reads the data, and the route's parameters): 304 when the client
    has it, else the drawing, with its ETag."""
    tag = etag_of(request.app.version, what, *version)  # a new release may draw differently
    cache = {"ETag": tag, "Cache-Control": f"{'public' if public else 'private'}, no-cache"}
    if not_modified(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=cache)
    content = await renders_of(request).get(what, tag, draw)
    return Response(content, media_type=media_type, headers={**cache, **(headers or {})})
