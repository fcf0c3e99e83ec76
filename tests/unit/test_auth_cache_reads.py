"""Partner authentication by Token C adds one cache read and nothing more: per authenticated request on a warm
partner, count cache reads and store calls (counting wrappers on the app's cache and store instances, so every
holder — partner directory, token service, handlers — is counted)."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import auth

TOKEN = {"country_code": "NL", "party_id": "OCE", "uid": "CARD1", "type": "RFID", "contract_id": "NL-OCE-C1",
         "issuer": "OCE", "valid": True, "whitelist": "NEVER", "last_updated": "2024-01-01T00:00:00Z"}
PUSHED = {**TOKEN, "country_code": "DE", "party_id": "ABC", "uid": "PUSHED1", "whitelist": "ALWAYS"}


class Counter:
    """Counts `cache.get` calls (by key kind) and every call of a store coroutine method."""

    def __init__(self) -> None:
        self.cache_reads: list[str] = []
        self.store_calls: list[str] = []

    def reset(self) -> None:
        self.cache_reads.clear()
        self.store_calls.clear()

    def wrap(self, app: Litestar) -> None:
        cache, store = app.state.cache, app.state.store
        get = cache.get

        async def counted_get(key: str) -> bytes | None:
            self.cache_reads.append(key.split(":")[1])  # "partner" or "token"
            return await get(key)

        cache.get = counted_get
        for name, method in inspect.getmembers(store, inspect.iscoroutinefunction):
            if not name.startswith("_"):
                setattr(store, name, self._count(name, method))

    def _count(self, name: str, method: Any) -> Any:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.store_calls.append(name)
            return await method(*args, **kwargs)

        return counted


@pytest.fixture
def counter() -> Counter:
    return Counter()


async def warm_twice(client: AsyncTestClient[Litestar], counter: Counter, method: str, url: str,
                     headers: dict[str, str], expected_status: int = 200) -> None:
    """The first request fills the caches; the second is the one counted."""
    first = await client.request(method, url, headers=headers)
    assert first.status_code == expected_status, first.text
    counter.reset()
    second = await client.request(method, url, headers=headers)
    assert second.status_code == expected_status, second.text


async def test_versions_one_cache_read_no_store(app: Litestar, client: AsyncTestClient[Litestar],
                                                register_partner: Any, counter: Counter) -> None:
    _, token = await register_partner(("CPO", "DE", "ABC"))
    counter.wrap(app)
    cold = await client.get("/ocpi/versions", headers=auth(token))
    assert cold.status_code == 200
    # the wrappers count: a cold partner is one cache miss and one store lookup
    assert (counter.cache_reads, counter.store_calls) == (["partner"], ["find_partner_by_token_hash"])
    for url in ("/ocpi/versions", "/ocpi/2.2.1"):
        await warm_twice(client, counter, "GET", url, auth(token))
        assert counter.cache_reads == ["partner"], url
        assert counter.store_calls == [], url


async def test_v211_raw_token_one_cache_read_no_store(app: Litestar, client: AsyncTestClient[Litestar],
                                                      register_partner: Any, counter: Counter) -> None:
    _, token = await register_partner(("CPO", "DE", "ABC"), version="2.1.1")
    counter.wrap(app)
    await warm_twice(client, counter, "GET", "/ocpi/2.1.1/emsp", auth(token, raw=True))
    assert counter.cache_reads == ["partner"]
    assert counter.store_calls == []


async def test_receiver_get_token_partner_and_token_reads_only(
    app: Litestar, client: AsyncTestClient[Litestar], register_partner: Any, counter: Counter
) -> None:
    _, emsp = await register_partner(("EMSP", "DE", "ABC"))
    url = "/ocpi/2.2.1/cpo/tokens/DE/ABC/PUSHED1"
    assert (await client.put(url, json=PUSHED, headers=auth(emsp))).status_code == 201
    counter.wrap(app)
    await warm_twice(client, counter, "GET", url, auth(emsp))
    assert counter.cache_reads == ["partner", "token"]
    assert counter.store_calls == []


async def test_authorize_two_cache_reads_no_store(app: Litestar, client: AsyncTestClient[Litestar],
                                                  register_partner: Any, counter: Counter) -> None:
    _, cpo = await register_partner(("CPO", "DE", "ABC"))
    admin = {"Authorization": "Bearer admin-secret-token"}
    imported = await client.post("/admin/import/tokens", content=json.dumps(TOKEN).encode(),
                                 headers=admin)
    assert imported.status_code == 200, imported.text
    counter.wrap(app)
    for suffix, body in (("", None), ("?type=RFID", b'{"location_id": "LOC1", "evse_uids": ["E1"]}')):
        url = f"/ocpi/2.2.1/emsp/tokens/CARD1/authorize{suffix}"
        await client.post(url, headers=auth(cpo), content=body)
        counter.reset()
        answer = await client.post(url, headers=auth(cpo), content=body)
        assert answer.status_code == 200 and answer.json()["data"]["allowed"] == "ALLOWED", answer.text
        assert counter.cache_reads == ["partner", "token"], url
        assert counter.store_calls == [], url
    # the 2.1.1 route (through Litestar, not the hot path) costs the same
    _, old = await register_partner(("CPO", "DE", "OLD"), version="2.1.1")
    url = "/ocpi/2.1.1/emsp/tokens/CARD1/authorize"
    await client.post(url, headers=auth(old, raw=True))
    counter.reset()
    answer = await client.post(url, headers=auth(old, raw=True))
    assert answer.status_code == 200 and answer.json()["data"]["allowed"] == "ALLOWED", answer.text
    assert counter.cache_reads == ["partner", "token"]
    assert counter.store_calls == []
