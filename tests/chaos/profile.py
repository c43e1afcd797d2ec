"""How hard the chaos test pushes: `ECITY_CHAOS=long` (what `make chaos` sets) or the short default."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    at_s: float  # seconds after the load starts
    kind: str  # kill_replica | term_replica | kill_kafka | restart_postgres
    target: str = ""  # the service (a replica of it) or the PostgreSQL stop mode ("fast", "immediate")


@dataclass(frozen=True)
class Profile:
    name: str
    filings_per_s: float
    assets_per_s: float
    duration_s: float
    faults: tuple[Fault, ...]
    settle_timeout_s: float  # after the load: how long the system may take to catch up
    give_up_s: float  # how long a client keeps retrying one call before it gives up

    @property
    def max_load_s(self) -> float:
        """The load goes on past `duration_s` while faults are still being applied (restarts are
        slow on a busy machine), but never past this."""
        return self.duration_s * 1.5

    @property
    def timeout_s(self) -> float:
        """The whole test's bound (starting eight replicas, load, settling, checks)."""
        return self.max_load_s + self.give_up_s + self.settle_timeout_s + 180


# Each fault once, in order; the load runs a little past the last so that its recovery is loaded too.
SHORT = Profile(
    name="short",
    filings_per_s=8,
    assets_per_s=0.5,
    duration_s=50,
    faults=(
        Fault(4, "kill_replica", "citizen-requests"),
        Fault(10, "term_replica", "utilities-gateway"),
        Fault(16, "kill_kafka"),
        Fault(26, "restart_postgres", "fast"),
        Fault(34, "restart_postgres", "immediate"),
    ),
    settle_timeout_s=60,
    give_up_s=45,
)


def _long_faults() -> tuple[Fault, ...]:
    """Every fault twice or more, each round aimed at other replicas, the flows' four services all hit."""
    rounds = [
        ("citizen-requests", "utilities-gateway", "budget-ledger"),
        ("utilities-gateway", "network-registry", "citizen-requests"),
    ]
    faults: list[Fault] = []
    for i, (killed, termed, killed_again) in enumerate(rounds):
        t0 = 4 + i * 70
        faults += [
            Fault(t0, "kill_replica", killed),
            Fault(t0 + 8, "term_replica", termed),
            Fault(t0 + 16, "kill_kafka"),
            Fault(t0 + 30, "restart_postgres", "fast"),
            Fault(t0 + 40, "kill_replica", killed_again),
            Fault(t0 + 50, "restart_postgres", "immediate"),
        ]
    return tuple(faults)


LONG = Profile(
    name="long",
    filings_per_s=25,
    assets_per_s=1.5,
    duration_s=150,
    faults=_long_faults(),
    settle_timeout_s=120,
    give_up_s=60,
)


def chosen() -> Profile:
    name = os.environ.get("ECITY_CHAOS", "short").strip().lower() or "short"
    profiles = {p.name: p for p in (SHORT, LONG)}
    if name not in profiles:
        raise ValueError(f"ECITY_CHAOS={name!r}: one of {', '.join(profiles)}")
    return profiles[name]
