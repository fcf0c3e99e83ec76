"""Commands module 2.2.1 (commands.md): the CPO Receiver with the simulated charger (sessions that really charge,
a priced CDR on stop), its error answers and party isolation, and the eMSP Sender side (results recorded,
TIMEOUT when none arrives, late results kept)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine import price_cdr
from ocpi_engine.models._base import normalize_datetime
from ocpi_engine.storage.base import ObjectRecord
from tests.conftest import auth

RECEIVER = "/ocpi/2.2.1/cpo/commands"
SENDER = "/ocpi/2.2.1/emsp/commands"
PARTNER_HOST = "https://partner.example.com"
STAMP = "2024-01-01T00:00:00Z"


def token(uid: str = "TOKEN1", *, cc: str = "DE", pid: str = "ABC") -> dict[str, Any]:
    return {"country_code": cc, "party_id": pid, "uid": uid, "type": "APP_USER", "contract_id": "DE-ABC-C1",
            "issuer": "ABC", "valid": True, "whitelist": "NEVER", "last_updated": STAMP}


def location(location_id: str = "LOC1", *, tariff_ids: list[str] | None = None,
             evse_status: str = "AVAILABLE") -> dict[str, Any]:
    connector: dict[str, Any] = {"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET",
                                 "power_type": "AC_3_PHASE", "max_voltage": 230, "max_amperage": 16,
                                 "max_electric_power": 11000, "last_updated": STAMP}
    if tariff_ids:
        connector["tariff_ids"] = tariff_ids
    return {"country_code": "NL", "party_id": "OCE", "id": location_id, "publish": True, "address": "Street 1",
            "city": "Utrecht", "postal_code": "3500AA", "country": "NLD",
            "coordinates": {"latitude": "52.090000", "longitude": "5.120000"}, "time_zone": "Europe/Amsterdam",
            "evses": [{"uid": "EVSE1", "evse_id": "NL*OCE*E1", "status": evse_status, "connectors": [connector],
                       "last_updated": STAMP},
                      {"uid": "EVSE2", "evse_id": "NL*OCE*E2", "status": "AVAILABLE",
                       "connectors": [{**connector, "id": "1"}], "last_updated": STAMP}],
            "last_updated": STAMP}


TARIFF = {"country_code": "NL", "party_id": "OCE", "id": "T1", "currency": "EUR",
          "elements": [{"price_components": [{"type": "ENERGY", "price": 0.25, "step_size": 1},
                                             {"type": "TIME", "price": 2.0, "step_size": 1}]}],
          "last_updated": STAMP}


async def own(app: Litestar, module: str, body: dict[str, Any]) -> None:
    await app.state.store.put_object(ObjectRecord(
        module=module, country_code="NL", party_id="OCE", id=body["id"],
        last_updated=normalize_datetime(body["last_updated"]), body=msgspec.json.encode(body), partner_id=None))


class Partner:
    """Records the results POSTed to a partner's response URLs (outbound calls of the app go here)."""

    def __init__(self, app: Litestar, answer: Any = None) -> None:
        self.seen: list[tuple[str, str, Any]] = []
        self.answer = answer

        def handler(request: httpx.Request) -> httpx.Response:
            body = json.loads(request.content) if request.content else None
            self.seen.append((request.method, str(request.url), body))
            if self.answer is not None:
                return self.answer(request, body)
            return httpx.Response(200, json={"status_code": 1000, "timestamp": STAMP})

        app.state.client.http = httpx.AsyncClient(transport=httpx.MockTransport(handler))

    def posts(self, url_part: str) -> list[Any]:
        return [body for method, url, body in self.seen if method == "POST" and url_part in url]


def start(location_id: str = "LOC1", response: str = "start-1", **extra: Any) -> dict[str, Any]:
    return {"response_url": f"{PARTNER_HOST}/results/{response}", "token": token(), "location_id": location_id,
            **extra}


async def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if await predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


async def stored(app: Litestar, module: str) -> list[dict[str, Any]]:
    page = await app.state.store.list_objects(module, limit=1000)
    return [msgspec.json.decode(r.body) for r in page.items]


@pytest.fixture
async def emsp(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any) -> str:
    _, token_c = await register_partner(("EMSP", "DE", "ABC"))
    return token_c


async def test_start_charge_stop_gives_sessions_and_a_priced_cdr(app: Litestar, client: AsyncTestClient[Litestar],
                                                                emsp: str) -> None:
    await own(app, "locations", location(tariff_ids=["T1"]))
    await own(app, "tariffs", TARIFF)
    partner = Partner(app)
    app.state.chargers.adapter.tick = 0.05
    answer = await client.post(f"{RECEIVER}/START_SESSION", json=start(authorization_reference="AUTH1"),
                               headers=auth(emsp))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status_code"] == 1000
    assert answer.json()["data"] == {"result": "ACCEPTED", "timeout": app.state.settings.command_timeout}
    await app.state.tasks.drain(names="command-run")
    assert partner.posts("/results/start-1") == [{"result": "ACCEPTED"}]
    [session] = await stored(app, "sessions")
    assert session["status"] == "ACTIVE" and session["auth_method"] == "COMMAND"
    assert session["authorization_reference"] == "AUTH1"
    assert session["cdr_token"]["uid"] == "TOKEN1" and session["evse_uid"] == "EVSE1"

    async def two_periods() -> bool:
        current = (await stored(app, "sessions"))[0]
        return len(current.get("charging_periods", [])) >= 2

    await asyncio.sleep(1.1)  # periods are whole seconds long
    await wait_for(two_periods)
    stop = await client.post(f"{RECEIVER}/STOP_SESSION",
                             json={"response_url": f"{PARTNER_HOST}/results/stop-1", "session_id": session["id"]},
                             headers=auth(emsp))
    assert stop.json()["data"]["result"] == "ACCEPTED"
    await app.state.tasks.drain(names="command-run")
    assert partner.posts("/results/stop-1") == [{"result": "ACCEPTED"}]
    [finished] = await stored(app, "sessions")
    assert finished["status"] == "COMPLETED" and finished["end_date_time"]
    [cdr] = await stored(app, "cdrs")
    assert cdr["session_id"] == session["id"] and cdr["charging_periods"] == finished["charging_periods"]
    assert cdr["tariffs"][0]["id"] == "T1" and cdr["cdr_location"]["evse_id"] == "NL*OCE*E1"
    assert Decimal(str(cdr["total_energy"])) == Decimal(str(finished["kwh"])) > 0
    report = price_cdr(msgspec.json.encode(cdr))
    assert report.total_cost.excl_vat == Decimal(str(cdr["total_cost"]["excl_vat"])) > 0


async def test_unknown_location_is_2003_with_rejected(app: Litestar, client: AsyncTestClient[Litestar],
                                                      emsp: str) -> None:
    partner = Partner(app)
    answer = await client.post(f"{RECEIVER}/START_SESSION", json=start("NOWHERE"), headers=auth(emsp))
    assert answer.status_code == 404
    assert answer.json()["status_code"] == 2003 and answer.json()["data"]["result"] == "REJECTED"
    unlock = await client.post(f"{RECEIVER}/UNLOCK_CONNECTOR", headers=auth(emsp), json={
        "response_url": f"{PARTNER_HOST}/r/2", "location_id": "NOWHERE", "evse_uid": "E", "connector_id": "1"})
    assert unlock.json()["status_code"] == 2003
    await app.state.tasks.drain(names="command-run")
    assert partner.seen == []


@pytest.mark.parametrize(
    ("command", "body", "field"),
    [
        ("START_SESSION", {k: v for k, v in start().items() if k != "token"}, "token"),
        ("START_SESSION", {**start(), "token": {**token(), "whitelist": "SOMETIMES"}}, "token.whitelist"),
        ("START_SESSION", {**start(), "response_url": "not a url"}, "response_url"),
        ("START_SESSION", {**start(), "location_id": "x" * 37}, "location_id"),
        ("START_SESSION", {**start(), "connector_id": "1"}, "connector_id"),
        ("STOP_SESSION", {"response_url": f"{PARTNER_HOST}/r"}, "session_id"),
        ("RESERVE_NOW", {**start(), "reservation_id": "R1"}, "expiry_date"),
        ("CANCEL_RESERVATION", {"response_url": f"{PARTNER_HOST}/r"}, "reservation_id"),
        ("UNLOCK_CONNECTOR", {"response_url": f"{PARTNER_HOST}/r", "location_id": "LOC1", "evse_uid": "EVSE1"},
         "connector_id"),
        ("START_SESSION", {**start(), "response_url": "https://elsewhere.example.net/steal"}, "response_url"),
    ],
)
async def test_invalid_command_is_2001_naming_the_field(app: Litestar, client: AsyncTestClient[Litestar],
                                                        emsp: str, command: str, body: dict[str, Any],
                                                        field: str) -> None:
    await own(app, "locations", location())
    partner = Partner(app)
    answer = await client.post(f"{RECEIVER}/{command}", json=body, headers=auth(emsp))
    assert answer.status_code == 400, answer.text
    assert answer.json()["status_code"] == 2001 and f"`{field}`" in answer.json()["status_message"]
    assert await stored(app, "sessions") == [] and partner.seen == []


async def test_not_json_and_unknown_command(client: AsyncTestClient[Litestar], emsp: str) -> None:
    not_json = await client.post(f"{RECEIVER}/START_SESSION", content=b"{nope", headers=auth(emsp))
    assert not_json.status_code == 400 and not_json.json()["status_code"] == 2001
    unknown = await client.post(f"{RECEIVER}/SELF_DESTRUCT", json={}, headers=auth(emsp))
    assert unknown.status_code == 404 and unknown.json()["status_code"] == 2001
    assert "`command`" in unknown.json()["status_message"]


async def test_stop_unknown_session(app: Litestar, client: AsyncTestClient[Litestar], emsp: str) -> None:
    partner = Partner(app)
    answer = await client.post(f"{RECEIVER}/STOP_SESSION", headers=auth(emsp),
                               json={"response_url": f"{PARTNER_HOST}/r/9", "session_id": "NOPE"})
    assert answer.status_code == 200 and answer.json()["data"]["result"] == "UNKNOWN_SESSION"
    await app.state.tasks.drain(names="command-run")
    assert partner.seen == []


async def test_party_isolation(app: Litestar, client: AsyncTestClient[Litestar], emsp: str,
                               register_partner: Any) -> None:
    """Another eMSP can neither use ABC's token nor stop ABC's session."""
    _, other = await register_partner(("EMSP", "DE", "XYZ"), name="xyz")
    await own(app, "locations", location())
    Partner(app)
    app.state.chargers.adapter.tick = 30
    theirs = await client.post(f"{RECEIVER}/START_SESSION", json=start(), headers=auth(other))
    assert theirs.json()["data"]["result"] == "REJECTED" and "own tokens" in theirs.json()["data"]["message"][0]["text"]
    mine = await client.post(f"{RECEIVER}/START_SESSION", json=start(), headers=auth(emsp))
    assert mine.json()["data"]["result"] == "ACCEPTED"
    await app.state.tasks.drain(names="command-run")
    [session] = await stored(app, "sessions")
    stop = await client.post(f"{RECEIVER}/STOP_SESSION", headers=auth(other),
                             json={"response_url": f"{PARTNER_HOST}/r/3", "session_id": session["id"]})
    assert stop.json()["data"]["result"] == "UNKNOWN_SESSION"  # answered like a session that does not exist
    assert stop.json()["data"]["message"][0]["text"] == f"unknown session {session['id']}"
    assert (await stored(app, "sessions"))[0]["status"] == "ACTIVE"


async def test_evse_occupied_and_inoperative_results(app: Litestar, client: AsyncTestClient[Litestar],
                                                     emsp: str) -> None:
    await own(app, "locations", location(evse_status="OUTOFORDER"))
    partner = Partner(app)
    app.state.chargers.adapter.tick = 30
    await client.post(f"{RECEIVER}/START_SESSION", json=start(response="a", evse_uid="EVSE1"), headers=auth(emsp))
    await client.post(f"{RECEIVER}/START_SESSION", json=start(response="b", evse_uid="EVSE2"), headers=auth(emsp))
    await app.state.tasks.drain(names="command-run")
    await client.post(f"{RECEIVER}/START_SESSION", json=start(response="c", evse_uid="EVSE2"), headers=auth(emsp))
    await app.state.tasks.drain(names="command-run")
    assert partner.posts("/results/a") == [{"result": "EVSE_INOPERATIVE"}]
    assert partner.posts("/results/b") == [{"result": "ACCEPTED"}]
    assert partner.posts("/results/c") == [{"result": "EVSE_OCCUPIED"}]


async def test_reservation_and_cancel(app: Litestar, client: AsyncTestClient[Litestar], emsp: str) -> None:
    await own(app, "locations", location())
    partner = Partner(app)
    body = {**start(response="res"), "reservation_id": "R1", "expiry_date": "2099-01-01T00:00:00Z"}
    assert (await client.post(f"{RECEIVER}/RESERVE_NOW", json=body, headers=auth(emsp))).json()["data"]["result"] \
        == "ACCEPTED"
    await app.state.tasks.drain(names="command-run")
    [session] = await stored(app, "sessions")
    assert session["status"] == "RESERVATION" and session["evse_uid"] == "#NA"
    unknown = {"response_url": f"{PARTNER_HOST}/results/cx", "reservation_id": "R2"}
    await client.post(f"{RECEIVER}/CANCEL_RESERVATION", json=unknown, headers=auth(emsp))
    cancel = {"response_url": f"{PARTNER_HOST}/results/cancel", "reservation_id": "r1"}
    await client.post(f"{RECEIVER}/CANCEL_RESERVATION", json=cancel, headers=auth(emsp))
    await app.state.tasks.drain(names="command-run")
    assert partner.posts("/results/res") == [{"result": "ACCEPTED"}]
    assert partner.posts("/results/cx") == [{"result": "UNKNOWN_RESERVATION"}]
    assert partner.posts("/results/cancel") == [{"result": "ACCEPTED"}]
    assert (await stored(app, "sessions"))[0]["status"] == "COMPLETED"


async def test_result_post_is_retried_a_bounded_number_of_times(app: Litestar, client: AsyncTestClient[Litestar],
                                                               emsp: str) -> None:
    await own(app, "locations", location())
    app.state.settings.command_result_attempts = 2
    partner = Partner(app, answer=lambda request, body: httpx.Response(503, text="busy"))
    await client.post(f"{RECEIVER}/UNLOCK_CONNECTOR", headers=auth(emsp), json={
        "response_url": f"{PARTNER_HOST}/results/u", "location_id": "LOC1", "evse_uid": "EVSE1", "connector_id": "1"})
    await app.state.tasks.drain(timeout=10, names="command-run")
    assert partner.posts("/results/u") == [{"result": "ACCEPTED"}] * 2


async def test_adapter_none_answers_not_supported(app: Litestar, client: AsyncTestClient[Litestar],
                                                  emsp: str) -> None:
    from ocpi_engine.chargers import NoCharger

    await own(app, "locations", location())
    app.state.chargers.adapter = NoCharger(app.state.chargers)
    answer = await client.post(f"{RECEIVER}/START_SESSION", json=start(), headers=auth(emsp))
    assert answer.json()["data"]["result"] == "NOT_SUPPORTED"


# -- eMSP side ------------------------------------------------------------------------------------------------------
async def cpo_partner(app: Litestar, register_partner: Any, *, answer: Any, version: str = "2.2.1",
                      name: str = "cpo") -> tuple[Any, str, Partner]:
    partner, token_c = await register_partner(("CPO", "FR", "CPX"), version=version, name=name)
    partner.endpoints = [{"identifier": "commands", "role": "RECEIVER", "url": f"{PARTNER_HOST}/{version}/commands"}]
    await app.state.store.update_partner(partner)
    return partner, token_c, Partner(app, answer=answer)


async def own_token(app: Litestar) -> None:
    from ocpi_engine.models.v221.tokens import Token

    await app.state.tokens.put(msgspec.convert(token("MINE", cc="NL", pid="OCE"), Token), partner_id=None)


def accepted(timeout: int = 30) -> Any:
    return lambda request, body: httpx.Response(200, json={"status_code": 1000, "timestamp": STAMP,
                                                           "data": {"result": "ACCEPTED", "timeout": timeout}})


async def test_emsp_sends_a_command_and_records_the_result(app: Litestar, client: AsyncTestClient[Litestar],
                                                           register_partner: Any) -> None:
    await own_token(app)
    cpo, cpo_token, seen = await cpo_partner(app, register_partner, answer=accepted())
    admin = {"Authorization": "Bearer admin-secret-token"}
    sent = await client.post(f"/admin/commands/{cpo.id}/START_SESSION", headers=admin,
                             json={"token_uid": "MINE", "token_type": "APP_USER", "location_id": "LOC9"})
    assert sent.status_code == 200, sent.text
    record = sent.json()["data"]
    assert record["status"] == "PENDING" and record["response"]["result"] == "ACCEPTED"
    [(method, url, body)] = seen.seen
    assert url == f"{PARTNER_HOST}/2.2.1/commands/START_SESSION"
    assert body["token"]["uid"] == "MINE" and body["location_id"] == "LOC9"
    response_url = body["response_url"]
    assert response_url.startswith("https://ocpi.example.com/ocpi/2.2.1/emsp/commands/START_SESSION/")
    path = response_url.removeprefix("https://ocpi.example.com")
    # only the CPO the command went to may answer it; the body is validated
    _, stranger = await register_partner(("CPO", "BE", "BEX"), name="stranger")
    assert (await client.post(path, json={"result": "ACCEPTED"}, headers=auth(stranger))).status_code == 404
    bad = await client.post(path, json={"result": "MAYBE"}, headers=auth(cpo_token))
    assert bad.status_code == 400 and "`result`" in bad.json()["status_message"]
    assert (await client.post(path.replace("START_SESSION", "STOP_SESSION"), json={"result": "ACCEPTED"},
                              headers=auth(cpo_token))).status_code == 404
    ok = await client.post(path, json={"result": "ACCEPTED", "message": [{"language": "en", "text": "go"}]},
                           headers=auth(cpo_token))
    assert ok.status_code == 200 and ok.json()["status_code"] == 1000 and "data" not in ok.json()
    got = (await client.get(f"/admin/commands/{record['uid']}", headers=admin)).json()["data"]
    assert got["status"] == "RESULT" and got["result"]["result"] == "ACCEPTED" and not got.get("late")
    listed = (await client.get("/admin/commands", headers=admin)).json()["data"]
    assert [r["uid"] for r in listed] == [record["uid"]]


async def test_no_result_within_the_timeout_is_recorded_as_timeout(app: Litestar, client: AsyncTestClient[Litestar],
                                                                   register_partner: Any) -> None:
    cpo, cpo_token, seen = await cpo_partner(app, register_partner, answer=accepted(timeout=1))
    record = await app.state.commands.send(cpo.id, "STOP_SESSION", {"session_id": "S1"})
    assert record.status == "PENDING"
    await app.state.tasks.drain(timeout=5, names="command-timeout")
    timed_out = await app.state.commands.get(record.uid)
    assert timed_out.status == "TIMEOUT" and timed_out.result["result"] == "TIMEOUT"
    # a late result is still recorded (and whatever it started is not refused)
    path = seen.seen[0][2]["response_url"].removeprefix("https://ocpi.example.com")
    assert (await client.post(path, json={"result": "ACCEPTED"}, headers=auth(cpo_token))).status_code == 200
    late = await app.state.commands.get(record.uid)
    assert late.status == "RESULT" and late.late and late.result["result"] == "ACCEPTED"


async def test_refused_and_unreachable_commands(app: Litestar, client: AsyncTestClient[Litestar],
                                                register_partner: Any) -> None:
    cpo, _, seen = await cpo_partner(app, register_partner, answer=lambda request, body: httpx.Response(
        404, json={"status_code": 2003, "timestamp": STAMP, "data": {"result": "REJECTED", "timeout": 0}}))
    refused = await app.state.commands.send(cpo.id, "UNLOCK_CONNECTOR",
                                            {"location_id": "X", "evse_uid": "E", "connector_id": "1"})
    assert refused.status == "REFUSED" and refused.response_status_code == 2003
    seen.answer = lambda request, body: httpx.Response(200, text="<html>")
    broken = await app.state.commands.send(cpo.id, "STOP_SESSION", {"session_id": "S"})
    assert broken.status == "ERROR" and broken.error


async def test_start_needs_one_of_our_tokens(app: Litestar, client: AsyncTestClient[Litestar],
                                             register_partner: Any) -> None:
    cpo, _, _ = await cpo_partner(app, register_partner, answer=accepted())
    answer = await client.post(f"/admin/commands/{cpo.id}/START_SESSION",
                               headers={"Authorization": "Bearer admin-secret-token"},
                               json={"token_uid": "UNKNOWN", "location_id": "L"})
    assert answer.status_code == 404 and answer.json()["status_code"] == 2004
