"""A deployed web refuses to start with development secrets or the local provider (settings.unsafe)."""

import pytest

from ecity_common.settings import UnsafeSettings
from web.settings import Settings


def test_a_deployed_web_with_development_defaults_refuses_to_start_naming_each_variable():
    with pytest.raises(UnsafeSettings) as refused:
        Settings(mode="deployed").refuse_unsafe()
    said = " ".join(refused.value.problems)
    for variable in ("WEB_OIDC_CLIENT_SECRET", "WEB_SESSION_SIGNING_KEY", "WEB_OIDC_ISSUER", "WEB_PUBLIC_URL"):
        assert variable in said
    assert "KAFKA" not in said  # the web has no Kafka sign-in to demand


def test_a_deployed_web_with_its_own_secrets_starts():
    Settings(mode="deployed", oidc_client_secret="s" * 40, session_signing_key="k" * 40,
             oidc_issuer="https://id.sumy.ua/realms/city", public_url="https://ecity.sumy.ua").refuse_unsafe()
