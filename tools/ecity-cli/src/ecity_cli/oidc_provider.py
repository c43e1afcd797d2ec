"""The local sign-in: an OpenID Connect provider for `make run` and the tests, never for a cluster.

The web signs people in with OpenID Connect (authorization code + PKCE) at the city's identity
provider; on a developer's machine this stands in for it. Its sign-in page offers demo people
instead of passwords (a citizen, an operator, an IT engineer); its access tokens are exactly the
ones `ecity token` mints (ecity_cli.tokens: the local ES256 pair whose JWKS the services read, the
services' issuer, each service the web calls as an audience), so the services check them as they
check any other. ID tokens are signed with the same key and name this provider as their issuer.

    python -m ecity_cli.oidc_provider --port 8090

What it checks, as a real provider would: the client's id and secret, the redirect URI (of this
machine only), the PKCE verifier (S256 only), a code used once and within a minute.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from ecity_cli.tokens import LocalIssuer, local_issuer

DEFAULT_PORT = 8090
CODE_TTL_S = 60
TOKEN_TTL_S = 3600
# The services whose APIs the web calls: each is its own audience (ecity_common.settings).
WEB_AUDIENCES = ("citizen-requests", "notifications")


@dataclass(frozen=True)
class DemoPerson:
    key: str
    subject: str
    name: str
    roles: tuple[str, ...]
    label: str


PEOPLE = {p.key: p for p in (
    DemoPerson("citizen", "citizen-olha", "Ольга Коваль", ("citizen",), "Громадянка"),
    DemoPerson("operator", "operator-petro", "Петро Бондар", ("operator",), "Оператор міської служби"),
    DemoPerson("it", "it-andrii", "Андрій Шевченко", ("network-admin", "network-read"), "Інженер ІТ-відділу"),
)}


@dataclass(frozen=True)
class Client:
    id: str
    secret: str


def _local_redirect(uri: str) -> bool:
    """This machine's pages only: the provider exists for development, never a public redirect."""
    return uri.startswith(("http://127.0.0.1:", "http://localhost:")) and "#" not in uri


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _services_issuer() -> str:
    from citizen_requests.settings import Settings

    return Settings().jwt_issuer


def create_app(issuer: str, clients: list[Client] | None = None, keys: LocalIssuer | None = None) -> FastAPI:
    if clients is None:
        from web.settings import LOCAL_CLIENT_SECRET, Settings

        clients = [Client(Settings().oidc_client_id, LOCAL_CLIENT_SECRET)]
    known = {c.id: c for c in clients}
    keys = keys or local_issuer()
    services_issuer = _services_issuer()
    codes: dict[str, dict] = {}
    app = FastAPI(title="ecity local sign-in", docs_url=None, redoc_url=None, openapi_url=None)

    def refused(error: str, description: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": error, "error_description": description}, status_code=status,
                            headers={"Cache-Control": "no-store"})

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict:
        return {
            "issuer": issuer, "authorization_endpoint": f"{issuer}/authorize", "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks", "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile"], "claims_supported": ["sub", "name", "roles"],
        }

    @app.get("/jwks")
    async def jwks() -> JSONResponse:
        return JSONResponse(content=__import__("json").loads(keys.jwks_file.read_text()))

    def checked_request(params) -> str | None:
        """What is wrong with an authorization request, or None."""
        if params.get("response_type") != "code":
            return "response_type must be code"
        if params.get("client_id") not in known:
            return "unknown client_id"
        if not _local_redirect(params.get("redirect_uri", "")):
            return "redirect_uri must be a page of this machine"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE with S256 is required"
        return None

    @app.get("/authorize", response_class=HTMLResponse)
    async def authorize(request: Request) -> HTMLResponse:
        params = dict(request.query_params)
        if (wrong := checked_request(params)) is not None:
            return HTMLResponse(f"<!doctype html><html lang='uk'><title>Помилка входу</title><h1>Помилка входу</h1>"
                                f"<p>{html.escape(wrong)}</p></html>", status_code=400)
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in params.items() if k in ("client_id", "redirect_uri", "state", "nonce",
                                                              "code_challenge", "code_challenge_method", "scope"))
        buttons = "".join(
            f'<li><button type="submit" name="person" value="{p.key}">{html.escape(p.label)}: '
            f'{html.escape(p.name)}</button></li>' for p in PEOPLE.values())
        return HTMLResponse(
            "<!doctype html><html lang='uk'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Вхід (локальний)</title>"
            "<style>body{font:1.1rem/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}"
            "ul{list-style:none;padding:0}button{font:inherit;width:100%;min-height:48px;margin:.25rem 0;"
            "background:#0b4f9c;color:#fff;border:0;border-radius:4px}</style></head><body><main>"
            "<h1>Вхід до Електронного міста</h1><p>Локальний постачальник входу для розробки: "
            "оберіть, ким увійти.</p>"
            f"<form method='post' action='/authorize'>{hidden}<ul>{buttons}</ul></form></main></body></html>")

    @app.post("/authorize")
    async def chosen(request: Request) -> RedirectResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        if (wrong := checked_request({**form, "response_type": "code"})) is not None or form.get("person") not in PEOPLE:
            return HTMLResponse(f"<p>{html.escape(wrong or 'unknown person')}</p>", status_code=400)
        code = secrets.token_urlsafe(32)
        codes[code] = {"client_id": form["client_id"], "redirect_uri": form["redirect_uri"],
                       "challenge": form["code_challenge"], "nonce": form.get("nonce"),
                       "person": PEOPLE[form["person"]], "until": time.time() + CODE_TTL_S}
        query = {"code": code, **({"state": form["state"]} if form.get("state") else {})}
        sep = "&" if "?" in form["redirect_uri"] else "?"
        return RedirectResponse(f"{form['redirect_uri']}{sep}{urlencode(query)}", status_code=303)

    @app.post("/token")
    async def token(request: Request, grant_type: str = Form(""), code: str = Form(""), redirect_uri: str = Form(""),
                    code_verifier: str = Form(""), client_id: str = Form(""),
                    client_secret: str = Form("")) -> JSONResponse:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                from urllib.parse import unquote

                raw_id, _, raw_secret = base64.b64decode(header[6:]).decode().partition(":")
                client_id, client_secret = unquote(raw_id), unquote(raw_secret)
            except ValueError:
                return refused("invalid_client", "malformed Basic credentials", 401)
        client = known.get(client_id)
        if client is None or not secrets.compare_digest(client.secret, client_secret):
            return refused("invalid_client", "unknown client or wrong secret", 401)
        if grant_type != "authorization_code":
            return refused("unsupported_grant_type", "authorization_code only")
        granted = codes.pop(code, None)  # once, whatever happens next
        if granted is None or granted["until"] < time.time():
            return refused("invalid_grant", "unknown, used or expired code")
        if granted["client_id"] != client_id or granted["redirect_uri"] != redirect_uri:
            return refused("invalid_grant", "the code was issued to another client or redirect_uri")
        if not code_verifier or not secrets.compare_digest(_s256(code_verifier), granted["challenge"]):
            return refused("invalid_grant", "the PKCE code_verifier does not match the code_challenge")
        person: DemoPerson = granted["person"]
        now = int(time.time())
        access = keys.mint(subject=person.subject, roles=list(person.roles), audience=list(WEB_AUDIENCES),
                           issuer=services_issuer, ttl_s=TOKEN_TTL_S, name=person.name)
        id_token = keys.sign({"iss": issuer, "sub": person.subject, "aud": client_id, "iat": now,
                              "exp": now + TOKEN_TTL_S, "name": person.name, "roles": list(person.roles),
                              **({"nonce": granted["nonce"]} if granted["nonce"] else {})})
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": TOKEN_TTL_S,
                             "id_token": id_token, "scope": "openid profile"}, headers={"Cache-Control": "no-store"})

    return app


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - the entry point
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m ecity_cli.oidc_provider", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(f"http://127.0.0.1:{args.port}"), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":  # pragma: no cover
    main()
