"""`ecity`: the developers' and operators' command line."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ecity_cli.config import LocalSettings
from ecity_cli.infra import InfraError, port_open, run_async
from ecity_cli.local import LocalInfra
from ecity_cli.services import (
    SERVICES,
    SIGN_IN_PORT,
    WEB,
    ServiceProcess,
    SignInProcess,
    database_settings,
    service_env,
    web_env,
)
from ecity_cli.supervisor import ChildExit, ChildProcess, Supervisor
from ecity_common.messaging.access import SCRAM, KafkaAccess

app = typer.Typer(help="Sumy e-City backend: run it locally, mint tokens, watch events, replay dead letters.", no_args_is_help=True)
infra_app = typer.Typer(help="The local Kafka broker and PostgreSQL cluster.", no_args_is_help=True)
events_app = typer.Typer(help="Events on Kafka.", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead letters: messages a consumer could not handle.", no_args_is_help=True)
app.add_typer(infra_app, name="infra")
app.add_typer(events_app, name="events")
budget_app = typer.Typer(help="The budget ledger.", no_args_is_help=True)
citizens_app = typer.Typer(help="Citizens' requests.", no_args_is_help=True)
app.add_typer(citizens_app, name="citizens")
app.add_typer(dlq_app, name="dlq")
app.add_typer(budget_app, name="budget")
mail_app = typer.Typer(help="The local mailbox of `make run`: the e-mail notifications sent.", no_args_is_help=True)
app.add_typer(mail_app, name="mail")
notifications_app = typer.Typer(help="Notifications to citizens.", no_args_is_help=True)
app.add_typer(notifications_app, name="notifications")
console = Console()


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(1)


@infra_app.command("up")
def infra_up() -> None:
    """Start Kafka and PostgreSQL in the background (they keep running until `ecity infra down`)."""
    settings = LocalSettings()
    infra = LocalInfra.from_settings(settings)
    try:
        infra.up()
    except InfraError as exc:
        _fail(exc)
    console.print(f"Kafka on 127.0.0.1:{settings.kafka_port} (sign-ins in {infra.kafka.credentials.file}), "
                  f"PostgreSQL on 127.0.0.1:{settings.postgres_port}")


@infra_app.command("prepare")
def infra_prepare() -> None:
    """Check Java and fetch Kafka's jars from Maven Central if they are not cached yet."""
    settings = LocalSettings()
    try:
        LocalInfra.from_settings(settings).kafka.ensure_jars()
    except InfraError as exc:
        _fail(exc)


@infra_app.command("down")
def infra_down() -> None:
    """Stop Kafka and PostgreSQL (their data stays in the state folder)."""
    LocalInfra.from_settings(LocalSettings()).down()
    console.print("stopped")


@infra_app.command("reset")
def infra_reset() -> None:
    """Stop Kafka and PostgreSQL and delete their data: the next `make run` starts from the demo data
    alone (every request, entry and topic gone). Refused while `make run` holds them."""
    running = [info.name for info in SERVICES.values()
               if port_open(int(_env(f"{info.env_prefix}HTTP_PORT", str(info.default_port))))]
    if running:
        _fail(RuntimeError(f"{', '.join(running)} still running (make run?): stop it first"))
    for path in LocalInfra.from_settings(LocalSettings()).reset():
        console.print(f"removed {path}")


@infra_app.command("status")
def infra_status() -> None:
    settings = LocalSettings()
    infra = LocalInfra.from_settings(settings)
    kafka = "ready" if infra.kafka.running_pid() and infra.kafka.is_ready() else "stopped"
    postgres = "running" if infra.postgres.is_running() else "stopped"
    console.print(f"Kafka 127.0.0.1:{settings.kafka_port}: {kafka}\nPostgreSQL 127.0.0.1:{settings.postgres_port}: {postgres}")


@app.command("up")
def up() -> None:
    """What `make run` does: Kafka, PostgreSQL, the local mailbox (an SMTP server keeping what
    notifications sends, `ecity mail tail`) and the five services; a service that exits is started
    again; Ctrl-C stops all of it (services first, then the mailbox, Kafka and PostgreSQL)."""
    from ecity_cli.mailbox import LocalMailServer, mail_folder, port_from_env

    settings = LocalSettings()
    infra = LocalInfra.from_settings(settings)
    processes: list[ServiceProcess] = []
    supervisor: Supervisor | None = None
    mail: LocalMailServer | None = None
    stop = threading.Event()

    def on_signal(*_) -> None:
        stop.set()
        if supervisor is not None:
            supervisor.request_stop()  # a second Ctrl-C kills the services that are still draining

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        console.print("starting Kafka and PostgreSQL…")
        infra.up()
        if stop.is_set():
            return
        mail_port = port_from_env()
        if port_open(mail_port):
            raise InfraError(f"port {mail_port} for the local mailbox is taken: stop that program or set NOTIFICATIONS_SMTP_PORT")
        mail = LocalMailServer(mail_folder(settings.state), mail_port).start()
        for info in SERVICES.values():
            port = int(_env(f"{info.env_prefix}HTTP_PORT", str(info.default_port)))
            if port_open(port):
                raise InfraError(f"port {port} for {info.name} is taken: stop that program or set {info.env_prefix}HTTP_PORT")
            local = {k: _env(f"{info.env_prefix}{k.upper()}", v) for k, v in LOCAL_DEVELOPMENT.get(info.name, {}).items()}
            env = service_env(
                info,
                port=port,
                kafka=infra.kafka.service_settings(info.name),  # its own sign-in: its own rights
                **database_settings(info, infra.postgres),
                **local,
            )
            processes.append(ServiceProcess(info, port=port, env=env, log_file=settings.state / "logs" / f"{info.name}.log"))
        processes.extend(_web_processes(settings, processes))
        supervisor = Supervisor(processes, on_exit=_print_exit, on_restart=_print_restart)
        supervisor.start()
        # A service that cannot start the first time stops everything with its log's end (a broken
        # checkout or configuration should not loop); once all are up, an exit is restarted.
        for process in processes:
            process.wait_ready(cancel=stop)
        if not stop.is_set():
            _print_system(settings, processes)
            supervisor.run()  # until Ctrl-C or SIGTERM
    except InfraError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        console.print("stopping…")
        if supervisor is not None:
            supervisor.stop()
        if mail is not None:
            mail.stop()
        infra.down()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        console.print("stopped")


def _web_processes(settings: LocalSettings, services: list[ServiceProcess]) -> list:
    """The local sign-in (an OpenID Connect provider for development only) and the web over the
    services just made; started, watched and stopped with them. Only with the services its pages
    call: without them (`ecity up` of a few services) there is no web to start."""
    url = {p.info.name: p.url for p in services}
    if not {"citizen-requests", "notifications"} <= url.keys():
        return []
    sign_in_port = int(_env("ECITY_SIGN_IN_PORT", str(SIGN_IN_PORT)))
    web_port = int(_env(f"{WEB.env_prefix}HTTP_PORT", str(WEB.default_port)))
    for port, what, variable in ((sign_in_port, "the local sign-in", "ECITY_SIGN_IN_PORT"),
                                 (web_port, "web", f"{WEB.env_prefix}HTTP_PORT")):
        if port_open(port):
            raise InfraError(f"port {port} for {what} is taken: stop that program or set {variable}")
    sign_in = SignInProcess(port=sign_in_port, log_file=settings.state / "logs" / "sign-in.log")
    env = web_env(port=web_port, oidc_issuer=sign_in.url, citizen_requests_url=url["citizen-requests"],
                  notifications_url=url["notifications"])
    return [sign_in, ServiceProcess(WEB, port=web_port, env=env, log_file=settings.state / "logs" / "web.log")]


def _print_exit(event: ChildExit) -> None:
    at = (datetime.now() + timedelta(seconds=event.restart_in_s)).strftime("%H:%M:%S")
    console.print(
        f"[red]{event.name} exited {event.how}[/] after {event.uptime_s:.0f} s; log: {event.log_file}; "
        f"restarting in {event.restart_in_s:g} s (at {at})"
    )


def _print_restart(child: ChildProcess) -> None:
    console.print(f"{child.name} started again (pid {child.pid})")


# What a developer's machine allows that a cluster never does (the environment still wins): webhooks
# to a receiver on this machine, over plain HTTP.
LOCAL_DEVELOPMENT = {
    "utilities-gateway": {"webhook_allow_private_targets": "true", "webhook_allow_http": "true"},
}


def _env(name: str, default: str) -> str:
    import os

    return os.environ.get(name, default)


def _print_system(settings: LocalSettings, processes: list[ServiceProcess]) -> None:
    table = Table(title="Sumy e-City is running")
    table.add_column("service")
    table.add_column("API")
    table.add_column("docs")
    web = sign_in = None
    for p in processes:
        if isinstance(p, SignInProcess):
            sign_in = p
        elif p.info.name == WEB.name:
            web = p
        else:
            table.add_row(p.info.name, p.url, f"{p.url}/docs")
    console.print(table)
    if web is not None and sign_in is not None:
        console.print(f"[bold]The web (citizens and staff): {web.url}[/] · sign in with a demo person at the local "
                      f"provider {sign_in.url} (development only)")
    console.print(f"Kafka 127.0.0.1:{settings.kafka_port} · PostgreSQL 127.0.0.1:{settings.postgres_port} · logs in {settings.state / 'logs'}")
    from ecity_cli.mailbox import mail_folder, port_from_env

    console.print(f"Mailbox: SMTP 127.0.0.1:{port_from_env()}, kept in {mail_folder(settings.state)} · "
                  "[bold].venv/bin/ecity mail tail[/] shows what notifications sent")
    console.print("A citizen's token: [bold].venv/bin/ecity token --role citizen --sub citizen-1[/]   A service that exits is started again; Ctrl-C stops everything.")


@app.command("token")
def token(
    role: list[str] = typer.Option(..., "--role", help="a role claim; repeat for several"),
    sub: str = typer.Option(..., "--sub", help="the subject (user id)"),
    ttl: int = typer.Option(3600 * 12, help="lifetime in seconds"),
    service: list[str] = typer.Option(None, "--service", help="an audience (a service's name); repeat; default: all of them"),
) -> None:
    """Mint a local JWT (ES256, the local key pair) that the services of `make run` accept."""
    import importlib

    from ecity_cli.tokens import local_issuer
    from ecity_common.auth import ROLES

    unknown = sorted(set(role) - ROLES)
    if unknown:  # a typo (`citzen`) would mint a token that every route refuses, with no hint why
        _fail(ValueError(f"unknown role {', '.join(unknown)}; the city's roles: {', '.join(sorted(ROLES))}"))
    strangers = sorted(set(service or ()) - set(SERVICES))
    if strangers:
        _fail(ValueError(f"unknown service {', '.join(strangers)}; the services: {', '.join(SERVICES)}"))
    settings = {name: importlib.import_module(f"{SERVICES[name].package}.settings").Settings() for name in service or SERVICES}
    issuer = next(iter(settings.values())).jwt_issuer
    audiences = [s.jwt_audience for s in settings.values()]
    print(local_issuer().mint(subject=sub, roles=role, audience=audiences, issuer=issuer, ttl_s=ttl))


@app.command("migrate")
def migrate(service: str = typer.Argument("all", help="a service name, or all")) -> None:
    """Apply a service's database migrations (its settings give the database and the owner to migrate as)."""
    import importlib

    from ecity_common.migrations import upgrade

    names = list(SERVICES) if service == "all" else [service]
    for name in names:
        info = SERVICES.get(name)
        if info is None:
            _fail(ValueError(f"unknown service {name!r}; one of {', '.join(SERVICES)}"))
        settings = importlib.import_module(f"{info.package}.settings").Settings()
        upgrade(info.migrations_dir, settings.migration_url)
        console.print(f"{name}: migrated")


@app.command("contracts")
def contracts(check: bool = typer.Option(False, help="only check that the committed files are current")) -> None:
    """Regenerate the AsyncAPI document and JSON Schemas of the event catalogue, each service's OpenAPI document
    and the Endpoints table of its README (from that document)."""
    from ecity_cli.endpoints import write_endpoint_tables
    from ecity_cli.openapi import write_openapi
    from ecity_common.events.contracts import write_contracts

    # The tables after the documents: they are rendered from the documents as written.
    stale = write_contracts(check_only=check) + write_openapi(check_only=check) + write_endpoint_tables(check_only=check)
    if check and stale:
        _fail(RuntimeError(f"out of date: {', '.join(stale)}; run `ecity contracts`"))
    console.print("contracts are current" if check else f"wrote {len(stale)} changed file(s)")


@events_app.command("tail")
def events_tail(
    topic: str,
    from_beginning: bool = typer.Option(False, "--from-beginning"),
    max_events: int = typer.Option(0, "--max", help="stop after this many (0: run until Ctrl-C)"),
    bootstrap: str = typer.Option(None, envvar="ECITY_KAFKA_BOOTSTRAP_SERVERS"),
) -> None:
    """Pretty-print the CloudEvents on a topic as they arrive."""
    asyncio.run(_tail(topic, _kafka(bootstrap), from_beginning, max_events))


def _kafka(bootstrap: str | None) -> KafkaAccess:
    """The operator's sign-in: to the local broker (`make run`'s, or the one ECITY_STATE_DIR and
    ECITY_KAFKA_PORT name) as its admin, whose password is in its state folder; to another cluster
    with --bootstrap and ECITY_KAFKA_SASL_USERNAME / ECITY_KAFKA_SASL_PASSWORD (and
    ECITY_KAFKA_SECURITY_PROTOCOL=SASL_SSL with ECITY_KAFKA_SSL_CAFILE for TLS)."""
    import os

    from ecity_cli.infra.kafka import ADMIN

    local = LocalInfra.from_settings(LocalSettings()).kafka
    username = os.environ.get("ECITY_KAFKA_SASL_USERNAME", ADMIN)
    password = os.environ.get("ECITY_KAFKA_SASL_PASSWORD") or local.credentials.known(username)
    if password is None:
        _fail(InfraError(f"no password for Kafka user {username}: set ECITY_KAFKA_SASL_PASSWORD, or start the local "
                         f"broker (`ecity infra up`), which keeps its own in {local.credentials.file}"))
    return KafkaAccess(bootstrap or local.bootstrap_servers,
                       os.environ.get("ECITY_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"), SCRAM, username, password,
                       os.environ.get("ECITY_KAFKA_SSL_CAFILE"))


async def _tail(topic: str, kafka: KafkaAccess, from_beginning: bool, max_events: int) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from ecity_common.events import CloudEvent, InvalidEvent

    consumer = AIOKafkaConsumer(**kafka.client_options(), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            _fail(ValueError(f"no topic {topic!r}"))
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await (consumer.seek_to_beginning(*tps) if from_beginning else consumer.seek_to_end(*tps))
        seen = 0
        async for record in consumer:
            try:
                event = CloudEvent.from_kafka(record.headers, record.value)
                console.rule(f"[bold]{event.type}[/]  p{record.partition}@{record.offset}")
                console.print_json(json.dumps(event.model_dump(mode="json"), ensure_ascii=False))
            except InvalidEvent as exc:
                console.rule(f"[red]not a CloudEvent[/] p{record.partition}@{record.offset}: {exc}")
            seen += 1
            if max_events and seen >= max_events:
                return
    finally:
        await consumer.stop()


@dlq_app.command("list")
def dlq_list(
    topic: str = typer.Argument(..., help="the original topic (its `.dlq` twin is read) or the .dlq topic"),
    bootstrap: str = typer.Option(None, envvar="ECITY_KAFKA_BOOTSTRAP_SERVERS"),
) -> None:
    """List the dead letters of a topic: where they came from and why they failed."""
    from ecity_common.messaging.dlq import read_dead_letters

    letters = asyncio.run(read_dead_letters(_kafka(bootstrap), _dlq(topic)))
    table = Table(title=f"{_dlq(topic)}: {len(letters)} dead letter(s)")
    for col in ("dlq offset", "from", "group", "event", "failed at", "error"):
        table.add_column(col)
    for d in letters:
        table.add_row(
            f"p{d.dlq_partition}@{d.dlq_offset}",
            f"{d.original_topic} p{d.original_partition}@{d.original_offset}",
            d.consumer_group,
            f"{d.event_type or '?'} {d.event_id or ''}",
            d.failed_at,
            d.error[:200],
        )
    console.print(table)


@dlq_app.command("replay")
def dlq_replay(
    topic: str = typer.Argument(..., help="the original topic or its .dlq twin"),
    offset: list[str] = typer.Option(None, "--offset", help="PARTITION@OFFSET of a dead letter; repeat; default all"),
    group: str = typer.Option(None, "--group", help="only the dead letters of this consumer group"),
    bootstrap: str = typer.Option(None, envvar="ECITY_KAFKA_BOOTSTRAP_SERVERS"),
) -> None:
    """Send dead letters back to their original topic (consumers' inboxes skip what they did)."""
    from ecity_common.messaging.dlq import read_dead_letters, replay_dead_letters

    kafka = _kafka(bootstrap)
    letters = asyncio.run(read_dead_letters(kafka, _dlq(topic)))
    if offset:
        wanted = {tuple(int(x) for x in o.lstrip("p").split("@")) for o in offset}
        letters = [d for d in letters if (d.dlq_partition, d.dlq_offset) in wanted]
    if group:
        letters = [d for d in letters if d.consumer_group == group]
    count = asyncio.run(replay_dead_letters(kafka, letters))
    console.print(f"replayed {count} dead letter(s)")


@budget_app.command("import")
def budget_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the CSV file"),
    layout: str = typer.Option("national", help="national (the open budget portal's export) or plain"),
    batch_id: str = typer.Option(None, help="names the import; default: the file's name"),
    override_reason: str = typer.Option(None, help="allow financing beyond the plan, and say why"),
    author: str = typer.Option("ecity-cli", help="who imports (recorded on every entry)"),
) -> None:
    """Import plan and financing lines into the budget ledger's database, all or nothing."""
    from rich.progress import Progress

    from budget_ledger.adapters.import_files import parse
    from budget_ledger.adapters.tables import messaging
    from budget_ledger.settings import Settings
    from budget_ledger.use_cases import importing
    from ecity_common.db import make_engine, make_sessions
    from ecity_common.messaging.outbox import Outbox

    if layout not in ("national", "plain"):
        _fail(ValueError("--layout is national or plain"))
    lines, problems = parse(file.read_bytes(), layout)  # type: ignore[arg-type]
    settings = Settings()

    async def run() -> importing.ImportResult:
        engine = make_engine(settings)
        try:
            async with make_sessions(engine)() as session:
                await session.begin()
                with Progress(console=console) as progress:
                    task = progress.add_task(f"importing {file.name}", total=len(lines))
                    result = await importing.apply(
                        session, Outbox(messaging.outbox, settings), lines,
                        batch_id=batch_id or re.sub(r"[^A-Za-z0-9._-]", "-", file.stem), author=author,
                        override_reason=override_reason, on_progress=lambda n: progress.advance(task, n),
                    )
                await (session.rollback() if result.problems else session.commit())
                return result
        finally:
            await engine.dispose()

    result = importing.ImportResult(lines=len(lines), problems=problems) if problems else run_async(run)
    if result.problems:
        table = Table(title=f"{len(result.problems)} problem(s): nothing was imported")
        for col in ("line", "column", "problem"):
            table.add_column(col)
        for p in result.problems:
            table.add_row(str(p.row), p.column, p.message)
        console.print(table)
        raise typer.Exit(1)
    console.print(f"imported {result.lines} line(s): {result.entries_posted} new entr(ies)")


@citizens_app.command("issue-open311-key")
def issue_open311_key(name: str = typer.Option(..., help="the client app the key is for")) -> None:
    """Issue an Open311 api_key for a client app; it is printed once and stored only as a hash."""
    from citizen_requests.adapters.tables import open311_clients
    from citizen_requests.settings import Settings
    from ecity_common.auth import issue_api_key
    from ecity_common.db import make_engine

    key = issue_api_key("ecity311")

    async def store() -> None:
        engine = make_engine(Settings())
        try:
            async with engine.begin() as conn:
                await conn.execute(open311_clients.insert().values(key_id=key.key_id, key_hash=key.key_hash, name=name))
        finally:
            await engine.dispose()

    run_async(store)
    console.print(f"Open311 api_key for {name} (shown once, keep it safe):")
    print(key.plaintext)


@mail_app.command("tail")
def mail_tail(
    count: int = typer.Option(10, "-n", "--count", help="how many of the latest messages"),
    follow: bool = typer.Option(False, "--follow", "-f", help="then wait for new ones (Ctrl-C stops)"),
) -> None:
    """The latest messages the local mailbox received, oldest first: from, to, subject, date and the
    plain-text part, decoded."""
    from ecity_cli.mailbox import follow as following
    from ecity_cli.mailbox import latest, letters, mail_folder

    folder = mail_folder(LocalSettings().state)
    shown = latest(folder, count)
    if not shown and not follow:
        console.print(f"no mail in {folder} (`make run` keeps there what notifications sends)")
    for letter in shown:
        print(letter.render())
    if follow:
        try:
            for letter in following(folder, seen={p.name for p in letters(folder)}):
                print(letter.render(), flush=True)
        except KeyboardInterrupt:
            pass


@notifications_app.command("carry-over")
def notifications_carry_over(
    citizen_requests_db: str = typer.Option(None, "--citizen-requests-db", envvar="CITIZEN_REQUESTS_DATABASE_URL",
                                            help="citizen-requests' database (default: its settings')"),
) -> None:
    """Tell notifications who reports and who follows each existing request: one request.subscribed
    per row, with its original time, through citizen-requests' outbox (its relay publishes them).
    Safe to run again: the events keep their ids, and notifications skips what it has handled."""
    from citizen_requests.adapters.tables import messaging
    from citizen_requests.settings import Settings
    from citizen_requests.use_cases.carry_over import carry_followers_over
    from ecity_common.db import make_engine, make_sessions
    from ecity_common.messaging.outbox import Outbox

    settings = Settings(**({"database_url": _asyncpg(citizen_requests_db)} if citizen_requests_db else {}))

    async def run():
        engine = make_engine(settings)
        try:
            async with make_sessions(engine)() as session, session.begin():
                return await carry_followers_over(session, Outbox(messaging.outbox, settings))
        finally:
            await engine.dispose()

    done = run_async(run)
    console.print(f"{done.reporters} reporter(s) and {done.followers} follower(s) carried over; "
                  f"{done.staged} new event(s) in citizen-requests' outbox")


def _asyncpg(url: str) -> str:
    return "postgresql+asyncpg://" + url.split("://", 1)[1] if url.startswith(("postgresql://", "postgres://")) else url


def _dlq(topic: str) -> str:
    return topic if topic.endswith(".dlq") else f"{topic}.dlq"


def main() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except InfraError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
