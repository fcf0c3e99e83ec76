"""The push worker against a fault-injecting loopback partner: order per object, backoff, Retry-After, timeouts,
dead letters, PATCH 404 recovery, fan-out from an import."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from email.utils import formatdate

from ocpi_engine.clients.ocpi import OcpiClient
from ocpi_engine.services.importer import import_lines
from ocpi_engine.services.outbox import Backoff, PushWorker, retry_after_seconds
from ocpi_engine.services.sync import enqueue_push
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ObjectRecord, OutboxEntry
from ocpi_engine.storage.sqlite import SqliteStore
from tests.sync.partner import SyncPartner, location

FAST = Backoff(base=0.05, max=0.2)


def entry(partner_id: int, obj: str, n: int, method: str = "PATCH") -> OutboxEntry:
    return OutboxEntry(partner_id=partner_id, module="locations", country_code="NL", party_id="OCE", object_id=obj,
                       sub_path="E1", method=method, path=f"/NL/OCE/{obj}/E1",
                       body=json.dumps({"n": n, "last_updated": "2024-01-01T00:00:00Z"}).encode())


async def worker(store: SqliteStore, timeout: float = 2.0, concurrency: int = 4) -> tuple[PushWorker, OcpiClient]:
    client = OcpiClient(timeout=timeout)
    return PushWorker(store, client, concurrency=concurrency, backoff=FAST, timeout=timeout), client


async def test_entries_of_one_object_arrive_in_order_with_concurrency_and_failures(store: SqliteStore) -> None:
    with SyncPartner(receive_delay=0.002) as fake:
        fake.faults = ["500", None, "ocpi3000", "503", None, "garbage"] * 3
        partner = await store.create_partner(fake.record())
        await store.enqueue_outbox([entry(partner.id, f"L{i % 5}", i) for i in range(60)])
        push, client = await worker(store)
        report = await push.drain(max_wait=10)
        await client.aclose()
    assert (report.dead, report.waiting) == (0, 0)
    assert report.retried >= 6
    by_object: dict[str, list[int]] = defaultdict(list)
    for got in fake.received:
        by_object[got.path.split("/")[4]].append(json.loads(got.body)["n"])
    assert sorted(by_object) == [f"L{i}" for i in range(5)]
    for obj, numbers in by_object.items():
        assert numbers == sorted(numbers) == [n for n in range(60) if f"L{n % 5}" == obj]
    assert await store.list_outbox() == []


async def test_retry_after_pauses_the_partner(store: SqliteStore) -> None:
    with SyncPartner() as fake:
        fake.faults = ["429:1"]
        partner = await store.create_partner(fake.record())
        await store.enqueue_outbox([entry(partner.id, "A", 1), entry(partner.id, "B", 2)])
        push, client = await worker(store, concurrency=1)
        push.backoff = Backoff(base=0.05, max=30)  # the cap also bounds Retry-After
        started = time.monotonic()
        report = await push.drain(max_wait=5)
        await client.aclose()
    assert report.sent == 2 and report.retried == 1
    first_429 = fake.requests[0][2]
    assert all(at - first_429 >= 0.95 for _, _, at in fake.requests[1:])
    assert time.monotonic() - started < 4


async def test_retry_after_beyond_the_drain_window_leaves_entries_waiting(store: SqliteStore) -> None:
    with SyncPartner() as fake:
        fake.faults = ["429:120"]
        partner = await store.create_partner(fake.record())
        await store.enqueue_outbox([entry(partner.id, "A", 1), entry(partner.id, "B", 2)])
        push, client = await worker(store, concurrency=1)
        push.backoff = Backoff(base=0.05, max=600)
        report = await push.drain(max_wait=0.5)
        await client.aclose()
    assert (report.sent, report.waiting) == (0, 2)
    assert len(fake.requests) == 1
    assert all(e.next_attempt_at > time.time() + 100 for e in await store.list_outbox())


async def test_a_slow_partner_times_out_and_the_push_is_retried(store: SqliteStore) -> None:
    with SyncPartner() as fake:
        fake.faults = ["slow:1.5"]
        partner = await store.create_partner(fake.record())
        await store.enqueue_outbox([entry(partner.id, "A", 1)])
        push, client = await worker(store, timeout=0.5)
        report = await push.drain(max_wait=5)
        await client.aclose()
    assert (report.sent, report.retried) == (1, 1)
    assert len(fake.requests) == 2


async def test_permanent_refusals_are_dead_letters_not_dropped(store: SqliteStore) -> None:
    with SyncPartner() as fake:
        fake.faults = ["400", "ocpi2001"]
        partner = await store.create_partner(fake.record())
        await store.enqueue_outbox([entry(partner.id, "A", 1), entry(partner.id, "B", 2), entry(partner.id, "A", 3)])
        push, client = await worker(store, concurrency=1)
        report = await push.drain(max_wait=5)
        await client.aclose()
    assert (report.sent, report.dead) == (1, 2)
    dead = await store.list_outbox(state="DEAD")
    assert [json.loads(d.body or b"")["n"] for d in dead] == [1, 2]
    assert "HTTP 400" in (dead[0].last_error or "") and "OCPI 2001" in (dead[1].last_error or "")
    assert [json.loads(r.body)["n"] for r in fake.received] == [3]


async def test_a_patch_the_partner_cannot_apply_becomes_a_put_of_the_whole_object(store: SqliteStore) -> None:
    with SyncPartner(unknown_patch_404=True) as fake:
        partner = await store.create_partner(fake.record())
        body = json.dumps(location(1, party="OCE", country="NL")).encode()
        await store.put_object(ObjectRecord(module="locations", country_code="NL", party_id="OCE", id="L1",
                                            last_updated="2024-01-01T00:00:00.000000Z", body=body))
        await store.enqueue_outbox([entry(partner.id, "L1", 1)])
        push, client = await worker(store)
        report = await push.drain(max_wait=5)
        await client.aclose()
    assert (report.replaced, report.sent, report.dead) == (1, 1, 0)
    assert [(r.method, r.path) for r in fake.received] == [("PATCH", "/locations/NL/OCE/L1/E1"),
                                                            ("PUT", "/locations/NL/OCE/L1")]
    assert fake.received[1].body == body


async def test_import_queues_pushes_to_each_receiving_partner_in_the_write_transaction(store: SqliteStore,
                                                                                        tmp_path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/x.sqlite3", country_code="NL", party_id="OCE")
    with SyncPartner() as cpo, SyncPartner() as other:
        receiving = await store.create_partner(cpo.record(role="CPO"))
        no_endpoint = other.record(role="CPO")
        no_endpoint.endpoints = [e for e in no_endpoint.endpoints if e["identifier"] != "tokens"]
        await store.create_partner(no_endpoint)
        tokens = [{"country_code": "NL", "party_id": "OCE", "uid": f"U{i}", "type": "RFID", "contract_id": f"C{i}",
                   "issuer": "OCE", "valid": True, "whitelist": "ALLOWED", "last_updated": "2024-01-01T00:00:00Z"}
                  for i in range(3)]
        lines = [json.dumps(t).encode() for t in tokens]
        await import_lines("tokens", lines, store=store, settings=settings, context=_Context(store, settings))
        queued = await store.list_outbox()
        assert [(e.partner_id, e.method, e.path) for e in queued] == [
            (receiving.id, "PUT", f"/NL/OCE/U{i}?type=RFID") for i in range(3)]
        # Same import again: nothing changed, nothing more queued.
        await import_lines("tokens", lines, store=store, settings=settings, context=_Context(store, settings))
        assert len(await store.list_outbox()) == 3
        push, client = await worker(store)
        report = await push.drain(max_wait=5)
        await client.aclose()
    assert report.sent == 3
    assert sorted(json.loads(r.body)["uid"] for r in cpo.received) == ["U0", "U1", "U2"]


async def test_enqueue_push_fans_out_locations_to_emsp_receivers_only(store: SqliteStore) -> None:
    with SyncPartner() as emsp, SyncPartner() as cpo:
        target = await store.create_partner(emsp.record(role="EMSP"))
        other = cpo.record(role="CPO")
        other.endpoints = [e for e in other.endpoints if e["role"] == "SENDER"]
        await store.create_partner(other)
        record = ObjectRecord(module="locations", country_code="NL", party_id="OCE", id="L1",
                              last_updated="2024-01-01T00:00:00.000000Z",
                              body=json.dumps(location(1, country="NL", party="OCE")).encode())
        assert await enqueue_push(store, "locations", [record]) == 1
    assert [(e.partner_id, e.path) for e in await store.list_outbox()] == [(target.id, "/NL/OCE/L1")]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = time.time()
    assert retry_after_seconds("7", now) == 7
    assert retry_after_seconds(None, now) is None
    got = retry_after_seconds(formatdate(now + 30, usegmt=True), now)
    assert got is not None and 28 <= got <= 31
    assert retry_after_seconds("soon", now) is None


class _Context:
    def __init__(self, store: SqliteStore, settings: Settings) -> None:
        from ocpi_engine.cache.memory import MemoryCache

        self.store = store
        self.settings = settings
        self.cache = MemoryCache()
        self.client = OcpiClient()


async def test_changed_own_locations_are_pushed_as_the_diff_ops(store: SqliteStore, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With the Rust `diff_locations` binding, one call over the changed snapshots gives the ops per location."""
    from ocpi_engine import _core

    calls: list[tuple[bytes, bytes]] = []

    class Op:
        def __init__(self, location_id: str, evse_uid: str | None, body: dict) -> None:  # type: ignore[type-arg]
            self.method, self.country_code, self.party_id = "Method.Patch", "NL", "OCE"
            self.location_id, self.evse_uid, self.connector_id = location_id, evse_uid, None
            self.body = json.dumps(body).encode()

    def diff_locations(old: bytes, new: bytes) -> list[Op]:
        calls.append((old, new))
        return [Op(loc["id"], loc["evses"][0]["uid"], {"status": loc["evses"][0]["status"]})
                for loc in json.loads(new)]

    monkeypatch.setattr(_core, "diff_locations", diff_locations, raising=False)
    with SyncPartner() as emsp:
        partner = await store.create_partner(emsp.record(role="EMSP"))

        def rec(i: int, status: str) -> ObjectRecord:
            return ObjectRecord(module="locations", country_code="NL", party_id="OCE", id=f"LOC{i}",
                                last_updated="2024-01-01T00:00:00.000000Z",
                                body=json.dumps(location(i, country="NL", party="OCE", status=status)).encode())

        await store.put_objects([rec(1, "AVAILABLE"), rec(2, "AVAILABLE")])
        await enqueue_push(store, "locations", [rec(1, "CHARGING"), rec(2, "AVAILABLE"), rec(3, "AVAILABLE")])
    assert len(calls) == 1 and len(json.loads(calls[0][1])) == 1  # LOC2 unchanged, LOC3 new: not diffed
    assert [(e.partner_id, e.method, e.path, e.body) for e in await store.list_outbox()] == [
        (partner.id, "PATCH", "/NL/OCE/LOC1/E1", b'{"status": "CHARGING"}'),
        (partner.id, "PUT", "/NL/OCE/LOC3", rec(3, "AVAILABLE").body),
    ]
