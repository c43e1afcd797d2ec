"""Writes the Grafana dashboards in deploy/monitoring/dashboards/ from one description: one per
service and a system overview. Run `python deploy/monitoring/dashboards.py` after a change (or
`make manifests`, which also puts them into the Kubernetes manifests as ConfigMaps that Grafana's
dashboard sidecar loads); tests/test_deploy.py fails when the committed files are not what this
writes, and tests/test_dashboards.py that every metric a panel reads is one a running service exposes.

Every series is one our services expose on /metrics (libs/common/src/ecity_common/messaging/metrics.py,
web/metrics.py, runtime.py, web/idempotency.py, a service's own adapters) or Prometheus' own `up`.
Ranges are written out (`[5m]`), not Grafana's `$__rate_interval`, so promtool can parse every query.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "dashboards"
NAMESPACE = "sumy-ecity"
SERVICES = ["citizen-requests", "utilities-gateway", "budget-ledger", "network-registry", "notifications"]
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
TAGS = ["sumy-ecity"]
# Services whose POSTs take an Idempotency-Key (and so count replays).
IDEMPOTENT = {"citizen-requests", "utilities-gateway"}


def panel(title: str, *queries: tuple[str, str], unit: str = "short", description: str = "",
          width: int = 12, kind: str = "timeseries") -> dict:
    """A panel of one or more (PromQL, legend) queries."""
    return {
        "type": kind, "title": title, "description": description, "datasource": DATASOURCE,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}} if kind == "timeseries" else {},
        "targets": [{"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "refId": chr(ord("A") + i)}
                    for i, (expr, legend) in enumerate(queries)],
        "_width": width,
    }


def layout(rows: list[tuple[str, list[dict]]]) -> list[dict]:
    """Rows of panels on Grafana's 24-column grid, each panel 8 high, left to right."""
    out, y, next_id = [], 0, 1
    for title, panels in rows:
        out.append({"type": "row", "title": title, "collapsed": False, "id": next_id, "panels": [],
                    "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}})
        next_id, y, x = next_id + 1, y + 1, 0
        for p in panels:
            width = p.pop("_width")
            if x + width > 24:
                x, y = 0, y + 8
            out.append({**p, "id": next_id, "gridPos": {"h": 8, "w": width, "x": x, "y": y}})
            next_id, x = next_id + 1, x + width
        y += 8
    return out


def dashboard(uid: str, title: str, description: str, rows: list[tuple[str, list[dict]]]) -> dict:
    return {
        "uid": uid, "title": title, "description": description, "tags": TAGS,
        "editable": True, "graphTooltip": 1, "refresh": "30s", "schemaVersion": 39, "version": 1,
        "time": {"from": "now-6h", "to": "now"}, "timezone": "browser",
        "templating": {"list": [{"name": "datasource", "label": "Prometheus", "type": "datasource",
                                 "query": "prometheus", "current": {}, "hide": 0}]},
        "links": [{"title": "Sumy e-City", "type": "dashboards", "tags": TAGS, "asDropdown": True}],
        "panels": layout(rows),
    }


# -- one service ------------------------------------------------------------------------------

def http_row(name: str, sel: str) -> tuple[str, list[dict]]:
    return ("HTTP", [
        panel("Requests by status class", (f"sum by (status) (rate(http_requests_total{{{sel}}}[5m]))", "{{status}}"),
              unit="reqps"),
        panel("5xx ratio", (f'sum(rate(http_requests_total{{{sel}, status="5xx"}}[5m])) / sum(rate(http_requests_total{{{sel}}}[5m]))',
                            "5xx"),
              unit="percentunit", description="EcityHttpErrors fires above 5 % for 5 minutes."),
        panel("Latency", *[(f"histogram_quantile({q}, sum by (le) (rate(http_request_duration_seconds_bucket{{{sel}}}[5m])))",
                            f"p{round(q * 100)}") for q in (0.5, 0.95, 0.99)], unit="s"),
        panel("Slowest routes (p95)",
              (f"topk(5, histogram_quantile(0.95, sum by (le, handler) (rate(http_request_duration_seconds_bucket{{{sel}}}[5m]))))",
               "{{handler}}"), unit="s"),
        *([panel("Idempotent replays", (f"sum(rate(ecity_idempotent_replays_total{{{sel}}}[5m]))", "replays"), unit="reqps",
                 description="Requests answered from the Idempotency-Key store: clients retrying what was already done.")]
          if name in IDEMPOTENT else []),
    ])


def outbox_row(sel: str) -> tuple[str, list[dict]]:
    return ("Outbox (events this service publishes)", [
        panel("Oldest unsent event", (f"max((time() - ecity_outbox_oldest_unsent_timestamp_seconds{{{sel}}}) "
                                      f"and ecity_outbox_oldest_unsent_timestamp_seconds{{{sel}}} > 0)", "age"),
              unit="s", description="How far behind the relay is. EcityOutboxRelayStuck fires above a minute."),
        panel("Unsent events", (f"max(ecity_outbox_unsent_events{{{sel}}})", "unsent"),
              description="Committed to the outbox, not yet on Kafka (measured every 15 s)."),
        panel("Published", (f"sum(rate(ecity_outbox_published_total{{{sel}}}[5m]))", "events/s"), unit="ops"),
        panel("Publish batch size (mean)", (f"sum(rate(ecity_outbox_publish_batch_size_sum{{{sel}}}[5m])) / "
                                            f"sum(rate(ecity_outbox_publish_batch_size_count{{{sel}}}[5m]))", "events per batch")),
        panel("Publish errors by type", (f"sum by (error) (increase(ecity_outbox_publish_errors_total{{{sel}}}[5m]))", "{{error}}"),
              description="Batches the relay failed to publish (left unsent, tried again): a Kafka error, the database away, a bug."),
    ])


def consumer_row(sel: str) -> tuple[str, list[dict]]:
    return ("Consumer (events this service reads)", [
        # Every replica measures the whole group from the broker: max over the pods, then the sum of partitions.
        panel("Lag by topic", (f"sum by (topic) (max by (group, topic, partition) (ecity_consumer_lag{{{sel}}}))", "{{topic}}"),
              description="End offsets minus the group's committed offsets, read from the broker every 15 s. "
                          "EcityConsumerLagGrowing fires above 100 and growing for 5 minutes, EcityConsumerStuck when "
                          "records wait and nothing is committed for 10."),
        panel("Committed (records/s)", (f"sum by (topic) (rate(max by (group, topic, partition) "
                                        f"(ecity_consumer_committed_offset{{{sel}}})[5m:]))", "{{topic}}"), unit="ops",
              description="How fast the group's committed offsets move: flat at 0 with lag above 0 is a stuck consumer."),
        panel("Events by outcome", (f"sum by (outcome) (rate(ecity_consumer_events_total{{{sel}}}[5m]))", "{{outcome}}"),
              unit="ops"),
        panel("Duplicates skipped by group", (f'sum by (group) (rate(ecity_consumer_events_total{{{sel}, outcome="duplicate"}}[5m]))',
                                              "{{group}}"), unit="ops",
              description="Events the group's inbox had already handled (a relay's resend, a replay): skipped, not done twice."),
        panel("Handler time (p95) by event type",
              (f"histogram_quantile(0.95, sum by (le, event_type) (rate(ecity_consumer_handler_duration_seconds_bucket{{{sel}}}[5m])))",
               "{{event_type}}"), unit="s"),
        panel("Handler failures by fault", (f"sum by (failure) (rate(ecity_consumer_handler_failures_total{{{sel}}}[5m]))",
                                            "{{failure}}"), unit="ops",
              description="own: the event's or the code's; infrastructure: the database or Kafka away; conflict: retried."),
        panel("Dead letters (last hour)", (f"sum by (dlq_topic) (increase(ecity_dead_letters_total{{{sel}}}[1h]))", "{{dlq_topic}}"),
              description="Events given up on and parked on <topic>.dlq: each needs a person (runbook: EcityDeadLetters)."),
    ])


def runtime_row(sel: str) -> tuple[str, list[dict]]:
    return ("Database, Kafka and the process", [
        panel("Waiting for the database or Kafka", (f"max by (component) (ecity_waiting_for_infrastructure{{{sel}}})",
                                                    "{{component}}"),
              description="1 while a background component backs off. EcityWaitingForInfrastructure fires after 2 minutes."),
        panel("Back-offs", (f"sum by (component) (rate(ecity_infrastructure_retries_total{{{sel}}}[5m]))", "{{component}}"),
              unit="ops"),
        panel("Transactions retried after a conflict", (f"sum by (component) (rate(ecity_transaction_conflicts_total{{{sel}}}[5m]))",
                                                        "{{component}}"), unit="ops"),
        panel("Database connections in use", (f"sum by (pod) (ecity_db_pool_connections_in_use{{{sel}}})", "{{pod}}")),
        panel("Readiness checks failing", (f"sum by (check) (1 - ecity_readiness_check{{{sel}}})", "{{check}}"),
              description="Pods whose last readiness probe failed, per check (EcityReadinessFailing after 5 minutes)."),
        panel("Memory (resident)", (f"sum by (pod) (process_resident_memory_bytes{{{sel}}})", "{{pod}}"), unit="bytes"),
        panel("CPU", (f"sum by (pod) (rate(process_cpu_seconds_total{{{sel}}}[5m]))", "{{pod}}"), unit="short",
              description="Cores in use per pod."),
    ])


# What a service measures of its own work, beyond what every service has.
def own_rows(name: str, sel: str) -> list[tuple[str, list[dict]]]:
    if name == "citizen-requests":
        return [("Filing desk (citizens' requests written in batches)", [
            panel("Filings written", (f"sum(rate(citizen_filings_written_total{{{sel}}}[5m]))", "filings/s"), unit="ops"),
            panel("Filings per statement", (f"sum(rate(citizen_filings_written_total{{{sel}}}[5m])) / "
                                            f"sum(rate(citizen_filing_statements_total{{{sel}}}[5m]))", "filings per commit"),
                  description="How many citizens' filings one database commit carries: higher under load."),
        ]), ("The city's queues", [
            panel("Open requests", (f"max by (handler) (ecity_requests_open{{{sel}}})", "{{handler}}"),
                  description="Requests still being handled, per department or utility."),
            panel("Past their legal term", (f"max by (handler) (ecity_requests_overdue{{{sel}}})", "{{handler}}"),
                  description="Open requests whose legal answer term has passed (alert: EcityOverdueRequestsRising)."),
        ])]
    if name == "utilities-gateway":
        return [("Webhooks to the utility companies", [
            panel("Attempts by answer", (f"sum by (result) (rate(ecity_webhook_attempts_total{{{sel}}}[5m]))", "{{result}}"),
                  unit="ops", description="2xx delivered; the rest are retried (alert: EcityWebhookFailures)."),
            panel("Attempt duration (p95)", (f"histogram_quantile(0.95, sum by (le) "
                                             f"(rate(ecity_webhook_attempt_duration_seconds_bucket{{{sel}}}[5m])))", "p95"),
                  unit="s"),
            panel("Deliveries finished", (f"sum by (status) (rate(ecity_webhook_deliveries_finished_total{{{sel}}}[1h]))",
                                          "{{status}}"), unit="ops",
                  description="failed: given up after every attempt (the message still waits in the inbox)."),
            panel("Endpoints disabled", (f"sum(increase(ecity_webhook_endpoints_disabled_total{{{sel}}}[1d]))", "410 Gone"),
                  description="Receivers that answered 410 Gone in the last day."),
        ]), ("Outages the companies report", [
            # Every replica counts the same table: max, not sum, over the pods.
            panel("Outages under way", (f'max by (kind, planned) (ecity_outages{{{sel}, started="true"}})',
                                        "{{kind}} (planned: {{planned}})"),
                  description="Not yet resolved and begun, per utility kind; planned works apart from accidents."),
            panel("Planned works announced", (f'max by (kind) (ecity_outages{{{sel}, planned="true", started="false"}})',
                                              "{{kind}}"),
                  description="Announced ahead, not yet begun."),
            panel("Unresolved outages by company", (f"sum by (company) (max by (company, kind, planned, started) "
                                                    f"(ecity_outages{{{sel}}}))", "{{company}}"),
                  description="A company whose outages stay open long after their expected end may not report their end."),
        ])]
    if name == "budget-ledger":
        return [("The ledger's hash chain", [
            panel("Entries", (f"max(ecity_ledger_chain_entries{{{sel}}})", "in the chain"),
                  (f"max(ecity_ledger_signed_entries{{{sel}}})", "under the last signed head"),
                  description="The chain only grows; a head is signed daily and published with the open data."),
            panel("Entries past the last signed head", (f"max(ecity_ledger_chain_entries{{{sel}}}) - "
                                                        f"max(ecity_ledger_signed_entries{{{sel}}})", "unsigned"),
                  description="What a rewrite could touch unseen until the next head: it drops to 0 as each head is signed."),
        ])]
    if name == "notifications":
        return [("Deliveries to citizens", [
            panel("Attempts by channel and outcome", (f"sum by (channel, outcome) (rate(ecity_notifications_deliveries_total{{{sel}}}[5m]))",
                                                      "{{channel}} {{outcome}}"), unit="ops",
                  description="sent; temporary_failure (tried again); permanent_failure (the address disabled); given_up "
                              "(the last attempt failed). Alert: EcityNotificationsFailing."),
            panel("Failure ratio by channel", (f'sum by (channel) (rate(ecity_notifications_deliveries_total{{{sel}, outcome!="sent"}}[15m])) / '
                                               f"sum by (channel) (rate(ecity_notifications_deliveries_total{{{sel}}}[15m]))", "{{channel}}"),
                  unit="percentunit"),
            panel("Send time (p95) by channel", (f"histogram_quantile(0.95, sum by (le, channel) "
                                                 f"(rate(ecity_notifications_send_duration_seconds_bucket{{{sel}}}[5m])))", "{{channel}}"),
                  unit="s", description="An SMTP transaction, a push service's answer."),
            # Every replica counts the same table: max, not sum, over the pods.
            panel("Pending and due", (f"max by (channel) (ecity_notifications_pending_deliveries{{{sel}}})", "{{channel}} pending"),
                  (f"max by (channel) (ecity_notifications_due_deliveries{{{sel}}})", "{{channel}} due"),
                  description="Pending includes what the quiet hours hold and retries waiting out their back-off; due is what should go now."),
            panel("Oldest due delivery", (f"max by (channel) ((time() - ecity_notifications_oldest_due_timestamp_seconds{{{sel}}}) "
                                          f"and ecity_notifications_oldest_due_timestamp_seconds{{{sel}}} > 0)", "{{channel}}"),
                  unit="s", description="How long the longest-waiting due message has waited. EcityNotificationsBacklog fires above 10 minutes."),
            panel("Addresses disabled", (f"max by (channel, reason) (ecity_notifications_addresses_disabled{{{sel}}})",
                                         "{{channel}} {{reason}}"),
                  description="E-mail contacts and push devices no longer written to: unsubscribed by their owner, or refused for good."),
        ])]
    return []


def service_dashboard(name: str) -> dict:
    sel = f'namespace="{NAMESPACE}", job="{name}"'
    return dashboard(f"ecity-{name}", f"Sumy e-City · {name}",
                     f"{name}: its HTTP API, the events it publishes and reads, and what it waits on.",
                     [http_row(name, sel), *own_rows(name, sel), outbox_row(sel), consumer_row(sel), runtime_row(sel)])


# -- the whole system -------------------------------------------------------------------------

def overview() -> dict:
    ns = f'namespace="{NAMESPACE}"'
    return dashboard("ecity-overview", "Sumy e-City · overview",
                     "All five services at a glance; each service's own dashboard has the detail.", [
        ("Services", [
            panel("Pods answering their scrape", (f"sum by (job) (up{{{ns}}})", "{{job}}"),
                  description="EcityServiceDown fires when one does not answer for 2 minutes."),
            panel("Requests", (f"sum by (job) (rate(http_requests_total{{{ns}}}[5m]))", "{{job}}"), unit="reqps"),
            panel("5xx ratio", (f'sum by (job) (rate(http_requests_total{{{ns}, status="5xx"}}[5m])) / '
                                f"sum by (job) (rate(http_requests_total{{{ns}}}[5m]))", "{{job}}"), unit="percentunit"),
            panel("Latency (p95)", (f"histogram_quantile(0.95, sum by (le, job) (rate(http_request_duration_seconds_bucket{{{ns}}}[5m])))",
                                    "{{job}}"), unit="s"),
        ]),
        ("Events between the services", [
            panel("Oldest unsent outbox event", (f"max by (job) ((time() - ecity_outbox_oldest_unsent_timestamp_seconds{{{ns}}}) "
                                                 f"and ecity_outbox_oldest_unsent_timestamp_seconds{{{ns}}} > 0)", "{{job}}"), unit="s"),
            panel("Events published", (f"sum by (job) (rate(ecity_outbox_published_total{{{ns}}}[5m]))", "{{job}}"), unit="ops"),
            panel("Consumer lag", (f"sum by (group) (max by (group, topic, partition) (ecity_consumer_lag{{{ns}}}))", "{{group}}")),
            panel("Dead letters (last hour)", (f"sum by (group) (increase(ecity_dead_letters_total{{{ns}}}[1h]))", "{{group}}")),
        ]),
        ("Infrastructure", [
            panel("Readiness checks failing", (f"sum by (job, check) (1 - ecity_readiness_check{{{ns}}})", "{{job}} {{check}}")),
            panel("Components waiting for the database or Kafka",
                  (f"sum by (job, component) (ecity_waiting_for_infrastructure{{{ns}}})", "{{job}} {{component}}")),
            panel("Database connections in use", (f"sum by (job) (ecity_db_pool_connections_in_use{{{ns}}})", "{{job}}")),
        ]),
    ])


def dashboards() -> dict[str, dict]:
    """File name -> dashboard."""
    return {f"{name}.json": service_dashboard(name) for name in SERVICES} | {"overview.json": overview()}


def render(board: dict) -> str:
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


def main(check: bool = False) -> int:
    wanted = {OUT / name: render(board) for name, board in dashboards().items()}
    stale = [p for p, text in wanted.items() if not p.exists() or p.read_text() != text]
    stale += [p for p in OUT.glob("*.json") if p not in wanted]  # a dashboard no longer described
    if check:
        for p in stale:
            print(f"stale: {p.relative_to(HERE)}")
        return 1 if stale else 0
    OUT.mkdir(exist_ok=True)
    for p in stale:
        if p in wanted:
            p.write_text(wanted[p])
        else:
            p.unlink()
    print(f"wrote {len(stale)} dashboard file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv))
