"""Sessions and CDRs 2.1.1 (sessions.md 4, cdrs.md 5): 2.1.1 shapes in (auth_id, embedded location, total_cost as a
number, start_datetime) stored as 2.2.1 and answered back in 2.1.1; PATCH without last_updated; periods merged by
start; POST CDR -> Location -> GET; our own objects listed in 2.1.1 form."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.storage.base import ObjectRecord
from tests.conftest import auth

SESSIONS = "/ocpi/2.1.1/emsp/sessions"
CDRS = "/ocpi/2.1.1/emsp/cdrs"
EXAMPLES = Path("/work/shared/ocpi-spec/examples/2.1.1")
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
_encoder = msgspec.json.Encoder(decimal_format="number")
_decode = msgspec.json.Decoder(float_hook=Decimal).decode

LOCATION = {"id": "LOC1", "type": "ON_STREET", "name": "Gent Zuid", "address": "F.Rooseveltlaan 3A", "city": "Gent",
            "postal_code": "9000", "country": "BEL", "coordinates": {"latitude": "3.729944", "longitude": "51.047599"},
            "evses": [{"uid": "3256", "evse_id": "BE-BEC-E041503003", "status": "AVAILABLE",
                       "connectors": [{"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET",
                                       "power_type": "AC_1_PHASE", "voltage": 230, "amperage": 64,
                                       "last_updated": "2015-06-29T22:39:09Z"}],
                       "last_updated": "2015-06-29T22:39:09Z"}],
            "last_updated": "2015-06-29T22:39:09Z"}


def session_211(**extra: Any) -> dict[str, Any]:
    path = EXAMPLES / "mod_sessions__simple_session_example_of_a_just_starting_session.json"
    base = _decode(path.read_bytes()) if path.exists() else {
        "id": "101", "start_datetime": "2015-06-29T22:39:09Z", "kwh": Decimal("0"), "auth_id": "DE8ACC12E46L89",
        "auth_method": "WHITELIST", "location": LOCATION, "currency": "EUR", "total_cost": Decimal("2.50"),
        "status": "PENDING", "last_updated": "2015-06-29T22:39:09Z"}
    return {**base, **extra}


def cdr_211(**extra: Any) -> dict[str, Any]:
    base = _decode((FIXTURES / "own__v211_cdr_upgraded" / "cdr.json").read_bytes())
    return {**base, "location": LOCATION, **extra}


def h(token: str) -> dict[str, str]:
    return {**auth(token, raw=True), "Content-Type": "application/json"}


async def test_session_put_patch_get_in_211_shape(app: Litestar, client: AsyncTestClient[Litestar],
                                                  register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "BE", "BEC"), version="2.1.1")
    url = f"{SESSIONS}/BE/BEC/101"
    created = await client.put(url, content=_encoder.encode(session_211()), headers=h(cpo))
    assert created.status_code == 201, created.text
    stored = _decode((await app.state.store.get_object("sessions", "BE", "BEC", "101")).body)
    assert stored["start_date_time"] == "2015-06-29T22:39:09Z" and stored["location_id"] == "LOC1"
    assert stored["evse_uid"] == "3256" and stored["connector_id"] == "1"
    assert stored["cdr_token"] == {"country_code": "NL", "party_id": "OCE", "uid": "DE8ACC12E46L89", "type": "OTHER",
                                   "contract_id": "DE8ACC12E46L89"}
    assert stored["total_cost"] == {"excl_vat": Decimal("2.50")}
    period = {"start_date_time": "2015-06-29T22:40:00Z", "dimensions": [{"type": "ENERGY", "volume": 1}]}
    # 2.1.1 PATCH: no last_updated needed; periods merged by start (a peer may resend the full list)
    for body in ({"total_cost": 0.60, "charging_periods": [period]},
                 {"charging_periods": [period, {**period, "start_date_time": "2015-06-29T22:50:00Z"}]}):
        patched = await client.patch(url, content=_encoder.encode(body), headers=h(cpo))
        assert patched.status_code == 200, patched.text
    got = _decode((await client.get(url, headers=h(cpo))).content)["data"]
    assert got["start_datetime"] == "2015-06-29T22:39:09Z" and got["auth_id"] == "DE8ACC12E46L89"
    assert got["total_cost"] == Decimal("0.6") and got["location"]["evses"][0]["connectors"][0]["voltage"] == 230
    assert [p["start_date_time"] for p in got["charging_periods"]] == ["2015-06-29T22:40:00Z", "2015-06-29T22:50:00Z"]
    assert "country_code" not in got and "cdr_token" not in got


async def test_session_211_errors(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "BE", "BEC"), version="2.1.1")
    _, other = await register_partner(("CPO", "BE", "OTH"), version="2.1.1", name="other")
    url = f"{SESSIONS}/BE/BEC/101"
    wrong_id = await client.put(url, content=_encoder.encode(session_211(id="102")), headers=h(cpo))
    assert wrong_id.status_code == 400 and "`id`" in wrong_id.json()["status_message"]
    reservation = await client.put(url, content=_encoder.encode(session_211(status="RESERVATION")), headers=h(cpo))
    assert reservation.status_code == 400 and "`status`" in reservation.json()["status_message"]
    unknown = await client.patch(url, content=b'{"total_cost": 1}', headers=h(cpo))
    assert unknown.status_code == 404
    await client.put(url, content=_encoder.encode(session_211()), headers=h(cpo))
    assert (await client.get(url, headers=h(other))).status_code == 404


async def test_cdr_post_location_get_in_211_shape(app: Litestar, client: AsyncTestClient[Litestar],
                                                  register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "BE", "BEC"), version="2.1.1")
    response = await client.post(CDRS, content=_encoder.encode(cdr_211()), headers=h(cpo))
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location == "https://ocpi.example.com/ocpi/2.1.1/emsp/cdrs/BE/BEC/12345"
    got = _decode((await client.get(location.removeprefix("https://ocpi.example.com"), headers=h(cpo))).content)
    data = got["data"]
    assert data["stop_date_time"] == "2015-06-29T23:37:32Z" and data["total_cost"] == Decimal("4.0")
    assert data["auth_id"] == "DE8ACC12E46L89" and data["location"]["evses"][0]["uid"] == "3256"
    assert data["tariffs"][0]["elements"][0]["price_components"][0]["price"] == "2.00"  # kept as sent
    stored = _decode((await app.state.store.get_object("cdrs", "BE", "BEC", "12345")).body)
    assert stored["end_date_time"] == "2015-06-29T23:37:32Z"
    assert stored["cdr_location"]["connector_standard"] == "IEC_62196_T2"
    [record] = await app.state.store.list_reconciliations()
    assert record.status == "ok"
    duplicate = await client.post(CDRS, content=_encoder.encode(cdr_211(total_cost=5)), headers=h(cpo))
    assert duplicate.status_code == 400 and duplicate.json()["status_code"] == 2001
    flat_only = cdr_211(id="F1", charging_periods=[{"start_date_time": "2015-06-29T21:39:09Z",
                                                    "dimensions": [{"type": "FLAT", "volume": 1}]}])
    refused = await client.post(CDRS, content=_encoder.encode(flat_only), headers=h(cpo))
    assert refused.status_code == 400 and "charging_periods[0].dimensions" in refused.json()["status_message"]


async def test_own_sessions_and_cdrs_listed_in_211_form(app: Litestar, client: AsyncTestClient[Litestar],
                                                        register_partner: Any) -> None:
    from tests.api.v221.test_cdrs import spec_cdr
    from tests.api.v221.test_sessions import session

    _, emsp = await register_partner(("EMSP", "DE", "TNM"), version="2.1.1")  # owns the tokens used
    await app.state.store.put_object(ObjectRecord(
        module="locations", country_code="NL", party_id="OCE", id="LOC1", last_updated="2024-01-01T00:00:00.000000Z",
        body=_encoder.encode({**LOCATION, "evses": [{"uid": "E1", "connectors": [
            {"id": "1", "standard": "IEC_62196_T2", "format": "CABLE", "power_type": "AC_3_PHASE",
             "max_voltage": 230, "max_amperage": 32, "tariff_ids": ["T1"]}]}], "time_zone": "Europe/Brussels"})))
    token = {"country_code": "DE", "party_id": "TNM", "uid": "U1", "type": "RFID", "contract_id": "DE8ACC12E46L89"}
    for module, body in (("sessions", session("S1", cc="NL", pid="OCE", status="RESERVATION", cdr_token=token,
                                              total_cost={"excl_vat": Decimal("1.5"), "incl_vat": Decimal("1.8")})),
                         ("cdrs", {**spec_cdr("C1"), "country_code": "NL", "party_id": "OCE"})):
        await app.state.store.put_object(ObjectRecord(
            module=module, country_code="NL", party_id="OCE", id=body["id"],
            last_updated="2024-03-01T10:00:00.000000Z", body=_encoder.encode(body)))
    sessions = _decode((await client.get("/ocpi/2.1.1/cpo/sessions?date_from=2020-01-01T00:00:00Z",
                                         headers=h(emsp))).content)["data"]
    [listed] = sessions
    assert listed["status"] == "PENDING" and listed["total_cost"] == Decimal("1.5")
    connector = listed["location"]["evses"][0]["connectors"][0]
    assert connector == {"id": "1", "standard": "IEC_62196_T2", "format": "CABLE", "power_type": "AC_3_PHASE",
                         "voltage": 230, "amperage": 32, "tariff_id": "T1"}
    cdrs = _decode((await client.get("/ocpi/2.1.1/cpo/cdrs", headers=h(emsp))).content)["data"]
    assert [c["id"] for c in cdrs] == ["C1"] and cdrs[0]["total_cost"] == Decimal("4.00")
    assert cdrs[0]["location"]["type"] == "UNKNOWN"
