"""Keeps child processes running: what `ecity up` does with the services once they are up.

A child that exits is started again after a pause that doubles with each exit in a row (1 s, 2 s,
4 s … up to 30 s), so that a service that cannot start does not spin, and one that crashed once is
back at once. The count starts over when a child had stayed up for a while (60 s) before it exited.
`stop()` ends them all: SIGTERM to every child at once (each drains and shuts down in parallel),
SIGKILL to any still running at the deadline.

Nothing here prints: the caller hears of exits and restarts through `on_exit` and `on_restart`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


class ChildProcess:
    """One program in its own session (a terminal's Ctrl-C reaches only the supervisor, which decides
    the order of stopping), its output appended to its log file across restarts."""

    def __init__(self, name: str, command: Sequence[str], *, env: dict[str, str] | None = None, log_file: Path) -> None:
        self.name = name
        self.command = list(command)
        self.env = dict(env or {})
        self.log_file = log_file
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def start(self) -> ChildProcess:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as out:
            self.process = subprocess.Popen(
                self.command,
                env=self.environment(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def poll(self) -> int | None:
        """The exit code once the process has ended; None while it runs (or before it started)."""
        return self.process.poll() if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        if self.running():
            self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.running():
            self.process.kill()

    def wait(self, timeout_s: float | None = None) -> int | None:
        """The exit code, or None if it still runs after `timeout_s`."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM, and SIGKILL if it has not ended after `timeout_s`."""
        if not self.running():
            return
        self.terminate()
        if self.wait(timeout_s) is None:
            self.kill()
            self.wait()


@dataclass(frozen=True)
class Backoff:
    """How long to wait before starting an exited child again."""

    initial_s: float = 1.0
    max_s: float = 30.0
    # A child that stayed up this long before it exited starts over at `initial_s`.
    reset_after_s: float = 60.0

    def delay(self, exits_in_a_row: int) -> float:
        return min(self.max_s, self.initial_s * 2 ** max(0, exits_in_a_row - 1))


@dataclass(frozen=True)
class ChildExit:
    name: str
    code: int  # negative: ended by that signal (Popen's convention)
    log_file: Path
    uptime_s: float
    exits_in_a_row: int
    restart_in_s: float

    @property
    def how(self) -> str:
        if self.code < 0:
            try:
                return f"killed by {signal.Signals(-self.code).name}"
            except ValueError:
                return f"killed by signal {-self.code}"
        return f"with code {self.code}"


class _Supervised:
    def __init__(self, child: ChildProcess) -> None:
        self.child = child
        self.started_at = 0.0
        self.exits_in_a_row = 0
        self.restart_at: float | None = None  # set while it waits to be started again
        self.starts = 0


class Supervisor:
    def __init__(
        self,
        children: Sequence[ChildProcess],
        *,
        backoff: Backoff = Backoff(),
        on_exit: Callable[[ChildExit], None] = lambda exit: None,
        on_restart: Callable[[ChildProcess], None] = lambda child: None,
        poll_interval_s: float = 0.2,
        stop_timeout_s: float = 15.0,
    ) -> None:
        self.backoff = backoff
        self.on_exit = on_exit
        self.on_restart = on_restart
        self.poll_interval_s = poll_interval_s
        self.stop_timeout_s = stop_timeout_s
        self._children = [_Supervised(c) for c in children]
        self._stopping = threading.Event()
        self._hurry = threading.Event()
        self._lock = threading.Lock()  # a restart and stop() from another thread never cross

    @property
    def children(self) -> list[ChildProcess]:
        return [s.child for s in self._children]

    def starts(self, child: ChildProcess) -> int:
        """How many times the child was started (1: never restarted)."""
        return next(s.starts for s in self._children if s.child is child)

    def start(self) -> None:
        for s in self._children:
            self._start(s)

    def _start(self, s: _Supervised) -> None:
        s.child.start()
        s.started_at = time.monotonic()
        s.restart_at = None
        s.starts += 1

    def check(self) -> None:
        """One round: note the children that exited and start those whose pause is over."""
        with self._lock:
            for s in self._children:
                if self._stopping.is_set():
                    return
                self._check(s)

    def _check(self, s: _Supervised) -> None:
        now = time.monotonic()
        if s.restart_at is not None:
            if now >= s.restart_at:
                self._start(s)
                self.on_restart(s.child)
            return
        code = s.child.poll()
        if code is None:
            return
        uptime = now - s.started_at
        s.exits_in_a_row = 1 if uptime >= self.backoff.reset_after_s else s.exits_in_a_row + 1
        delay = self.backoff.delay(s.exits_in_a_row)
        s.restart_at = now + delay
        self.on_exit(ChildExit(s.child.name, code, s.child.log_file, uptime, s.exits_in_a_row, delay))

    def run(self) -> None:
        """Watch the children until `request_stop()`, then stop them all (returns when they ended)."""
        try:
            while not self._stopping.is_set():
                self.check()
                self._stopping.wait(self.poll_interval_s)
        finally:
            self.stop()

    def request_stop(self) -> None:
        """Make `run()` stop the children and return; safe in a signal handler. A second call
        while they are stopping kills those still running instead of waiting for them."""
        if self._stopping.is_set():
            self._hurry.set()
        self._stopping.set()

    def stop(self, timeout_s: float | None = None) -> None:
        """SIGTERM to every child at once; SIGKILL to those still running after `timeout_s`
        (default `stop_timeout_s`), or at once after a second `request_stop()`. No exited child is
        started again."""
        with self._lock:
            self._stopping.set()
            for s in self._children:
                s.restart_at = None
                s.child.terminate()
        deadline = time.monotonic() + (self.stop_timeout_s if timeout_s is None else timeout_s)
        while any(s.child.running() for s in self._children) and time.monotonic() < deadline:
            if self._hurry.wait(0.05):
                break
        for s in self._children:
            s.child.kill()
            s.child.wait()
