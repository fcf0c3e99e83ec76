"""Commands module 2.1.1 (commands.md section 4): the CPO interface upgrades 2.1.1 commands (owner-less tokens,
integer reservation ids) and posts results in the object form; the eMSP interface accepts results bare
(`"ACCEPTED"`) and as objects."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.v221.test_commands import PARTNER_HOST, STAMP, Partner, cpo_partner, location, own, stored
from tests.conftest import auth

RECEIVER = "/ocpi/2.1.1/cpo/commands"


def token211(uid: str = "T211") -> dict[str, Any]:
    return {"uid": uid, "type": "RFID", "auth_id": "DE-ABC-C1", "issuer": "ABC", "valid": True,
            "whitelist": "ALLOWED", "last_updated": STAMP}


@pytest.fixture
async def emsp211(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any) -> str:
    _, token_c = await register_partner(("EMSP", "DE", "ABC"), version="2.1.1")
    return token_c


async def test_start_session_211(app: Litestar, client: AsyncTestClient[Litestar], emsp211: str) -> None:
    await own(app, "locations", location())
    partner = Partner(app)
    app.state.chargers.adapter.tick = 30
    body = {"response_url": f"{PARTNER_HOST}/results/s", "token": token211(), "location_id": "LOC1"}
    answer = await client.post(f"{RECEIVER}/START_SESSION", json=body, headers=auth(emsp211, raw=True))
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"] == {"result": "ACCEPTED"}
    await app.state.tasks.drain(names="command-run")
    assert partner.posts("/results/s") == [{"result": "ACCEPTED"}]
    [session] = await stored(app, "sessions")
    assert session["cdr_token"] == {"country_code": "DE", "party_id": "ABC", "uid": "T211", "type": "RFID",
                                    "contract_id": "DE-ABC-C1"}


async def test_211_errors(app: Litestar, client: AsyncTestClient[Litestar], emsp211: str) -> None:
    await own(app, "locations", location())
    Partner(app)
    headers = auth(emsp211, raw=True)
    no_cancel = await client.post(f"{RECEIVER}/CANCEL_RESERVATION", headers=headers,
                                  json={"response_url": f"{PARTNER_HOST}/r", "reservation_id": "1"})
    assert no_cancel.status_code == 404 and no_cancel.json()["status_code"] == 2001
    text_id = await client.post(f"{RECEIVER}/RESERVE_NOW", headers=headers, json={
        "response_url": f"{PARTNER_HOST}/r", "token": token211(), "expiry_date": "2099-01-01T00:00:00Z",
        "reservation_id": "abc", "location_id": "LOC1"})
    assert text_id.status_code == 400 and "`reservation_id`" in text_id.json()["status_message"]
    unknown = await client.post(f"{RECEIVER}/UNLOCK_CONNECTOR", headers=headers, json={
        "response_url": f"{PARTNER_HOST}/r", "location_id": "NOPE", "evse_uid": "E", "connector_id": "1"})
    assert unknown.json()["status_code"] == 2003 and unknown.json()["data"] == {"result": "REJECTED"}
    stop = await client.post(f"{RECEIVER}/STOP_SESSION", headers=headers,
                             json={"response_url": f"{PARTNER_HOST}/r", "session_id": "NOPE"})
    assert stop.json()["data"] == {"result": "UNKNOWN_SESSION"}


async def test_reservation_with_integer_id(app: Litestar, client: AsyncTestClient[Litestar], emsp211: str) -> None:
    await own(app, "locations", location())
    partner = Partner(app, answer=lambda request, body: httpx.Response(200, json={"status_code": 1000,
                                                                                 "timestamp": STAMP}))
    answer = await client.post(f"{RECEIVER}/RESERVE_NOW", headers=auth(emsp211, raw=True), json={
        "response_url": f"{PARTNER_HOST}/results/res", "token": token211(), "expiry_date": "2099-01-01T00:00:00Z",
        "reservation_id": 42, "location_id": "LOC1", "evse_uid": "EVSE2"})
    assert answer.json()["data"] == {"result": "ACCEPTED"}
    await app.state.tasks.drain(names="command-run")
    # a 2.2.1 outcome 2.1.1 lacks would be REJECTED; ACCEPTED passes as the object form
    assert partner.posts("/results/res") == [{"result": "ACCEPTED"}]
    assert (await stored(app, "sessions"))[0]["status"] == "RESERVATION"


@pytest.mark.parametrize("result", ["ACCEPTED", {"result": "ACCEPTED"}])
async def test_emsp_accepts_bare_and_object_results(app: Litestar, client: AsyncTestClient[Litestar],
                                                    register_partner: Any, result: Any) -> None:
    answer = (lambda request, body: httpx.Response(200, json={"status_code": 1000, "timestamp": STAMP,
                                                               "data": "ACCEPTED"}))
    cpo, cpo_token, seen = await cpo_partner(app, register_partner, answer=answer, version="2.1.1")
    cpo.endpoints = [{"identifier": "commands", "url": f"{PARTNER_HOST}/2.1.1/commands"}]
    await app.state.store.update_partner(cpo)
    record = await app.state.commands.send(cpo.id, "STOP_SESSION", {"session_id": "S1"})
    assert record.status == "PENDING" and record.response == {"result": "ACCEPTED"}
    response_url = seen.seen[0][2]["response_url"]
    assert response_url.startswith("https://ocpi.example.com/ocpi/2.1.1/emsp/commands/STOP_SESSION/")
    path = response_url.removeprefix("https://ocpi.example.com")
    got = await client.post(path, json=result, headers=auth(cpo_token, raw=True))
    assert got.status_code == 200, got.text
    done = await app.state.commands.get(record.uid)
    assert done.status == "RESULT" and done.result == {"result": "ACCEPTED"}
    bad = await client.post(path, json="PERHAPS", headers=auth(cpo_token, raw=True))
    assert bad.status_code == 400 and bad.json()["status_code"] == 2001
