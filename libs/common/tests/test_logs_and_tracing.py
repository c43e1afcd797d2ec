import io
import json
import logging

import httpx
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from ecity_common.logs import setup_logging
from ecity_common.tracing import TraceContext


def test_json_log_lines_carry_the_trace_and_span_of_where_they_were_written(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("citizen-requests", "INFO", json_lines=True)
        tracer = TracerProvider().get_tracer("test")  # a real SDK tracer, not the global no-op
        with tracer.start_as_current_span("file a request") as span:
            logging.getLogger("citizen_requests.service").info("request filed", extra={"request_id": "r-1"})
        logging.getLogger("citizen_requests.service").warning("outside any span")
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    inside, outside = (json.loads(line) for line in out.getvalue().splitlines())
    ctx = span.get_span_context()
    assert inside["trace_id"] == f"{ctx.trace_id:032x}" and inside["span_id"] == f"{ctx.span_id:016x}"
    assert inside["message"] == "request filed" and inside["request_id"] == "r-1"
    assert inside["service"] == "citizen-requests" and inside["level"] == "INFO"
    assert outside["trace_id"] is None and outside["level"] == "WARNING"
    assert trace.get_current_span().get_span_context().is_valid is False


async def test_unrecorded_requests_continue_the_callers_trace_or_start_one():
    """A replica that records no spans still gives each request a trace context: the caller's trace
    continued (what logs, events and onward calls carry), or a new one."""

    async def where_am_i(request):
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        ctx = trace.get_current_span().get_span_context()
        return JSONResponse({"trace_id": f"{ctx.trace_id:032x}", "span_id": f"{ctx.span_id:016x}",
                             "valid": ctx.is_valid, "recording": trace.get_current_span().is_recording(),
                             "onwards": carrier.get("traceparent")})

    app = TraceContext(Starlette(routes=[Route("/here", where_am_i)]),
                       tracer_provider=TracerProvider(sampler=ALWAYS_OFF))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        caller_trace, caller_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
        continued = (await client.get("/here", headers={"traceparent": f"00-{caller_trace}-{caller_span}-01"})).json()
        first, second = (await client.get("/here")).json(), (await client.get("/here")).json()
    assert continued["trace_id"] == caller_trace and continued["valid"] and not continued["recording"]
    assert continued["span_id"] not in (caller_span, "0" * 16)
    # Onwards it says "not sampled": this replica kept nothing of the trace.
    assert continued["onwards"] == f"00-{caller_trace}-{continued['span_id']}-00"
    assert first["valid"] and second["valid"] and first["trace_id"] != second["trace_id"]
    assert trace.get_current_span().get_span_context().is_valid is False  # nothing left behind
