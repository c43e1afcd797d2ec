"""What every page route shares: the session behind the cookie, the signed-in person, the CSRF
check of a posted form, and rendering a template with what every page shows."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, TimestampSigner
from starlette.datastructures import FormData
from starlette.middleware.base import BaseHTTPMiddleware

from web.domain.sessions import Person, Session, SessionStore
from web.domain.words import status_name, when

COOKIE = "ecity_session"
TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")
TEMPLATES.env.filters["status"] = status_name
TEMPLATES.env.filters["when"] = when


class SignInNeeded(Exception):
    """The page needs a signed-in person (with one of `roles`, when given)."""

    def __init__(self, roles: tuple[str, ...] = ()) -> None:
        self.roles = roles


class FormRefused(Exception):
    """A posted form without this session's CSRF token."""


class Sessions(BaseHTTPMiddleware):
    """Finds the session of the signed cookie (request.state.session, or None) and sets the cookie
    of a session a route began. The cookie is HttpOnly (no script reads it), SameSite=Lax (another
    site's form posts arrive without it; the CSRF token is the second lock) and Secure on https."""

    async def dispatch(self, request: Request, call_next):
        app = request.app
        store: SessionStore = app.state.sessions
        signer: TimestampSigner = app.state.signer
        session = None
        if cookie := request.cookies.get(COOKIE):
            try:
                session = store.get(signer.unsign(cookie, max_age=app.state.settings.session_max_age_s).decode())
            except BadSignature:
                session = None
        request.state.session = session
        request.state.began = False
        request.scope["session"] = session.data if session else {}  # the OpenID Connect client's place
        response = await call_next(request)
        session = request.state.session
        if request.state.began and session is not None:
            response.set_cookie(COOKIE, signer.sign(session.id).decode(), max_age=app.state.settings.session_max_age_s,
                                httponly=True, samesite="lax", secure=app.state.settings.secure_cookies, path="/")
        elif session is None and cookie:
            response.delete_cookie(COOKIE, path="/")
        return response


def session_of(request: Request) -> Session:
    """This browser's session, begun now if it has none (its cookie is set with the answer)."""
    session: Session | None = request.state.session
    if session is None:
        session = request.app.state.sessions.new()
        request.state.session, request.state.began = session, True
        request.scope["session"] = session.data
    return session


def person_of(request: Request) -> Person | None:
    session: Session | None = request.state.session
    return session.person if session is not None else None


def signed_in(request: Request, *roles: str) -> tuple[Person, str]:
    """The person and their access token; SignInNeeded (answered by a redirect to sign-in, or a
    page saying which role is missing) otherwise."""
    session: Session | None = request.state.session
    if session is None or session.person is None or session.access_token is None:
        raise SignInNeeded()
    if roles and not session.person.roles.intersection(roles):
        raise SignInNeeded(roles)
    return session.person, session.access_token


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token is this session's (constant-time compare)."""
    form = await request.form()
    session: Session | None = request.state.session
    sent = form.get("csrf")
    if session is None or not isinstance(sent, str) or not secrets.compare_digest(sent, session.csrf):
        raise FormRefused()
    return form


def form_lists(form: FormData) -> dict[str, list[str]]:
    return {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form.keys()}


def page(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    session: Session | None = request.state.session
    settings = request.app.state.settings
    return TEMPLATES.TemplateResponse(request, template, {
        "person": session.person if session else None,
        "csrf": session.csrf if session else "",
        "map": {"tiles": settings.tile_url or "", "attribution": settings.tile_attribution,
                "lat": settings.map_centre_lat, "long": settings.map_centre_long},
        **context,
    }, status_code=status_code)


def see_other(url: str) -> RedirectResponse:
    """After a form: the browser GETs the next page (a reload does not post again)."""
    return RedirectResponse(url, status_code=303)
