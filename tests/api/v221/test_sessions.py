"""Sessions module 2.2.1 (sessions.md): eMSP Receiver PUT replaces / PATCH appends charging periods (atomically),
PATCH needs last_updated, party isolation, 2001 naming the field; CPO Sender list; own sessions priced with the
tariff engine; charging preferences."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.storage.base import ObjectRecord
from tests.conftest import auth

RECEIVER = "/ocpi/2.2.1/emsp/sessions"
SENDER = "/ocpi/2.2.1/cpo/sessions"
_encoder = msgspec.json.Encoder(decimal_format="number")
_decode = msgspec.json.Decoder(float_hook=Decimal).decode


def period(start: str, kwh: str = "1.5", **extra: Any) -> dict[str, Any]:
    return {"start_date_time": start, "dimensions": [{"type": "ENERGY", "volume": Decimal(kwh)}], **extra}


def session(sid: str = "101", *, cc: str = "DE", pid: str = "ABC", **extra: Any) -> dict[str, Any]:
    return {"country_code": cc, "party_id": pid, "id": sid, "start_date_time": "2024-03-01T10:00:00Z",
            "kwh": Decimal("0"), "cdr_token": {"country_code": "NL", "party_id": "OCE", "uid": "012345678",
                                               "type": "RFID", "contract_id": "NL-OCE-C12345678"},
            "auth_method": "WHITELIST", "location_id": "LOC1", "evse_uid": "E1", "connector_id": "1",
            "currency": "EUR", "status": "ACTIVE", "last_updated": "2024-03-01T10:00:00Z", **extra}


def send(value: Any) -> bytes:
    return _encoder.encode(value)


def h(token: str) -> dict[str, str]:
    return {**auth(token), "Content-Type": "application/json"}


async def stored(client: AsyncTestClient[Litestar], token: str, url: str) -> dict[str, Any]:
    response = await client.get(url, headers=auth(token))
    assert response.status_code == 200, response.text
    return _decode(response.content)["data"]  # type: ignore[no-any-return]


async def test_patch_appends_periods_and_put_replaces_them(client: AsyncTestClient[Litestar],
                                                           register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    url = f"{RECEIVER}/DE/ABC/101"
    created = await client.put(url, content=send(session(charging_periods=[period("2024-03-01T10:00:00Z")])),
                               headers=h(cpo))
    assert created.status_code == 201 and "data" not in created.json()
    first = {"kwh": Decimal("3"), "charging_periods": [period("2024-03-01T10:15:00Z")],
             "total_cost": {"excl_vat": Decimal("0.80"), "incl_vat": Decimal("0.88")},
             "last_updated": "2024-03-01T10:15:00Z"}
    assert (await client.patch(url, content=send(first), headers=h(cpo))).status_code == 200
    assert (await client.patch(url, content=send(first), headers=h(cpo))).status_code == 200  # retried: not twice
    no_periods = {"status": "ACTIVE", "charging_periods": [], "last_updated": "2024-03-01T10:20:00Z"}
    assert (await client.patch(url, content=send(no_periods), headers=h(cpo))).status_code == 200
    got = await stored(client, cpo, url)
    assert [p["start_date_time"] for p in got["charging_periods"]] == ["2024-03-01T10:00:00Z", "2024-03-01T10:15:00Z"]
    assert got["kwh"] == Decimal("3") and got["total_cost"]["excl_vat"] == Decimal("0.80")
    assert got["last_updated"] == "2024-03-01T10:20:00Z"
    replaced = await client.put(url, content=send(session(charging_periods=[period("2024-03-01T11:00:00Z", "9")])),
                                headers=h(cpo))
    assert replaced.status_code == 200
    got = await stored(client, cpo, url)
    assert [p["start_date_time"] for p in got["charging_periods"]] == ["2024-03-01T11:00:00Z"]
    assert "total_cost" not in got
    await client.put(url, content=send(session()), headers=h(cpo))
    assert "charging_periods" not in await stored(client, cpo, url)


async def test_concurrent_patches_lose_no_period(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    url = f"{RECEIVER}/DE/ABC/101"
    await client.put(url, content=send(session()), headers=h(cpo))
    starts = [f"2024-03-01T10:{minute:02d}:00Z" for minute in range(20)]
    answers = await asyncio.gather(*(
        client.patch(url, content=send({"charging_periods": [period(s)], "last_updated": s}), headers=h(cpo))
        for s in starts))
    assert {a.status_code for a in answers} == {200}
    got = await stored(client, cpo, url)
    assert sorted(p["start_date_time"] for p in got["charging_periods"]) == starts


async def test_patch_needs_last_updated_and_an_existing_session(app: Litestar, client: AsyncTestClient[Litestar],
                                                                register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    url = f"{RECEIVER}/DE/ABC/101"
    unknown = await client.patch(url, content=send({"kwh": 1, "last_updated": "2024-03-01T10:05:00Z"}), headers=h(cpo))
    assert unknown.status_code == 404 and unknown.json()["status_code"] == 2000
    assert (await client.get(url, headers=auth(cpo))).status_code == 404
    await client.put(url, content=send(session()), headers=h(cpo))
    no_date = await client.patch(url, content=send({"charging_periods": [period("2024-03-01T10:05:00Z")]}),
                                 headers=h(cpo))
    assert no_date.status_code == 400 and no_date.json()["status_code"] == 2001
    assert "`last_updated`" in no_date.json()["status_message"]
    moving = await client.patch(url, content=send({"id": "OTHER", "last_updated": "2024-03-01T10:05:00Z"}),
                                headers=h(cpo))
    assert moving.status_code == 400 and "`id`" in moving.json()["status_message"]
    bad = await client.patch(url, content=send({"status": "DONE", "last_updated": "2024-03-01T10:05:00Z"}),
                             headers=h(cpo))
    assert bad.status_code == 400 and "`status`" in bad.json()["status_message"]
    assert "charging_periods" not in await stored(client, cpo, url)


async def test_party_isolation_and_non_owner_writes(app: Litestar, client: AsyncTestClient[Litestar],
                                                    register_partner: Any) -> None:
    _, abc = await register_partner(("CPO", "DE", "ABC"), name="abc")
    _, xyz = await register_partner(("CPO", "DE", "XYZ"), name="xyz")
    url = f"{RECEIVER}/DE/ABC/101"
    await client.put(url, content=send(session()), headers=h(abc))
    assert (await client.get(url, headers=auth(xyz))).status_code == 404
    assert (await client.put(url, content=send(session(status="INVALID")), headers=h(xyz))).status_code == 404
    patch = send({"status": "INVALID", "last_updated": "2024-03-02T00:00:00Z"})
    assert (await client.patch(url, content=patch, headers=h(xyz))).status_code == 404
    # nobody writes our own party's sessions through the Receiver
    own = f"{RECEIVER}/NL/OCE/101"
    assert (await client.put(own, content=send(session(cc="NL", pid="OCE")), headers=h(abc))).status_code == 404
    assert (await stored(client, abc, url))["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (session(cc="NL"), "country_code"),
        (session("OTHER"), "id"),
        (session(status="DONE"), "status"),
        (session(kwh="NaN"), "kwh"),
        (session(currency="Euro"), "currency"),
        (session(start_date_time="2024-03-01T10:00:00+01:00"), "start_date_time"),
        (session(charging_periods=[{"start_date_time": "2024-03-01T10:00:00Z", "dimensions": []}]),
         "charging_periods[0].dimensions"),
        (session(charging_periods=[{"start_date_time": "2024-03-01T10:00:00Z",
                                    "dimensions": [{"type": "VOLTS", "volume": 1}]}]),
         "charging_periods[0].dimensions[0].type"),
        ({k: v for k, v in session().items() if k != "cdr_token"}, "cdr_token"),
        (session(cdr_token={"country_code": "NL", "party_id": "OCE", "type": "RFID", "contract_id": "C"}),
         "cdr_token.uid"),
        (session(location_id="L" * 37), "location_id"),
    ],
)
async def test_invalid_put_is_2001_naming_the_field_and_stores_nothing(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any, body: dict[str, Any], field: str,
) -> None:
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    response = await client.put(f"{RECEIVER}/DE/ABC/101", content=send(body), headers=h(cpo))
    assert response.status_code == 400, response.text
    assert response.json()["status_code"] == 2001
    assert f"`{field}`" in response.json()["status_message"], response.json()["status_message"]
    assert (await app.state.store.list_objects("sessions")).total == 0


# -- CPO side: our own sessions ------------------------------------------------------------------------------------
TARIFF = {"country_code": "NL", "party_id": "OCE", "id": "T1", "currency": "EUR", "type": "REGULAR",
          "elements": [{"price_components": [{"type": "ENERGY", "price": Decimal("0.25"), "vat": Decimal("10"),
                                              "step_size": 1}]}],
          "last_updated": "2024-01-01T00:00:00Z"}


def location(capable: bool = True, tariff_ids: tuple[str, ...] = ("T1",), power: int = 11000) -> dict[str, Any]:
    return {"country_code": "NL", "party_id": "OCE", "id": "LOC1", "time_zone": "Europe/Amsterdam",
            "evses": [{"uid": "E1", "capabilities": ["CHARGING_PREFERENCES_CAPABLE"] if capable else [],
                       "connectors": [{"id": "1", "max_electric_power": power, "tariff_ids": list(tariff_ids)}]}]}


async def own(app: Litestar, module: str, obj: dict[str, Any]) -> None:
    await app.state.store.put_object(ObjectRecord(
        module=module, country_code="NL", party_id="OCE", id=obj["id"], last_updated="2024-01-01T00:00:00.000000Z",
        body=send(obj), partner_id=None))


async def import_sessions(app: Litestar, *sessions: dict[str, Any]) -> None:
    from ocpi_engine.services.importer import import_lines

    state = app.state
    await import_lines("sessions", [send(s) for s in sessions], store=state.store, settings=state.settings,
                       context=state)


async def test_own_sessions_are_priced_listed_and_need_date_from(app: Litestar, client: AsyncTestClient[Litestar],
                                                                 register_partner: Any) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "EMP"))
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    await own(app, "tariffs", TARIFF)
    await own(app, "locations", location())
    periods = [period("2024-03-01T10:00:00Z", "4"), period("2024-03-01T10:30:00Z", "6")]
    token = {"country_code": "DE", "party_id": "EMP", "uid": "U1", "type": "RFID", "contract_id": "DE-EMP-1"}
    await import_sessions(app, session("S1", cc="NL", pid="OCE", charging_periods=periods, cdr_token=token,
                                       last_updated="2024-03-01T11:00:00Z"),
                          session("S2", cc="NL", pid="OCE", total_cost={"excl_vat": Decimal("1")},
                                  location_id="ELSEWHERE", cdr_token=token))
    await client.put(f"{RECEIVER}/DE/ABC/THEIRS", content=send(session("THEIRS")), headers=h(cpo))
    missing = await client.get(SENDER, headers=auth(emsp))
    assert missing.status_code == 400 and "`date_from`" in missing.json()["status_message"]
    listed = _decode((await client.get(f"{SENDER}?date_from=2024-01-01T00:00:00Z", headers=auth(emsp))).content)
    assert [s["id"] for s in listed["data"]] == ["S1", "S2"]
    priced, unpriced = listed["data"]
    assert priced["total_cost"] == {"excl_vat": Decimal("2.5"), "incl_vat": Decimal("2.75")}  # 10 kWh x 0.25 + 10 %
    assert unpriced["total_cost"] == {"excl_vat": Decimal("1")}  # no tariff applies: kept as given


async def test_own_session_changed_prices_and_writes(app: Litestar, client: AsyncTestClient[Litestar]) -> None:
    from ocpi_engine.models.v221.sessions import Session
    from ocpi_engine.services.sessions import own_session_changed

    await own(app, "tariffs", TARIFF)
    await own(app, "locations", location())
    changed = msgspec.convert(session("S9", cc="NL", pid="OCE", charging_periods=[period("2024-03-01T10:00:00Z", "2")],
                                      last_updated="2024-03-01T10:30:00Z"), Session, strict=False)
    record = await own_session_changed(app.state, changed)
    assert _decode(record.body)["total_cost"]["excl_vat"] == Decimal("0.5")
    assert (await app.state.store.get_object("sessions", "NL", "OCE", "S9")) is not None
    with pytest.raises(Exception, match="not to this platform"):
        await own_session_changed(app.state, msgspec.structs.replace(changed, party_id="ABC"))


def _in(hours: float) -> str:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("preferences", "answer"),
    [
        ({"profile_type": "REGULAR"}, "ACCEPTED"),
        ({"profile_type": "FAST", "discharge_allowed": True}, "ACCEPTED"),
        ({"profile_type": "GREEN"}, "PROFILE_TYPE_NOT_SUPPORTED"),
        ({"profile_type": "CHEAP"}, "DEPARTURE_REQUIRED"),
        ({"profile_type": "CHEAP", "departure_time": "DEPART+2"}, "ENERGY_NEED_REQUIRED"),
        ({"profile_type": "CHEAP", "departure_time": "DEPART+2", "energy_need": 20}, "ACCEPTED"),
        ({"profile_type": "CHEAP", "departure_time": "DEPART+2", "energy_need": 30}, "NOT_POSSIBLE"),  # 11 kW x 2 h
        ({"profile_type": "REGULAR", "departure_time": "DEPART-1"}, "NOT_POSSIBLE"),
    ],
)
async def test_charging_preferences_rule(app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any,
                                         preferences: dict[str, Any], answer: str) -> None:
    _, emsp = await register_partner(("EMSP", "NL", "EMP"))
    await own(app, "tariffs", {**TARIFF, "id": "TF", "type": "PROFILE_FAST"})
    await own(app, "tariffs", {**TARIFF, "id": "TC", "type": "PROFILE_CHEAP"})
    await own(app, "locations", location(tariff_ids=("T1", "TF", "TC")))
    token = {"country_code": "NL", "party_id": "EMP", "uid": "U1", "type": "RFID", "contract_id": "NL-EMP-1"}
    await own(app, "sessions", session("S1", cc="NL", pid="OCE", cdr_token=token))
    if str(preferences.get("departure_time", "")).startswith("DEPART"):
        preferences = {**preferences, "departure_time": _in(float(preferences["departure_time"][6:]))}
    response = await client.put(f"{SENDER}/S1/charging_preferences", content=send(preferences), headers=h(emsp))
    assert response.status_code == 200, response.text
    assert response.json()["data"] == answer


async def test_charging_preferences_errors(app: Litestar, client: AsyncTestClient[Litestar],
                                           register_partner: Any) -> None:
    _, emsp = await register_partner(("EMSP", "NL", "EMP"), name="emp")
    _, other = await register_partner(("EMSP", "DE", "OTH"), name="other")
    token = {"country_code": "NL", "party_id": "EMP", "uid": "U1", "type": "RFID", "contract_id": "NL-EMP-1"}
    await own(app, "locations", location(capable=False))
    await own(app, "sessions", session("S1", cc="NL", pid="OCE", cdr_token=token))
    url = f"{SENDER}/S1/charging_preferences"
    body = send({"profile_type": "REGULAR"})
    incapable = await client.put(url, content=body, headers=h(emsp))
    assert incapable.status_code == 404 and incapable.json()["status_code"] == 2001
    assert (await client.put(url, content=body, headers=h(other))).status_code == 404  # not its driver's session
    assert (await client.put(f"{SENDER}/NOPE/charging_preferences", content=body, headers=h(emsp))).status_code == 404
    bad = await client.put(url, content=send({"profile_type": "SLOW"}), headers=h(emsp))
    assert bad.status_code == 400 and "`profile_type`" in bad.json()["status_message"]
    negative = await client.put(url, content=send({"profile_type": "CHEAP", "energy_need": -1}), headers=h(emsp))
    assert negative.status_code == 400 and "`energy_need`" in negative.json()["status_message"]
