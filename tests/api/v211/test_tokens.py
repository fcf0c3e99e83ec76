"""Tokens module 2.1.1: CPO interface without `type`, owner from the URL, `auth_id`; eMSP interface."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.models.v221.tokens import Token
from tests.conftest import auth

TOKEN_211 = {"uid": "012345678", "type": "RFID", "auth_id": "DE8ACC12E46L89", "visual_number": "DF000-2001-8999",
             "issuer": "TheNewMotion", "valid": True, "whitelist": "ALWAYS", "last_updated": "2015-06-29T22:39:09Z"}


async def test_put_get_patch_211(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"), version="2.1.1")
    url = "/ocpi/2.1.1/cpo/tokens/DE/ABC/012345678"
    assert (await client.put(url, json=TOKEN_211, headers=auth(emsp, raw=True))).status_code == 201
    got = (await client.get(url, headers=auth(emsp, raw=True))).json()["data"]
    assert got == TOKEN_211
    # stored canonically as 2.2.1 with the URL's owner and contract_id
    stored = (await app.state.store.list_objects("tokens")).items[0]
    token = msgspec.json.decode(stored.body, type=Token)
    assert (token.country_code, token.party_id, token.contract_id) == ("DE", "ABC", "DE8ACC12E46L89")
    # 2.1.1 PATCH needs no last_updated
    assert (await client.patch(url, json={"valid": False}, headers=auth(emsp, raw=True))).status_code == 200
    assert (await client.get(url, headers=auth(emsp, raw=True))).json()["data"]["valid"] is False
    assert (await client.put(url, json={**TOKEN_211, "uid": "OTHER"}, headers=auth(emsp))).status_code == 400


async def test_211_sender_list_and_authorize(app: Litestar, client: AsyncTestClient[Litestar],
                                             register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "BE", "CPX"), version="2.1.1")
    own = {"country_code": "NL", "party_id": "OCE", "uid": "APP1", "type": "APP_USER", "contract_id": "NL-OCE-1",
           "issuer": "us", "valid": True, "whitelist": "NEVER", "last_updated": "2024-01-01T00:00:00Z"}
    await app.state.tokens.put(msgspec.convert(own, Token), partner_id=None)
    listed = (await client.get("/ocpi/2.1.1/emsp/tokens", headers=auth(cpo, raw=True))).json()["data"]
    assert listed == [{"uid": "APP1", "type": "OTHER", "auth_id": "NL-OCE-1", "issuer": "us", "valid": True,
                       "whitelist": "NEVER", "last_updated": "2024-01-01T00:00:00Z"}]
    answer = await client.post("/ocpi/2.1.1/emsp/tokens/APP1/authorize?type=APP_USER",
                               json={"location_id": "L1", "evse_uids": ["E1"], "connector_ids": ["1"]},
                               headers=auth(cpo, raw=True))
    assert answer.json()["data"] == {"allowed": "ALLOWED",
                                     "location": {"location_id": "L1", "evse_uids": ["E1"], "connector_ids": ["1"]}}
    unknown = await client.post("/ocpi/2.1.1/emsp/tokens/NOPE/authorize", headers=auth(cpo, raw=True))
    assert unknown.status_code == 404
