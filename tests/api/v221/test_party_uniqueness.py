"""A party (country_code + party_id) belongs to one partner connection, and never to a partner when it is this
platform's own: otherwise a second partner registering the same party (or ours) could read and overwrite the
client-owned objects stored under it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.fake_partner import FakePartner, credentials_body
from tests.conftest import auth

URL = "/ocpi/2.2.1/credentials"


def body_with(party_id: str, country_code: str = "DE", token: str = "their-token") -> dict[str, Any]:
    body = credentials_body(token, party_id=party_id)
    body["roles"][0]["country_code"] = country_code
    return body


async def test_a_second_partner_cannot_register_a_taken_party(
    app: Litestar, client: AsyncTestClient[Litestar], token_a: Any
) -> None:
    app.state.client.http = FakePartner().client()
    first = await client.post(URL, json=body_with("ABC", token="first-token"), headers=auth(await token_a("first")))
    assert first.status_code == 200 and first.json()["status_code"] == 1000

    second_a = await token_a("second")
    second = await client.post(URL, json=body_with("abc", token="second-token"), headers=auth(second_a))
    assert second.status_code == 400
    assert second.json()["status_code"] == 2001
    assert "`roles`" in second.json()["status_message"] and "DE*ABC" in second.json()["status_message"]
    stored = {p.name: p for p in await app.state.store.list_partners()}
    assert stored["second"].status == "PENDING" and stored["second"].roles == []
    # Its Token A may still register a party of its own.
    retry = await client.post(URL, json=body_with("XYZ", token="second-token"), headers=auth(second_a))
    assert retry.status_code == 200 and retry.json()["status_code"] == 1000


async def test_no_partner_may_register_our_own_party(
    app: Litestar, client: AsyncTestClient[Litestar], token_a: Any
) -> None:
    settings = app.state.settings
    app.state.client.http = FakePartner().client()
    response = await client.post(URL, json=body_with(settings.party_id, settings.country_code),
                                 headers=auth(await token_a()))
    assert response.status_code == 400 and response.json()["status_code"] == 2001
    assert "own party" in response.json()["status_message"]


async def test_put_cannot_take_another_partners_party(
    app: Litestar, client: AsyncTestClient[Litestar], token_a: Any
) -> None:
    app.state.client.http = FakePartner().client()
    await client.post(URL, json=body_with("ABC", token="first-token"), headers=auth(await token_a("first")))
    second = await client.post(URL, json=body_with("XYZ", token="second-token"), headers=auth(await token_a("s")))
    token_c = second.json()["data"]["token"]
    taken = await client.put(URL, json=body_with("ABC", token="second-token"), headers=auth(token_c))
    assert taken.status_code == 400 and "DE*ABC" in taken.json()["status_message"]
    assert (await client.get(URL, headers=auth(token_c))).status_code == 200  # its token still works
    # Re-sending its own party with PUT is fine (the partner's own roles are not "taken").
    same = await client.put(URL, json=body_with("XYZ", token="second-token"), headers=auth(token_c))
    assert same.status_code == 200 and same.json()["status_code"] == 1000
