"""The faults, one after the other at the profile's times while the load runs: a replica killed
(SIGKILL) or stopped (SIGTERM) and started again, the Kafka broker killed and started again, and
PostgreSQL restarted ("fast" and "immediate") at a moment when events are being consumed."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg

from ecity_cli.testing import TestInfra

from .cluster import Cluster
from .profile import Fault, Profile

KAFKA_DOWN_S = 1.0
POSTGRES_DOWN_S = 1.0
REPLICA_DOWN_S = 0.5


@dataclass
class Timeline:
    began: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        line = f"t={time.monotonic() - self.began:6.1f}s  {text}"
        self.lines.append(line)
        print(f"[chaos] {line}", flush=True)


class Chaos:
    def __init__(self, profile: Profile, cluster: Cluster, infra: TestInfra, *,
                 in_flight: Callable[[], Awaitable[int]], burst: Callable[[int], None], timeline: Timeline) -> None:
        """`in_flight()`: how many events are published but not yet applied by their consumer;
        `burst(n)`: n filings at once, so that a PostgreSQL restart has events to land among."""
        self.profile = profile
        self.cluster = cluster
        self.infra = infra
        self.in_flight = in_flight
        self.burst = burst
        self.timeline = timeline

    async def run(self, began: float) -> None:
        """Each fault at its time after `began` (when the load began), or after the one before
        it is over, whichever is later."""
        for fault in self.profile.faults:
            delay = began + fault.at_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.apply(fault)

    async def apply(self, fault: Fault) -> None:
        action = {"kill_replica": self.kill_replica, "term_replica": self.term_replica,
                  "kill_kafka": self.kill_kafka, "restart_postgres": self.restart_postgres}[fault.kind]
        await (action(fault.target) if fault.target else action())

    # -- replicas ----------------------------------------------------------------------------

    async def kill_replica(self, service: str) -> None:
        await self._stop_and_start(service, signal.SIGKILL)

    async def term_replica(self, service: str) -> None:
        await self._stop_and_start(service, signal.SIGTERM)

    async def _stop_and_start(self, service: str, sig: signal.Signals) -> None:
        replica = self.cluster.victim(service)
        self.timeline.note(f"{sig.name} {replica.name} (pid {replica.pid})")
        code, took = await asyncio.to_thread(replica.signal, sig)
        exit_text = "killed after 30 s" if code is None else f"exit code {code}"
        self.timeline.note(f"  {replica.name} ended after {took:.1f} s ({exit_text})")
        await asyncio.sleep(REPLICA_DOWN_S)
        ready = await asyncio.to_thread(replica.start_again)
        self.timeline.note(f"  {replica.name} started again (pid {replica.pid}), ready in {ready:.1f} s")

    # -- the broker --------------------------------------------------------------------------

    async def kill_kafka(self) -> None:
        kafka = self.infra.kafka
        pid = kafka.running_pid()
        assert pid is not None, "the session's Kafka broker is not running"
        self.timeline.note(f"SIGKILL the Kafka broker (pid {pid})")
        os.kill(pid, signal.SIGKILL)
        await asyncio.to_thread(_wait_gone, pid)
        self.timeline.note("  the broker is gone")
        await asyncio.sleep(KAFKA_DOWN_S)
        began = time.monotonic()
        # Same port, same data folder: the killed broker's sockets and its lock on the data folder
        # went with its process (reaped above, so no zombie answers for its pid). An unclean stop
        # means log recovery before the broker is ready, hence the generous timeout.
        await asyncio.to_thread(kafka.start, 180.0)
        self.timeline.note(f"  Kafka started again (pid {kafka.running_pid()}), ready in {time.monotonic() - began:.1f} s")

    # -- the database ------------------------------------------------------------------------

    async def restart_postgres(self, mode: str) -> None:
        self.burst(20)
        waiting = await self._until_events_in_flight(timeout_s=10)
        self.timeline.note(f"PostgreSQL restart ({mode}) with {waiting} event(s) being consumed")
        if mode == "immediate":
            # Crash recovery replays what came since the last checkpoint: in a test session that
            # is every earlier test's databases, a minute of a loaded machine, longer than a
            # citizen's app retries. The crash is the same; what it has to replay is this test's.
            await _checkpoint(self.infra.postgres)
        began = time.monotonic()
        try:
            await asyncio.to_thread(self.infra.postgres.restart, mode, POSTGRES_DOWN_S)
        finally:
            if not self.infra.postgres.is_running():  # leave it running for the tests after this one
                await asyncio.to_thread(self.infra.postgres.start)
        self.timeline.note(f"  PostgreSQL back after {time.monotonic() - began:.1f} s")

    async def _until_events_in_flight(self, timeout_s: float) -> int:
        """Returns as soon as some published events are not yet applied (0 if that never showed)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if (n := await self.in_flight()) > 0:
                    return n
            except (OSError, asyncpg.PostgresError):
                pass
            await asyncio.sleep(0.02)
        return 0


async def _checkpoint(postgres) -> None:
    conn = await asyncpg.connect(postgres.admin_dsn())
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


def _wait_gone(pid: int, timeout_s: float = 30.0) -> None:
    """Reap (it is this process's child when the session started it) or wait until it is gone."""
    try:
        os.waitpid(pid, 0)
        return
    except ChildProcessError:
        pass
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still there {timeout_s:.0f} s after SIGKILL")


async def restore(infra: TestInfra) -> None:
    """The session's broker and database running again, whatever happened: the tests after this
    one use them."""
    if not await asyncio.to_thread(infra.kafka.is_ready):
        await asyncio.to_thread(infra.kafka.start, 180.0)
    if not await asyncio.to_thread(infra.postgres.is_running):
        await asyncio.to_thread(infra.postgres.start)
