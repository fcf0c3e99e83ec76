"""Transport rules of OCPI 2.2.1 (transport.md): auth, envelope, status codes, ids and routing headers."""

from __future__ import annotations

import base64
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.api import registry
from ocpi_engine.api.app import create_app
from ocpi_engine.api.envelope import ocpi_response
from ocpi_engine.settings import Settings
from tests.conftest import auth

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.fixture
def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Litestar:
    monkeypatch.setattr(registry, "MODULES", [*registry.MODULES, "tests.api.sample_module"])
    return create_app(settings)


def assert_envelope(body: dict[str, Any], status_code: int) -> None:
    assert body["status_code"] == status_code
    assert TIMESTAMP.match(body["timestamp"]), body["timestamp"]


async def test_missing_authorization_is_401(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/ocpi/versions")
    assert response.status_code == 401
    assert_envelope(response.json(), 2000)
    assert "Authorization" in response.json()["status_message"]


@pytest.mark.parametrize("header", ["Token", "Bearer abc", "Token    ", "token-without-scheme"])
async def test_malformed_authorization_is_401(client: AsyncTestClient[Litestar], header: str) -> None:
    response = await client.get("/ocpi/versions", headers={"Authorization": header})
    assert response.status_code == 401


async def test_unknown_token_is_401(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/ocpi/versions", headers=auth("no-such-token"))
    assert response.status_code == 401
    assert response.json()["status_message"] == "unknown token"


async def test_base64_and_raw_tokens_are_both_accepted(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, token = await register_partner()
    for headers in (auth(token), auth(token, raw=True)):
        response = await client.get("/ocpi/versions", headers=headers)
        assert response.status_code == 200, response.text
        assert_envelope(response.json(), 1000)


async def test_base64_with_the_spec_examples_trailing_newline_is_accepted(
    client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, token = await register_partner()
    value = base64.b64encode((token + "\n").encode()).decode()
    response = await client.get("/ocpi/versions", headers={"Authorization": f"Token {value}"})
    assert response.status_code == 200


async def test_token_a_opens_versions_details_and_credentials_only(
    client: AsyncTestClient[Litestar], token_a: Any
) -> None:
    token = await token_a()
    for path in ("/ocpi/versions", "/ocpi/2.2.1", "/ocpi/2.1.1", "/ocpi/2.2.1/credentials"):
        response = await client.get(path, headers=auth(token))
        assert response.status_code == 200, (path, response.text)
    response = await client.get("/ocpi/2.2.1/cpo/things", headers=auth(token))
    assert response.status_code == 401
    assert "registration token" in response.json()["status_message"]


async def test_registered_token_opens_functional_modules(
    client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, token = await register_partner()
    response = await client.get("/ocpi/2.2.1/cpo/things", headers=auth(token))
    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.headers["content-type"].startswith("application/json")


async def test_versions_and_details_list_only_implemented_modules(
    client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, token = await register_partner()
    versions = (await client.get("/ocpi/versions", headers=auth(token))).json()["data"]
    assert {v["version"] for v in versions} == {"2.2.1", "2.1.1"}
    details = (await client.get("/ocpi/2.2.1", headers=auth(token))).json()["data"]
    assert details["version"] == "2.2.1"
    endpoints = {(e["identifier"], e["role"]): e["url"] for e in details["endpoints"]}
    assert endpoints == {
        ("credentials", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/credentials",
        ("things", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/cpo/things",
        ("tokens", "RECEIVER"): "https://ocpi.example.com/ocpi/2.2.1/cpo/tokens",
        ("tokens", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/emsp/tokens",
        ("locations", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/cpo/locations",
        ("locations", "RECEIVER"): "https://ocpi.example.com/ocpi/2.2.1/emsp/locations",
        ("tariffs", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/cpo/tariffs",
        ("tariffs", "RECEIVER"): "https://ocpi.example.com/ocpi/2.2.1/emsp/tariffs",
        ("sessions", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/cpo/sessions",
        ("sessions", "RECEIVER"): "https://ocpi.example.com/ocpi/2.2.1/emsp/sessions",
        ("cdrs", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/cpo/cdrs",
        ("cdrs", "RECEIVER"): "https://ocpi.example.com/ocpi/2.2.1/emsp/cdrs",
        ("commands", "RECEIVER"): "https://ocpi.example.com/ocpi/2.2.1/cpo/commands",
        ("commands", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/emsp/commands",
        ("chargingprofiles", "RECEIVER"): "https://ocpi.example.com/ocpi/2.2.1/cpo/chargingprofiles",
        ("chargingprofiles", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/emsp/chargingprofiles",
        ("hubclientinfo", "RECEIVER"): "https://ocpi.example.com/ocpi/2.2.1/hubclientinfo",
        ("hubclientinfo", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/hubclientinfo",
    }
    details_211 = (await client.get("/ocpi/2.1.1/emsp", headers=auth(token))).json()["data"]
    assert all("role" not in e for e in details_211["endpoints"])
    assert {e["identifier"]: e["url"] for e in details_211["endpoints"]} == {
        "credentials": "https://ocpi.example.com/ocpi/2.1.1/emsp/credentials",
        "tokens": "https://ocpi.example.com/ocpi/2.1.1/emsp/tokens",
        "locations": "https://ocpi.example.com/ocpi/2.1.1/emsp/locations",
        "tariffs": "https://ocpi.example.com/ocpi/2.1.1/emsp/tariffs",
        "sessions": "https://ocpi.example.com/ocpi/2.1.1/emsp/sessions",
        "cdrs": "https://ocpi.example.com/ocpi/2.1.1/emsp/cdrs",
        "commands": "https://ocpi.example.com/ocpi/2.1.1/emsp/commands",
    }


async def test_request_and_correlation_ids_are_generated_and_echoed(
    client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, token = await register_partner()
    response = await client.get("/ocpi/versions", headers=auth(token))
    assert len(response.headers["x-request-id"]) == 36
    assert len(response.headers["x-correlation-id"]) == 36
    response = await client.get(
        "/ocpi/versions", headers={**auth(token), "X-Request-ID": "req-1", "X-Correlation-ID": "corr-9"}
    )
    assert response.headers["x-request-id"] == "req-1"
    assert response.headers["x-correlation-id"] == "corr-9"
    # even on errors
    response = await client.get("/ocpi/versions", headers={"X-Request-ID": "req-2"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "req-2"


async def test_routing_headers_are_echoed_reversed(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, token = await register_partner()
    headers = {
        **auth(token),
        "OCPI-from-country-code": "DE",
        "OCPI-from-party-id": "abc",
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "OCE",
    }
    response = await client.get("/ocpi/2.2.1/cpo/things", headers=headers)
    assert response.status_code == 200
    assert response.headers["ocpi-to-country-code"] == "DE"
    assert response.headers["ocpi-to-party-id"] == "ABC"
    assert response.headers["ocpi-from-country-code"] == "NL"
    assert response.headers["ocpi-from-party-id"] == "OCE"


async def test_invalid_routing_header_is_2001_naming_it(
    client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, token = await register_partner()
    response = await client.get("/ocpi/2.2.1/cpo/things", headers={**auth(token), "OCPI-to-party-id": "TOOLONG"})
    assert response.status_code == 400
    assert_envelope(response.json(), 2001)
    assert "OCPI-to-party-id" in response.json()["status_message"]


async def test_unknown_route_is_404_envelope(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/ocpi/2.2.1/nothing-here")
    assert response.status_code == 404
    assert_envelope(response.json(), 2000)


async def test_bad_list_parameters_are_2001_naming_the_parameter(
    client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, token = await register_partner()
    for query, name in (("limit=abc", "limit"), ("offset=-1", "offset"), ("date_from=yesterday", "date_from"),
                        ("date_to=2024-01-01T00:00:00+02:00", "date_to"), ("limit=0", "limit")):
        response = await client.get(f"/ocpi/2.2.1/cpo/things?{query}", headers=auth(token))
        assert response.status_code == 400, query
        assert_envelope(response.json(), 2001)
        assert f"`{name}`" in response.json()["status_message"]


def test_decimals_are_written_as_json_numbers() -> None:
    response = ocpi_response({"price": Decimal("0.1000"), "big": Decimal("12345678901234567890.123456789")})
    body = response.content
    assert b'"price":0.1000' in body
    assert b'"big":12345678901234567890.123456789' in body
    decoded = json.loads(body, parse_float=Decimal)
    assert decoded["data"]["big"] == Decimal("12345678901234567890.123456789")


async def test_health_checks_store_and_cache(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "store": "ok", "cache": {"backend": "memory", "status": "ok"}}


async def test_openapi_documents_per_version_and_admin(client: AsyncTestClient[Litestar]) -> None:
    v221 = (await client.get("/openapi/2.2.1.json")).json()
    assert "/ocpi/2.2.1/credentials" in v221["paths"]
    assert not any(p.startswith("/admin") for p in v221["paths"])
    admin = (await client.get("/openapi/admin.json")).json()
    assert "/admin/partners" in admin["paths"]
    assert (await client.get("/openapi/nope.json")).status_code == 404


async def test_generated_ids_are_random_version_4_uuids(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    import uuid

    _, token = await register_partner()
    seen = set()
    for _ in range(20):
        response = await client.get("/ocpi/versions", headers=auth(token))
        for name in ("x-request-id", "x-correlation-id"):
            value = uuid.UUID(response.headers[name])
            assert value.version == 4 and value.variant == uuid.RFC_4122
            assert str(value) == response.headers[name]
            seen.add(value)
    assert len(seen) == 40
