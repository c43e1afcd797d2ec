import time

import jwt
import pytest

from ecity_common.auth import JwtVerifier, api_key_matches, issue_api_key, mint_token, parse_api_key
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
        ({"exp": int(time.time()) - 10}, "expired"),
    ],
)
def test_wrong_audience_issuer_or_expiry_is_401(change, reason):
    settings = ServiceSettings()
    claims = jwt.decode(mint_token(settings, subject="c-1", roles=[]), options={"verify_signature": False})
    forged = jwt.encode({**claims, **change}, settings.jwt_secret.get_secret_value(), algorithm="HS256")
    with pytest.raises(Problem) as caught:
        JwtVerifier(settings).verify(forged)
    assert caught.value.status == 401 and reason in caught.value.detail.lower()


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
