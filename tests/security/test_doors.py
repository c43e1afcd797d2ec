"""The matrix itself catches what it is for: a route nobody decided on, a decision for a route
that is gone, and a staff route left open (on a small app of its own, no database needed)."""

from __future__ import annotations

import httpx
from fastapi import Depends, FastAPI

from ecity_cli.tokens import local_issuer
from ecity_common.auth import JwtVerifier, require_role
from ecity_common.settings import ServiceSettings
from ecity_common.web.problems import install_problem_handlers

from .doors import ANYONE, roles, token_callers, undecided, walk


def _desk() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    install_problem_handlers(app)
    app.state.jwt = JwtVerifier(settings := ServiceSettings(mode="local", service_name="citizen-requests",
                                                             jwt_jwks_file=str(local_issuer().jwks_file)))
    app.state.settings = settings

    @app.get("/desk", dependencies=[Depends(require_role("operator"))])
    async def desk() -> dict:
        return {}

    @app.get("/forgotten")  # meant for operators, its guard forgotten
    async def forgotten() -> dict:
        return {"every": "request"}

    @app.post("/new", dependencies=[Depends(require_role("operator"))])
    async def new() -> dict:
        return {}

    return app


DOORS = {"GET /desk": roles("operator"), "GET /forgotten": roles("operator"), "GET /gone": ANYONE}


def test_a_route_without_a_decision_and_a_decision_without_a_route_fail():
    app = _desk()
    wrong = undecided(app, {k: v for k, v in DOORS.items() if k != "GET /forgotten"}, "here")
    assert wrong == ["GET /forgotten: a route with no decision; add it to DOORS in here (who may call it)",
                     "POST /new: a route with no decision; add it to DOORS in here (who may call it)",
                     "GET /gone: a decision for a route the app no longer has; remove it from DOORS in here"]


async def test_an_open_staff_route_is_every_cell_but_the_operators():
    app = _desk()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as client:
        wrong = await walk(client, {k: DOORS[k] for k in ("GET /desk", "GET /forgotten")},
                           token_callers(app.state.settings))
    assert wrong and all(line.startswith("GET /forgotten as ") for line in wrong)
    assert "GET /forgotten as anonymous (roles operator): should be refused with 401, was answered 200" in wrong[0]
    assert not [line for line in wrong if "as role operator " in line]  # the one caller it should let in
    assert len(wrong) == len(token_callers(app.state.settings)) - 1
