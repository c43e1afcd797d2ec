"""EcityOutboxRelayStuck fires in a real run, and resolves by itself.

A real citizen-requests process on a Kafka node of the test's own, a real Prometheus scraping its
/metrics every second and evaluating the rule every second. The node is stopped, a citizen files a
request (its event waits in the outbox), and Prometheus' API must show the alert firing; the node
is started again, the relay sends the event, and the alert must be gone.

The rule is the one in deploy/monitoring/alerts.yaml, with its two numbers scaled down by a textual
replacement (`> 60` becomes `> 3` in the expression, `for: 1m` becomes `for: 2s`) so that the test
takes seconds, not minutes; the rest of the expression is the deployed one, character for character.
The real thresholds are checked by promtool's unit tests (alerts.test.yaml, tests/test_alerts.py).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml

from ecity_cli.infra import free_port
from ecity_cli.testing import bearer

# Loads the machine (brokers and replicas killed, a shutdown timed): one at a time, in one
# process of a parallel run (see ecity_cli.testing).
pytestmark = pytest.mark.xdist_group("machine")

ROOT = Path(__file__).resolve().parents[1]
ALERTS = ROOT / "deploy" / "monitoring" / "alerts.yaml"
PROMETHEUS = ROOT / ".cache" / "prometheus" / "usr" / "bin" / "prometheus"
ALERT = "EcityOutboxRelayStuck"
# The real rule's numbers and what this test puts in their place (see the module's docstring).
SCALED = {"> 60": "> 3"}
SCALED_FOR = ("1m", "2s")
GAUGE = 'ecity_outbox_oldest_unsent_timestamp_seconds{service="citizen-requests"}'
UNSENT = 'ecity_outbox_unsent_events{service="citizen-requests"}'


def scaled_rule() -> dict:
    """The deployed EcityOutboxRelayStuck rule with its thresholds scaled down, nothing else changed.
    Fails when the real rule no longer has the numbers replaced: the test would test something else."""
    rules = [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"] if r.get("alert") == ALERT]
    assert len(rules) == 1, f"{ALERTS} has {len(rules)} rules named {ALERT}"
    rule = dict(rules[0])
    for real, fast in SCALED.items():
        assert rule["expr"].count(real) == 1, f"{ALERT}'s expression no longer has `{real}`: update SCALED"
        rule["expr"] = rule["expr"].replace(real, fast)
    assert rule["for"] == SCALED_FOR[0], f"{ALERT} no longer waits for {SCALED_FOR[0]}: update SCALED_FOR"
    rule["for"] = SCALED_FOR[1]
    return rule


def test_the_rule_is_scaled_and_otherwise_the_deployed_one():
    rule, real = scaled_rule(), next(r for g in yaml.safe_load(ALERTS.read_text())["groups"]
                                     for r in g["rules"] if r.get("alert") == ALERT)
    assert rule["expr"].replace("> 3", "> 60") == real["expr"] and rule["for"] == "2s"
    assert {k: v for k, v in rule.items() if k not in ("expr", "for")} == {
        k: v for k, v in real.items() if k not in ("expr", "for")}


class Prometheus:
    """The prometheus binary `make setup` unpacks, on a free port, with its data in a temporary folder."""

    def __init__(self, folder: Path, target: str, rule: dict) -> None:
        folder.mkdir(parents=True)
        (folder / "rules.yaml").write_text(yaml.safe_dump({"groups": [{"name": "ecity-messaging", "rules": [rule]}]}))
        (folder / "prometheus.yml").write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
            "rule_files": [str(folder / "rules.yaml")],
            "scrape_configs": [{"job_name": "citizen-requests", "static_configs": [{"targets": [target]}]}],
        }))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "prometheus.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(PROMETHEUS), f"--config.file={folder / 'prometheus.yml'}", f"--storage.tsdb.path={folder / 'data'}",
                 f"--web.listen-address=127.0.0.1:{self.port}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"prometheus exited:\n{self.log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"prometheus not ready in {timeout_s} s:\n{self.log.read_text()[-3000:]}")

    def alert_states(self) -> dict[str, str]:
        """Our alert's state per service label (pending or firing); inactive ones are not listed."""
        alerts = httpx.get(f"{self.url}/api/v1/alerts", timeout=2).json()["data"]["alerts"]
        return {a["labels"].get("service", "?"): a["state"] for a in alerts if a["labels"]["alertname"] == ALERT}

    def value(self, query: str) -> float | None:
        result = httpx.get(f"{self.url}/api/v1/query", params={"query": query}, timeout=2).json()["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def until(what: str, check, timeout_s: float, prometheus: Prometheus):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.25)
    pytest.fail(f"{what} not seen in {timeout_s} s; alerts: {prometheus.alert_states()}, "
                f"gauge: {prometheus.value(GAUGE)}")


def test_the_relay_stuck_alert_fires_while_kafka_is_away_and_resolves_when_it_is_back(services, processes, own_kafka, tmp_path):
    assert PROMETHEUS.exists(), "the prometheus binary is missing: `make setup` unpacks it beside promtool"
    started = time.monotonic()
    marks: dict[str, float] = {}
    citizens = processes(services.process(
        "citizen-requests", kafka_bootstrap_servers=own_kafka.bootstrap_servers,
        relay_backlog_measure_s="1"))  # the backlog's age measured every second, not every 15 s
    prometheus = Prometheus(tmp_path / "prometheus", f"127.0.0.1:{citizens.port}", scaled_rule())
    try:
        citizens.wait_ready()
        prometheus.wait_ready()
        # Scraped, and nothing waits: the alert is quiet while the relay keeps up.
        until("the first scrape with an empty outbox", lambda: prometheus.value(GAUGE) == 0, 15, prometheus)
        assert prometheus.alert_states() == {}
        marks["scraped"] = time.monotonic() - started

        own_kafka.stop()
        settings = services.settings("citizen-requests", kafka_bootstrap_servers=own_kafka.bootstrap_servers)
        filed = httpx.post(f"{citizens.url}/api/v1/requests", headers=bearer(settings, "citizen-alert", "citizen"), timeout=10,
                           json={"service_code": "water_leak", "description": "Тече труба біля під'їзду", "lat": 50.9077,
                                 "long": 34.7981, "address": "вул. Соборна, 1", "attributes": {"where": "street"}})
        assert filed.status_code == 201, filed.text  # the citizen is answered: the event waits in the outbox
        filed_at = time.monotonic()
        until(f"{ALERT} firing", lambda: prometheus.alert_states().get("citizen-requests") == "firing", 30, prometheus)
        marks["firing after filing"] = time.monotonic() - filed_at
        assert prometheus.value(UNSENT) >= 1

        own_kafka.start()
        back_at = time.monotonic()
        until(f"{ALERT} resolved", lambda: prometheus.alert_states() == {} and prometheus.value(GAUGE) == 0, 60, prometheus)
        marks["resolved after Kafka is back"] = time.monotonic() - back_at
        assert prometheus.value(UNSENT) == 0
    finally:
        prometheus.stop()
    print(f"\n{ALERT} live: " + ", ".join(f"{k} {v:.1f} s" for k, v in marks.items())
          + f"; {time.monotonic() - started:.1f} s in all")
