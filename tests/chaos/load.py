"""The steady load: citizens filing requests (half in utility categories, which the gateway routes
to a company) and, at a lower rate, network assets commissioned in the registry (each must become
one expenditure proposal in the budget ledger). Bounded in count and in time."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from ecity_cli.testing import bearer

from .client import CallStats, FailoverClient
from .profile import Profile

# Utility categories served by a company of the demo data for the whole city, so every one of
# them is routed; and city departments' categories, which the gateway must leave alone.
UTILITY = [("water_leak", {"where": "street"}), ("no_water", {}), ("no_electricity", {}), ("no_hot_water", {})]
DEPARTMENT = [("street_light", {}), ("fallen_tree", {}), ("pothole", {"size": "small"})]

MAX_CALLS_AT_ONCE = 32
ASSET_COST_KOP = 50_000  # 500 грн: far inside the measure's financing, however many are commissioned
ASSET_MEASURE, ASSET_HOLDER, ASSET_DATE = "02-1", "02", "2021-11-20"


@dataclass
class Filing:
    key: str  # its Idempotency-Key, also in its description
    citizen: str
    service_code: str
    utility: bool
    status: int | None = None  # the answer that ended the call (None: the client gave up)
    request_id: str | None = None
    attempts: int = 0

    @property
    def description(self) -> str:
        return f"chaos-filing {self.key}"

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Asset:
    link_id: str
    created: bool = False
    commissioned: bool = False  # the PATCH to "active" was answered 200
    answers: list[str] = field(default_factory=list)


@dataclass
class LoadResult:
    run_id: str
    filings: list[Filing] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    citizen_calls: CallStats = field(default_factory=CallStats)
    engineer_calls: CallStats = field(default_factory=CallStats)

    def accepted(self, *, utility: bool | None = None) -> list[Filing]:
        return [f for f in self.filings if f.accepted and (utility is None or f.utility == utility)]

    def refused(self) -> list[Filing]:
        """Answered, but not with a 2xx: never expected here."""
        return [f for f in self.filings if f.status is not None and not f.accepted]


class Load:
    def __init__(self, profile: Profile, http: httpx.AsyncClient, *, citizen_urls: list[str], registry_urls: list[str],
                 citizen_settings, registry_settings) -> None:
        self.profile = profile
        self.citizen_settings = citizen_settings
        self.engineer = bearer(registry_settings, "chaos-engineer", "network-admin")
        self.run_id = uuid.uuid4().hex[:8]
        self.result = LoadResult(run_id=self.run_id)
        self.citizens = FailoverClient(http, citizen_urls, self.result.citizen_calls, give_up_s=profile.give_up_s)
        self.registry = FailoverClient(http, registry_urls, self.result.engineer_calls, give_up_s=profile.give_up_s)
        self._tasks: set[asyncio.Task] = set()
        self._next_filing = 0
        # Calls at once, at most. Without a bound, a slow moment (a replica restarting on a busy
        # machine) piled thousands of requests into the HTTP client's pool, whose bookkeeping is
        # quadratic in them: the test's own loop spun at full CPU and its faults came minutes late.
        self._slots = asyncio.Semaphore(MAX_CALLS_AT_ONCE)

    # -- what one citizen and one engineer do ------------------------------------------------

    async def file_one(self) -> Filing:
        n = self._next_filing
        self._next_filing += 1
        utility = n % 2 == 0
        code, attributes = (UTILITY if utility else DEPARTMENT)[(n // 2) % len(UTILITY if utility else DEPARTMENT)]
        # A citizen per filing: the per-citizen creation limit is not what is tested here.
        filing = Filing(key=f"chaos-{self.run_id}-{n:05d}", citizen=f"chaos-citizen-{self.run_id}-{n}",
                        service_code=code, utility=utility)
        self.result.filings.append(filing)
        headers = {**bearer(self.citizen_settings, filing.citizen, "citizen"), "Idempotency-Key": filing.key}
        body = {"service_code": code, "attributes": attributes, "description": filing.description,
                "address": f"вул. Соборна, {n % 90 + 1}"}
        async with self._slots:
            response, filing.attempts = await self.citizens.call("POST", "/api/v1/requests", first=n, json=body,
                                                                 headers=headers)
        if response is not None:
            filing.status = response.status_code
            if filing.accepted:
                filing.request_id = response.json()["service_request_id"]
        return filing

    async def commission_one(self, n: int) -> Asset:
        """A fibre link entered as planned, then put in service: the registry's commissioning."""
        async with self._slots:
            return await self._commission(n)

    async def _commission(self, n: int) -> Asset:
        asset = Asset(link_id=f"chaos-{self.run_id}-link-{n:04d}")
        self.result.assets.append(asset)
        link = {"id": asset.link_id, "name": f"ВОЛЗ хаос-тесту {n}", "a_device_id": "dev-dist-1",
                "b_device_id": f"dev-{n % 20 + 1:03d}", "fibre_count": 8, "length_m": 300 + n, "status": "planned",
                "cost_kop": ASSET_COST_KOP, "measure_code": ASSET_MEASURE, "holder_code": ASSET_HOLDER,
                "commissioned_on": ASSET_DATE}
        created, _ = await self.registry.call("POST", "/api/v1/links/", first=n, json=link, headers=self.engineer)
        if created is None:
            return asset
        asset.answers.append(f"create {created.status_code}")
        # A 409 to a retried create says that the first attempt was written (the id is ours).
        asset.created = created.status_code == 201 or (created.status_code == 409 and "already taken" in created.text)
        if not asset.created:
            return asset
        active, _ = await self.registry.call("PATCH", f"/api/v1/links/{asset.link_id}", first=n + 1,
                                             json={"status": "active"}, headers=self.engineer)
        if active is not None:
            asset.answers.append(f"activate {active.status_code}")
            asset.commissioned = active.status_code == 200
        return asset

    # -- the steady load ---------------------------------------------------------------------

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def burst(self, filings: int) -> None:
        """Extra filings at once: for a fault that must land while events are being consumed."""
        for _ in range(filings):
            self._spawn(self.file_one())

    async def run(self, faults_over: Callable[[], bool] = lambda: True) -> LoadResult:
        """Filings and commissionings at the profile's rates for its duration (longer while
        `faults_over()` says no, up to `max_load_s`), then the calls still in flight (each bounded
        by the client's `give_up_s`)."""
        began = time.monotonic()
        rates = {"filing": self.profile.filings_per_s, "asset": self.profile.assets_per_s}
        due = {"filing": 0.0, "asset": 0.5 / self.profile.assets_per_s}
        made = {"filing": 0, "asset": 0}
        while True:
            kind = min(due, key=due.get)
            at_s = due[kind]
            if at_s >= self.profile.max_load_s or (at_s >= self.profile.duration_s and faults_over()):
                break
            delay = began + at_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._spawn(self.file_one() if kind == "filing" else self.commission_one(made[kind]))
            made[kind] += 1
            due[kind] = at_s + 1 / rates[kind]
        await self.finish()
        return self.result

    async def finish(self) -> None:
        """Every call made so far answered or given up (a burst may come after the steady load)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
