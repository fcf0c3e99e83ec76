"""Credentials module 2.2.1, server side (credentials.md): registration, update, unregistration, errors."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.services.partners import token_hash
from tests.api.fake_partner import FakePartner, credentials_body
from tests.conftest import auth

URL = "/ocpi/2.2.1/credentials"


def use_partner(app: Litestar, partner: FakePartner) -> None:
    app.state.client.http = partner.client()


async def test_register_with_token_a_then_token_a_dies(app: Litestar, client: AsyncTestClient[Litestar],
                                                       token_a: Any) -> None:
    token = await token_a("emsp")
    partner = FakePartner()
    use_partner(app, partner)
    response = await client.post(URL, json=credentials_body("their-token-b"), headers=auth(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status_code"] == 1000
    data = body["data"]
    token_c = data["token"]
    assert token_c != token
    assert data["url"] == "https://ocpi.example.com/ocpi/versions"
    assert {r["role"] for r in data["roles"]} == {"CPO", "EMSP"}
    # the partner was called back with its own Token B, base64-encoded (2.2.1)
    assert [c.url.path for c in partner.calls] == ["/versions", "/ocpi/2.2.1"]
    assert partner.calls[0].headers["authorization"] == "Token dGhlaXItdG9rZW4tYg=="
    stored = (await app.state.store.list_partners())[0]
    assert stored.status == "REGISTERED"
    assert stored.outbound_token == "their-token-b"
    assert stored.incoming_token_hash == token_hash(token_c)
    assert stored.version == "2.2.1"
    assert stored.parties() == {("DE", "ABC")}
    assert stored.endpoint("locations", "RECEIVER") == "https://partner.example.com/ocpi/2.2.1/emsp/locations"
    assert (await client.get(URL, headers=auth(token))).status_code == 401
    got = await client.get(URL, headers=auth(token_c))
    assert got.status_code == 200
    assert got.json()["data"]["token"] == token_c


async def test_second_post_is_405(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, token = await register_partner()
    response = await client.post(URL, json=credentials_body(), headers=auth(token))
    assert response.status_code == 405


async def test_put_and_delete_before_registering_are_405(client: AsyncTestClient[Litestar], token_a: Any) -> None:
    token = await token_a()
    assert (await client.put(URL, json=credentials_body(), headers=auth(token))).status_code == 405
    assert (await client.delete(URL, headers=auth(token))).status_code == 405


async def test_put_rotates_the_token(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, old = await register_partner()
    use_partner(app, FakePartner())
    response = await client.put(URL, json=credentials_body("rotated-b"), headers=auth(old))
    assert response.status_code == 200, response.text
    new = response.json()["data"]["token"]
    assert new != old
    assert (await client.get(URL, headers=auth(old))).status_code == 401
    assert (await client.get(URL, headers=auth(new))).status_code == 200
    stored = (await app.state.store.list_partners())[0]
    assert stored.outbound_token == "rotated-b"


async def test_delete_unregisters(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, token = await register_partner()
    response = await client.delete(URL, headers=auth(token))
    assert response.status_code == 200
    assert "data" not in response.json()
    assert (await client.get(URL, headers=auth(token))).status_code == 401
    stored = (await app.state.store.list_partners())[0]
    assert stored.status == "UNREGISTERED"
    assert stored.outbound_token is None


@pytest.mark.parametrize(
    ("partner", "status_code", "phrase"),
    [
        (FakePartner(versions_status=500), 3001, "HTTP 500"),
        (FakePartner(garbage=True), 3001, "not an OCPI response envelope"),
        (FakePartner(version="2.0"), 3002, "no mutual OCPI version"),
        (FakePartner(endpoints=[{"identifier": "locations", "role": "RECEIVER",
                                 "url": "https://partner.example.com/l"}]), 3003, "no credentials endpoint"),
    ],
)
async def test_failed_registration_leaves_no_half_written_partner(
    app: Litestar, client: AsyncTestClient[Litestar], token_a: Any, partner: FakePartner, status_code: int,
    phrase: str,
) -> None:
    token = await token_a()
    use_partner(app, partner)
    response = await client.post(URL, json=credentials_body(), headers=auth(token))
    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == status_code
    assert phrase in body["status_message"]
    stored = (await app.state.store.list_partners())[0]
    assert stored.status == "PENDING"
    assert stored.outbound_token is None
    assert stored.endpoints == []
    # Token A still works for a retry
    assert (await client.get(URL, headers=auth(token))).status_code == 200


async def test_unreachable_partner_is_3001(app: Litestar, client: AsyncTestClient[Litestar], token_a: Any) -> None:
    token = await token_a()
    body = credentials_body()
    body["url"] = "http://127.0.0.1:9/versions"
    response = await client.post(URL, json=body, headers=auth(token))
    assert response.json()["status_code"] == 3001
    assert "reachable" in response.json()["status_message"]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.update(token="x" * 65), "token"),
        (lambda b: b.update(token="has space"), "token"),
        (lambda b: b["roles"][0].update(role="PIRATE"), "roles[0].role"),
        (lambda b: b["roles"][0].update(party_id=123), "roles[0].party_id"),
        (lambda b: b["roles"][0].update(country_code="NLD"), "roles[0].country_code"),
        (lambda b: b["roles"][0]["business_details"].update(name="n" * 101), "roles[0].business_details.name"),
        (lambda b: b.pop("url"), "url"),
        (lambda b: b.update(roles=[]), "roles"),
    ],
)
async def test_invalid_credentials_are_2001_naming_the_field(
    app: Litestar, client: AsyncTestClient[Litestar], token_a: Any, mutate: Any, field: str
) -> None:
    token = await token_a()
    body = credentials_body()
    mutate(body)
    response = await client.post(URL, json=body, headers=auth(token))
    assert response.status_code == 400
    assert response.json()["status_code"] == 2001
    assert f"`{field}`" in response.json()["status_message"]
    assert (await app.state.store.list_partners())[0].status == "PENDING"


@pytest.mark.parametrize("content", [b"{not json", b"", b"[1,2", b"\xff\xfe"])
async def test_body_that_is_not_json_is_400(client: AsyncTestClient[Litestar], token_a: Any, content: bytes) -> None:
    token = await token_a()
    response = await client.post(URL, content=content, headers={**auth(token), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["status_code"] == 2001
