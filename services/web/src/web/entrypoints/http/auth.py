"""Signing in and out: the redirect to the identity provider, its callback, the end of a session."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request

from web.adapters.identity import SignInFailed
from web.domain.sessions import person_of as person_from_claims
from web.entrypoints.http.edge import checked_form, page, see_other, session_of

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


def _local_path(value: str | None) -> str:
    """Where to go after sign-in: a path of this site only (never `//elsewhere` or a full URL)."""
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


@router.get("/sign-in")
async def sign_in(request: Request, next: str | None = None):
    session = session_of(request)
    session.data["next"] = _local_path(next)
    return await request.app.state.identity.begin(request, str(request.url_for("signed_in")))


@router.get("/auth/callback", name="signed_in")
async def callback(request: Request):
    session = session_of(request)
    try:
        claims, access_token, expires_at = await request.app.state.identity.finish(request)
    except SignInFailed as exc:
        log.info("sign-in refused: %s", exc)
        return page(request, "message.html", 400, title="Не вдалося увійти",
                    text="Вхід не завершено. Спробуйте ще раз.", link="/sign-in")
    session.signed_in(person_from_claims(claims), access_token, expires_at)
    return see_other(_local_path(session.data.pop("next", "/")))


@router.post("/sign-out")
async def sign_out(request: Request):
    await checked_form(request)
    request.app.state.sessions.end(request.state.session.id)
    request.state.session = None
    return see_other("/")
