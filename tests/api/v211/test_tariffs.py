"""Tariffs module 2.1.1 (tariffs.md section 8): CPO interface serving downgraded own tariffs, eMSP interface
storing 2.1.1 tariffs as 2.2.1 (owner from the URL) with PATCH and DELETE."""

from __future__ import annotations

import json
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.v221.test_tariffs import ADMIN, tariff
from tests.conftest import auth

SENDER = "/ocpi/2.1.1/cpo/tariffs"
RECEIVER = "/ocpi/2.1.1/emsp/tariffs"


def tariff_211(tid: str = "12", **extra: Any) -> dict[str, Any]:
    return {"id": tid, "currency": "EUR",
            "elements": [{"price_components": [{"type": "TIME", "price": 2.00, "step_size": 300}]}],
            "last_updated": "2015-06-29T20:39:09Z", **extra}


async def test_cpo_interface_serves_2_1_1_tariffs(app: Litestar, client: AsyncTestClient[Litestar],
                                                  register_partner: Any) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"), version="2.1.1")
    reservation = {"price_components": [{"type": "FLAT", "price": 2.00, "vat": 20.0, "step_size": 1}],
                   "restrictions": {"reservation": "RESERVATION"}}
    own = tariff("T1", cc="NL", pid="OCE")
    own["elements"] = [reservation, *own["elements"]]
    response = await client.post("/admin/import/tariffs", content=json.dumps(own).encode(), headers=ADMIN)
    assert response.status_code == 200, response.text
    [got] = (await client.get(SENDER, headers=auth(emsp, raw=True))).json()["data"]
    for absent in ("country_code", "party_id", "type", "min_price"):
        assert absent not in got
    # the reservation element has no 2.1.1 form: left out, not widened to every session
    assert [e["price_components"][0]["type"] for e in got["elements"]] == ["ENERGY", "TIME"]
    assert got["elements"][0]["price_components"][0] == {"type": "ENERGY", "price": 0.2512, "step_size": 1}
    assert got["elements"][0]["restrictions"] == {"max_power": 16.0, "day_of_week": ["MONDAY"]}


async def test_emsp_interface_put_patch_delete(app: Litestar, client: AsyncTestClient[Litestar],
                                               register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "NL", "TNM"), version="2.1.1")
    _, other = await register_partner(("CPO", "NL", "OTH"), version="2.1.1", name="other")
    url = f"{RECEIVER}/NL/TNM/12"
    assert (await client.put(url, json=tariff_211(), headers=auth(cpo, raw=True))).status_code == 201
    record = await app.state.store.get_object("tariffs", "NL", "TNM", "12")
    stored = json.loads(record.body)
    assert (stored["country_code"], stored["party_id"]) == ("NL", "TNM")
    assert "vat" not in stored["elements"][0]["price_components"][0]
    change = {"elements": [{"price_components": [{"type": "TIME", "price": 2.50, "step_size": 300}]}]}
    patched = await client.patch(url, json=change, headers=auth(cpo, raw=True))
    assert patched.status_code == 200, patched.text
    got = (await client.get(url, headers=auth(cpo, raw=True))).json()["data"]
    assert got["elements"][0]["price_components"][0]["price"] == 2.5 and got["currency"] == "EUR"
    assert got["last_updated"] > "2015-06-29T20:39:09Z"
    bad = await client.patch(url, json={"currency": "EU"}, headers=auth(cpo, raw=True))
    assert bad.status_code == 400 and "`currency`" in bad.json()["status_message"]
    bad = await client.put(url, json=tariff_211(currency="ABC"), headers=auth(cpo, raw=True))
    assert bad.status_code == 400 and "`currency`" in bad.json()["status_message"]
    assert (await client.get(url, headers=auth(other, raw=True))).status_code == 404
    assert (await client.delete(url, headers=auth(other, raw=True))).status_code == 404
    assert (await client.delete(url, headers=auth(cpo, raw=True))).status_code == 200
    assert (await client.get(url, headers=auth(cpo, raw=True))).status_code == 404
    missing = await client.patch(url, json=change, headers=auth(cpo, raw=True))
    assert missing.status_code == 404
