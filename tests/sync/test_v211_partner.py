"""Partner sync with a 2.1.1 partner on a loopback port: pushes of our locations, tariffs and CDRs arrive in 2.1.1
form (whole objects: a location change is a PUT of the 2.1.1 location while a 2.2.1 partner gets the PATCH), and
locations and tariffs pulled from a 2.1.1 CPO are upgraded to 2.2.1, owned by its party, before they are stored."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec

from ocpi_engine.clients.ocpi import OcpiClient
from ocpi_engine.models.v211 import cdrs as v211_cdrs
from ocpi_engine.models.v211 import locations as v211_locations
from ocpi_engine.models.v211 import tariffs as v211_tariffs
from ocpi_engine.services.outbox import Backoff, PushWorker
from ocpi_engine.services.pull import pull_module
from ocpi_engine.services.sync import enqueue_push
from ocpi_engine.storage.base import ObjectRecord, PartnerRecord
from ocpi_engine.storage.sqlite import SqliteStore
from tests.sync.partner import SyncPartner, location

FAST = Backoff(base=0.02, max=0.1)
STAMP = "2024-03-01T10:00:00Z"
TARIFF = {"country_code": "NL", "party_id": "OCE", "id": "T1", "currency": "EUR", "last_updated": STAMP,
          "elements": [{"price_components": [{"type": "ENERGY", "price": Decimal("0.25"), "vat": Decimal("21"),
                                              "step_size": 1}]}]}
_encoder = msgspec.json.Encoder(decimal_format="number")


def partner_211(fake: SyncPartner, side: str, role: str, party: tuple[str, str]) -> PartnerRecord:
    """A 2.1.1 partner: one URL per module (no interface roles), `side` the fake's sender or receiver."""
    return PartnerRecord(
        id=0, name="old", status="REGISTERED", token_kind="C", outbound_token="tok", version="2.1.1",
        endpoints=[{"identifier": m, "url": f"{fake.base}/{side}/{m}"} for m in ("locations", "tariffs", "cdrs")],
        roles=[{"role": role, "country_code": party[0], "party_id": party[1], "business_details": {"name": "Old"}}])


def own(module: str, body: dict[str, Any]) -> ObjectRecord:
    return ObjectRecord(module=module, country_code="NL", party_id="OCE", id=body["id"],
                        last_updated=body["last_updated"].replace("Z", ".000000Z"), body=_encoder.encode(body))


async def push(store: SqliteStore) -> None:
    client = OcpiClient(timeout=2.0)
    try:
        report = await PushWorker(store, client, backoff=FAST, timeout=2.0).drain()
    finally:
        await client.aclose()
    assert report.dead == 0, await store.list_outbox(state="DEAD")


async def test_pushes_reach_a_211_partner_in_211_form(store: SqliteStore) -> None:
    from tests.api.v221.test_cdrs import spec_cdr

    loc = location(1, country="NL", party="OCE")
    loc["evses"][0]["connectors"][0]["tariff_ids"] = ["T1"]
    with SyncPartner() as old, SyncPartner() as new:
        await store.create_partner(partner_211(old, "receiver", "EMSP", ("DE", "TNM")))
        await store.create_partner(new.record(role="EMSP", party=("DE", "TNM")))
        await enqueue_push(store, "locations", [own("locations", loc)])
        await enqueue_push(store, "tariffs", [own("tariffs", TARIFF)])
        await enqueue_push(store, "cdrs", [own("cdrs", {**spec_cdr("C1"), "country_code": "NL", "party_id": "OCE"})])
        await push(store)
        changed = json.loads(json.dumps(loc))
        changed["evses"][0]["status"] = "CHARGING"
        changed["evses"][0]["last_updated"] = changed["last_updated"] = "2024-03-02T00:00:00Z"
        await enqueue_push(store, "locations", [own("locations", changed)])
        await push(store)
    sent = {(r.method, r.path): r.body for r in old.received}
    assert sorted((r.method, r.path) for r in old.received) == [
        ("POST", "/cdrs"), ("PUT", "/locations/NL/OCE/LOC1"), ("PUT", "/locations/NL/OCE/LOC1"),
        ("PUT", "/tariffs/NL/OCE/T1")]
    location_bodies = [r.body for r in old.received if r.path.startswith("/locations")]
    locations = [msgspec.json.decode(b, type=v211_locations.Location, strict=False) for b in location_bodies]
    assert [str(loc.evses[0].status) for loc in locations] == ["AVAILABLE", "CHARGING"]  # type: ignore[index]
    first = json.loads(location_bodies[0])
    assert "country_code" not in first and "publish" not in first and first["type"] == "UNKNOWN"
    assert first["evses"][0]["connectors"][0] == {
        "id": "1", "standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE", "voltage": 230,
        "amperage": 32, "tariff_id": "T1", "last_updated": "2024-01-01T00:00:00Z"}
    tariff = msgspec.json.decode(sent[("PUT", "/tariffs/NL/OCE/T1")], type=v211_tariffs.Tariff, strict=False)
    assert tariff.id == "T1" and b"vat" not in sent[("PUT", "/tariffs/NL/OCE/T1")]
    cdr = msgspec.json.decode(sent[("POST", "/cdrs")], type=v211_cdrs.Cdr, strict=False)
    assert cdr.id == "C1" and cdr.auth_id == "DE8ACC12E46L89" and b"cdr_token" not in sent[("POST", "/cdrs")]
    # the 2.2.1 partner gets 2.2.1 bodies (and the change as the diff's requests)
    to_new = [r for r in new.received if r.path.startswith("/locations")]
    assert to_new[0].method == "PUT" and json.loads(to_new[0].body)["country_code"] == "NL" and len(to_new) >= 2
    assert all(b'"country_code"' in r.body for r in new.received if r.path.startswith("/tariffs"))


async def test_pulls_from_a_211_cpo_are_upgraded(store: SqliteStore) -> None:
    location_211 = {
        "id": "LOC7", "type": "PARKING_LOT", "address": "Street 7", "city": "Gent", "postal_code": "9000",
        "country": "BEL", "coordinates": {"latitude": "51.040000", "longitude": "3.720000"}, "last_updated": STAMP,
        "evses": [{"uid": "E7", "status": "AVAILABLE", "last_updated": STAMP,
                   "connectors": [{"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET",
                                   "power_type": "AC_3_PHASE", "voltage": 230, "amperage": 16, "tariff_id": "T7",
                                   "last_updated": STAMP}]}]}
    tariff_211 = {"id": "T7", "currency": "EUR", "last_updated": STAMP,
                  "elements": [{"price_components": [{"type": "TIME", "price": 2.0, "step_size": 60}]}]}
    with SyncPartner(objects={"locations": [location_211], "tariffs": [tariff_211]}) as fake:
        partner = await store.create_partner(partner_211(fake, "sender", "CPO", ("BE", "OLD")))
        client = OcpiClient(timeout=2.0)
        try:
            for module in ("locations", "tariffs"):
                progress = await pull_module(store, client, partner, module, backoff=FAST)
                assert (progress.fetched, progress.created, progress.invalid) == (1, 1, 0), progress
        finally:
            await client.aclose()
    stored_location = await store.get_object("locations", "BE", "OLD", "LOC7")
    assert stored_location is not None and stored_location.partner_id == partner.id
    body = json.loads(stored_location.body)
    assert body["country_code"] == "BE" and body["party_id"] == "OLD" and body["publish"] is True
    assert body["parking_type"] == "PARKING_LOT" and body["time_zone"] == "Europe/Brussels"
    connector = body["evses"][0]["connectors"][0]
    assert (connector["max_voltage"], connector["max_amperage"], connector["tariff_ids"]) == (230, 16, ["T7"])
    stored_tariff = await store.get_object("tariffs", "BE", "OLD", "T7")
    assert stored_tariff is not None
    tariff = json.loads(stored_tariff.body)
    assert tariff["country_code"] == "BE" and tariff["elements"][0]["price_components"][0]["step_size"] == 60


async def test_sessions_reach_a_211_emsp_with_their_location_embedded(store: SqliteStore) -> None:
    from ocpi_engine.models.v211 import sessions as v211_sessions

    loc = location(1, country="NL", party="OCE")
    second_evse = json.loads(json.dumps(loc["evses"][0]))
    second_evse["uid"] = "E2"
    loc["evses"].append(second_evse)
    await store.put_object(own("locations", loc))  # written directly: no partner receives locations here
    session = {"country_code": "NL", "party_id": "OCE", "id": "S1", "start_date_time": STAMP, "kwh": Decimal("2.5"),
               "cdr_token": {"country_code": "DE", "party_id": "TNM", "uid": "CARD1", "type": "RFID",
                             "contract_id": "DE-TNM-C1"},
               "auth_method": "WHITELIST", "location_id": "LOC1", "evse_uid": "E2", "connector_id": "1",
               "currency": "EUR", "status": "ACTIVE", "last_updated": STAMP}
    lost = {**session, "id": "S2", "location_id": "NOWHERE"}
    with SyncPartner() as old:
        record = partner_211(old, "receiver", "EMSP", ("DE", "TNM"))
        record.endpoints.append({"identifier": "sessions", "url": f"{old.base}/receiver/sessions"})
        await store.create_partner(record)
        await enqueue_push(store, "sessions", [own("sessions", session), own("sessions", lost)])
        await push(store)
    sent = [(r.method, r.path, r.body) for r in old.received if "/sessions" in r.path]
    assert [(m, p) for m, p, _ in sent] == [("PUT", "/sessions/NL/OCE/S1")]  # S2's location is unknown: not sent
    body = sent[0][2]
    pushed = msgspec.json.decode(body, type=v211_sessions.Session, strict=False)
    assert pushed.id == "S1" and pushed.auth_id == "DE-TNM-C1" and pushed.kwh == Decimal("2.5")
    as_json = json.loads(body)
    assert "cdr_token" not in as_json and "location_id" not in as_json
    assert as_json["location"]["id"] == "LOC1"
    assert [e["uid"] for e in as_json["location"]["evses"]] == ["E2"]  # only the session's EVSE and connector
    assert [c["id"] for c in as_json["location"]["evses"][0]["connectors"]] == ["1"]
