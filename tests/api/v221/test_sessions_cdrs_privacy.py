"""A partner sees only its own sessions and CDRs (services/audience.py): the CPO's Sender lists (2.2.1 and 2.1.1)
count and page through only the objects whose cdr_token belongs to the caller's parties (a hub: also the parties
behind it); charging preferences, the Receiver GETs and pushes reveal nothing of other eMSPs' objects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from ocpi_engine.storage.base import ObjectRecord, PartnerRecord
from tests.api.v221.test_cdrs import spec_cdr
from tests.api.v221.test_sessions import session
from tests.conftest import auth

_encoder = msgspec.json.Encoder(decimal_format="number")
_decode = msgspec.json.Decoder(float_hook=Decimal).decode
LISTS = {
    ("2.2.1", "sessions"): "/ocpi/2.2.1/cpo/sessions",
    ("2.2.1", "cdrs"): "/ocpi/2.2.1/cpo/cdrs",
    ("2.1.1", "sessions"): "/ocpi/2.1.1/cpo/sessions",
    ("2.1.1", "cdrs"): "/ocpi/2.1.1/cpo/cdrs",
}


def token(cc: str, pid: str) -> dict[str, Any]:
    return {"country_code": cc, "party_id": pid, "uid": f"U-{pid}", "type": "RFID", "contract_id": f"{cc}-{pid}-1"}


async def put_own(app: Litestar, module: str, body: dict[str, Any]) -> None:
    await app.state.store.put_object(ObjectRecord(
        module=module, country_code="NL", party_id="OCE", id=body["id"], last_updated="2024-03-01T10:00:00.000000Z",
        body=_encoder.encode(body)))


async def own_objects(app: Litestar) -> dict[str, list[str]]:
    """Interleaved own sessions and CDRs: 5 for DE/AAA, 3 for DE/BBB, 1 without a known eMSP. Returns ids by party."""
    owners = ["AAA", "BBB", "AAA", "AAA", "BBB", "AAA", "ZZZ", "BBB", "AAA"]
    ids: dict[str, list[str]] = {}
    for n, pid in enumerate(owners):
        await put_own(app, "sessions", session(f"S{n}", cc="NL", pid="OCE", cdr_token=token("DE", pid)))
        await put_own(app, "cdrs", {**spec_cdr(f"C{n}"), "country_code": "NL", "party_id": "OCE",
                                    "cdr_token": token("DE", pid)})
        ids.setdefault(pid, []).append(str(n))
    return ids


async def crawl(client: AsyncTestClient[Litestar], url: str, token_: str, *, raw: bool) -> tuple[list[str], set[str]]:
    """Follow Link headers from page one (limit 2); returns the ids seen and the X-Total-Count values."""
    seen: list[str] = []
    totals: set[str] = set()
    for _ in range(20):
        response = await client.get(url, headers=auth(token_, raw=raw))
        assert response.status_code == 200, response.text
        seen.extend(str(o["id"]) for o in _decode(response.content)["data"])
        totals.add(response.headers["x-total-count"])
        link = response.headers.get("link")
        if link is None:
            return seen, totals
        url = link.split(">")[0].removeprefix("<").removeprefix("https://ocpi.example.com")
    raise AssertionError("Link never ended")


async def test_each_emsp_lists_only_its_own_sessions_and_cdrs(app: Litestar, client: AsyncTestClient[Litestar],
                                                              register_partner: Any) -> None:
    ids = await own_objects(app)
    _, a221 = await register_partner(("EMSP", "DE", "AAA"), name="a")
    _, b221 = await register_partner(("EMSP", "DE", "BBB"), name="b")
    _, a211 = await register_partner(("EMSP", "DE", "AAA"), version="2.1.1", name="a-211")
    _, b211 = await register_partner(("EMSP", "DE", "BBB"), version="2.1.1", name="b-211")
    _, nobody = await register_partner(("EMSP", "FR", "NOB"), name="nobody")
    for (version, module), path in LISTS.items():
        prefix = "S" if module == "sessions" else "C"
        url = f"{path}?date_from=2020-01-01T00:00:00Z&limit=2"
        for party, token_ in (("AAA", a221 if version == "2.2.1" else a211),
                              ("BBB", b221 if version == "2.2.1" else b211)):
            seen, totals = await crawl(client, url, token_, raw=version == "2.1.1")
            assert seen == [prefix + n for n in ids[party]], (version, module, party)
            assert totals == {str(len(ids[party]))}, (version, module, party)
        empty = await client.get(url, headers=auth(nobody))
        assert empty.status_code == 200 and empty.json()["data"] == []
        assert empty.headers["x-total-count"] == "0" and "link" not in empty.headers


async def test_a_hub_sees_the_parties_behind_it(app: Litestar, client: AsyncTestClient[Litestar],
                                                register_partner: Any) -> None:
    ids = await own_objects(app)
    hub, hub_token = await register_partner(("HUB", "NL", "HUB"), name="hub")
    await app.state.store.put_object(ObjectRecord(
        module="hubclientinfo", country_code="DE", party_id="BBB", id="EMSP",
        last_updated="2024-03-01T10:00:00.000000Z", body=b'{"role": "EMSP"}', partner_id=hub.id))
    seen, totals = await crawl(client, "/ocpi/2.2.1/cpo/cdrs?limit=2", hub_token, raw=False)
    assert seen == ["C" + n for n in ids["BBB"]] and totals == {"3"}


async def test_preferences_and_receiver_gets_reveal_no_other_emsps_objects(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any,
) -> None:
    await own_objects(app)
    _, b = await register_partner(("EMSP", "DE", "BBB"), ("CPO", "NL", "OCE"), name="b")
    headers = {**auth(b), "Content-Type": "application/json"}
    others = await client.put("/ocpi/2.2.1/cpo/sessions/S0/charging_preferences",
                              content=b'{"profile_type": "REGULAR"}', headers=headers)
    assert others.status_code == 404 and "S0" in others.json()["status_message"]
    mine = await client.put("/ocpi/2.2.1/cpo/sessions/S1/charging_preferences",
                            content=b'{"profile_type": "REGULAR"}', headers=headers)
    assert "unknown session" not in mine.json()["status_message"]  # found: refused only for the EVSE capability
    for url in ("/ocpi/2.2.1/emsp/sessions/NL/OCE/S1", "/ocpi/2.2.1/emsp/cdrs/NL/OCE/C1",
                "/ocpi/2.1.1/emsp/sessions/NL/OCE/S1", "/ocpi/2.1.1/emsp/cdrs/NL/OCE/C1"):
        got = await client.get(url, headers=auth(b, raw="2.1.1" in url))
        assert got.status_code == 404, url  # our own objects are not what a partner pushed to us


async def test_sessions_and_cdrs_are_pushed_only_to_their_emsp(app: Litestar,
                                                               client: AsyncTestClient[Litestar]) -> None:
    from ocpi_engine.services.sync import plan_push

    def partner(pid: int, party: str) -> PartnerRecord:
        return PartnerRecord(
            id=pid, name=party, status="REGISTERED", token_kind="C", outbound_token="t", version="2.2.1",
            roles=[{"role": "EMSP", "country_code": "DE", "party_id": party}],
            endpoints=[{"identifier": module, "role": "RECEIVER", "url": f"https://{party}.example.com/{module}"}
                       for module in ("sessions", "cdrs", "tariffs")])

    partners = [partner(1, "AAA"), partner(2, "BBB")]
    for module, body in (("sessions", session("S1", cc="NL", pid="OCE", cdr_token=token("DE", "BBB"))),
                         ("cdrs", {**spec_cdr("C1"), "country_code": "NL", "party_id": "OCE",
                                   "cdr_token": token("DE", "BBB")})):
        record = ObjectRecord(module=module, country_code="NL", party_id="OCE", id=body["id"],
                              last_updated="2024-03-01T10:00:00.000000Z", body=_encoder.encode(body))
        entries = await plan_push(app.state.store, module, [record], partners=partners)
        assert [e.partner_id for e in entries] == [2], module
    tariff = ObjectRecord(module="tariffs", country_code="NL", party_id="OCE", id="T1",
                          last_updated="2024-03-01T10:00:00.000000Z", body=b'{"id": "T1"}')
    assert sorted(e.partner_id for e in await plan_push(app.state.store, "tariffs", [tariff],
                                                         partners=partners)) == [1, 2]


async def test_the_migration_covers_sessions_stored_before_it(tmp_path: Any) -> None:
    import sqlite3

    from ocpi_engine.storage import sqlite as sqlite_store

    path = str(tmp_path / "old.sqlite3")
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for statement in "".join(sqlite_store.MIGRATIONS[:4]).split(";"):
        if statement.strip():
            old.execute(statement)
    old.execute("INSERT INTO schema_version (version) VALUES (4)")
    old.execute("INSERT INTO objects (module, country_code, party_id, id, last_updated, body) VALUES (?,?,?,?,?,?)",
                ("sessions", "NL", "OCE", "S1", "2024-03-01T10:00:00.000000Z",
                 _encoder.encode(session("S1", cc="NL", pid="OCE", cdr_token=token("de", "aaa")))))
    old.close()
    store = sqlite_store.SqliteStore(path)
    await store.open()
    try:
        found = await store.list_objects("sessions", token_parties=[("DE", "AAA")])
        assert [r.id for r in found.items] == ["S1"] and found.total == 1
        assert (await store.list_objects("sessions", token_parties=[("DE", "BBB")])).total == 0
    finally:
        await store.close()
