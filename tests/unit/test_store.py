"""SQLite store: objects, keyset paging, partners, migrations."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from ocpi_engine.storage.base import ANY, OWN, ObjectRecord, PartnerRecord
from ocpi_engine.storage.sqlite import SqliteStore


def record(i: int, *, partner_id: int | None = None, party: str = "OCE") -> ObjectRecord:
    return ObjectRecord(module="locations", country_code="NL", party_id=party, id=f"L{i}",
                        last_updated=f"2024-01-01T00:00:{i % 60:02d}.000000Z", body=b'{"id":"L%d"}' % i,
                        partner_id=partner_id)


@pytest.fixture
async def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(str(tmp_path / "db" / "store.sqlite3"))
    await s.open()
    return s


async def test_put_reports_creation_and_keeps_creation_order(store: SqliteStore) -> None:
    assert await store.put_object(record(1)) is True
    assert await store.put_object(record(2)) is True
    assert await store.put_object(record(1)) is False  # replace keeps seq
    page = await store.list_objects("locations")
    assert [r.id for r in page.items] == ["L1", "L2"]


async def test_ids_compare_case_insensitively(store: SqliteStore) -> None:
    await store.put_object(record(1))
    found = await store.get_object("locations", "nl", "oce", "l1")
    assert found is not None and found.body == b'{"id":"L1"}'


async def test_put_objects_is_all_or_nothing(store: SqliteStore) -> None:
    bad = msgspec.structs.replace(record(3), body=None)  # type: ignore[arg-type]
    with pytest.raises(Exception):
        await store.put_objects([record(1), record(2), bad])
    assert (await store.list_objects("locations")).total == 0


async def test_filters_by_writer_and_party(store: SqliteStore) -> None:
    await store.put_objects([record(1), record(2, partner_id=7, party="ABC"), record(3, partner_id=8, party="XYZ")])
    assert [r.id for r in (await store.list_objects("locations", partner_id=OWN)).items] == ["L1"]
    assert [r.id for r in (await store.list_objects("locations", partner_id=7)).items] == ["L2"]
    assert (await store.list_objects("locations", partner_id=ANY)).total == 3
    page = await store.list_objects("locations", parties=[("NL", "XYZ")])
    assert [r.id for r in page.items] == ["L3"]
    assert (await store.list_objects("locations", parties=[])).total == 0


async def test_keyset_paging(store: SqliteStore) -> None:
    await store.put_objects(record(i) for i in range(25))
    page = await store.list_objects("locations", limit=10)
    assert page.total == 25 and page.next_cursor == page.items[-1].seq
    page2 = await store.list_objects("locations", limit=10, after_seq=page.next_cursor)
    assert [r.id for r in page2.items] == [f"L{i}" for i in range(10, 20)]
    page3 = await store.list_objects("locations", limit=10, after_seq=page2.next_cursor)
    assert len(page3.items) == 5 and page3.next_cursor is None


async def test_partners_roundtrip_and_token_lookup(store: SqliteStore) -> None:
    created = await store.create_partner(PartnerRecord(id=0, name="p", status="PENDING", token_kind="A",
                                                       incoming_token_hash="h1"))
    assert created.id > 0
    assert (await store.find_partner_by_token_hash("h1")).id == created.id  # type: ignore[union-attr]
    created.next_token_hash = "h2"
    created.roles = [{"role": "CPO", "country_code": "nl", "party_id": "abc"}]
    await store.update_partner(created)
    again = await store.find_partner_by_token_hash("h2")
    assert again is not None and again.parties() == {("NL", "ABC")}
    assert await store.delete_partner(created.id)
    assert await store.find_partner_by_token_hash("h1") is None


async def test_reopening_runs_no_migration_twice(tmp_path: Path) -> None:
    path = str(tmp_path / "x.sqlite3")
    first = SqliteStore(path)
    await first.open()
    await first.set_meta("k", "v")
    await first.close()
    second = SqliteStore(path)
    await second.open()
    assert await second.get_meta("k") == "v"
