"""SqliteStore.list_objects: counts kept between writes stay right after writes by this or another connection;
`offset` pages (found through the index) and `bodies_only` pages equal the plain ones."""

from __future__ import annotations

from pathlib import Path

from ocpi_engine.storage.base import OWN, ObjectRecord
from ocpi_engine.storage.sqlite import SqliteStore


def _record(i: int, partner_id: int | None = None) -> ObjectRecord:
    stamp = f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}.000000Z"
    return ObjectRecord(module="locations", country_code="NL", party_id="OCE", id=f"L{i}", last_updated=stamp,
                        body=b'{"id":"L%d"}' % i, partner_id=partner_id)


async def test_count_follows_writes_of_this_and_other_connections(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite3")
    reader, writer = SqliteStore(path), SqliteStore(path)
    await reader.open()
    await writer.open()
    try:
        await reader.put_objects([_record(i) for i in range(10)])
        assert (await reader.list_objects("locations", partner_id=OWN, limit=3)).total == 10
        assert (await reader.list_objects("locations", partner_id=OWN, limit=3)).total == 10  # kept
        await writer.put_object(_record(10))  # another connection commits: data_version moves
        assert (await reader.list_objects("locations", partner_id=OWN, limit=3)).total == 11
        await reader.delete_object("locations", "NL", "OCE", "L0")  # this connection writes: total_changes moves
        assert (await reader.list_objects("locations", partner_id=OWN, limit=3)).total == 10
        await writer.put_object(_record(11, partner_id=7))  # not OWN: the OWN count is unchanged, ANY grows
        assert (await reader.list_objects("locations", partner_id=OWN, limit=3)).total == 10
        assert (await reader.list_objects("locations", limit=3)).total == 11
        window = await reader.list_objects("locations", partner_id=OWN, date_from="2024-01-01T00:00:03.000000Z",
                                           date_to="2024-01-01T00:00:08.000000Z", limit=3)
        assert window.total == 5
    finally:
        await reader.close()
        await writer.close()


async def test_offset_and_bodies_only_pages_equal_plain_ones(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.sqlite3"))
    await store.open()
    try:
        await store.put_objects([_record(i, partner_id=None if i % 3 else 5) for i in range(40)])
        own = [b'{"id":"L%d"}' % i for i in range(40) if i % 3]
        filters = {"partner_id": OWN, "date_from": "2024-01-01T00:00:05.000000Z"}
        expected = [b'{"id":"L%d"}' % i for i in range(5, 40) if i % 3]
        for offset in (0, 1, 7, len(expected) - 1, len(expected), len(expected) + 5):
            full = await store.list_objects("locations", offset=offset, limit=4, **filters)
            bodies = await store.list_objects("locations", offset=offset, limit=4, bodies_only=True, **filters)
            assert [r.body for r in full.items] == bodies.bodies == expected[offset:offset + 4]
            assert bodies.items == [] and full.total == bodies.total == len(expected)
            assert full.next_cursor == bodies.next_cursor
            assert (full.next_cursor is not None) == (offset + 4 < len(expected))
        walked: list[bytes] = []
        cursor = None
        for _ in range(20):
            page = await store.list_objects("locations", partner_id=OWN, after_seq=cursor, limit=6, bodies_only=True)
            walked += page.bodies
            cursor = page.next_cursor
            if cursor is None:
                break
        assert walked == own
    finally:
        await store.close()


async def test_list_page_is_kept_until_any_write(tmp_path: Path) -> None:
    """api.pagination.list_page serves a repeated page without the store, and never after a write by this or
    another connection (process)."""
    from litestar.datastructures import MultiDict

    from ocpi_engine.api.pagination import list_page
    from ocpi_engine.settings import Settings

    path = str(tmp_path / "s.sqlite3")
    reader, writer = SqliteStore(path), SqliteStore(path)
    await reader.open()
    await writer.open()
    settings = Settings(public_url="https://ocpi.example.com", page_size=5)
    calls = 0
    plain = reader.list_objects

    async def counted(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return await plain(*args, **kwargs)

    reader.list_objects = counted  # type: ignore[method-assign]
    try:
        await reader.put_objects([_record(i) for i in range(8)])

        async def page(**query: str) -> tuple[bytes, dict[str, str]]:
            return await list_page(reader, "locations", "/ocpi/2.2.1/cpo/locations", MultiDict(query), settings,
                                   partner_id=OWN)

        first = await page(limit="3")
        assert await page(limit="3") == first and calls == 1  # kept
        assert first[1]["X-Total-Count"] == "8"
        other = await page(limit="3", offset="3")
        assert other != first and calls == 2  # another query is another page
        await writer.put_object(_record(8))  # another connection writes
        after = await page(limit="3")
        assert calls == 3 and after[1]["X-Total-Count"] == "9"
        await reader.put_object(ObjectRecord(module="locations", country_code="NL", party_id="OCE", id="L0",
                                             last_updated="2024-02-01T00:00:00.000000Z", body=b'{"id":"L0","x":1}'))
        changed = await page(limit="3")
        assert calls == 4 and b'"x":1' in changed[0]
    finally:
        await reader.close()
        await writer.close()
