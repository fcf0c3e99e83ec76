"""First push (issue 5): a partner registering after our objects were written gets every own object of every module
it receives, once, through the outbox (services/sync.py `enqueue_initial_push`): only for that partner, only the
modules (and 2.1.1 shapes) it receives, in pages; entries carry no body, so an object written during or after the
queueing reaches the partner in its newest state; `ocpi-engine sync push --initial PARTNER` does it by hand."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import msgspec
import pytest

from ocpi_engine.clients.ocpi import OcpiClient
from ocpi_engine.services.outbox import Backoff, PushReport, PushWorker
from ocpi_engine.services.sync import enqueue_initial_push, enqueue_push, initial_modules
from ocpi_engine.storage.base import ObjectRecord, PartnerRecord
from ocpi_engine.storage.sqlite import SqliteStore
from tests.sync.partner import SyncPartner

STAMP = "2024-01-01T00:00:00Z"
LATER = "2024-02-01T00:00:00Z"


def token(uid: str, kind: str = "RFID", *, valid: bool = True, updated: str = STAMP) -> dict[str, Any]:
    return {"country_code": "NL", "party_id": "OCE", "uid": uid, "type": kind, "contract_id": f"NL-OCE-{uid}",
            "issuer": "OCE", "valid": valid, "whitelist": "ALLOWED", "last_updated": updated}


def record(module: str, body: dict[str, Any], object_id: str, *, partner_id: int | None = None,
           party: tuple[str, str] = ("NL", "OCE")) -> ObjectRecord:
    return ObjectRecord(module=module, country_code=party[0], party_id=party[1], id=object_id,
                        last_updated=body["last_updated"].replace("Z", ".000000Z"), body=json.dumps(body).encode(),
                        partner_id=partner_id)


def token_record(body: dict[str, Any]) -> ObjectRecord:
    return record("tokens", body, f"{body['uid']}\t{body['type']}")


def partner(name: str, version: str, role: str, party: tuple[str, str], endpoints: list[tuple[str, str | None]],
            *, status: str = "REGISTERED", base: str = "https://partner.example.com") -> PartnerRecord:
    return PartnerRecord(
        id=0, name=name, status=status, token_kind="C", outbound_token="secret-outbound-token", version=version,
        endpoints=[{"identifier": module, "url": f"{base}/{name}/{module}", **({"role": r} if r else {})}
                   for module, r in endpoints],
        roles=[{"role": role, "country_code": party[0], "party_id": party[1], "business_details": {"name": name}}])


async def drain(store: SqliteStore) -> PushReport:
    client = OcpiClient(timeout=2.0)
    try:
        report = await PushWorker(store, client, backoff=Backoff(base=0.02, max=0.1), timeout=2.0).drain(max_wait=3)
    finally:
        await client.aclose()
    assert report.dead == 0, await store.list_outbox(state="DEAD")
    return report


async def test_queues_every_own_object_of_the_received_modules_for_that_partner_only(store: SqliteStore) -> None:
    tokens = [token(f"T{i}") for i in range(5)] + [token("T0", "APP_USER")]
    session = {"id": "S1", "last_updated": STAMP, "cdr_token": {"country_code": "DE", "party_id": "ABC", "uid": "X"}}
    other_session = {**session, "id": "S2", "cdr_token": {"country_code": "DE", "party_id": "XYZ", "uid": "Y"}}
    await store.put_objects([
        *(token_record(t) for t in tokens),
        record("locations", {"id": "L1", "last_updated": STAMP}, "L1"),
        record("locations", {"id": "L2", "last_updated": STAMP}, "L2"),
        record("tariffs", {"id": "TA1", "last_updated": STAMP}, "TA1"),
        record("sessions", session, "S1"),
        record("sessions", other_session, "S2"),
        record("cdrs", {**session, "id": "C1"}, "C1"),
        # a token another eMSP pushed to us is not ours to push
        msgspec.structs.replace(token_record(token("FOREIGN")), country_code="DE", party_id="XYZ", partner_id=99),
    ])
    cpo = await store.create_partner(partner("cpo", "2.2.1", "CPO", ("BE", "CPO"),
                                             [("tokens", "RECEIVER"), ("tokens", "SENDER"), ("locations", "SENDER"),
                                              ("credentials", "SENDER")]))
    emsp = await store.create_partner(partner("emsp", "2.2.1", "EMSP", ("DE", "ABC"),
                                              [("locations", "RECEIVER"), ("tariffs", "RECEIVER"),
                                               ("sessions", "RECEIVER"), ("cdrs", "RECEIVER"), ("tokens", "SENDER")]))
    old_cpo = await store.create_partner(partner("old", "2.1.1", "CPO", ("BE", "OLD"),
                                                 [("tokens", None), ("locations", None), ("credentials", None)]))
    pending = await store.create_partner(partner("pending", "2.2.1", "CPO", ("BE", "PEN"), [("tokens", "RECEIVER")],
                                                 status="PENDING"))

    assert initial_modules(cpo) == ["tokens"]
    assert initial_modules(emsp) == ["locations", "tariffs", "sessions"]  # CDRs (POST) only when named
    assert initial_modules(old_cpo) == ["tokens"]  # a 2.1.1 CPO receives no locations
    assert initial_modules(pending) == []

    started = time.time()
    assert await enqueue_initial_push(store, cpo, page_size=4, not_before=started + 60) == {"tokens": 6}
    queued = await store.list_outbox(partner_id=cpo.id, limit=100)
    assert sorted(e.path for e in queued) == ["/NL/OCE/T0?type=APP_USER"] + [
        f"/NL/OCE/T{i}?type=RFID" for i in range(5)]
    assert {(e.module, e.method, e.body, e.sub_path) for e in queued} == {("tokens", "PUT", None, "")}
    assert all(e.next_attempt_at >= started + 60 for e in queued)
    assert [s.partner_id for s in await store.outbox_stats()] == [cpo.id]  # nobody else got anything

    assert await enqueue_initial_push(store, old_cpo) == {"tokens": 6}
    old_paths = sorted(e.path for e in await store.list_outbox(partner_id=old_cpo.id, limit=100))
    assert old_paths == ["/NL/OCE/T0"] * 2 + [f"/NL/OCE/T{i}" for i in range(1, 5)]  # 2.1.1 URLs carry no type

    assert await enqueue_initial_push(store, emsp) == {"locations": 2, "tariffs": 1, "sessions": 1}
    emsp_entries = await store.list_outbox(partner_id=emsp.id, limit=100)
    assert sorted((e.module, e.path) for e in emsp_entries) == [
        ("locations", "/NL/OCE/L1"), ("locations", "/NL/OCE/L2"), ("sessions", "/NL/OCE/S1"),
        ("tariffs", "/NL/OCE/TA1")]  # S2 is another eMSP's session
    assert await enqueue_initial_push(store, emsp, modules=["cdrs", "tokens"]) == {"cdrs": 1}  # named; no tokens
    assert await enqueue_initial_push(store, pending) == {}
    assert {s.partner_id for s in await store.outbox_stats()} == {cpo.id, old_cpo.id, emsp.id}


def test_after_an_update_only_modules_with_a_new_receiver_url_or_version() -> None:
    before = partner("cpo", "2.2.1", "CPO", ("BE", "CPO"), [("tokens", "RECEIVER"), ("credentials", "SENDER")])
    assert initial_modules(before, before) == []  # a token rotation: the partner holds our objects already
    moved = msgspec.structs.replace(before, endpoints=[{"identifier": "tokens", "role": "RECEIVER",
                                                        "url": "https://elsewhere.example.com/tokens"}])
    assert initial_modules(moved, before) == ["tokens"]
    downgraded = msgspec.structs.replace(before, version="2.1.1",
                                         endpoints=[{"identifier": "tokens", "url": "https://partner.example.com/t"}])
    assert initial_modules(downgraded, before) == ["tokens"]
    assert initial_modules(before, msgspec.structs.replace(before, status="PENDING")) == ["tokens"]


class InterleavedStore(SqliteStore):
    """Another writer (another process, say) changes T1 right after the first push has read its first page."""

    changed = False

    async def list_objects(self, module: str, **kwargs: Any) -> Any:
        page = await super().list_objects(module, **kwargs)
        if module == "tokens" and not self.changed:
            self.changed = True
            await enqueue_push(self, "tokens", [token_record(token("T1", valid=False, updated=LATER))])
        return page


async def test_objects_written_during_and_after_the_queueing_arrive_in_their_newest_state(tmp_path: Any) -> None:
    store = InterleavedStore(str(tmp_path / "store.sqlite3"))
    await store.open()
    try:
        await store.put_objects([token_record(token(f"T{i}")) for i in range(4)])
        with SyncPartner() as fake:
            cpo = await store.create_partner(fake.record(role="CPO"))
            assert (await enqueue_initial_push(store, cpo, page_size=2))["tokens"] == 4
            assert store.changed
            # after: T2 is blocked while its first push waits; T3 is gone (nothing to send)
            await enqueue_push(store, "tokens", [token_record(token("T2", valid=False, updated=LATER))])
            await store.delete_object("tokens", "NL", "OCE", "T3\tRFID")
            report = await drain(store)
        got = sorted((r.method, r.path, json.loads(r.body)) for r in fake.received)
        assert got == [("PUT", "/tokens/NL/OCE/T0?type=RFID", token("T0")),
                       ("PUT", "/tokens/NL/OCE/T1?type=RFID", token("T1", valid=False, updated=LATER)),
                       ("PUT", "/tokens/NL/OCE/T2?type=RFID", token("T2", valid=False, updated=LATER))]
        assert (report.sent, report.skipped) == (3, 1)
        assert await store.list_outbox() == []
    finally:
        await store.close()


async def test_a_211_cpo_gets_211_tokens_at_typeless_urls(store: SqliteStore) -> None:
    await store.put_objects([token_record(token("CARD1")), token_record(token("APP1", "APP_USER"))])
    with SyncPartner() as fake:
        old = fake.record(version="2.1.1", role="CPO", party=("BE", "OLD"))
        old.endpoints = [{"identifier": "tokens", "url": f"{fake.base}/receiver/tokens"}]
        old = await store.create_partner(old)
        assert await enqueue_initial_push(store, old) == {"tokens": 2}
        await drain(store)
    got = sorted((r.method, r.path, json.loads(r.body)) for r in fake.received)
    assert got == [
        ("PUT", "/tokens/NL/OCE/APP1", {"uid": "APP1", "type": "OTHER", "auth_id": "NL-OCE-APP1", "issuer": "OCE",
                                        "valid": True, "whitelist": "ALLOWED", "last_updated": STAMP}),
        ("PUT", "/tokens/NL/OCE/CARD1", {"uid": "CARD1", "type": "RFID", "auth_id": "NL-OCE-CARD1", "issuer": "OCE",
                                         "valid": True, "whitelist": "ALLOWED", "last_updated": STAMP}),
    ]


def test_cli_sync_push_initial(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from ocpi_engine.cli import main

    path = tmp_path / "cli.sqlite3"

    async def seed(fake: SyncPartner) -> int:
        store = SqliteStore(str(path))
        await store.open()
        try:
            await store.put_objects([token_record(token(f"T{i}")) for i in range(3)])
            return (await store.create_partner(fake.record(role="CPO"))).id
        finally:
            await store.close()

    monkeypatch.setenv("OCPI_ENGINE_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("OCPI_ENGINE_PORT", "9")
    with SyncPartner() as fake:
        partner_id = asyncio.run(seed(fake))
        refused = CliRunner().invoke(main, ["sync", "push", "--initial", "--quiet"])
        assert refused.exit_code == 2 and "give PARTNER" in refused.output
        result = CliRunner().invoke(main, ["sync", "push", str(partner_id), "--initial", "--module", "tokens",
                                           "--max-wait", "3", "--quiet"])
        assert result.exit_code == 0, result.output
        assert "queued the first push: 3 tokens" in result.output
        assert "pushed 3," in result.output
        assert sorted(r.path for r in fake.received) == [f"/tokens/NL/OCE/T{i}?type=RFID" for i in range(3)]
        again = CliRunner().invoke(main, ["sync", "push", str(partner_id), "--initial", "--max-wait", "3",
                                          "--quiet"])  # every module it receives: only tokens are there
        assert again.exit_code == 0, again.output
        assert "3 tokens" in again.output and len(fake.received) == 6
