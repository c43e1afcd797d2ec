"""The Grafana dashboards (deploy/monitoring/dashboards/) and the alert rules read only what the
services really expose: each query parses (promtool), and every metric a dashboard or rule names
is on the /metrics page of the running services, each started as its own process so that one
service's page shows only its own metrics."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import yaml

from ecity_cli.services import SERVICES

from .promql import PROMETHEUS_OWN, exposed_series, metric_names

ROOT = Path(__file__).resolve().parents[1]
MONITORING = ROOT / "deploy" / "monitoring"


def dashboards() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((MONITORING / "dashboards").glob("*.json"))}


def queries(board: dict) -> list[str]:
    return [t["expr"] for p in board["panels"] for t in p.get("targets", [])]


def rule_queries() -> list[str]:
    groups = yaml.safe_load((MONITORING / "alerts.yaml").read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def promtool() -> str:
    found = ROOT / ".cache" / "prometheus" / "usr" / "bin" / "promtool"
    path = str(found) if found.exists() else shutil.which("promtool")
    assert path, "promtool is missing: `make setup` fetches it"
    return path


def test_there_is_a_dashboard_per_service_and_an_overview():
    assert set(dashboards()) == set(SERVICES) | {"overview"}


def test_every_dashboard_query_parses(tmp_path):
    # promtool parses PromQL only inside rules: each query becomes a recording rule of its own.
    rules = [{"record": f"dashboard:{name.replace('-', '_')}:{i}", "expr": expr}
             for name, board in dashboards().items() for i, expr in enumerate(queries(board))]
    (tmp_path / "queries.yaml").write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    checked = subprocess.run([promtool(), "check", "rules", "queries.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert len(rules) > 60


def test_names_are_read_from_dashboard_queries_and_from_a_metrics_page():
    expr = ('topk(5, histogram_quantile(0.95, sum by (le, handler) '
            '(rate(http_request_duration_seconds_bucket{namespace="sumy-ecity", job="budget-ledger"}[5m]))))')
    assert metric_names(expr) == {"http_request_duration_seconds_bucket"}
    page = ("# HELP x_total X.\n# TYPE x_total counter\nx_total 1.0\n# TYPE lag gauge\n"
            "# TYPE took_seconds histogram\n")
    assert exposed_series(page) == {"x_total", "x_created", "lag", "took_seconds_bucket", "took_seconds_count",
                                    "took_seconds_sum", "took_seconds_created"}


def test_every_metric_a_dashboard_or_rule_names_is_exposed_by_the_running_services(services, processes):
    started = {name: processes(services.process(name)) for name in SERVICES}
    for service in started.values():
        service.wait_ready()
    boards = dashboards()

    def missing_now() -> tuple[dict, dict]:
        exposed = {name: exposed_series(httpx.get(f"{service.url}/metrics", timeout=10).text)
                   for name, service in started.items()}
        missing = {}
        for name in SERVICES:  # a service's dashboard: what that service exposes
            named = set().union(*map(metric_names, queries(boards[name])))
            missing[name] = named - exposed[name]
        # The overview reads every service alike; an alert rule reads what some service exposes
        # (the messaging and HTTP rules every one's, webhooks the gateway's, overdue requests
        # citizen-requests').
        everywhere = set.intersection(*exposed.values()) | PROMETHEUS_OWN
        missing["overview"] = set().union(*map(metric_names, queries(boards["overview"]))) - everywhere
        missing["alerts.yaml"] = set().union(*map(metric_names, rule_queries())) - set.union(*exposed.values()) - PROMETHEUS_OWN
        return {what: names for what, names in missing.items() if names}, exposed

    # Some series appear once the background work has run a round (a consumer's first poll sets
    # its lag): ready is not yet that on a loaded machine, so look again for a while.
    deadline = time.monotonic() + 60
    while (found := missing_now())[0] and time.monotonic() < deadline:
        time.sleep(1)
    missing, exposed = found
    assert missing == {}
    # Each service's own measures are on its page only: the processes are apart.
    assert "citizen_filings_written_total" in exposed["citizen-requests"]
    assert "citizen_filings_written_total" not in exposed["budget-ledger"]
