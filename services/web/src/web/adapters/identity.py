"""The city's identity provider, as an OpenID Connect client (Authlib): authorization code with
PKCE (S256), the provider's endpoints and keys from its discovery document, the ID token's
signature, issuer, audience and nonce checked by Authlib."""

from __future__ import annotations

import time

from authlib.integrations.starlette_client import OAuth, OAuthError

SignInFailed = OAuthError


class IdentityProvider:
    def __init__(self, *, issuer: str, client_id: str, client_secret: str, scope: str, timeout_s: float) -> None:
        registry = OAuth()
        self._client = registry.register(
            "city", client_id=client_id, client_secret=client_secret,
            server_metadata_url=f"{issuer.rstrip('/')}/.well-known/openid-configuration",
            # The verifier is made per sign-in and kept in the session until the callback.
            client_kwargs={"scope": scope, "code_challenge_method": "S256", "timeout": timeout_s},
        )

    async def begin(self, request, redirect_uri: str):
        """The redirect to the provider's sign-in page (state, nonce and the PKCE verifier go to
        the session the request carries)."""
        return await self._client.authorize_redirect(request, redirect_uri)

    async def finish(self, request) -> tuple[dict, str, float]:
        """The ID token's claims, the access token and when it expires: the code of the callback
        redeemed with its verifier. SignInFailed when anything does not match."""
        token = await self._client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise SignInFailed(error="no_id_token", description="the provider sent no ID token")
        expires_at = float(token.get("expires_at") or time.time() + float(token.get("expires_in") or 300))
        return claims, token["access_token"], expires_at
