"""Locations module 2.1.1 (locations.md section 7): CPO interface serving downgraded own locations, eMSP
interface storing pushed 2.1.1 locations as 2.2.1 (owner from the URL) and translating 2.1.1 PATCHes."""

from __future__ import annotations

import json
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.v221.test_locations import connector, evse, location, own
from tests.conftest import auth

SENDER = "/ocpi/2.1.1/cpo/locations"
RECEIVER = "/ocpi/2.1.1/emsp/locations"
RECEIVER_221 = "/ocpi/2.2.1/emsp/locations"


def example() -> dict[str, Any]:
    """The spec's 2.1.1 location example (locations.md 7), as a partner would push it."""
    return {
        "id": "LOC1", "type": "ON_STREET", "name": "Gent Zuid", "address": "F.Rooseveltlaan 3A", "city": "Gent",
        "postal_code": "9000", "country": "BEL", "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
        "evses": [{
            "uid": "3256", "evse_id": "BE-BEC-E041503001", "status": "AVAILABLE", "capabilities": ["RESERVABLE"],
            "connectors": [
                {"id": "1", "standard": "IEC_62196_T2", "format": "CABLE", "power_type": "AC_3_PHASE",
                 "voltage": 220, "amperage": 16, "tariff_id": "11", "last_updated": "2015-03-16T10:10:02Z"},
                {"id": "2", "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE",
                 "voltage": 220, "amperage": 16, "tariff_id": "11", "last_updated": "2015-03-18T08:12:01Z"},
            ],
            "physical_reference": "1", "floor_level": "-1", "last_updated": "2015-06-28T08:12:01Z",
        }],
        "operator": {"name": "BeCharged"}, "last_updated": "2015-06-29T20:39:09Z",
    }


async def stored(app: Litestar, cc: str = "BE", pid: str = "BEC", lid: str = "LOC1") -> dict[str, Any]:
    record = await app.state.store.get_object("locations", cc, pid, lid)
    assert record is not None
    result: dict[str, Any] = json.loads(record.body)
    return result


async def test_cpo_interface_serves_2_1_1_shapes(app: Litestar, client: AsyncTestClient[Litestar],
                                                 register_partner: Any) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"), version="2.1.1")
    rich = location(
        "L1", parking_type="ALONG_MOTORWAY", coordinates={"latitude": "52.0907371", "longitude": "5.12142"},
        facilities=["WIFI", "METRO_STATION"], state="Utrecht", publish=False,
        evses=[evse("E1", capabilities=["RESERVABLE", "TOKEN_GROUP_CAPABLE"],
                    connectors=[connector("1", tariff_ids=["A", "B"], max_electric_power=11000),
                                connector("2", standard="GBT_DC", power_type="DC")]),
               evse("E2", connectors=[connector("1", standard="NEMA_5_20")])],
        energy_mix={"is_green_energy": False, "environ_impact": [{"category": "CARBON_DIOXIDE", "amount": 372}]},
        opening_times={"twentyfourseven": True},
    )
    await own(app, rich)
    response = await client.get(SENDER, headers=auth(emsp, raw=True))
    assert response.status_code == 200, response.text
    [got] = response.json()["data"]
    for absent in ("country_code", "party_id", "publish", "state", "parking_type"):
        assert absent not in got
    assert got["type"] == "OTHER"
    assert got["coordinates"] == {"latitude": "52.090737", "longitude": "5.121420"}
    assert got["facilities"] == ["WIFI"]
    assert got["energy_mix"]["environ_impact"] == [{"source": "CARBON_DIOXIDE", "amount": 372}]
    assert got["opening_times"] == {"twentyfourseven": True}
    assert [e["uid"] for e in got["evses"]] == ["E1"]  # E2 has no connector 2.1.1 can describe
    [only] = got["evses"][0]["connectors"]
    assert only == {"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE",
                    "voltage": 230, "amperage": 16, "tariff_id": "A", "last_updated": "2024-01-01T00:00:00Z"}
    assert got["evses"][0]["capabilities"] == ["RESERVABLE"]
    assert (await client.get(f"{SENDER}/L1/E1/1", headers=auth(emsp, raw=True))).json()["data"]["voltage"] == 230
    assert (await client.get(f"{SENDER}/L1/E2", headers=auth(emsp, raw=True))).status_code == 404
    # the cached downgrade follows changes of the stored location
    await own(app, {**rich, "name": "Renamed", "last_updated": "2024-02-01T00:00:00Z"})
    again = (await client.get(SENDER, headers=auth(emsp, raw=True))).json()["data"][0]
    assert again["name"] == "Renamed" and again["last_updated"] == "2024-02-01T00:00:00Z"


async def test_emsp_interface_stores_2_2_1_with_owner_from_url(app: Litestar, client: AsyncTestClient[Litestar],
                                                               register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "BE", "BEC"), version="2.1.1")
    url = f"{RECEIVER}/BE/BEC/LOC1"
    response = await client.put(url, json=example(), headers=auth(cpo, raw=True))
    assert response.status_code == 201, response.text
    body = await stored(app)
    assert (body["country_code"], body["party_id"], body["publish"]) == ("BE", "BEC", True)
    assert body["time_zone"] == "Europe/Brussels"  # not sent: the single zone of the owner's country
    assert body["parking_type"] == "ON_STREET"
    assert body["evses"][0]["connectors"][0]["tariff_ids"] == ["11"]
    assert body["evses"][0]["connectors"][0]["max_voltage"] == 220
    got = (await client.get(url, headers=auth(cpo, raw=True))).json()["data"]
    sent = example()
    assert got["evses"] == sent["evses"] and got["type"] == "ON_STREET" and got["time_zone"] == "Europe/Brussels"
    evse_url = f"{url}/3256"
    assert (await client.get(f"{evse_url}/2", headers=auth(cpo, raw=True))).json()["data"]["amperage"] == 16


async def test_emsp_interface_patch_without_last_updated_keeps_2_2_1_data(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, cpo = await register_partner(("CPO", "BE", "BEC"), version="2.1.1")
    # the same party also pushed 2.2.1-only data (max_electric_power, two tariffs, publish false)
    rich = location("LOC1", cc="BE", pid="BEC", publish=False, evses=[
        evse("E1", connectors=[connector("1", tariff_ids=["A", "B"], max_electric_power=11000)])])
    assert (await client.put(f"{RECEIVER_221}/BE/BEC/LOC1", json=rich, headers=auth(cpo))).status_code == 201
    url = f"{RECEIVER}/BE/BEC/LOC1"
    status = await client.patch(f"{url}/E1", json={"status": "CHARGING"}, headers=auth(cpo, raw=True))
    assert status.status_code == 200, status.text
    body = await stored(app)
    assert body["evses"][0]["status"] == "CHARGING"
    assert body["evses"][0]["last_updated"] > "2024-01-01T00:00:00Z"
    assert body["last_updated"] == body["evses"][0]["last_updated"]
    volts = await client.patch(f"{url}/E1/1", json={"voltage": 400, "last_updated": "2030-01-01T00:00:00Z"},
                               headers=auth(cpo, raw=True))
    assert volts.status_code == 200, volts.text
    body = await stored(app)
    plug = body["evses"][0]["connectors"][0]
    assert plug["max_voltage"] == 400 and plug["max_electric_power"] == 11000 and plug["tariff_ids"] == ["A", "B"]
    assert body["publish"] is False and body["last_updated"] == "2030-01-01T00:00:00Z"
    tariff = await client.patch(f"{url}/E1/1", json={"tariff_id": "15"}, headers=auth(cpo, raw=True))
    assert tariff.status_code == 200
    assert (await stored(app))["evses"][0]["connectors"][0]["tariff_ids"] == ["15"]
    kind = await client.patch(url, json={"type": "UNDERGROUND_GARAGE", "name": "Garage"},
                              headers=auth(cpo, raw=True))
    assert kind.status_code == 200
    body = await stored(app)
    assert body["parking_type"] == "UNDERGROUND_GARAGE" and body["name"] == "Garage" and body["publish"] is False
    bad = await client.patch(f"{url}/E1", json={"status": "PARKED"}, headers=auth(cpo, raw=True))
    assert bad.status_code == 400 and "`status`" in bad.json()["status_message"]


async def test_emsp_interface_validation_and_isolation(app: Litestar, client: AsyncTestClient[Litestar],
                                                       register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "BE", "BEC"), version="2.1.1")
    _, other = await register_partner(("CPO", "BE", "OTH"), version="2.1.1", name="other")
    url = f"{RECEIVER}/BE/BEC/LOC1"
    seven = {**example(), "coordinates": {"latitude": "51.0475991", "longitude": "3.729944"}}
    response = await client.put(url, json=seven, headers=auth(cpo, raw=True))
    assert response.status_code == 400 and "`coordinates.latitude`" in response.json()["status_message"]
    long_id = "L" * 39
    response = await client.put(f"{RECEIVER}/BE/BEC/{long_id}", json={**example(), "id": long_id},
                                headers=auth(cpo, raw=True))
    assert response.status_code == 400 and "`id`" in response.json()["status_message"]
    response = await client.put(url, json={**example(), "type": "BEACH"}, headers=auth(cpo, raw=True))
    assert response.status_code == 400 and "`type`" in response.json()["status_message"]
    assert (await app.state.store.list_objects("locations")).total == 0
    await client.put(url, json=example(), headers=auth(cpo, raw=True))
    assert (await client.get(url, headers=auth(other, raw=True))).status_code == 404
    assert (await client.patch(f"{url}/3256", json={"status": "BLOCKED"},
                               headers=auth(other, raw=True))).status_code == 404
    assert (await stored(app))["evses"][0]["status"] == "AVAILABLE"
