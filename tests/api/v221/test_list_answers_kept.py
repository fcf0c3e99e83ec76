"""The CPO list hot path keeps whole answers between writes: repeated GETs answer the same objects with a fresh
timestamp, and any write (this process or another connection) is seen by the very next GET."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from litestar import Litestar

from ocpi_engine.api.hot_paths import HotPathApp
from ocpi_engine.storage.base import ObjectRecord
from ocpi_engine.storage.sqlite import SqliteStore
from tests.conftest import auth


def record(i: int, name: str = "x") -> ObjectRecord:
    return ObjectRecord(module="tariffs", country_code="NL", party_id="OCE", id=f"T{i}",
                        last_updated=f"2024-01-01T00:00:{i:02d}.000000Z",
                        body=b'{"id":"T%d","name":"%s"}' % (i, name.encode()))


async def test_kept_answers_follow_every_write(app: Litestar, client: Any, register_partner: Any,
                                               settings: Any) -> None:
    _, token = await register_partner()
    store = app.state.store
    await store.put_objects([record(i) for i in range(5)])
    served = httpx.AsyncClient(transport=httpx.ASGITransport(app=HotPathApp(app)), base_url="https://ocpi.example.com")
    async with served:
        async def page() -> httpx.Response:
            return await served.get("/ocpi/2.2.1/cpo/tariffs?limit=3", headers=auth(token))

        first = await page()
        assert [t["id"] for t in first.json()["data"]] == ["T0", "T1", "T2"]
        await asyncio.sleep(0.01)
        again = await page()
        assert again.json()["data"] == first.json()["data"]
        assert again.headers["x-total-count"] == "5" and again.headers["link"] == first.headers["link"]
        assert int(again.headers["content-length"]) == len(again.content)

        await store.put_object(record(1, "changed"))  # this process writes
        assert (await page()).json()["data"][1]["name"] == "changed"

        other = SqliteStore(settings.sqlite_path())  # another connection (another process) writes
        await other.open()
        try:
            await other.put_object(record(9))
            await other.delete_object("tariffs", "NL", "OCE", "T0")
        finally:
            await other.close()
        after = await page()
        assert [t["id"] for t in after.json()["data"]] == ["T1", "T2", "T3"]
        assert after.headers["x-total-count"] == "5"
