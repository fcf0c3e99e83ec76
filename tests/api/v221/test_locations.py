"""Locations module 2.2.1 (locations.md): the CPO's Sender (our own locations: list, location, EVSE,
connector) and the eMSP's Receiver (client-owned GET/PUT/PATCH at three levels), party isolation,
validation."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from ocpi_engine.models.v221.locations import location_decoder
from ocpi_engine.services.locations import location_record
from ocpi_engine.settings import Settings

from tests.conftest import auth

SENDER = "/ocpi/2.2.1/cpo/locations"
RECEIVER = "/ocpi/2.2.1/emsp/locations"
BASE = "https://ocpi.example.com"


def connector(cid: str = "1", **extra: Any) -> dict[str, Any]:
    return {"id": cid, "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE",
            "max_voltage": 230, "max_amperage": 16, "tariff_ids": ["T1"],
            "last_updated": "2024-01-01T00:00:00Z", **extra}


def evse(uid: str = "E1", **extra: Any) -> dict[str, Any]:
    return {"uid": uid, "evse_id": f"NL*OCE*E{uid}", "status": "AVAILABLE", "connectors": [connector()],
            "last_updated": "2024-01-01T00:00:00Z", **extra}


def location(lid: str = "LOC1", *, cc: str = "NL", pid: str = "OCE", **extra: Any) -> dict[str, Any]:
    return {"country_code": cc, "party_id": pid, "id": lid, "publish": True, "address": "Main street 1",
            "city": "Utrecht", "postal_code": "3511AA", "country": "NLD",
            "coordinates": {"latitude": "52.090737", "longitude": "5.121420"},
            "time_zone": "Europe/Amsterdam", "evses": [evse()], "last_updated": "2024-01-01T00:00:00Z",
            **extra}


async def own(app: Litestar, *locations: dict[str, Any]) -> None:
    records = [location_record(location_decoder.decode(json.dumps(loc).encode()), None) for loc in locations]
    await app.state.store.put_objects(records)


def next_url(response: Any) -> str | None:
    link = response.headers.get("link")
    if link is None:
        return None
    assert link.endswith('>; rel="next"')
    return link[1: link.index(">")].removeprefix(BASE)


async def crawl(client: AsyncTestClient[Litestar], token: str, url: str) -> list[str]:
    seen: list[str] = []
    next_: str | None = url
    while next_ is not None:
        response = await client.get(next_, headers=auth(token))
        assert response.status_code == 200, response.text
        seen += [item["id"] for item in response.json()["data"]]
        next_ = next_url(response)
    return seen


# -- Sender --------------------------------------------------------------------------------------------------
@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.page_size = 5
    return settings


async def test_sender_empty_list(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, token = await register_partner(("EMSP", "DE", "ABC"))
    response = await client.get(SENDER, headers=auth(token))
    assert response.status_code == 200
    assert response.json()["data"] == []
    assert "link" not in response.headers
    assert response.headers["x-total-count"] == "0" and response.headers["x-limit"] == "5"


async def test_sender_serves_stored_bytes_and_only_our_locations(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    _, emsp = await register_partner(("EMSP", "DE", "ABC"))
    mix = {"is_green_energy": True, "energy_sources": [{"source": "SOLAR", "percentage": 33.3333}]}
    await own(app, location("OWN1", energy_mix=mix))
    pushed = await client.put(f"{RECEIVER}/DE/CPX/THEIRS", json=location("THEIRS", cc="DE", pid="CPX"),
                              headers=auth(cpo))
    assert pushed.status_code == 201, pushed.text
    response = await client.get(SENDER, headers=auth(emsp))
    data = response.json()["data"]
    assert [item["id"] for item in data] == ["OWN1"]
    stored = (await app.state.store.get_object("locations", "NL", "OCE", "OWN1")).body
    assert stored in response.content  # spliced, not re-encoded
    assert b'"percentage":33.3333' in response.content  # exact Decimal, a JSON number


async def test_sender_exact_multiple_of_page_size(app: Litestar, client: AsyncTestClient[Litestar],
                                                 register_partner: Any) -> None:
    _, token = await register_partner(("EMSP", "DE", "ABC"))
    await own(app, *(location(f"L{i:02d}") for i in range(10)))
    first = await client.get(SENDER, headers=auth(token))
    assert len(first.json()["data"]) == 5 and first.headers["x-total-count"] == "10"
    second = await client.get(next_url(first) or "", headers=auth(token))
    assert [x["id"] for x in second.json()["data"]] == [f"L{i:02d}" for i in range(5, 10)]
    assert "link" not in second.headers


async def test_sender_limit_above_maximum_is_capped(app: Litestar, client: AsyncTestClient[Litestar],
                                                   register_partner: Any) -> None:
    _, token = await register_partner(("EMSP", "DE", "ABC"))
    await own(app, *(location(f"L{i:02d}") for i in range(7)))
    response = await client.get(f"{SENDER}?limit=1000", headers=auth(token))
    assert len(response.json()["data"]) == 5
    assert response.headers["x-limit"] == "5"
    query = parse_qs(urlparse(response.headers["link"][1:-13]).query)
    assert query["limit"] == ["5"] and query["offset"] == ["5"]
    assert await crawl(client, token, f"{SENDER}?limit=1000") == [f"L{i:02d}" for i in range(7)]


async def test_sender_date_window_inclusive_from_exclusive_to(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, token = await register_partner(("EMSP", "DE", "ABC"))
    await own(app, location("BEFORE", last_updated="2024-01-01T23:59:59Z"),
              location("AT_FROM", last_updated="2024-01-02T00:00:00Z"),
              location("INSIDE", last_updated="2024-01-02T12:00:00.5Z"),
              location("AT_TO", last_updated="2024-01-03T00:00:00Z"))
    url = f"{SENDER}?date_from=2024-01-02T00:00:00Z&date_to=2024-01-03T00:00:00Z"
    response = await client.get(url, headers=auth(token))
    assert [x["id"] for x in response.json()["data"]] == ["AT_FROM", "INSIDE"]
    assert response.headers["x-total-count"] == "2"
    # without a Z and with fractions: the same instants
    response = await client.get(f"{SENDER}?date_from=2024-01-02T00:00:00.000&date_to=2024-01-03T00:00:00",
                                headers=auth(token))
    assert [x["id"] for x in response.json()["data"]] == ["AT_FROM", "INSIDE"]


async def test_sender_crawl_while_locations_change(app: Litestar, client: AsyncTestClient[Litestar],
                                                   register_partner: Any) -> None:
    """Following the Link cursor: a location updated mid-crawl is not seen twice, none is skipped, a new one
    shows up on the last page."""
    _, token = await register_partner(("EMSP", "DE", "ABC"))
    await own(app, *(location(f"L{i:02d}") for i in range(12)))
    first = await client.get(SENDER, headers=auth(token))
    seen = [x["id"] for x in first.json()["data"]]
    await own(app, location("L01", name="changed", last_updated="2024-02-01T00:00:00Z"), location("NEW"))
    seen += await crawl(client, token, next_url(first) or "")
    assert seen == [f"L{i:02d}" for i in range(12)] + ["NEW"]


async def test_sender_get_location_evse_connector(app: Litestar, client: AsyncTestClient[Litestar],
                                                  register_partner: Any) -> None:
    _, token = await register_partner(("EMSP", "DE", "ABC"))
    two = evse("E2", connectors=[connector("1"), connector("2", max_amperage=32)])
    await own(app, location(evses=[evse("E1"), two]))
    got = (await client.get(f"{SENDER}/LOC1", headers=auth(token))).json()["data"]
    assert got["id"] == "LOC1" and len(got["evses"]) == 2
    assert (await client.get(f"{SENDER}/loc1/e2", headers=auth(token))).json()["data"]["uid"] == "E2"
    connector_2 = (await client.get(f"{SENDER}/LOC1/E2/2", headers=auth(token))).json()["data"]
    assert connector_2["id"] == "2" and connector_2["max_amperage"] == 32
    for url in (f"{SENDER}/NOPE", f"{SENDER}/LOC1/NOPE", f"{SENDER}/LOC1/E2/9"):
        response = await client.get(url, headers=auth(token))
        assert response.status_code == 404, url
        assert response.json()["status_code"] == 2003


# -- Receiver ------------------------------------------------------------------------------------------------
LOC = f"{RECEIVER}/DE/CPX/LOC1"


def cpx_location(**extra: Any) -> dict[str, Any]:
    return location("LOC1", cc="DE", pid="CPX", **extra)


async def stored(app: Litestar, lid: str = "LOC1") -> dict[str, Any]:
    record = await app.state.store.get_object("locations", "DE", "CPX", lid)
    assert record is not None
    result: dict[str, Any] = json.loads(record.body)
    return result


async def test_receiver_put_and_get_at_three_levels(app: Litestar, client: AsyncTestClient[Litestar],
                                                   register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    assert (await client.put(LOC, json=cpx_location(), headers=auth(cpo))).status_code == 201
    assert (await client.put(LOC, json=cpx_location(name="Again"), headers=auth(cpo))).status_code == 200
    assert (await client.get(LOC, headers=auth(cpo))).json()["data"]["name"] == "Again"
    # a new EVSE: 201, the location's last_updated follows it
    new_evse = evse("E2", last_updated="2024-03-01T00:00:00Z")
    assert (await client.put(f"{LOC}/E2", json=new_evse, headers=auth(cpo))).status_code == 201
    body = await stored(app)
    assert [e["uid"] for e in body["evses"]] == ["E1", "E2"]
    assert body["last_updated"] == "2024-03-01T00:00:00Z"
    assert (await client.get(f"{LOC}/E2", headers=auth(cpo))).json()["data"]["uid"] == "E2"
    # a connector: EVSE and location follow
    new_connector = connector("2", last_updated="2024-04-01T00:00:00Z")
    assert (await client.put(f"{LOC}/E2/2", json=new_connector, headers=auth(cpo))).status_code == 201
    assert (await client.put(f"{LOC}/E2/2", json=new_connector, headers=auth(cpo))).status_code == 200
    body = await stored(app)
    assert body["last_updated"] == "2024-04-01T00:00:00Z"
    assert body["evses"][1]["last_updated"] == "2024-04-01T00:00:00Z"
    assert body["evses"][0]["last_updated"] == "2024-01-01T00:00:00Z"
    got = (await client.get(f"{LOC}/E2/2", headers=auth(cpo))).json()["data"]
    assert got["id"] == "2" and got["tariff_ids"] == ["T1"]
    # an EVSE PUT replaces its connectors: connector 2 disappears
    assert (await client.put(f"{LOC}/E2", json=evse("E2", last_updated="2024-05-01T00:00:00Z"),
                             headers=auth(cpo))).status_code == 200
    assert [c["id"] for c in (await stored(app))["evses"][1]["connectors"]] == ["1"]
    assert (await client.get(f"{LOC}/E2/2", headers=auth(cpo))).json()["status_code"] == 2003
    # a location PUT replaces it whole
    await client.put(LOC, json=cpx_location(evses=[evse("E9")]), headers=auth(cpo))
    assert [e["uid"] for e in (await stored(app))["evses"]] == ["E9"]


async def test_receiver_evse_or_connector_of_unknown_parent_is_2003(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    response = await client.put(f"{LOC}/E1", json=evse("E1"), headers=auth(cpo))
    assert response.status_code == 404 and response.json()["status_code"] == 2003
    await client.put(LOC, json=cpx_location(), headers=auth(cpo))
    response = await client.put(f"{LOC}/NOPE/1", json=connector("1"), headers=auth(cpo))
    assert response.status_code == 404 and response.json()["status_code"] == 2003
    patch_ = await client.patch(
        f"{LOC}/E1/9", json={"max_amperage": 1, "last_updated": "2024-02-01T00:00:00Z"},
        headers=auth(cpo),
    )
    assert patch_.status_code == 404 and patch_.json()["status_code"] == 2003


async def test_receiver_patch_at_three_levels_propagates_last_updated(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    await client.put(LOC, json=cpx_location(evses=[evse("E1"), evse("E2")]), headers=auth(cpo))
    status = await client.patch(
        f"{LOC}/E1", json={"status": "CHARGING", "last_updated": "2024-02-01T00:00:00Z"},
        headers=auth(cpo),
    )
    assert status.status_code == 200, status.text
    body = await stored(app)
    assert body["evses"][0]["status"] == "CHARGING"
    assert body["evses"][0]["last_updated"] == "2024-02-01T00:00:00Z"
    assert body["last_updated"] == "2024-02-01T00:00:00Z"
    assert body["evses"][0]["evse_id"] == "NL*OCE*EE1"  # untouched fields stay
    tariff = await client.patch(
        f"{LOC}/E2/1", json={"tariff_ids": ["15"], "last_updated": "2024-03-01T00:00:00Z"},
        headers=auth(cpo),
    )
    assert tariff.status_code == 200, tariff.text
    body = await stored(app)
    assert body["evses"][1]["connectors"][0]["tariff_ids"] == ["15"]
    assert body["evses"][1]["connectors"][0]["max_voltage"] == 230
    assert body["evses"][1]["last_updated"] == body["last_updated"] == "2024-03-01T00:00:00Z"
    name = await client.patch(
        LOC, json={"name": "Interparking Gent Zuid", "last_updated": "2024-04-01T00:00:00Z"},
        headers=auth(cpo),
    )
    assert name.status_code == 200
    body = await stored(app)
    assert body["name"] == "Interparking Gent Zuid" and len(body["evses"]) == 2
    assert body["last_updated"] == "2024-04-01T00:00:00Z"
    # an older child update does not move the location's last_updated back
    await client.patch(f"{LOC}/E1", json={"status": "AVAILABLE", "last_updated": "2024-01-15T00:00:00Z"},
                       headers=auth(cpo))
    body = await stored(app)
    assert body["evses"][0]["status"] == "AVAILABLE" and body["last_updated"] == "2024-04-01T00:00:00Z"


async def test_receiver_removed_evse_stays_with_status_removed(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    await client.put(LOC, json=cpx_location(evses=[evse("E1"), evse("E2")]), headers=auth(cpo))
    removed = await client.patch(
        f"{LOC}/E2", json={"status": "REMOVED", "last_updated": "2024-02-01T00:00:00Z"},
        headers=auth(cpo),
    )
    assert removed.status_code == 200
    got = (await client.get(f"{LOC}/E2", headers=auth(cpo))).json()["data"]
    assert got["status"] == "REMOVED"
    assert [e["status"] for e in (await client.get(LOC, headers=auth(cpo))).json()["data"]["evses"]] == \
        ["AVAILABLE", "REMOVED"]


async def test_receiver_patch_needs_last_updated_and_valid_merged_object(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any
) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    await client.put(LOC, json=cpx_location(), headers=auth(cpo))
    before = await stored(app)
    for url, body, field in (
        (f"{LOC}/E1", {"status": "CHARGING"}, "last_updated"),
        (LOC, {"name": "x"}, "last_updated"),
        (f"{LOC}/E1", {"status": "PARKED", "last_updated": "2024-02-01T00:00:00Z"}, "status"),
        (f"{LOC}/E1/1", {"max_voltage": "high", "last_updated": "2024-02-01T00:00:00Z"}, "max_voltage"),
        (LOC, {"time_zone": "Mars/Olympus", "last_updated": "2024-02-01T00:00:00Z"}, "time_zone"),
        (LOC, {"coordinates": {"latitude": "52.1", "longitude": "5.121420"},
               "last_updated": "2024-02-01T00:00:00Z"}, "coordinates.latitude"),
        (LOC, {"last_updated": "2024-02-01T00:00:00+02:00"}, "last_updated"),
        (LOC, {"id": "OTHER", "last_updated": "2024-02-01T00:00:00Z"}, "id"),
        (f"{LOC}/E1", {"uid": "E7", "last_updated": "2024-02-01T00:00:00Z"}, "uid"),
    ):
        response = await client.patch(url, json=body, headers=auth(cpo))
        assert response.status_code == 400, (url, body, response.text)
        assert response.json()["status_code"] == 2001
        assert f"`{field}`" in response.json()["status_message"], (field, response.json()["status_message"])
    assert await stored(app) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"coordinates": {"latitude": "52.0907", "longitude": "5.121420"}}, "coordinates.latitude"),
        ({"coordinates": {"latitude": "95.090737", "longitude": "5.121420"}}, "coordinates.latitude"),
        ({"coordinates": {"latitude": "52.090737", "longitude": "5,121420"}}, "coordinates.longitude"),
        ({"parking_type": "BEACH"}, "parking_type"),
        ({"name": "x" * 256}, "name"),
        ({"city": "x" * 46}, "city"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"country": "NL"}, "country"),
        ({"publish": False, "publish_allowed_to": [{"uid": "TOKEN1"}]}, "publish_allowed_to[0].type"),
        ({"opening_times": {"twentyfourseven": False}}, "opening_times.regular_hours"),
        ({"opening_times": {"twentyfourseven": False, "regular_hours": [
            {"weekday": 1, "period_begin": "24:00", "period_end": "25:00"}]}},
         "opening_times.regular_hours[0].period_begin"),
        ({"evses": [evse(connectors=[connector(standard="IEC_62196_T9")])]},
         "evses[0].connectors[0].standard"),
        ({"evses": [evse(connectors=[])]}, "evses[0].connectors"),
        ({"evses": [evse(status="BROKEN")]}, "evses[0].status"),
        ({"energy_mix": {"is_green_energy": True, "energy_sources": [{"source": "WIND", "percentage": 101}]}},
         "energy_mix.energy_sources[0].percentage"),
        ({"last_updated": "yesterday"}, "last_updated"),
    ],
)
async def test_receiver_invalid_put_is_2001_naming_the_field_and_stores_nothing(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any, change: dict[str, Any],
    field: str,
) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    response = await client.put(LOC, json=cpx_location(**change), headers=auth(cpo))
    assert response.status_code == 400, response.text
    assert response.json()["status_code"] == 2001
    assert f"`{field}`" in response.json()["status_message"], response.json()["status_message"]
    assert (await app.state.store.list_objects("locations")).total == 0


@pytest.mark.parametrize(("url", "body", "field"), [
    (LOC, location("LOC1", cc="NL", pid="CPX"), "country_code"),
    (LOC, location("LOC1", cc="DE", pid="CPY"), "party_id"),
    (LOC, location("LOC2", cc="DE", pid="CPX"), "id"),
    (f"{LOC}/E1", evse("E2"), "uid"),
    (f"{LOC}/E1/1", connector("2"), "id"),
])
async def test_receiver_body_must_match_url(app: Litestar, client: AsyncTestClient[Litestar],
                                            register_partner: Any, url: str, body: dict[str, Any],
                                            field: str) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    if url != LOC:
        await client.put(LOC, json=cpx_location(), headers=auth(cpo))
    before = (await app.state.store.list_objects("locations")).items
    response = await client.put(url, json=body, headers=auth(cpo))
    assert response.status_code == 400 and response.json()["status_code"] == 2001
    assert f"`{field}`" in response.json()["status_message"]
    assert (await app.state.store.list_objects("locations")).items == before


async def test_receiver_party_isolation(app: Litestar, client: AsyncTestClient[Litestar],
                                        register_partner: Any) -> None:
    _, cpx = await register_partner(("CPO", "DE", "CPX"), name="cpx")
    _, other = await register_partner(("CPO", "DE", "OTH"), name="other")
    await client.put(LOC, json=cpx_location(), headers=auth(cpx))
    before = await stored(app)
    for method, url, body in (
        ("GET", LOC, None), ("GET", f"{LOC}/E1", None), ("GET", f"{LOC}/E1/1", None),
        ("PUT", LOC, cpx_location(name="hijack")), ("PUT", f"{LOC}/E1", evse("E1", status="BLOCKED")),
        ("PUT", f"{LOC}/E1/1", connector("1", max_amperage=1)),
        ("PATCH", LOC, {"name": "hijack", "last_updated": "2025-01-01T00:00:00Z"}),
        ("PATCH", f"{LOC}/E1", {"status": "BLOCKED", "last_updated": "2025-01-01T00:00:00Z"}),
        ("PATCH", f"{LOC}/E1/1", {"max_amperage": 1, "last_updated": "2025-01-01T00:00:00Z"}),
        ("GET", f"{RECEIVER}/DE/CPX/NOPE", None),
    ):
        response = await client.request(method, url, json=body, headers=auth(other))
        assert response.status_code == 404, (method, url)
        assert response.json()["status_message"] == "not found"  # reveals nothing
    assert await stored(app) == before
    # nor through the Sender: it serves only our own locations
    assert (await client.get(f"{SENDER}/LOC1", headers=auth(other))).status_code == 404


async def test_receiver_concurrent_patches_lose_nothing(app: Litestar, client: AsyncTestClient[Litestar],
                                                        register_partner: Any) -> None:
    _, cpo = await register_partner(("CPO", "DE", "CPX"))
    evses = [evse(f"E{i}", connectors=[connector("1"), connector("2")]) for i in range(5)]
    await client.put(LOC, json=cpx_location(evses=evses), headers=auth(cpo))
    patches = [
        client.patch(f"{LOC}/E{i}/{c}", headers=auth(cpo),
                     json={"max_amperage": 10 * i + c, "last_updated": f"2024-02-0{c}T00:00:0{i}Z"})
        for i in range(5) for c in (1, 2)
    ] + [client.patch(f"{LOC}/E{i}", json={"status": "CHARGING", "last_updated": "2024-01-05T00:00:00Z"},
                      headers=auth(cpo)) for i in range(5)]
    responses = await asyncio.gather(*patches)
    assert all(r.status_code == 200 for r in responses)
    body = await stored(app)
    for i, e in enumerate(body["evses"]):
        assert e["status"] == "CHARGING"
        assert [c["max_amperage"] for c in e["connectors"]] == [10 * i + 1, 10 * i + 2]
    assert body["last_updated"] == "2024-02-02T00:00:04Z"


def test_update_object_is_atomic_across_connections(tmp_path: Any) -> None:
    """Two store connections (as two worker processes would have) incrementing one object: no lost update."""
    import threading

    from ocpi_engine.storage.base import ObjectRecord
    from ocpi_engine.storage.sqlite import SqliteStore

    path = str(tmp_path / "atomic.sqlite3")

    def bump(record: ObjectRecord | None) -> ObjectRecord:
        count = 0 if record is None else int(record.body)
        time.sleep(0.001)  # widen the window a lost update would need
        return ObjectRecord(module="counters", country_code="NL", party_id="OCE", id="C", last_updated="x",
                            body=str(count + 1).encode())

    async def worker() -> None:
        store = SqliteStore(path)
        await store.open()
        for _ in range(40):
            await store.update_object("counters", "NL", "OCE", "C", bump)
        await store.close()

    asyncio.run(SqliteStore(path).open())
    threads = [threading.Thread(target=asyncio.run, args=(worker(),)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    async def read() -> bytes:
        store = SqliteStore(path)
        await store.open()
        record = await store.get_object("counters", "NL", "OCE", "C")
        await store.close()
        assert record is not None
        return record.body

    assert asyncio.run(read()) == b"120"
