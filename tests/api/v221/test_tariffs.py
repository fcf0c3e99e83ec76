"""Tariffs module 2.2.1 (tariffs.md): the CPO's Sender list (own tariffs only, paginated, exact Decimals) and
the eMSP's Receiver (client-owned GET/PUT/DELETE), validation (currency, enums, numbers), party isolation,
and the own-data import of locations and tariffs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from ocpi_engine.models.v221.tariffs import tariff_decoder
from ocpi_engine.services.tariffs import tariff_record

from tests.api.v221.test_locations import location
from tests.conftest import auth

SENDER = "/ocpi/2.2.1/cpo/tariffs"
RECEIVER = "/ocpi/2.2.1/emsp/tariffs"
ADMIN = {"Authorization": "Bearer admin-secret-token"}


def tariff(tid: str = "T1", *, cc: str = "DE", pid: str = "CPX", **extra: Any) -> dict[str, Any]:
    return {"country_code": cc, "party_id": pid, "id": tid, "currency": "EUR", "type": "REGULAR",
            "elements": [{"price_components": [{"type": "ENERGY", "price": 0.2512, "vat": 21.0, "step_size": 1}],
                          "restrictions": {"max_power": 16.00, "day_of_week": ["MONDAY"]}},
                         {"price_components": [{"type": "TIME", "price": 2.00, "step_size": 300}]}],
            "min_price": {"excl_vat": 0.50, "incl_vat": 0.61}, "last_updated": "2024-01-01T00:00:00Z", **extra}


async def test_sender_lists_own_tariffs_with_exact_numbers(app: Litestar, client: AsyncTestClient[Litestar],
                                                           register_partner: Any) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"))
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    # as a CPO's file would write them: 16.00 stays 16.00 (Decimal, not float)
    raw = [json.dumps(tariff(f"OWN{i}", cc="NL", pid="OCE")).replace('"max_power": 16.0', '"max_power": 16.00')
           for i in range(3)]
    own = [tariff_record(tariff_decoder.decode(line.encode()), None) for line in raw]
    await app.state.store.put_objects(own)
    assert (await client.put(f"{RECEIVER}/DE/CPX/T1", json=tariff(), headers=auth(cpo))).status_code == 201
    response = await client.get(f"{SENDER}?limit=2", headers=auth(emsp))
    assert [t["id"] for t in response.json()["data"]] == ["OWN0", "OWN1"]
    assert response.headers["x-total-count"] == "3" and "link" in response.headers
    assert b'"price":0.2512' in response.content and b'"max_power":16.00' in response.content
    assert own[0].body in response.content
    empty = await client.get(f"{SENDER}?date_from=2030-01-01T00:00:00Z", headers=auth(emsp))
    assert empty.json()["data"] == [] and "link" not in empty.headers


async def test_receiver_put_get_delete(app: Litestar, client: AsyncTestClient[Litestar],
                                       register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    url = f"{RECEIVER}/DE/CPX/T1"
    assert (await client.put(url, json=tariff(), headers=auth(cpo))).status_code == 201
    assert (await client.put(url, json=tariff(currency="CHF"), headers=auth(cpo))).status_code == 200
    got = await client.get(url, headers=auth(cpo))
    assert got.json()["data"]["currency"] == "CHF"
    assert b'"incl_vat":0.61' in got.content
    assert (await client.delete(url, headers=auth(cpo))).status_code == 200
    assert (await client.get(url, headers=auth(cpo))).status_code == 404
    assert (await client.delete(url, headers=auth(cpo))).status_code == 404
    assert (await client.patch(url, json={"currency": "EUR"}, headers=auth(cpo))).status_code == 405


@pytest.mark.parametrize(("change", "field"), [
    ({"currency": "EURO"}, "currency"),
    ({"currency": "eur"}, "currency"),
    ({"currency": "XYZ"}, "currency"),
    ({"type": "CHEAP"}, "type"),
    ({"elements": []}, "elements"),
    ({"elements": [{"price_components": [{"type": "KWH", "price": 1, "step_size": 1}]}]},
     "elements[0].price_components[0].type"),
    ({"elements": [{"price_components": [{"type": "TIME", "price": -1, "step_size": 1}]}]},
     "elements[0].price_components[0].price"),
    ({"elements": [{"price_components": [{"type": "TIME", "price": 1, "step_size": 1}],
                    "restrictions": {"start_time": "7:00"}}]}, "elements[0].restrictions.start_time"),
    ({"elements": [{"price_components": [{"type": "TIME", "price": 1, "step_size": 1}],
                    "restrictions": {"day_of_week": ["MON"]}}]}, "elements[0].restrictions.day_of_week[0]"),
    ({"tariff_alt_text": [{"language": "en", "text": "x" * 513}]}, "tariff_alt_text[0].text"),
    ({"id": "x" * 37}, "id"),
    ({"min_price": {"incl_vat": 1}}, "min_price.excl_vat"),
])
async def test_receiver_invalid_put_is_2001_naming_the_field(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any, change: dict[str, Any], field: str
) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    body = tariff(**change)
    response = await client.put(f"{RECEIVER}/DE/CPX/T1", json=body, headers=auth(cpo))
    assert response.status_code == 400, response.text
    assert response.json()["status_code"] == 2001
    assert f"`{field}`" in response.json()["status_message"], response.json()["status_message"]
    assert (await app.state.store.list_objects("tariffs")).total == 0


async def test_receiver_party_isolation_and_url_match(app: Litestar, client: AsyncTestClient[Litestar],
                                                      register_partner: Any) -> None:
    _, cpx = await register_partner(("CPO", "DE", "CPX"), name="cpx")
    _, other = await register_partner(("CPO", "DE", "OTH"), name="other")
    url = f"{RECEIVER}/DE/CPX/T1"
    await client.put(url, json=tariff(), headers=auth(cpx))
    assert (await client.get(url, headers=auth(other))).status_code == 404
    assert (await client.put(url, json=tariff(currency="USD"), headers=auth(other))).status_code == 404
    assert (await client.delete(url, headers=auth(other))).status_code == 404
    assert (await client.get(url, headers=auth(cpx))).json()["data"]["currency"] == "EUR"
    mismatch = await client.put(f"{RECEIVER}/DE/CPX/T2", json=tariff("T1"), headers=auth(cpx))
    assert mismatch.status_code == 400 and "`id`" in mismatch.json()["status_message"]
    owner = await client.put(url, json=tariff(pid="OTH"), headers=auth(cpx))
    assert owner.status_code == 400 and "`party_id`" in owner.json()["status_message"]


# -- own data in ------------------------------------------------------------------------------------------------
async def test_admin_import_of_locations_and_tariffs_all_or_nothing(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"))
    lines = [json.dumps(location(f"L{i:04d}")) for i in range(120)]
    bad = lines + [json.dumps(location("BAD", coordinates={"latitude": "1", "longitude": "2.000000"}))]
    response = await client.post("/admin/import/locations", content="\n".join(bad).encode(), headers=ADMIN)
    assert response.status_code == 400
    assert "line 121" in response.json()["status_message"]
    assert "`coordinates.latitude`" in response.json()["status_message"]
    assert (await app.state.store.list_objects("locations")).total == 0
    foreign = lines[:1] + [json.dumps(location("X", cc="DE", pid="CPX"))]
    response = await client.post("/admin/import/locations", content="\n".join(foreign).encode(), headers=ADMIN)
    assert response.status_code == 400 and "`country_code`" in response.json()["status_message"]
    response = await client.post("/admin/import/locations", content="\n".join(lines).encode(), headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"kind": "locations", "imported": 120, "created": 120}
    listed = await client.get("/ocpi/2.2.1/cpo/locations?limit=1000", headers=auth(emsp))
    assert listed.headers["x-total-count"] == "120" and len(listed.json()["data"]) == 50
    tariffs = "\n".join(json.dumps(tariff(f"T{i}", cc="NL", pid="OCE")) for i in range(3)).encode()
    response = await client.post("/admin/import/tariffs", content=tariffs, headers=ADMIN)
    assert response.json()["data"]["imported"] == 3
    assert [t["id"] for t in (await client.get(SENDER, headers=auth(emsp))).json()["data"]] == ["T0", "T1", "T2"]
    bad_currency = json.dumps(tariff("T9", cc="NL", pid="OCE", currency="EUX")).encode()
    response = await client.post("/admin/import/tariffs", content=bad_currency, headers=ADMIN)
    assert response.status_code == 400 and "`currency`" in response.json()["status_message"]


def test_cli_import_locations(tmp_path: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ocpi-engine import locations FILE.jsonl` without a running server writes straight to the store."""
    import asyncio

    from click.testing import CliRunner
    from ocpi_engine.cli import main
    from ocpi_engine.storage.sqlite import SqliteStore

    path = tmp_path / "locations.jsonl"
    path.write_text("\n".join(json.dumps(location(f"C{i}")) for i in range(5)) + "\n")
    database = str(tmp_path / "cli.sqlite3")
    monkeypatch.setenv("OCPI_ENGINE_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("OCPI_ENGINE_COUNTRY_CODE", "NL")
    monkeypatch.setenv("OCPI_ENGINE_PARTY_ID", "OCE")
    monkeypatch.setenv("OCPI_ENGINE_ADMIN_URL", "http://127.0.0.1:9")  # no server: write directly
    result = CliRunner().invoke(main, ["import", "locations", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 5 locations" in result.output

    async def count() -> int:
        store = SqliteStore(database)
        await store.open()
        total = (await store.list_objects("locations")).total
        await store.close()
        return total

    assert asyncio.run(count()) == 5
