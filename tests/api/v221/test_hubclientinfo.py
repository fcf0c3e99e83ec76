"""HubClientInfo 2.2.1 (hubclientinfo.md): a hub PUTs and GETs ClientInfo on our Receiver (only hubs, each reading
its own), and our Sender lists one ClientInfo per partner role with the connection's status, paginated."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import auth

URL = "/ocpi/2.2.1/hubclientinfo"


def info(cc: str = "NL", pid: str = "ALL", role: str = "CPO", status: str = "PLANNED",
         stamp: str = "2019-06-24T12:39:09Z") -> dict[str, Any]:
    return {"country_code": cc, "party_id": pid, "role": role, "status": status, "last_updated": stamp}


async def test_hub_puts_and_gets_client_info(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, hub = await register_partner(("HUB", "DE", "HUB"), name="hub")
    created = await client.put(f"{URL}/NL/ALL", json=info(), headers=auth(hub))
    assert created.status_code == 201 and "data" not in created.json()
    updated = await client.put(f"{URL}/nl/all", json=info(status="CONNECTED", stamp="2019-06-25T00:00:00Z"),
                               headers=auth(hub))
    assert updated.status_code == 200
    await client.put(f"{URL}/NL/ALL", json=info(role="EMSP", stamp="2019-06-20T00:00:00Z"), headers=auth(hub))
    got = (await client.get(f"{URL}/NL/ALL", headers=auth(hub))).json()["data"]
    assert got["status"] == "CONNECTED" and got["role"] == "CPO"
    emsp = (await client.get(f"{URL}/NL/ALL?role=EMSP", headers=auth(hub))).json()["data"]
    assert emsp["role"] == "EMSP"
    assert (await client.get(f"{URL}/NL/NON", headers=auth(hub))).status_code == 404


async def test_errors_and_isolation(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, hub = await register_partner(("HUB", "DE", "HUB"), name="hub")
    _, other_hub = await register_partner(("HUB", "BE", "HUB"), name="hub2")
    _, emsp = await register_partner(("EMSP", "DE", "ABC"), name="emsp")
    mismatch = await client.put(f"{URL}/NL/ALL", json=info(pid="XYZ"), headers=auth(hub))
    assert mismatch.status_code == 400 and "`party_id`" in mismatch.json()["status_message"]
    bad_status = await client.put(f"{URL}/NL/ALL", json=info(status="ASLEEP"), headers=auth(hub))
    assert bad_status.status_code == 400 and "`status`" in bad_status.json()["status_message"]
    no_date = {k: v for k, v in info().items() if k != "last_updated"}
    assert (await client.put(f"{URL}/NL/ALL", json=no_date, headers=auth(hub))).status_code == 400
    # only hubs write ClientInfo; a hub reads and overwrites only its own
    assert (await client.put(f"{URL}/NL/ALL", json=info(), headers=auth(emsp))).status_code == 404
    await client.put(f"{URL}/NL/ALL", json=info(), headers=auth(hub))
    assert (await client.get(f"{URL}/NL/ALL", headers=auth(other_hub))).status_code == 404
    assert (await client.put(f"{URL}/NL/ALL", json=info(status="SUSPENDED"), headers=auth(other_hub))).status_code \
        == 404
    assert (await client.get(f"{URL}/NL/ALL", headers=auth(hub))).json()["data"]["status"] == "PLANNED"


async def test_sender_lists_partner_roles_paginated(app: Litestar, client: AsyncTestClient[Litestar],
                                                    register_partner: Any, token_a: Any) -> None:
    partner, emsp = await register_partner(("EMSP", "DE", "ABC"), ("CPO", "DE", "ABD"), name="two roles")
    gone, _ = await register_partner(("CPO", "FR", "OLD"), name="gone")
    gone.status = "UNREGISTERED"
    await app.state.store.update_partner(gone)
    _, hub = await register_partner(("HUB", "DE", "HUB"), name="hub")
    await client.put(f"{URL}/NL/ALL", json=info(), headers=auth(hub))
    listed = await client.get(f"{URL}", headers=auth(emsp))
    assert listed.status_code == 200 and listed.headers["x-total-count"] == "5"
    rows = {(i["country_code"], i["party_id"], i["role"]): i["status"] for i in listed.json()["data"]}
    assert rows == {("DE", "ABC", "EMSP"): "CONNECTED", ("DE", "ABD", "CPO"): "CONNECTED",
                    ("FR", "OLD", "CPO"): "SUSPENDED", ("DE", "HUB", "HUB"): "CONNECTED",
                    ("NL", "ALL", "CPO"): "PLANNED"}
    first = await client.get(f"{URL}?limit=2", headers=auth(emsp))
    assert len(first.json()["data"]) == 2 and 'rel="next"' in first.headers["link"]
    seen = [i["party_id"] for i in first.json()["data"]]
    next_url = first.headers["link"].split(">")[0].lstrip("<").removeprefix("https://ocpi.example.com")
    for _ in range(5):
        page = await client.get(next_url, headers=auth(emsp))
        seen += [i["party_id"] for i in page.json()["data"]]
        if "link" not in page.headers:
            break
        next_url = page.headers["link"].split(">")[0].lstrip("<").removeprefix("https://ocpi.example.com")
    assert sorted(seen) == sorted(p for _, p, _ in rows)
    old = await client.get(f"{URL}?date_to=2020-01-01T00:00:00Z", headers=auth(emsp))
    assert [i["party_id"] for i in old.json()["data"]] == ["ALL"]


async def test_listed_in_version_details(client: AsyncTestClient[Litestar], register_partner: Any) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"))
    endpoints = (await client.get("/ocpi/2.2.1", headers=auth(emsp))).json()["data"]["endpoints"]
    mine = {(e["identifier"], e["role"]): e["url"] for e in endpoints
            if e["identifier"] in ("hubclientinfo", "commands", "chargingprofiles")}
    assert mine == {
        ("hubclientinfo", "RECEIVER"): "https://ocpi.example.com/ocpi/2.2.1/hubclientinfo",
        ("hubclientinfo", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/hubclientinfo",
        ("commands", "RECEIVER"): "https://ocpi.example.com/ocpi/2.2.1/cpo/commands",
        ("commands", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/emsp/commands",
        ("chargingprofiles", "RECEIVER"): "https://ocpi.example.com/ocpi/2.2.1/cpo/chargingprofiles",
        ("chargingprofiles", "SENDER"): "https://ocpi.example.com/ocpi/2.2.1/emsp/chargingprofiles",
    }
