"""HTTP metrics for Prometheus: requests and their duration, per method, status class and route.

`prometheus_client` keeps the metrics and writes `/metrics`; this middleware only observes. It
names a request by the route FastAPI chose while routing it (`scope["route"]`), where
prometheus-fastapi-instrumentator, used before, routed every request a second time through all
of the service's routes to find that name: a few per cent of every request, measured on filing.
The metric names and labels are the ones that library gave (`http_requests_total`,
`http_request_duration_seconds`; `handler`, `status` as "2xx", `method`), so dashboards keep working.
The template is the route's own: routers here carry their prefix (`APIRouter(prefix=...)`); one
included with an extra prefix would be counted under its unprefixed template.
"""

from __future__ import annotations

from time import perf_counter

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Once per process: several apps in one process (tests) share them.
REQUESTS = Counter("http_requests_total", "Total number of requests by method, status and handler.",
                   ("method", "status", "handler"))
DURATION = Histogram("http_request_duration_seconds", "Duration of HTTP requests in seconds.",
                     ("method", "status", "handler"))
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_SERIES: dict[tuple[str, str, str], tuple] = {}  # labels -> (counter, histogram) of that series
# Neither measured nor traced (see tracing.py): many, and they say nothing of the service.
PROBES_AND_SCRAPES = ("/health/", "/metrics")


class HttpMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(PROBES_AND_SCRAPES):
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500  # unless the app answers: an exception escaped it
        route = None

        async def observed(message: Message) -> None:
            nonlocal status, route
            if message["type"] == "http.response.start":
                status = message["status"]
                # Read while the route answers: FastAPI takes it out of the scope once it is done.
                route = scope.get("route")
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"  # a client's made-up method is no series
            labels = (method, f"{status // 100}xx", _handler(scope, route or scope.get("route"), status))
            series = _SERIES.get(labels)
            if series is None:  # `labels()` validates and locks on every call; a service has few series
                series = _SERIES[labels] = (REQUESTS.labels(*labels), DURATION.labels(*labels))
            series[0].inc()
            series[1].observe(perf_counter() - started)


def _handler(scope: Scope, route, status: int) -> str:
    """The route's template (`/api/v1/requests/{request_id}`), never a raw path with ids in it."""
    template = getattr(route, "path_format", None)
    if template:
        return template
    # FastAPI marks only its API routes in the scope; a success without one came from the app's
    # own fixed routes (/openapi.json, /docs), whose paths are their names. Anything else (404s,
    # redirects, a route with parameters that is not an API route) is one "none".
    return scope["path"] if 200 <= status < 300 and not scope.get("path_params") else "none"


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
