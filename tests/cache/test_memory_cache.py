"""The embedded in-process cache (cache/memory.py): TTLs, spread expiry, size bound."""

from __future__ import annotations

import time

from ocpi_engine.cache.memory import MemoryCache


async def test_entries_filled_together_expire_over_a_stretch_not_at_once() -> None:
    cache = MemoryCache()
    before = time.monotonic()
    await cache.fill_many([(f"ocpi:token:M{i}", b"x") for i in range(500)], 1000, cache.mark())
    expiries = [cache._data[f"ocpi:token:M{i}"][0] - before for i in range(500)]
    assert all(899 <= e <= 1001 for e in expiries)  # at most a tenth shorter than the TTL
    assert max(expiries) - min(expiries) > 50  # spread over the last tenth


async def test_an_expired_entry_is_a_miss_and_the_size_is_bounded() -> None:
    cache = MemoryCache(max_entries=10)
    await cache.set("gone", b"x", 0)
    assert await cache.get("gone") is None
    for i in range(20):
        await cache.set(f"k{i}", b"v", 60)
    assert len(cache._data) == 10 and await cache.get("k19") == b"v" and await cache.get("k0") is None
