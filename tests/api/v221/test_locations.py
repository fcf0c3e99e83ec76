"""Locations module 2.2.1 (locations.md): the CPO's Sender (our own locations: list, location, EVSE,
connector) and the eMSP's Receiver (client-owned GET/PUT/PATCH at three levels), party isolation,
validation."""

from __future__ import annotations

import json
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
