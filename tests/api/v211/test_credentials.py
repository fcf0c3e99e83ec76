"""Credentials module 2.1.1: per-role endpoints, raw tokens, the single-party Credentials object."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.fake_partner import FakePartner, credentials_body
from tests.conftest import auth


async def test_register_211_at_our_cpo_side(app: Litestar, client: AsyncTestClient[Litestar], token_a: Any) -> None:
    token = await token_a("legacy emsp")
    partner = FakePartner(version="2.1.1")
    app.state.client.http = partner.client()
    details = await client.get("/ocpi/2.1.1/cpo", headers=auth(token, raw=True))
    assert details.status_code == 200
    credentials_url = details.json()["data"]["endpoints"][0]["url"]
    assert credentials_url == "https://ocpi.example.com/ocpi/2.1.1/cpo/credentials"
    response = await client.post(
        "/ocpi/2.1.1/cpo/credentials", json=credentials_body("legacy-b", version="2.1.1"), headers=auth(token, raw=True)
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == {"token", "url", "business_details", "party_id", "country_code"}
    assert data["party_id"] == "OCE"
    # 2.1.1 partners get the raw token in the Authorization header
    assert partner.calls[0].headers["authorization"] == "Token legacy-b"
    stored = (await app.state.store.list_partners())[0]
    assert stored.version == "2.1.1"
    assert stored.roles[0]["role"] == "EMSP"
    assert stored.parties() == {("DE", "ABC")}
    assert (await client.get("/ocpi/2.1.1/cpo/credentials", headers=auth(data["token"], raw=True))).status_code == 200


async def test_211_versions_per_party_role(client: AsyncTestClient[Litestar], token_a: Any) -> None:
    token = await token_a()
    response = await client.get("/ocpi/emsp/versions", headers=auth(token, raw=True))
    assert {v["version"]: v["url"] for v in response.json()["data"]}["2.1.1"].endswith("/ocpi/2.1.1/emsp")
    assert (await client.get("/ocpi/nsp/versions", headers=auth(token))).status_code == 404


async def test_invalid_211_credentials_name_the_field(client: AsyncTestClient[Litestar], token_a: Any) -> None:
    token = await token_a()
    body = credentials_body(version="2.1.1")
    del body["business_details"]
    response = await client.post("/ocpi/2.1.1/emsp/credentials", json=body, headers=auth(token))
    assert response.status_code == 400
    assert "`business_details`" in response.json()["status_message"]
