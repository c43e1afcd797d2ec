"""What the monitoring tests read out of PromQL and out of a service's /metrics."""

from __future__ import annotations

import re

# Series Prometheus makes itself, not a service.
PROMETHEUS_OWN = {"up"}
# The series a metric family of each type is scraped as (prometheus_client's text format).
SERIES_OF_TYPE = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
    "untyped": ("",),
}


def metric_names(expr: str) -> set[str]:
    """The series an expression reads: what is left once label matchers, ranges, grouping clauses,
    function calls and operators' keywords are taken out."""
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    words = re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", bare)
    return {w for w in words if w not in {"and", "or", "unless", "bool", "offset"}}


def exposed_series(exposition: str) -> set[str]:
    """Every series name a /metrics page can carry, from its TYPE lines: a labelled metric that
    has seen nothing yet has no sample, but its TYPE line is there from the start."""
    series = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", exposition, re.M):
        base = name.removesuffix("_total") if kind == "counter" else name
        series |= {base + suffix for suffix in SERIES_OF_TYPE[kind]}
    return series
