"""How a service process runs: uvicorn, with a drain before it stops.

    python -m ecity_common.server citizen_requests.main:create_app --host 0.0.0.0 --port 8001

On SIGTERM (Kubernetes ending a pod, `ecity up` stopping, a rolling update) the process goes on
serving for the service's `SHUTDOWN_DRAIN_S` seconds with `/health/ready` answering 503, so that
whatever routes traffic to it (the Service's endpoints, a load balancer) takes it out first. Then
uvicorn's own graceful shutdown: it stops accepting, lets every in-flight request finish (at most
`SHUTDOWN_TIMEOUT_S`), and the app's lifespan stops the consumer (the poll in hand is committed and
the group left), the relay (the batch in hand is sent) and the service's workers. A second signal
during the drain stops at once, as Ctrl-C twice should.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import time
from types import FrameType

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI, drain_s: float) -> None:
        super().__init__(config)
        self.app = app
        self.drain_s = drain_s
        self._drain_until: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._drain_until is not None or self.drain_s <= 0:
            super().handle_exit(sig, frame)  # the second signal, or no drain wanted: uvicorn's way
            return
        self._captured_signals.append(sig)
        self.app.state.draining = True
        self._drain_until = time.monotonic() + self.drain_s
        # A signal handler: logging here is safe, the loop is in Python code between ticks.
        log.info("%s received: draining for %.1f s before shutting down", signal.Signals(sig).name, self.drain_s)

    async def on_tick(self, counter: int) -> bool:
        if self._drain_until is not None and time.monotonic() >= self._drain_until:
            self.should_exit = True
        return await super().on_tick(counter)


def load(target: str) -> FastAPI:
    """`package.module:factory` → the app the factory makes (settings come from the environment)."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name or "create_app")()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ecity_common.server", description=__doc__.splitlines()[0])
    parser.add_argument("factory", help="the app factory, e.g. citizen_requests.main:create_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--access-log", action="store_true", help="log every request (off: metrics count them)")
    args = parser.parse_args(argv)
    app = load(args.factory)
    settings = app.state.settings
    config = uvicorn.Config(
        app, host=args.host, port=args.port, log_level=args.log_level, access_log=args.access_log,
        timeout_graceful_shutdown=settings.shutdown_timeout_s,
    )
    DrainingServer(config, app, settings.shutdown_drain_s).run()


if __name__ == "__main__":  # pragma: no cover - the entry point
    main()
