"""The local infrastructure `make run` and `make test` start by themselves: Kafka and PostgreSQL.

No Docker here: Kafka runs from its Maven Central jars on the machine's Java 17 (KRaft, one
combined broker+controller), PostgreSQL from the machine's server binaries. Both listen on
127.0.0.1 only and keep their data under a state folder.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class InfraError(RuntimeError):
    """A prerequisite is missing or a server would not start; the message says what to do."""


def repo_root() -> Path:
    env = os.environ.get("ECITY_HOME")
    if env:
        return Path(env).resolve()
    for candidate in [Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents]:
        if (candidate / "deploy" / "local" / "kafka" / "pom.xml").is_file():
            return candidate
    raise InfraError("cannot find the e-City checkout: run from inside it or set ECITY_HOME")


def require(tool: str, sentence: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise InfraError(sentence)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run_async(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine from sync code, even when called inside a running loop (async tests)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()
