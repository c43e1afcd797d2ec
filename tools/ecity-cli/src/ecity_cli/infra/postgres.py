"""A throwaway local PostgreSQL cluster, or an existing server named by a DSN.

PostgreSQL refuses to run as root, so when we are root its binaries run as the `postgres` user on
a data folder that user owns (under the system temp folder, since a checkout under /root is not
reachable by other users).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from ecity_cli.infra import InfraError, port_open, run_async, tail

SUPERUSER = "ecity"


def _find_bin_dir(debian_root: Path = Path("/usr/lib/postgresql")) -> Path:
    env = os.environ.get("ECITY_PG_BIN")
    candidates = [Path(env)] if env else []
    versions = [p for p in debian_root.glob("*/bin") if p.parent.name.isdigit()]
    candidates += sorted(versions, key=lambda p: int(p.parent.name), reverse=True)
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    raise InfraError(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found: install them (apt-get install postgresql-15), "
        "set ECITY_PG_BIN to their folder, or set ECITY_POSTGRES_DSN to use an existing server."
    )


@dataclass
class LocalPostgres:
    state_dir: Path
    port: int = 5433
    # An existing server to use instead of a local cluster: postgresql://user:pass@host:port/postgres
    dsn: str | None = None
    _as_root: bool = field(default_factory=lambda: os.geteuid() == 0)

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).resolve()

    # -- where things live -------------------------------------------------------------------

    @property
    def cluster_dir(self) -> Path:
        if self._as_root:
            digest = hashlib.sha1(str(self.state_dir).encode()).hexdigest()[:10]
            return Path(tempfile.gettempdir()) / f"ecity-postgres-{digest}"
        return self.state_dir / "postgres"

    @property
    def data_dir(self) -> Path:
        return self.cluster_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.cluster_dir / "postgres.log"

    def admin_dsn(self, database: str = "postgres") -> str:
        if self.dsn:
            return make_url(self.dsn).set(drivername="postgresql", database=database).render_as_string(hide_password=False)
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def database_url(self, database: str, role: str | None = None) -> str:
        """The SQLAlchemy URL of a service's own database: as the admin (who owns what ecity
        creates, and migrates), or as a service's restricted `role` (`ensure_roles`)."""
        url = make_url(self.admin_dsn(database)).set(drivername="postgresql+asyncpg")
        if role is not None:
            url = url.set(username=role, password=self._role_password(role) if self.dsn else None)
        return url.render_as_string(hide_password=False)

    def _role_password(self, role: str) -> str:
        """A restricted role's password on a server given by DSN (the local cluster trusts
        127.0.0.1): made once, kept in the state folder."""
        path = self.state_dir / "postgres-roles" / role
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(24))
            os.chmod(path, 0o600)
        return path.read_text().strip()

    # -- running the binaries ----------------------------------------------------------------

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = [str(_find_bin_dir() / cmd[0]), *cmd[1:]]
        if self._as_root:
            try:
                subprocess.run(["id", "-u", "postgres"], check=True, capture_output=True)
            except (subprocess.CalledProcessError, FileNotFoundError):
                raise InfraError("PostgreSQL will not run as root and there is no `postgres` user: create one (useradd -r postgres).") from None
            argv = ["runuser", "-u", "postgres", "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise InfraError(f"`{' '.join(cmd[:2])}` failed:\n{(result.stdout + result.stderr)[-2000:]}\n{tail(self.log_file)}")
        return result

    def is_running(self) -> bool:
        if self.dsn:
            return True
        return self.data_dir.exists() and self._run("pg_ctl", "-D", str(self.data_dir), "status", check=False).returncode == 0

    def accepting(self) -> bool:
        """The server runs and accepts connections: not stopped, not still recovering. Read from the
        status line the postmaster keeps in postmaster.pid ("ready"), without connecting."""
        if self.dsn:
            return True
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[7].strip() == "ready" and port_open(self.port)

    def wait_accepting(self, timeout_s: float = 300.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.accepting():
                return True
            time.sleep(0.5)
        return False

    def start(self) -> None:
        if self.dsn:
            return
        if self.is_running():
            return
        if port_open(self.port):
            raise InfraError(f"port {self.port} is taken by another program: stop it, or set ECITY_POSTGRES_PORT")
        self.cluster_dir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            shutil.chown(self.cluster_dir, "postgres", "postgres")
            os.chmod(self.cluster_dir, 0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust",
                "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
            )
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.cluster_dir}",
                "-c max_connections=300",
                "-c shared_buffers=256MB",
                # A checkpoint at least every 256 MB of WAL (1 GB by default): a test session writes
                # a database per test, and crash recovery after an immediate stop replays what came
                # since the last checkpoint, which on two busy cores took more than a minute.
                "-c max_wal_size=256MB",
            ]
        )
        # pg_ctl returns as soon as the server accepts connections; after an immediate stop that is
        # after crash recovery, which on a loaded machine with a test session's WAL takes minutes.
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-o", options, "-w", "-t", "300", "start")

    def stop(self) -> None:
        if self.dsn or not self.data_dir.exists():
            return
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop", check=False)

    def restart(self, mode: str = "fast", down_s: float = 0.0) -> None:
        """Stop the server as an operator or a failover would ("fast": sessions are ended and
        transactions rolled back; "immediate": no shutdown checkpoint, crash recovery on start),
        stay down `down_s` seconds, and start it again on the same port. For the failure tests."""
        if self.dsn:
            raise InfraError("an external PostgreSQL (ECITY_POSTGRES_DSN) is not restarted by this tool")
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60", "stop")
        time.sleep(down_s)
        self.start()

    def destroy(self) -> None:
        """Stop and delete the cluster's files (tests start from nothing)."""
        self.stop()
        if not self.dsn:
            shutil.rmtree(self.cluster_dir, ignore_errors=True)

    # -- databases ---------------------------------------------------------------------------

    def create_databases(self, names: list[str]) -> None:
        async def create() -> None:
            conn = await asyncpg.connect(self.admin_dsn())
            try:
                existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
                for name in names:
                    if name not in existing:
                        await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        run_async(create)

    def ensure_roles(self, roles: list[str]) -> None:
        """Login roles the services connect as, with no rights of their own: each service's
        migrations grant its role what it needs (roles are the server's, so one for every database)."""
        async def create() -> None:
            conn = await asyncpg.connect(self.admin_dsn())
            try:
                existing = {r["rolname"] for r in await conn.fetch("SELECT rolname FROM pg_roles")}
                for role in roles:
                    quoted = '"' + role.replace('"', '""') + '"'
                    if role not in existing:
                        await conn.execute(f"CREATE ROLE {quoted} LOGIN")
                    if self.dsn:  # (the password is URL-safe characters: nothing to escape)
                        await conn.execute(f"ALTER ROLE {quoted} PASSWORD '{self._role_password(role)}'")
            finally:
                await conn.close()

        run_async(create)

    def drop_database(self, name: str) -> None:
        async def drop() -> None:
            conn = await asyncpg.connect(self.admin_dsn())
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()

        run_async(drop)


