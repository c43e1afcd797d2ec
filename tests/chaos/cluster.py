"""Two replicas of each service: two real service processes sharing one database and one consumer
group, as two pods of a Deployment would. A replica is restarted on its own port, so that clients
keep the same two addresses throughout."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ecity_cli.services import ServiceProcess
from ecity_cli.testing import ServiceFactory

REPLICAS = 2


@dataclass
class Replica:
    name: str  # e.g. "citizen-requests#2"
    process: ServiceProcess
    restarts: int = 0

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def pid(self) -> int | None:
        return self.process.process.pid if self.process.process else None

    def signal(self, sig: signal.Signals, exit_timeout_s: float = 30.0) -> tuple[int | None, float]:
        """Send `sig`, wait for the process to end; (its exit code, seconds it took). A replica that
        does not end after SIGTERM within the timeout is killed (code None)."""
        popen = self.process.process
        assert popen is not None and popen.poll() is None, f"{self.name} is not running"
        began = time.monotonic()
        popen.send_signal(sig)
        try:
            code = popen.wait(timeout=exit_timeout_s)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()
            code = None
        return code, time.monotonic() - began

    def start_again(self, ready_timeout_s: float = 90.0) -> float:
        """Start the same service on the same port; seconds until it is ready."""
        began = time.monotonic()
        self.process.start()
        self.process.wait_ready(ready_timeout_s)
        self.restarts += 1
        return time.monotonic() - began


@dataclass
class Cluster:
    replicas: dict[str, list[Replica]] = field(default_factory=dict)
    _next_victim: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, services: ServiceFactory, processes: Callable[[ServiceProcess], ServiceProcess],
              names: list[str], **overrides: str) -> Cluster:
        """Start every replica: the first of each service together, then the second of each. The
        first migrates its database and seeds the local demo data while nobody else does; the
        second finds both done."""
        cluster = cls(replicas={name: [] for name in names})
        for i in range(REPLICAS):
            started = [(name, processes(services.process(name, **overrides))) for name in names]
            for name, process in started:
                process.wait_ready(120)
                cluster.replicas[name].append(Replica(f"{name}#{i + 1}", process))
        return cluster

    def urls(self, name: str) -> list[str]:
        return [r.url for r in self.replicas[name]]

    def victim(self, name: str) -> Replica:
        """The next replica of a service to hurt: the two take turns."""
        i = self._next_victim.get(name, 0)
        self._next_victim[name] = i + 1
        return self.replicas[name][i % REPLICAS]

    def all(self) -> list[Replica]:
        return [r for rs in self.replicas.values() for r in rs]

    def log_files(self) -> list:
        return [r.process.log_file for r in self.all()]

    async def all_ready(self, timeout_s: float = 90.0) -> None:
        """Every replica running and ready (one that died on its own is a finding, not restarted)."""
        for replica in self.all():
            popen = replica.process.process
            assert popen is not None and popen.poll() is None, (
                f"{replica.name} (pid {replica.pid}) exited by itself with code {popen.returncode if popen else None}")
            await asyncio.to_thread(replica.process.wait_ready, timeout_s)
