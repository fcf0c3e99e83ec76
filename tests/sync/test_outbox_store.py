"""The durable outbox in the SQLite store: persistence, per-object order, coalescing, leases, dead letters."""

from __future__ import annotations

import time
from pathlib import Path

from ocpi_engine.storage.base import ObjectRecord, OutboxEntry
from ocpi_engine.storage.sqlite import SqliteStore


def entry(obj: str, method: str = "PUT", sub: str = "", body: bytes = b"{}", partner_id: int = 1) -> OutboxEntry:
    path = f"/NL/OCE/{obj}" + (f"/{sub}" if sub else "")
    return OutboxEntry(partner_id=partner_id, module="locations", country_code="NL", party_id="OCE", object_id=obj,
                       sub_path=sub, method=method, path=path, body=body)


async def claim(store: SqliteStore, limit: int = 100, partner_id: int = 1) -> list[OutboxEntry]:
    now = time.time()
    return await store.claim_outbox(partner_id, now=now, lease_until=now + 30, owner="test:1:x", limit=limit)


async def test_outbox_survives_reopen_with_objects_written_in_the_same_transaction(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite3")
    store = SqliteStore(path)
    await store.open()
    record = ObjectRecord(module="locations", country_code="NL", party_id="OCE", id="L1",
                          last_updated="2024-01-01T00:00:00.000000Z", body=b'{"id":"L1"}')
    assert await store.put_objects_with_outbox([record], [entry("L1", body=b'{"id":"L1"}')]) == 1
    await store.close()

    reopened = SqliteStore(path)
    await reopened.open()
    [waiting] = await reopened.list_outbox()
    assert (waiting.method, waiting.path, waiting.body, waiting.state) == ("PUT", "/NL/OCE/L1", b'{"id":"L1"}',
                                                                           "PENDING")
    assert await reopened.get_object("locations", "NL", "OCE", "L1") is not None
    await reopened.close()


async def test_a_failed_write_queues_nothing(store: SqliteStore) -> None:
    bad = ObjectRecord(module="locations", country_code="NL", party_id="OCE", id="L1", last_updated="x",
                       body=None)  # type: ignore[arg-type]
    try:
        await store.put_objects_with_outbox([bad], [entry("L1")])
    except Exception:  # noqa: BLE001
        pass
    assert await store.list_outbox() == []


async def test_only_the_oldest_entry_of_an_object_is_handed_out(store: SqliteStore) -> None:
    await store.enqueue_outbox([entry("A", "PATCH", "E1", b"1"), entry("B"), entry("A", "PATCH", "E2", b"2")])
    first = await claim(store)
    assert [(e.object_id, e.body) for e in first] == [("A", b"1"), ("B", b"{}")]
    assert await claim(store) == []  # A's second entry waits for the first, even though it is not leased
    await store.finish_outbox(first[0].seq)
    [second] = await claim(store)
    assert (second.object_id, second.body) == ("A", b"2")


async def test_backoff_of_the_head_blocks_the_object_not_the_partner(store: SqliteStore) -> None:
    await store.enqueue_outbox([entry("A", "PATCH", "E1"), entry("A", "PATCH", "E2"), entry("B")])
    a1, b = await claim(store)
    await store.retry_outbox(a1.seq, next_attempt_at=time.time() + 60, error="HTTP 500")
    await store.finish_outbox(b.seq)
    assert await claim(store) == []
    [waiting, _] = await store.list_outbox()
    assert (waiting.attempts, waiting.last_error) == (1, "HTTP 500")
    assert (await store.outbox_next_due(1) or 0) > time.time() + 50


async def test_dead_letters_stay_visible_and_let_later_entries_go(store: SqliteStore) -> None:
    await store.enqueue_outbox([entry("A", "PATCH", "E1"), entry("A", "PATCH", "E2", b"later")])
    [head] = await claim(store)
    await store.kill_outbox(head.seq, error="HTTP 400")
    [later] = await claim(store)
    assert later.body == b"later"
    [stats] = await store.outbox_stats()
    assert (stats.pending, stats.dead, stats.last_error) == (1, 1, "HTTP 400")
    assert await store.requeue_outbox(partner_id=1) == 1
    assert [e.state for e in await store.list_outbox()] == ["PENDING", "PENDING"]


async def test_whole_object_put_replaces_waiting_entries_but_not_the_one_in_flight(store: SqliteStore) -> None:
    await store.enqueue_outbox([entry("A", "PUT", body=b"v1")])
    [in_flight] = await claim(store)
    await store.enqueue_outbox([entry("A", "PATCH", "E1", b"p"), entry("A", "PUT", "E2", b"e"),
                                entry("A", "PUT", body=b"v2"), entry("A", "PUT", body=b"v3")])
    assert [(e.method, e.body) for e in await store.list_outbox()] == [("PUT", b"v1"), ("PUT", b"v3")]
    await store.finish_outbox(in_flight.seq)
    [last] = await claim(store)
    assert last.body == b"v3"


async def test_consecutive_puts_to_one_evse_coalesce(store: SqliteStore) -> None:
    await store.enqueue_outbox([entry("A", "PUT", "E1", b"1"), entry("A", "PUT", "E1", b"2"),
                                entry("A", "PATCH", "E1", b"3"), entry("A", "PUT", "E1", b"4")])
    assert [(e.method, e.body) for e in await store.list_outbox()] == [("PUT", b"2"), ("PATCH", b"3"), ("PUT", b"4")]


async def test_defer_holds_the_whole_partner(store: SqliteStore) -> None:
    await store.enqueue_outbox([entry("A"), entry("B"), entry("C", partner_id=2)])
    await store.defer_outbox(1, time.time() + 60)
    assert await claim(store) == []
    assert len(await claim(store, partner_id=2)) == 1


async def test_leases_of_a_dead_owner_are_released(store: SqliteStore) -> None:
    await store.enqueue_outbox([entry("A")])
    await claim(store)
    assert await claim(store) == []
    assert await store.outbox_lease_owners() == ["test:1:x"]
    assert await store.release_outbox_leases("test:1:x") == 1
    assert len(await claim(store)) == 1


async def test_merge_never_overwrites_newer_or_another_writers_objects(store: SqliteStore) -> None:
    def rec(updated: str, partner_id: int | None, body: bytes, id: str = "L1") -> ObjectRecord:
        return ObjectRecord(module="locations", country_code="BE", party_id="FAK", id=id, body=body,
                            last_updated=f"2024-01-01T00:00:{updated}.000000Z", partner_id=partner_id)

    result = await store.merge_objects([rec("10", 7, b"new"), rec("05", 7, b"x", "L2")])
    assert (result.written, result.created) == (2, 2)
    result = await store.merge_objects([rec("05", 7, b"old"), rec("10", 8, b"other"), rec("06", 7, b"y", "L2")])
    assert (result.written, result.older, result.refused) == (1, 1, 1)
    stored = await store.get_object("locations", "BE", "FAK", "L1")
    assert stored is not None and stored.body == b"new"
