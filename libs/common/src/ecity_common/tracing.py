"""OpenTelemetry set-up: one tracer provider per process, exporters chosen by configuration.

`OTEL_EXPORTER_OTLP_ENDPOINT` set -> spans go to that collector over OTLP/HTTP (the SDK reads the
standard OTEL_* variables itself, the sampler's too). A `trace_file` setting -> every finished span
is also written as one JSON line, which is how the tests see a span of another process. Neither ->
spans are not recorded, but still have ids (so trace ids reach logs and events).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind

from ecity_common.web.metrics import PROBES_AND_SCRAPES

_configured = False
_recording = False


class JsonLinesSpanExporter(SpanExporter):
    """Appends each span as one compact JSON object per line."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(json.loads(span.to_json()), separators=(",", ":")) + "\n" for span in spans]
        with self._lock, open(self._path, "a", encoding="utf-8") as out:
            out.writelines(lines)
        return SpanExportResult.SUCCESS


def setup_tracing(service_name: str, trace_file: str | None = None, *, record: bool | None = None) -> None:
    """Once per process (the first call decides). `record`: whether spans are recorded; by
    default only when they go somewhere."""
    global _configured, _recording
    if _configured:
        return
    otlp = bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
    # With nowhere to send them, spans are not recorded at all: each still gets its trace and span
    # ids (logs and events carry them, a caller's trace continues), but no attributes are kept for
    # nothing. That cost a filing a tenth of its throughput. (Its trace context says "not
    # sampled", so a service that does export does not record its part either: in one deployment
    # every service exports, or none.) With an exporter, the SDK's own sampler settings apply
    # (OTEL_TRACES_SAMPLER, default: every span).
    if record is None:
        record = otlp or trace_file is not None
    provider = TracerProvider(resource=Resource.create({"service.name": service_name, "service.namespace": "ecity"}),
                              sampler=None if record else ALWAYS_OFF)
    if otlp:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if trace_file:
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(trace_file)))
    trace.set_tracer_provider(provider)
    _configured, _recording = True, record


def recording() -> bool:
    """Whether this process records spans (see `setup_tracing`). When it does not, the HTTP layer
    and the relay only carry trace ids: building unrecorded spans cost a bare endpoint a quarter
    of its throughput."""
    return _recording


def _not_traced(scope) -> bool:
    return scope.get("path", "").startswith(PROBES_AND_SCRAPES)


class TraceContext:
    """ASGI middleware for a process that records no spans: each request runs in a span context
    that continues the caller's W3C `traceparent` (or starts a trace), so logs, events and calls
    onwards carry the same trace id as when spans are recorded — without FastAPI's telemetry
    middleware, which builds and ends a span nobody keeps (a quarter of a bare endpoint's
    throughput, measured in bench/citizens.py)."""

    def __init__(self, app, tracer_provider=None) -> None:
        self.app = app
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        self._fields = {name.encode() for name in propagate.get_global_textmap().fields}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {name.decode(): value.decode("latin-1") for name, value in scope["headers"] if name in self._fields}
        parent = propagate.extract(carrier) if carrier else None
        # Unrecorded: the SDK only draws a new span id (and a trace id if there is no parent).
        span = self._tracer.start_span("HTTP", context=parent, kind=SpanKind.SERVER)
        token = context.attach(trace.set_span_in_context(span, parent))
        try:
            await self.app(scope, receive, send)
        finally:
            context.detach(token)


def http_telemetry() -> dict:
    """FastAPI's own OpenTelemetry support (`FastAPI(telemetry=...)`) when spans are recorded: a
    server span per request, the trace continued from `traceparent`. It replaced
    opentelemetry-instrumentation-fastapi, whose middleware cost a filing 13 % of its throughput
    for the same span. No span per dependency or serialisation step (`operation_spans`): the SQL
    and Kafka spans under the request say where its time went. Metrics stay with Prometheus
    (`/metrics`). When nothing is recorded it is off, and `instrument_app` puts `TraceContext`
    in its place."""
    if not _recording:
        return {"tracing": False, "metrics": False, "logs": False}
    return {"tracing": True, "metrics": False, "logs": False, "operation_spans": False, "exclude": _not_traced}


def instrument_app(app, engine=None) -> None:
    """Trace context for every request, SQLAlchemy (and so asyncpg's queries) and httpx
    instrumentation. HTTP spans come from `http_telemetry`, given to FastAPI when the app is
    made; SQL spans only when recorded (unrecorded, they carry nothing anywhere)."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    if not _recording:
        # Outside the whole stack, as FastAPI's span would be, so that the error middleware's
        # log of an unhandled exception carries the request's trace too.
        build = app.build_middleware_stack
        app.build_middleware_stack = lambda: TraceContext(build())
    elif engine is not None:
        SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine)
    # Always: it puts `traceparent` on calls to other systems (webhooks to companies), recorded or not.
    if not HTTPXClientInstrumentor().is_instrumented_by_opentelemetry:
        HTTPXClientInstrumentor().instrument()


def current_trace_ids() -> tuple[str | None, str | None]:
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"
