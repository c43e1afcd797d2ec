import time

import jwt
import pytest

from ecity_common.auth import REFUSED_TOKEN, JwtVerifier, api_key_matches, issue_api_key, mint_token, parse_api_key
from ecity_common.settings import ServiceSettings
from ecity_common.web.problems import Problem


def test_a_minted_token_verifies_with_its_roles():
    settings = ServiceSettings()
    principal = JwtVerifier(settings).verify(mint_token(settings, subject="c-1", roles=["citizen"]))
    assert principal.subject == "c-1" and principal.has("citizen") and not principal.has("operator")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"aud": "someone-else"}, "audience"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"exp": int(time.time()) - 100}, "expired"),  # past the 30 s leeway
    ],
)
def test_wrong_audience_issuer_or_expiry_is_401_with_the_reason_only_in_the_log(change, reason, caplog):
    settings = ServiceSettings()
    claims = jwt.decode(mint_token(settings, subject="c-1", roles=[]), options={"verify_signature": False})
    forged = jwt.encode({**claims, **change}, settings.jwt_secret.get_secret_value(), algorithm="HS256")
    with caplog.at_level("INFO", logger="ecity.auth"), pytest.raises(Problem) as caught:
        JwtVerifier(settings).verify(forged)
    assert caught.value.status == 401 and caught.value.detail == REFUSED_TOKEN
    assert caught.value.headers["WWW-Authenticate"] == 'Bearer realm="ecity", error="invalid_token"'
    assert reason in caplog.text.lower()


@pytest.mark.parametrize("garbage", ["·", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "x" * 5000, "Bearer"])
def test_garbage_is_refused_with_the_same_words(garbage):
    with pytest.raises(Problem) as caught:
        JwtVerifier(ServiceSettings()).verify(garbage)
    assert caught.value.status == 401 and caught.value.detail == REFUSED_TOKEN


def test_a_token_a_little_past_its_expiry_is_taken_within_the_leeway():
    settings = ServiceSettings(jwt_leeway_s=30)
    token = mint_token(settings, subject="c-1", roles=["citizen"], ttl_s=-10)  # expired 10 s ago
    assert JwtVerifier(settings).verify(token).subject == "c-1"
    with pytest.raises(Problem):
        JwtVerifier(ServiceSettings(jwt_leeway_s=0)).verify(token)


def test_a_token_for_another_service_does_not_open_this_one():
    ledger, registry = ServiceSettings(service_name="budget-ledger"), ServiceSettings(service_name="network-registry")
    with pytest.raises(Problem):
        JwtVerifier(ledger).verify(mint_token(registry, subject="eng-1", roles=["finance"]))
    both = mint_token(ledger, subject="eng-1", roles=["finance"], aud=["budget-ledger", "network-registry"])
    assert JwtVerifier(ledger).verify(both).has("finance") and JwtVerifier(registry).verify(both).has("finance")


def test_a_token_signed_with_another_secret_is_refused():
    settings = ServiceSettings()
    other = ServiceSettings(jwt_secret="another-secret-of-at-least-32-bytes-long!!")
    with pytest.raises(Problem):
        JwtVerifier(settings).verify(mint_token(other, subject="c-1", roles=["operator"]))


def test_api_keys_are_stored_as_hashes_and_identified_by_a_visible_prefix():
    key = issue_api_key("ecity311")
    assert key.plaintext.startswith(f"{key.visible_prefix}_")
    assert key.key_hash != key.plaintext and len(key.key_hash) == 64
    assert parse_api_key(key.plaintext) == key.key_id
    assert api_key_matches(key.plaintext, key.key_hash)
    assert not api_key_matches(key.plaintext + "x", key.key_hash)
    assert parse_api_key("garbage") is None
    with pytest.raises(ValueError):
        issue_api_key("bad_prefix")


def test_production_tokens_verify_against_the_identity_provider_jwks():
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    idp_key, stranger_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    jwk = json.loads(RSAAlgorithm.to_jwk(idp_key.public_key()))
    jwks = json.dumps({"keys": [{**jwk, "kid": "idp-2026", "use": "sig", "alg": "RS256"}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = ServiceSettings(jwt_jwks_url=f"http://127.0.0.1:{server.server_port}/jwks.json")
        claims = {"sub": "staff-3", "roles": ["operator"], "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
                  "exp": int(time.time()) + 60}
        token = jwt.encode(claims, idp_key, algorithm="RS256", headers={"kid": "idp-2026"})
        assert JwtVerifier(settings).verify(token).has("operator")

        forged = jwt.encode(claims, stranger_key, algorithm="RS256", headers={"kid": "idp-2026"})
        with pytest.raises(Problem):
            JwtVerifier(settings).verify(forged)
        # An HS256 token made with the local secret must not pass where RS256 is required.
        with pytest.raises(Problem):
            JwtVerifier(settings).verify(mint_token(ServiceSettings(), subject="x", roles=["operator"]))
    finally:
        server.shutdown()


def test_a_token_checked_once_still_expires_and_a_tampered_copy_is_not_taken_from_the_cache():
    settings = ServiceSettings(jwt_leeway_s=0)
    verifier = JwtVerifier(settings)
    token = mint_token(settings, subject="c-1", roles=["citizen"], ttl_s=1)
    assert verifier.verify(token).subject == "c-1" and verifier.verify(token).subject == "c-1"
    header, payload, signature = token.split(".")
    with pytest.raises(Problem):
        verifier.verify(f"{header}.{payload}.{signature[:-2]}AA")
    time.sleep(1.1)
    with pytest.raises(Problem) as caught:
        verifier.verify(token)
    assert caught.value.detail == REFUSED_TOKEN
