from __future__ import annotations

import base64

import pytest

from ocpi_engine.api.auth import token_candidates
from ocpi_engine.clients.ocpi import authorization_header
from ocpi_engine.services.partners import new_token
from ocpi_engine.settings import Settings, SettingsError


def test_settings_from_environment_and_overrides() -> None:
    s = Settings.from_env({"OCPI_ENGINE_ROLES": "cpo, emsp", "OCPI_ENGINE_PORT": "9000",
                           "OCPI_ENGINE_PARTY_ID": "abc"}, port=9100)
    assert s.roles == ("CPO", "EMSP") and s.port == 9100 and s.party_id == "ABC"


@pytest.mark.parametrize(("env", "name"), [
    ({"OCPI_ENGINE_COUNTRY_CODE": "NLD"}, "OCPI_ENGINE_COUNTRY_CODE"),
    ({"OCPI_ENGINE_ROLES": "CPO,PIRATE"}, "OCPI_ENGINE_ROLES"),
    ({"OCPI_ENGINE_PUBLIC_URL": "ftp://x"}, "OCPI_ENGINE_PUBLIC_URL"),
    ({"OCPI_ENGINE_PORT": "eighty"}, "OCPI_ENGINE_"),
])
def test_bad_settings_name_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env)


def test_settings_repr_hides_secrets() -> None:
    s = Settings(admin_token="super-secret", redis_url="redis://user:pw@127.0.0.1:6379/0")
    assert "super-secret" not in repr(s) and "pw" not in repr(s)


def test_token_candidates() -> None:
    token = "abc123"
    b64 = base64.b64encode(token.encode()).decode()
    assert token_candidates(f"Token {b64}") == [token, b64]
    assert token_candidates("Token abc-_") == ["abc-_"]
    assert token_candidates("Bearer x") == []
    assert token_candidates(None) == []


def test_outbound_encoding_per_version() -> None:
    assert authorization_header("tok", version="2.2.1") == "Token dG9r"
    assert authorization_header("tok", version="2.1.1") == "Token tok"
    assert authorization_header("tok", version="2.2.1", mode="raw") == "Token tok"
    assert authorization_header("tok", version="2.1.1", mode="base64") == "Token dG9r"


def test_new_tokens_are_unique_printable_and_cli_safe() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(t.isalnum() and len(t) == 43 for t in tokens)
