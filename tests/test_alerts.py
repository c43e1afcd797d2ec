"""The alert rules (deploy/monitoring/alerts.yaml): valid, each firing on its own synthetic series
(promtool's unit tests) and pointing at its runbook section. That every metric they name is one the
running services expose: tests/test_dashboards.py, with the dashboards'."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from .promql import metric_names

ROOT = Path(__file__).resolve().parents[1]
MONITORING = ROOT / "deploy" / "monitoring"


def promtool() -> str:
    found = ROOT / ".cache" / "prometheus" / "usr" / "bin" / "promtool"
    path = str(found) if found.exists() else shutil.which("promtool")
    assert path, "promtool is missing: `make setup` fetches it"
    return path


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load((MONITORING / "alerts.yaml").read_text())["groups"] for rule in group["rules"]]


def test_the_rules_are_valid_and_their_unit_tests_pass():
    checked = subprocess.run([promtool(), "check", "rules", "alerts.yaml"], cwd=MONITORING, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([promtool(), "test", "rules", "alerts.test.yaml"], cwd=MONITORING, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_is_unit_tested_and_has_its_runbook_section():
    tests = yaml.safe_load((MONITORING / "alerts.test.yaml").read_text())["tests"]
    tested = {t["alertname"] for case in tests for t in case["alert_rule_test"] if t.get("exp_alerts")}
    runbook = (MONITORING / "runbook.md").read_text()
    for rule in rules():
        assert rule["alert"] in tested, f"{rule['alert']} has no promtool test that makes it fire"
        anchor = rule["annotations"]["runbook"].split("#")[1]
        assert f"## {rule['alert']}" in runbook and anchor == rule["alert"].lower(), rule["alert"]


def test_metric_names_are_read_from_the_expressions():
    assert metric_names('sum by (job) (rate(http_requests_total{status="5xx"}[5m])) > 0.05') == {"http_requests_total"}
    assert metric_names("(time() - ecity_outbox_oldest_unsent_timestamp_seconds) > 60") == {
        "ecity_outbox_oldest_unsent_timestamp_seconds"}
    assert metric_names('up{namespace="sumy-ecity"} == 0 and ecity_consumer_lag > 100') == {"up", "ecity_consumer_lag"}
