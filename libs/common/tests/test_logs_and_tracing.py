import io
import json
import logging

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from ecity_common.logs import setup_logging


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
