"""The local sign-in (ecity_cli.oidc_provider) checks what a real provider checks: the client's
secret, PKCE's S256 verifier, a code used once; and its access tokens are those the services take."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest

from ecity_cli.oidc_provider import Client, create_app
from ecity_cli.tokens import local_issuer
from ecity_common.auth import JwtVerifier

ISSUER = "http://127.0.0.1:8090"
REDIRECT = "http://127.0.0.1:8006/auth/callback"
VERIFIER = "a-verifier-of-the-web-that-is-long-enough-0123456789"


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


async def code_for(http: httpx.AsyncClient, person: str = "citizen") -> str:
    page = await http.get("/authorize", params={"response_type": "code", "client_id": "web", "redirect_uri": REDIRECT,
                                                "state": "s1", "nonce": "n1", "code_challenge": challenge(VERIFIER),
                                                "code_challenge_method": "S256"})
    assert page.status_code == 200
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    chosen = await http.post("/authorize", data={**fields, "person": person})
    assert chosen.status_code == 303 and chosen.headers["location"].startswith(REDIRECT + "?code=")
    return chosen.headers["location"].split("code=")[1].split("&")[0]


@pytest.fixture
async def provider():
    app = create_app(ISSUER, clients=[Client("web", "the-secret")])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ISSUER) as http:
        yield http


def redeem(code: str, verifier: str = VERIFIER, secret: str = "the-secret") -> dict:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier,
            "client_id": "web", "client_secret": secret}


async def test_a_code_redeemed_with_its_verifier_gives_tokens_citizen_requests_accepts(provider):
    answer = await provider.post("/token", data=redeem(await code_for(provider, "operator")))
    assert answer.status_code == 200
    from citizen_requests.settings import Settings

    settings = Settings(jwt_jwks_file=str(local_issuer().jwks_file))
    who = JwtVerifier(settings).verify(answer.json()["access_token"])
    assert who.subject == "operator-petro" and who.has("operator")


async def test_a_wrong_verifier_a_wrong_secret_and_a_second_use_are_refused(provider):
    code = await code_for(provider)
    wrong = await provider.post("/token", data=redeem(code, verifier="another-verifier-of-enough-length-0123456789"))
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # The code was spent by that attempt: a thief who guessed wrong cannot try again, nor can the web.
    assert (await provider.post("/token", data=redeem(code))).json()["error"] == "invalid_grant"
    secretless = await provider.post("/token", data=redeem(await code_for(provider), secret="guess"))
    assert secretless.status_code == 401 and secretless.json()["error"] == "invalid_client"


async def test_no_pkce_and_a_redirect_off_this_machine_are_refused_before_anyone_is_chosen(provider):
    base = {"response_type": "code", "client_id": "web", "redirect_uri": REDIRECT}
    assert (await provider.get("/authorize", params=base)).status_code == 400
    elsewhere = {**base, "redirect_uri": "https://evil.example/cb", "code_challenge": challenge(VERIFIER),
                 "code_challenge_method": "S256"}
    assert (await provider.get("/authorize", params=elsewhere)).status_code == 400
