"""HTTP metrics: counted by route template, status class and method — never by a raw path or
method a client made up, so no request can add a series of its own."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI
from prometheus_client import REGISTRY
from starlette.responses import PlainTextResponse

from ecity_common.web.metrics import HttpMetrics, metrics_endpoint


def _count(method: str, status: str, handler: str) -> float:
    return REGISTRY.get_sample_value("http_requests_total", {"method": method, "status": status, "handler": handler}) or 0.0


async def test_requests_are_counted_by_template_status_class_and_known_method():
    router = APIRouter(prefix="/api/test-metrics")

    @router.get("/items/{item_id}")
    async def item(item_id: str) -> dict:
        return {"id": item_id}

    app = FastAPI()
    app.include_router(router)
    app.add_route("/files/{name}", lambda request: PlainTextResponse("file"))  # not an API route
    app.add_middleware(HttpMetrics)
    app.add_route("/metrics", metrics_endpoint)
    before = {key: _count(*key) for key in [("GET", "2xx", "/api/test-metrics/items/{item_id}"), ("GET", "2xx", "none"),
                                            ("other", "4xx", "/api/test-metrics/items/{item_id}"), ("GET", "4xx", "none"),
                                            ("GET", "2xx", "/openapi.json")]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        for n in range(3):
            assert (await client.get(f"/api/test-metrics/items/{n}")).status_code == 200
        assert (await client.request("BREW", "/api/test-metrics/items/1")).status_code == 405
        assert (await client.get("/files/secret-report.pdf")).status_code == 200
        assert (await client.get("/no/such/thing")).status_code == 404
        assert (await client.get("/openapi.json")).status_code == 200
        scraped = await client.get("/metrics")
    after = {key: _count(*key) for key in before}
    assert [after[k] - before[k] for k in before] == [3, 1, 1, 1, 1]
    assert "secret-report" not in scraped.text and "BREW" not in scraped.text and "/items/1" not in scraped.text
    assert 'handler="/metrics"' not in scraped.text
