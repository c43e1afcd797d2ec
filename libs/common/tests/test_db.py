"""The service engine's connection settings, against the real PostgreSQL."""

from sqlalchemy import text

from ecity_common.db import make_engine
from ecity_common.settings import ServiceSettings


async def test_each_connection_plans_as_the_service_asks(infra):
    url = infra.new_database("plans")
    for mode in ("auto", "force_custom_plan"):
        engine = make_engine(ServiceSettings(database_url=url, database_plan_cache_mode=mode))
        try:
            async with engine.connect() as conn:
                assert await conn.scalar(text("SHOW plan_cache_mode")) == mode
        finally:
            await engine.dispose()


async def test_a_connection_lost_under_asyncpg_itself_is_a_503_like_one_lost_under_sqlalchemy():
    """A service may use an engine's connection through the driver (citizen-requests' filing
    desk): losing it is the database being away, not a bug, for the caller and the answer."""
    import asyncpg
    import httpx
    from fastapi import FastAPI

    from ecity_common.db import database_unavailable
    from ecity_common.web.problems import install_problem_handlers

    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/lost")
    async def lost():
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    @app.get("/broken")
    async def broken():
        raise asyncpg.UniqueViolationError("duplicate key")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://test") as client:
        answer = await client.get("/lost")
        assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
        assert answer.headers["content-type"] == "application/problem+json"
        assert (await client.get("/broken")).status_code == 500  # what was asked is at fault: logged, not retried
    assert database_unavailable(asyncpg.ConnectionDoesNotExistError("closed"))
    assert database_unavailable(asyncpg.exceptions.AdminShutdownError("terminating connection"))
    assert not database_unavailable(asyncpg.UniqueViolationError("duplicate key"))
    assert not database_unavailable(asyncpg.QueryCanceledError("statement timeout"))  # the connection is fine


async def test_a_new_connection_refused_while_the_database_is_down_is_a_503():
    """While PostgreSQL is down or starting up, the pool's new connections fail at the socket
    (ConnectionRefusedError, reset, a bare OSError), which SQLAlchemy does not wrap: that too is
    the database being away, not a bug. (Found by tests/test_chaos.py: 500s during a restart.)"""
    import httpx
    from fastapi import FastAPI

    from ecity_cli.infra import free_port
    from ecity_common.web.problems import install_problem_handlers

    engine = make_engine(ServiceSettings(database_url=f"postgresql+asyncpg://ecity@127.0.0.1:{free_port()}/nowhere"))
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/write")
    async def write():
        async with engine.connect() as conn:  # nothing listens on that port
            await conn.execute(text("SELECT 1"))

    @app.get("/report")
    async def report():
        raise FileNotFoundError("report.pdf")  # an OSError too, but a bug's: a 500

    try:
        # Exceptions that escape the app fail the call here: answered 503 and not re-raised, so
        # that the server prints no traceback for each request during a restart.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            answer = await client.get("/write")
            assert answer.status_code == 503 and answer.headers["retry-after"] == "2"
            assert answer.headers["content-type"] == "application/problem+json"
            assert (await client.get("/report")).status_code == 500
    finally:
        await engine.dispose()


async def test_a_database_error_in_the_log_quotes_no_value_of_the_statement(infra, caplog):
    """A failed statement's error, logged with a 500's traceback, carried the statement's parameters
    (SQLAlchemy's list, unless the engine hides them), and PostgreSQL and the driver quote values
    too: the row a constraint refused, the key that already exists, the text a type could not take.
    A citizen's description, e-mail or phone would be in the log (issue 15)."""
    import logging

    import asyncpg
    import httpx
    from fastapi import FastAPI

    from ecity_common.web.problems import install_problem_handlers

    secret = "olena.koval.7f3a@example.com"
    url = infra.new_database("withheld")
    engine = make_engine(ServiceSettings(database_url=url))
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE contacts (id int PRIMARY KEY, email text UNIQUE CHECK (email NOT LIKE '%7f3a%'), "
                                "phone varchar(10), n int)"))
        await conn.execute(text("INSERT INTO contacts (id, email) VALUES (1, :e)"), {"e": secret.replace("7f3a", "")})
    statements = {  # each refused by the database or the driver, quoting `secret` if let
        "too-long": ("INSERT INTO contacts (id, phone) VALUES (2, :v)", {"v": secret}),  # (only SQLAlchemy's list)
        "check": ("INSERT INTO contacts (id, email) VALUES (3, :v)", {"v": secret}),  # DETAIL: Failing row contains
        "unique": ("INSERT INTO contacts (id, email) VALUES (4, :v)", {"v": secret.replace("7f3a", "")}),  # DETAIL: Key
        "argument": ("INSERT INTO contacts (id, n) VALUES (5, :v)", {"v": secret}),  # the driver's DataError
        "cast": ("SELECT CAST(CAST(:v AS text) AS int)", {"v": secret}),  # invalid input syntax for type integer: "…"
    }
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/{case}")
    async def run(case: str):
        if case == "driver":  # a connection used through asyncpg itself, as citizen-requests' filing desk does
            conn = await asyncpg.connect(url.replace("+asyncpg", ""))
            try:
                await conn.execute("INSERT INTO contacts (id, email) VALUES (6, $1)", secret)
            finally:
                await conn.close()
        statement, values = statements[case]
        async with engine.begin() as conn:
            await conn.execute(text(statement), values)

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                     base_url="http://test") as client:
            for case in [*statements, "driver"]:
                caplog.clear()
                with caplog.at_level(logging.ERROR):
                    assert (await client.post(f"/{case}")).status_code == 500, case  # the work's own failure: not a 503
                [record] = [r for r in caplog.records if r.exc_info]
                logged = logging.Formatter().format(record)
                assert secret not in logged and secret.replace("7f3a", "") not in logged, (case, logged)
                assert "contacts" in logged or "CAST" in logged, logged  # what failed is still there to read
    finally:
        await engine.dispose()
