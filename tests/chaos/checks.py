"""After the load: wait (bounded) for the system to settle, then check what must hold whatever
failed on the way. Each check returns what it found wrong, in words; the test fails on any."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from pathlib import Path

import asyncpg
import httpx

from ecity_cli.testing import ServiceFactory, bearer, topic_size
from ecity_common.doorbell import libpq_dsn

from .load import LoadResult

SUBMITTED = "ua.sumy.ecity.citizen-requests.request.submitted.v1"
ACCEPTED = "ua.sumy.ecity.utilities-gateway.request.accepted.v1"
COMMISSIONED = "ua.sumy.ecity.network-registry.asset.commissioned.v1"
# Every topic some service consumes; each consumer group's dead letters go to its `.dlq` twin.
CONSUMED_TOPICS = ["ecity.citizen-requests.v1", "ecity.utilities.v1", "ecity.network.v1", "ecity.budget.v1"]
SERVICES = ["citizen-requests", "utilities-gateway", "network-registry", "budget-ledger"]


class Databases:
    """Read-only looks into each service's own database (a new connection each time: the
    database may just have been restarted)."""

    def __init__(self, services: ServiceFactory) -> None:
        self.dsn = {name: libpq_dsn(services.database_url(name)) for name in SERVICES}

    async def fetch(self, service: str, sql: str, *args) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.dsn[service], timeout=5)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    async def value(self, service: str, sql: str, *args):
        rows = await self.fetch(service, sql, *args)
        return rows[0][0] if rows else None

    async def published(self, service: str, event_type: str) -> int:
        return await self.value(service, "SELECT count(*) FROM outbox WHERE type = $1 AND published_at IS NOT NULL", event_type)

    async def consumed(self, service: str, event_type: str) -> int:
        return await self.value(service, "SELECT count(*) FROM inbox WHERE type = $1", event_type)

    async def in_flight(self) -> int:
        """Events on Kafka that their consumer has not applied yet, in the two flows."""
        return sum([
            await self.published("citizen-requests", SUBMITTED) - await self.consumed("utilities-gateway", SUBMITTED),
            await self.published("utilities-gateway", ACCEPTED) - await self.consumed("citizen-requests", ACCEPTED),
            await self.published("network-registry", COMMISSIONED) - await self.consumed("budget-ledger", COMMISSIONED),
        ])


# -- settling ---------------------------------------------------------------------------------


async def behind(db: Databases, load: LoadResult) -> list[str]:
    """What the system has not caught up with yet (empty when settled)."""
    left: list[str] = []
    for service in SERVICES:
        if unsent := await db.value(service, "SELECT count(*) FROM outbox WHERE published_at IS NULL"):
            left.append(f"{service}: {unsent} outbox row(s) not yet published")
    for producer, consumer, event_type in [("citizen-requests", "utilities-gateway", SUBMITTED),
                                           ("utilities-gateway", "citizen-requests", ACCEPTED),
                                           ("network-registry", "budget-ledger", COMMISSIONED)]:
        sent, done = await db.published(producer, event_type), await db.consumed(consumer, event_type)
        if done < sent:
            left.append(f"{consumer}: {sent - done} of {sent} {event_type.split('.', 4)[-1]} not yet consumed")
    utility_ids = [f.request_id for f in load.accepted(utility=True)]
    assigned = await db.value("citizen-requests", "SELECT count(*) FROM citizen_requests WHERE id = ANY($1) "
                              "AND status = 'assigned'", utility_ids)
    if assigned < len(utility_ids):
        left.append(f"citizen-requests: {len(utility_ids) - assigned} of {len(utility_ids)} utility filings not yet assigned")
    return left


async def settle(db: Databases, load: LoadResult, timeout_s: float) -> tuple[float, list[str]]:
    """Seconds it took to settle, and what was still behind if it did not in `timeout_s`."""
    began = time.monotonic()
    left: list[str] = ["not looked yet"]
    while time.monotonic() - began < timeout_s:
        try:
            left = await behind(db, load)
        except (OSError, asyncpg.PostgresError) as exc:
            left = [f"database not answering: {exc!r}"]
        if not left:
            break
        await asyncio.sleep(0.5)
    return time.monotonic() - began, left


# -- what must hold ---------------------------------------------------------------------------


async def filings_kept_once(db: Databases, load: LoadResult) -> list[str]:
    """Every filing answered 2xx is in citizen-requests exactly once, as the request its answer
    named; no filing (answered or not) is there twice; one key, one request."""
    problems = []
    rows = await db.fetch("citizen-requests", "SELECT id, description FROM citizen_requests WHERE description LIKE 'chaos-filing %'")
    by_description = Counter(r["description"] for r in rows)
    ids_by_description = {r["description"]: r["id"] for r in rows}
    problems += [f"filing {d.split()[-1]} stored {n} times" for d, n in by_description.items() if n > 1]
    keys = {r["key"]: r for r in await db.fetch(
        "citizen-requests", "SELECT key, status, body->>'service_request_id' AS id FROM idempotency_keys WHERE key LIKE 'chaos-%'")}
    for f in load.accepted():
        if by_description.get(f.description, 0) == 0:
            problems.append(f"filing {f.key} was answered {f.status} ({f.request_id}) but is not stored: lost")
        elif ids_by_description[f.description] != f.request_id:
            problems.append(f"filing {f.key} was answered with {f.request_id} but stored as {ids_by_description[f.description]}")
        key = keys.get(f.key)
        if key is None or key["status"] != 201 or key["id"] != f.request_id:
            problems.append(f"Idempotency-Key {f.key}: stored answer {dict(key) if key else None}, answered {f.request_id}")
    if len(rows) != len(keys):
        problems.append(f"{len(rows)} chaos filings stored for {len(keys)} Idempotency-Keys")
    return problems


async def utility_filings_routed_once(db: Databases, load: LoadResult) -> list[str]:
    """Each utility filing routed to a company exactly once (one routed row, one notice to the
    company, one 'accepted' event), and the company's acceptance came back once: assigned."""
    problems = []
    utility = {f.request_id: f for f in load.accepted(utility=True)}
    department = {f.request_id for f in load.accepted(utility=False)}
    routed = {r["request_id"]: r for r in await db.fetch(
        "utilities-gateway", "SELECT request_id, status, company_id FROM routed_requests")}
    notices = Counter(r["request_id"] for r in await db.fetch(
        "utilities-gateway", "SELECT body->'data'->>'request_id' AS request_id FROM company_messages WHERE type = 'request.routed'"))
    accepted_events = Counter(r["aggregate_id"] for r in await db.fetch(
        "utilities-gateway", "SELECT aggregate_id FROM outbox WHERE type = $1", ACCEPTED))
    seen = {r["id"]: r for r in await db.fetch(
        "citizen-requests", "SELECT id, status, agency_responsible FROM citizen_requests WHERE id = ANY($1)", list(utility))}
    assigned = Counter(r["request_id"] for r in await db.fetch(
        "citizen-requests", "SELECT request_id FROM request_history WHERE to_status = 'assigned' AND request_id = ANY($1)",
        list(utility) + list(department)))
    for rid, f in utility.items():
        row = routed.get(rid)
        if row is None or row["status"] != "routed" or row["company_id"] is None:
            problems.append(f"utility filing {f.key} ({f.service_code}, {rid}): routed row {dict(row) if row else None}")
        if notices[rid] != 1:
            problems.append(f"utility filing {f.key}: {notices[rid]} notices to the company (expected 1)")
        if accepted_events[rid] != 1:
            problems.append(f"utility filing {f.key}: {accepted_events[rid]} 'accepted' events (expected 1)")
        view = seen.get(rid)
        if view is None or view["status"] != "assigned" or not view["agency_responsible"]:
            problems.append(f"utility filing {f.key}: the citizen sees {dict(view) if view else None}, not assigned")
        if assigned[rid] != 1:
            problems.append(f"utility filing {f.key}: assigned {assigned[rid]} times in its history (expected 1)")
    for rid in department & (set(routed) | set(assigned)):
        problems.append(f"department filing {rid} was routed to a utility company")
    return problems


async def assets_proposed_once(db: Databases, load: LoadResult, budget_url: str, finance_settings) -> list[str]:
    """Every asset put in service is exactly one expenditure proposal in the ledger (and no asset
    that was not is one), and none counts by itself (no approval, no entry); the registry announced
    each once; the ledger verifies intact."""
    problems = []
    prefix = f"chaos-{load.run_id}-link-"
    links = {r["id"]: r["status"] for r in await db.fetch(
        "network-registry", "SELECT id, status FROM links WHERE id LIKE $1", f"{prefix}%")}
    announced = Counter(r["aggregate_id"] for r in await db.fetch(
        "network-registry", "SELECT aggregate_id FROM outbox WHERE type = $1", COMMISSIONED))
    proposals = Counter(r["proposal_id"] for r in await db.fetch(
        "budget-ledger", "SELECT proposal_id FROM expenditure_proposals WHERE proposal_id LIKE $1", f"network-asset-{prefix}%"))
    entries = await db.value("budget-ledger", "SELECT count(*) FROM ledger_entries WHERE entry_id LIKE $1",
                             f"network-asset-{prefix}%")
    for asset in load.assets:
        if asset.commissioned and links.get(asset.link_id) != "active":
            problems.append(f"asset {asset.link_id}: put in service ({asset.answers}) but the registry has {links.get(asset.link_id)}")
    for link_id, status in links.items():
        expected = 1 if status == "active" else 0
        proposal = f"network-asset-{link_id}-commissioned"
        if announced[link_id] != expected:
            problems.append(f"asset {link_id} ({status}): commissioned {announced[link_id]} times in the registry's outbox")
        if proposals[proposal] != expected:
            problems.append(f"asset {link_id} ({status}): {proposals[proposal]} expenditure proposals (expected {expected})")
    for proposal in proposals:
        if proposal.removeprefix("network-asset-").removesuffix("-commissioned") not in links:
            problems.append(f"expenditure proposal {proposal} for an asset the registry does not have")
    if entries:
        problems.append(f"{entries} expenditure entries for assets nobody approved")
    async with httpx.AsyncClient() as http:
        verdict = (await http.get(f"{budget_url}/api/v1/ledger/verify", timeout=30,
                                  headers=bearer(finance_settings, "chaos-auditor", "finance"))).json()
    if not verdict.get("intact"):
        problems.append(f"the ledger does not verify: {verdict}")
    return problems


async def dead_letters(bootstrap: str, topic_prefix: str) -> tuple[list[str], dict[str, int]]:
    sizes = {f"{t}.dlq": await topic_size(bootstrap, f"{topic_prefix}{t}.dlq") for t in CONSUMED_TOPICS}
    return [f"{n} dead letter(s) in {t}" for t, n in sizes.items() if n], sizes


def server_errors(load: LoadResult) -> list[str]:
    """A 5xx other than 503 (the database away, Retry-After) is a bug, even when a retry saved it."""
    return [f"answered {e}" for e in load.citizen_calls.server_errors + load.engineer_calls.server_errors]


def unanswered(load: LoadResult) -> list[str]:
    problems = [f"filing {f.key} refused with {f.status}" for f in load.refused()]
    problems += [f"filing {f.key} never answered after {f.attempts} attempts" for f in load.filings if f.status is None]
    problems += [f"asset {a.link_id} not put in service: {a.answers or 'never answered'}" for a in load.assets if not a.commissioned]
    return problems


_LEVEL = re.compile(r'"level": "(WARNING|ERROR|CRITICAL)"')
_MESSAGE = re.compile(r'"message": "([^"]{0,90})')


def log_findings(log_files: list[Path]) -> tuple[list[str], Counter]:
    """Dead letters logged by any replica (a finding), and a count of warnings and errors by message."""
    problems, counts = [], Counter()
    for path in log_files:
        for line in path.read_text(errors="replace").splitlines():
            if "event dead-lettered" in line:
                problems.append(f"{path.name}: {line[:400]}")
            if level := _LEVEL.search(line):
                message = _MESSAGE.search(line)
                counts[f"{level.group(1)} {message.group(1) if message else line[:90]}"] += 1
            elif line.startswith("Traceback") or line.startswith("ERROR:"):
                counts[f"stderr {line[:90]}"] += 1
    return problems, counts


def in_words(problems: list[str], shown: int = 40) -> str:
    """The problems for a person: alike ones (same text but for ports) counted once."""
    alike = Counter(re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", p) for p in problems)
    lines = [f"{n} × {p}" if n > 1 else p for p, n in alike.most_common(shown)]
    more = f"\n… and {len(alike) - shown} more kinds" if len(alike) > shown else ""
    return f"{len(problems)} problem(s):\n" + "\n".join(lines) + more
