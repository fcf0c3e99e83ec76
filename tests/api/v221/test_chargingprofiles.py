"""ChargingProfiles 2.2.1 (chargingprofiles.md): the CPO Receiver on sessions of the simulated charger (immediate
ChargingProfileResponse, results POSTed later, ActiveChargingProfile pushed to the sender that set a profile),
its errors and party isolation; the eMSP Sender side (results and updates recorded, strangers refused)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.v221.test_commands import PARTNER_HOST, STAMP, Partner, location, own, start, stored
from tests.conftest import auth

RECEIVER = "/ocpi/2.2.1/cpo/chargingprofiles"
SENDER = "/ocpi/2.2.1/emsp/chargingprofiles"
PROFILE = {"charging_rate_unit": "A", "min_charging_rate": 6.0,
           "charging_profile_period": [{"start_period": 0, "limit": 8.1}, {"start_period": 900, "limit": 16}]}


async def running_session(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any) -> tuple[str, str]:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"))
    partner = await app.state.store.list_partners()
    partner[0].endpoints = [{"identifier": "chargingprofiles", "role": "SENDER", "url": f"{PARTNER_HOST}/cp"}]
    await app.state.store.update_partner(partner[0])
    await own(app, "locations", location())
    app.state.chargers.adapter.tick = 30
    await client.post("/ocpi/2.2.1/cpo/commands/START_SESSION", json=start(), headers=auth(emsp))
    await app.state.tasks.drain(names="command-run")
    [session] = await stored(app, "sessions")
    return emsp, session["id"]


async def test_put_get_delete_and_active_profile_push(app: Litestar, client: AsyncTestClient[Litestar],
                                                      register_partner: Any) -> None:
    partner = Partner(app)
    emsp, session_id = await running_session(app, client, register_partner)
    put = await client.put(f"{RECEIVER}/{session_id}", headers=auth(emsp),
                           json={"charging_profile": PROFILE, "response_url": f"{PARTNER_HOST}/res/put"})
    assert put.status_code == 200 and put.json()["data"] == {"result": "ACCEPTED",
                                                             "timeout": app.state.settings.command_timeout}
    await app.state.tasks.drain(names="chargingprofile-run")
    assert partner.posts("/res/put") == [{"result": "ACCEPTED"}]
    got = await client.get(f"{RECEIVER}/{session_id}", headers=auth(emsp),
                           params={"duration": 600, "response_url": f"{PARTNER_HOST}/res/get"})
    assert got.json()["data"]["result"] == "ACCEPTED"
    await app.state.tasks.drain(names="chargingprofile-run")
    [active] = partner.posts("/res/get")
    assert active["result"] == "ACCEPTED"
    profile = active["profile"]["charging_profile"]
    assert profile["duration"] == 600 and profile["charging_rate_unit"] == "W"
    assert profile["charging_profile_period"][0]["limit"] == pytest.approx(8.1 * 230 * 3)
    cleared = await client.delete(f"{RECEIVER}/{session_id}", headers=auth(emsp),
                                  params={"response_url": f"{PARTNER_HOST}/res/del"})
    assert cleared.status_code == 200 and cleared.json()["data"]["result"] == "ACCEPTED"
    await app.state.tasks.drain(names="chargingprofile-run")
    assert partner.posts("/res/del") == [{"result": "ACCEPTED"}]
    # the sender that set a profile gets the changed ActiveChargingProfile (back to the EVSE's capacity)
    pushed = [body for method, url, body in partner.seen if method == "PUT" and url == f"{PARTNER_HOST}/cp/{session_id}"]
    assert pushed and pushed[-1]["charging_profile"]["charging_profile_period"][0]["limit"] == 11000


async def test_receiver_errors_and_isolation(app: Litestar, client: AsyncTestClient[Litestar],
                                             register_partner: Any) -> None:
    partner = Partner(app)
    emsp, session_id = await running_session(app, client, register_partner)
    _, other = await register_partner(("EMSP", "DE", "XYZ"), name="xyz")
    body = {"charging_profile": PROFILE, "response_url": f"{PARTNER_HOST}/res/x"}
    unknown = await client.put(f"{RECEIVER}/NOPE", json=body, headers=auth(emsp))
    assert unknown.json()["data"]["result"] == "UNKNOWN_SESSION"
    theirs = await client.put(f"{RECEIVER}/{session_id}", json=body, headers=auth(other))
    assert theirs.json()["data"]["result"] == "REJECTED"
    for bad, field in (({**body, "charging_profile": {**PROFILE, "charging_rate_unit": "kW"}},
                        "charging_profile.charging_rate_unit"),
                       ({**body, "charging_profile": {**PROFILE, "charging_profile_period": [
                           {"start_period": 0, "limit": 8.15}]}}, "charging_profile.charging_profile_period[0].limit"),
                       ({"charging_profile": PROFILE}, "response_url")):
        answer = await client.put(f"{RECEIVER}/{session_id}", json=bad, headers=auth(emsp))
        assert answer.status_code == 400 and f"`{field}`" in answer.json()["status_message"], answer.text
    no_duration = await client.get(f"{RECEIVER}/{session_id}", headers=auth(emsp),
                                   params={"response_url": f"{PARTNER_HOST}/res/g"})
    assert no_duration.status_code == 400 and "`duration`" in no_duration.json()["status_message"]
    no_url = await client.delete(f"{RECEIVER}/{session_id}", headers=auth(emsp))
    assert no_url.status_code == 400 and "`response_url`" in no_url.json()["status_message"]
    await app.state.tasks.drain(names="chargingprofile-run")
    assert partner.posts("/res/") == []


async def test_too_often(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    Partner(app)
    emsp, session_id = await running_session(app, client, register_partner)
    results = []
    for i in range(12):
        answer = await client.get(f"{RECEIVER}/{session_id}", headers=auth(emsp),
                                  params={"duration": 60, "response_url": f"{PARTNER_HOST}/res/{i}"})
        results.append(answer.json()["data"]["result"])
    assert results[:10] == ["ACCEPTED"] * 10 and results[10:] == ["TOO_OFTEN"] * 2
    await app.state.tasks.drain(names="chargingprofile-run")


async def test_sender_side_records_results_and_updates(app: Litestar, client: AsyncTestClient[Litestar],
                                                       register_partner: Any) -> None:
    cpo, cpo_token = await register_partner(("CPO", "FR", "CPX"), name="cpo")
    cpo.endpoints = [{"identifier": "chargingprofiles", "role": "RECEIVER", "url": f"{PARTNER_HOST}/cp"}]
    await app.state.store.update_partner(cpo)
    seen = Partner(app, answer=lambda request, body: httpx.Response(200, json={
        "status_code": 1000, "timestamp": STAMP, "data": {"result": "ACCEPTED", "timeout": 30}}))
    from ocpi_engine.models.v221.chargingprofiles import ChargingProfile
    import msgspec

    record = await app.state.chargingprofiles.send(cpo.id, "PUT", "S1", profile=msgspec.convert(PROFILE,
                                                                                                ChargingProfile))
    assert record.status == "PENDING"
    method, url, body = seen.seen[0]
    assert (method, url) == ("PUT", f"{PARTNER_HOST}/cp/S1") and body["charging_profile"]["min_charging_rate"] == 6.0
    path = body["response_url"].removeprefix("https://ocpi.example.com")
    _, stranger = await register_partner(("CPO", "BE", "BEX"), name="stranger")
    assert (await client.post(path, json={"result": "ACCEPTED"}, headers=auth(stranger))).status_code == 404
    assert (await client.post(path, json={"result": "NOPE"}, headers=auth(cpo_token))).status_code == 400
    ok = await client.post(path, json={"result": "ACCEPTED"}, headers=auth(cpo_token))
    assert ok.status_code == 200 and "data" not in ok.json()
    assert (await app.state.chargingprofiles.get_request(record.uid)).result == {"result": "ACCEPTED"}
    active = {"start_date_time": STAMP, "charging_profile": {"charging_rate_unit": "W", "charging_profile_period": [
        {"start_period": 0, "limit": 7400}]}}
    assert (await client.put(f"{SENDER}/S1", json=active, headers=auth(cpo_token))).status_code == 200
    assert (await client.put(f"{SENDER}/S1", json=active, headers=auth(stranger))).status_code == 404
    assert (await client.put(f"{SENDER}/OTHER", json=active, headers=auth(cpo_token))).status_code == 404
    stored_profile = await app.state.chargingprofiles.active_profile(cpo.id, "S1")
    assert stored_profile["profile"]["charging_profile"]["charging_profile_period"][0]["limit"] == 7400
