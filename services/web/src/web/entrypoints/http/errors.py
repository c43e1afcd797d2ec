"""How a page says no: to sign in first, that a role is missing, that a form came from elsewhere."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from web.adapters.apis import Refused
from web.entrypoints.http.edge import FormRefused, SignInNeeded, page


async def sign_in_needed(request: Request, exc: SignInNeeded):
    if exc.roles:
        return page(request, "message.html", 403, title="Немає доступу",
                    text="Ця сторінка — для працівників з роллю: " + ", ".join(exc.roles) + ".", link="/")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    # After a POST the form is gone: come back to the page it was on instead.
    if request.method != "GET":
        target = request.headers.get("referer", "/").split(str(request.base_url).rstrip("/"), 1)[-1] or "/"
    return RedirectResponse(f"/sign-in?next={quote(target, safe='/')}", status_code=303)


async def form_refused(request: Request, exc: FormRefused):
    return page(request, "message.html", 403, title="Форму не прийнято",
                text="Сторінка застаріла або форма надіслана з іншого сайту. Відкрийте сторінку знову й повторіть.",
                link="/")


async def api_refused(request: Request, exc: Refused):
    """A refusal no route expected (a service away, a token the service no longer takes)."""
    if exc.status == 401:  # the access token expired or was refused: sign in again
        request.state.session = None
        return RedirectResponse(f"/sign-in?next={quote(request.url.path, safe='/')}", status_code=303)
    return page(request, "message.html", exc.status if exc.status < 500 else 503,
                title=exc.problem.get("title") or "Сервіс недоступний", text=exc.problem.get("detail") or "", link="/")
