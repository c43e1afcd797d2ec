"""The supervisor of `ecity up`, over real child processes."""

from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path

from ecity_cli.supervisor import Backoff, ChildExit, ChildProcess, Supervisor

# Notes when it started, exits with code 3 after 0.2 s, noting when.
CRASHES = """
import sys, time
with open(sys.argv[1], "a") as f: f.write(f"start {time.time()}\\n")
time.sleep(0.2)
with open(sys.argv[1], "a") as f: f.write(f"exit {time.time()}\\n")
sys.exit(3)
"""
RUNS = "import time\nwhile True: time.sleep(1)"
IGNORES_SIGTERM = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\nwhile True: time.sleep(1)"


def python(name: str, code: str, tmp_path: Path, *args: str) -> ChildProcess:
    return ChildProcess(name, [sys.executable, "-c", code, *args], log_file=tmp_path / f"{name}.log")


def wait_for(condition, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_child_that_exits_is_restarted_ever_later_and_the_others_are_left_alone(tmp_path):
    notes = tmp_path / "crashes.txt"
    crashes, runs = python("crashes", CRASHES, tmp_path, str(notes)), python("runs", RUNS, tmp_path)
    exits: list[ChildExit] = []
    restarted: list[str] = []
    supervisor = Supervisor([crashes, runs], backoff=Backoff(initial_s=0.2, max_s=0.8, reset_after_s=60),
                            on_exit=exits.append, on_restart=lambda c: restarted.append(c.name), poll_interval_s=0.02)
    supervisor.start()
    runs_pid = runs.pid
    watching = threading.Thread(target=supervisor.run)
    watching.start()
    try:
        wait_for(lambda: len(exits) >= 4)
    finally:
        supervisor.stop()
        watching.join(10)
    assert not watching.is_alive()

    assert {e.name for e in exits} == {"crashes"} and all(e.code == 3 and e.how == "with code 3" for e in exits)
    assert [e.restart_in_s for e in exits[:4]] == [0.2, 0.4, 0.8, 0.8]  # doubled, then capped
    assert [e.exits_in_a_row for e in exits[:4]] == [1, 2, 3, 4]
    assert exits[0].log_file == tmp_path / "crashes.log" and 0.15 < exits[0].uptime_s < 5
    assert set(restarted) == {"crashes"} and supervisor.starts(crashes) >= 4

    # The pauses as the children themselves saw them: from one's exit to the next one's start.
    lines = [line.split() for line in notes.read_text().splitlines()]
    starts = [float(t) for what, t in lines if what == "start"]
    ended = [float(t) for what, t in lines if what == "exit"]
    pauses = [start - end for end, start in zip(ended, starts[1:])]
    assert len(pauses) >= 3
    assert all(pause >= delay for pause, delay in zip(pauses, [0.2, 0.4, 0.8]))
    assert pauses[2] > pauses[0] + 0.3, pauses

    assert supervisor.starts(runs) == 1 and runs.pid == runs_pid  # never touched while it ran
    assert crashes.poll() is not None and runs.poll() is not None  # stop() ended both
    assert len(starts) <= supervisor.starts(crashes)  # (the last one may have been stopped before it wrote)
    time.sleep(1.0)
    assert len(notes.read_text().splitlines()) == len(lines)


def test_the_backoff_doubles_up_to_its_cap():
    assert [Backoff().delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]  # what `ecity up` uses


def test_the_backoff_starts_over_for_a_child_that_had_stayed_up(tmp_path):
    lasts = python("lasts", "import time, sys\ntime.sleep(0.5)\nsys.exit(1)", tmp_path)
    exits: list[ChildExit] = []
    supervisor = Supervisor([lasts], backoff=Backoff(initial_s=0.1, max_s=5, reset_after_s=0.4),
                            on_exit=exits.append, poll_interval_s=0.02)
    supervisor.start()
    watching = threading.Thread(target=supervisor.run)
    watching.start()
    try:
        wait_for(lambda: len(exits) >= 3)
    finally:
        supervisor.stop()
        watching.join(10)
    assert all(e.uptime_s >= 0.4 and e.exits_in_a_row == 1 and e.restart_in_s == 0.1 for e in exits), exits


def test_stop_ends_every_child_at_once_and_kills_one_that_ignores_sigterm(tmp_path):
    stubborn = python("stubborn", IGNORES_SIGTERM, tmp_path)
    others = [python(f"runs-{i}", RUNS, tmp_path) for i in range(3)]
    supervisor = Supervisor([stubborn, *others], stop_timeout_s=1.0)
    supervisor.start()
    wait_for(lambda: "ready" in (tmp_path / "stubborn.log").read_text(errors="replace"))
    began = time.monotonic()
    supervisor.stop()
    took = time.monotonic() - began
    assert all(c.poll() is not None for c in supervisor.children)
    assert stubborn.poll() == -9 and all(c.poll() == -15 for c in others)  # SIGKILL / SIGTERM
    assert 0.9 < took < 5, took  # one deadline for all, not one after another


def test_a_second_stop_request_kills_at_once(tmp_path):
    stubborn = python("stubborn", IGNORES_SIGTERM, tmp_path)
    supervisor = Supervisor([stubborn], stop_timeout_s=60, poll_interval_s=0.02)
    supervisor.start()
    wait_for(lambda: "ready" in (tmp_path / "stubborn.log").read_text(errors="replace"))
    watching = threading.Thread(target=supervisor.run)
    watching.start()
    began = time.monotonic()
    supervisor.request_stop()  # Ctrl-C
    time.sleep(0.3)
    assert stubborn.poll() is None  # still waiting for it to drain
    supervisor.request_stop()  # Ctrl-C again
    watching.join(10)
    assert not watching.is_alive() and stubborn.poll() == -9 and time.monotonic() - began < 5


# -- `ecity up` ----------------------------------------------------------------------------------
# Kafka, PostgreSQL and uvicorn would take the machine for a minute: here the infrastructure is a
# stand-in that records when it is stopped, and each service a small HTTP server answering 200
# on every path (so /health/ready); citizen-requests' first run exits with code 3 after 1 s.
FAKE_SERVICE = """
import http.server, os, sys, threading
port, starts, crash_once = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "yes"
first = not os.path.exists(starts)
with open(starts, "a") as f: f.write("start\\n")
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args): pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Ok)
if first and crash_once: threading.Timer(1.0, lambda: os._exit(3)).start()
server.serve_forever()
"""


def test_ecity_up_restarts_a_service_that_exits_and_stops_services_before_the_infrastructure(tmp_path, monkeypatch):
    import os
    import signal

    from typer.testing import CliRunner

    from ecity_cli import cli
    from ecity_cli.infra import free_port
    from ecity_cli.services import SERVICES, ServiceProcess

    started: list[ServiceProcess] = []
    events: list[str] = []

    class FakeService(ServiceProcess):
        def __init__(self, info, **kwargs):
            super().__init__(info, **kwargs)
            crash = "yes" if info.name == "citizen-requests" else "no"
            self.command = [sys.executable, "-c", FAKE_SERVICE, str(self.port), str(tmp_path / f"{info.name}.starts"), crash]
            started.append(self)

    class FakeInfra:
        class kafka:  # noqa: N801
            bootstrap_servers = "127.0.0.1:1"
            service_settings = staticmethod(lambda service: {"kafka_bootstrap_servers": "127.0.0.1:1",
                                                             "kafka_sasl_username": service})

        class postgres:  # noqa: N801
            database_url = staticmethod(lambda database, role=None: f"postgresql+asyncpg://{role or 'nobody'}@127.0.0.1:1/{database}")

        @classmethod
        def from_settings(cls, settings):
            return cls()

        def up(self):
            events.append("infra up")

        def down(self):
            events.append("infra down; services running: " + ",".join(p.name for p in started if p.running()))

    names = ("citizen-requests", "budget-ledger")
    monkeypatch.setattr(cli, "SERVICES", {n: SERVICES[n] for n in names})
    monkeypatch.setattr(cli, "ServiceProcess", FakeService)
    monkeypatch.setattr(cli, "LocalInfra", FakeInfra)
    monkeypatch.setenv("ECITY_STATE_DIR", str(tmp_path))
    for name in names:
        monkeypatch.setenv(f"{SERVICES[name].env_prefix}HTTP_PORT", str(free_port()))

    def ctrl_c_once_restarted() -> None:
        starts = tmp_path / "citizen-requests.starts"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (starts.exists() and len(starts.read_text().split()) >= 2):
            time.sleep(0.05)
        time.sleep(0.3)
        os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    threading.Thread(target=ctrl_c_once_restarted, daemon=True).start()
    began = time.monotonic()
    result = CliRunner().invoke(cli.app, ["up"], env={"COLUMNS": "300"})
    took = time.monotonic() - began

    assert result.exit_code == 0, result.output
    out = result.output
    assert "Sumy e-City is running" in out
    log = re.escape(str(tmp_path / "logs" / "citizen-requests.log"))
    assert re.search(rf"citizen-requests exited with code 3 after \d+ s; log: {log}; restarting in 1 s \(at \d\d:\d\d:\d\d\)", out), out
    assert "citizen-requests started again (pid " in out
    assert "budget-ledger exited" not in out
    assert (tmp_path / "citizen-requests.starts").read_text().split() == ["start", "start"]
    assert (tmp_path / "budget-ledger.starts").read_text().split() == ["start"]
    assert out.index("started again") < out.index("stopping…") < out.index("stopped")
    assert events == ["infra up", "infra down; services running: "]  # services first, then Kafka and PostgreSQL
    assert all(p.poll() is not None for p in started)
    assert took < 20, took
    assert signal.getsignal(signal.SIGINT) is before  # `up` gives the handler back
