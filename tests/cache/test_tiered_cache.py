"""The in-process tier over Redis (cache/tiered.py) against a real redis-server: local hits, invalidation seen
by the next read in another process's tier, the lease when Redis stalls, writers waiting out the lease."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ocpi_engine.cache.redis import RedisCache
from ocpi_engine.cache.tiered import RespSubscriber, TieredCache, _parse
from tests.cache.test_redis_cache import RedisProcess, redis_process  # noqa: F401  (fixture)

pytestmark = pytest.mark.redis

LEASE = 0.6
BEAT = 0.1


class CountingRedis(RedisCache):
    """Counts the GETs that reach Redis, to tell local hits from round trips."""

    gets = 0

    async def get(self, key: str) -> bytes | None:
        self.gets += 1
        return await super().get(key)


def tier(url: str) -> TieredCache:
    remote = CountingRedis(url, namespace="t:", timeout=0.05, retry_after=0.3)
    return TieredCache(remote, url, namespace="t:", heartbeat=BEAT, lease=LEASE)


async def until_trusted(cache: TieredCache, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not cache._check():
        assert time.monotonic() < deadline, "the invalidation channel never became live"
        await asyncio.sleep(0.02)


@pytest.fixture
async def pair(redis_process: RedisProcess) -> AsyncIterator[tuple[TieredCache, TieredCache]]:  # noqa: F811
    a, b = tier(redis_process.url), tier(redis_process.url)
    await a.open()
    await b.open()
    await until_trusted(a)
    await until_trusted(b)
    yield a, b
    await a.close()
    await b.close()


async def test_second_read_is_local(pair: tuple[TieredCache, TieredCache]) -> None:
    a, b = pair
    await b.set("ocpi:token:X", b"allowed", 60)
    assert await a.get("ocpi:token:X") == b"allowed"
    before = a.remote.gets  # type: ignore[attr-defined]
    for _ in range(100):
        assert await a.get("ocpi:token:X") == b"allowed"
    assert a.remote.gets == before  # type: ignore[attr-defined]  # no round trip once local


async def test_write_in_one_process_is_seen_by_the_next_read_in_another(pair: tuple[TieredCache, TieredCache]) -> None:
    a, b = pair
    for i in range(200):  # no sleep between the write and the read: the drain before a local hit applies it
        await b.set("ocpi:token:T", b"ALLOWED-%d" % i, 60)
        assert await a.get("ocpi:token:T") == b"ALLOWED-%d" % i
        assert await a.get("ocpi:token:T") == b"ALLOWED-%d" % i  # and the local copy is the new one
        await b.set("ocpi:token:T", b"BLOCKED-%d" % i, 60)
        assert await a.get("ocpi:token:T") == b"BLOCKED-%d" % i
    await b.delete("ocpi:token:T")
    assert await a.get("ocpi:token:T") is None


async def test_stalled_redis_ends_the_lease_and_writers_wait_it_out(
    pair: tuple[TieredCache, TieredCache], redis_process: RedisProcess  # noqa: F811
) -> None:
    a, b = pair
    await b.set("ocpi:token:S", b"ALLOWED", 60)
    assert await a.get("ocpi:token:S") == b"ALLOWED"
    assert redis_process.proc is not None
    os.kill(redis_process.proc.pid, signal.SIGSTOP)  # partition: connections stay open, nothing answers
    try:
        started = time.monotonic()
        await b.set("ocpi:token:S", b"BLOCKED", 60)  # cannot reach Redis: waits until no tier trusts old entries
        assert time.monotonic() - started >= LEASE
        # the other process no longer serves its local ALLOWED: a miss (its caller reads the store)
        assert await a.get("ocpi:token:S") is None
        assert not a._check()
    finally:
        os.kill(redis_process.proc.pid, signal.SIGCONT)
    # Redis answers again: the entry that missed the write is dropped before Redis is trusted again
    deadline = time.monotonic() + 5
    while (got := await a.get("ocpi:token:S")) is not None or not a._check():
        assert got != b"ALLOWED", "a stale ALLOWED was served after the BLOCKED write"
        assert time.monotonic() < deadline, "the tier did not come back"
        await asyncio.sleep(0.05)
    await b.set("ocpi:token:S", b"BLOCKED", 60)
    assert await a.get("ocpi:token:S") == b"BLOCKED"


async def test_redis_restart_reconnects_and_clears(pair: tuple[TieredCache, TieredCache],
                                                   redis_process: RedisProcess) -> None:  # noqa: F811
    a, b = pair
    await b.set("ocpi:token:R", b"v1", 60)
    assert await a.get("ocpi:token:R") == b"v1"
    redis_process.stop()
    await asyncio.sleep(LEASE + 0.2)
    assert await a.get("ocpi:token:R") is None  # lapsed: nothing served from the local tier
    redis_process.start()
    await asyncio.sleep(0.5)  # past the breaker pause
    await until_trusted(a)
    await until_trusted(b)
    await b.set("ocpi:token:R", b"v2", 60)
    assert await a.get("ocpi:token:R") == b"v2"


def test_resp_parser_handles_split_messages() -> None:
    message = b"*3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$5\r\nhello\r\n"
    for cut in range(1, len(message)):
        assert _parse(bytearray(message[:cut]), 0) is None
    assert _parse(bytearray(message), 0) == ([b"message", b"chan", b"hello"], len(message))
    assert _parse(bytearray(b":1\r\n"), 0) == (1, 4)


def test_subscriber_refuses_non_redis_urls() -> None:
    with pytest.raises(ValueError, match="redis://"):
        RespSubscriber("rediss://127.0.0.1:1/0", b"c")


async def test_cache_setting_selects_the_tier(tmp_path: Path, redis_process: RedisProcess) -> None:  # noqa: F811
    from ocpi_engine.cache.factory import open_cache
    from ocpi_engine.settings import Settings

    auto = open_cache(Settings(redis_url=redis_process.url, database_url=f"sqlite:///{tmp_path}/s.db"))
    only = open_cache(Settings(redis_url=redis_process.url, cache="redis", database_url=f"sqlite:///{tmp_path}/s.db"))
    none = open_cache(Settings(redis_url=redis_process.url, cache="none"))
    assert isinstance(auto, TieredCache)
    assert isinstance(only, RedisCache) and not isinstance(only, TieredCache)
    assert none.name == "none"


async def test_fill_many_warms_the_local_tier_unless_a_write_came_between(
    pair: tuple[TieredCache, TieredCache],
) -> None:
    a, b = pair
    mark = a.mark()
    await a.fill_many([("ocpi:token:W1", b"one"), ("ocpi:token:W2", b"two")], 60, mark)
    before = a.remote.gets  # type: ignore[attr-defined]
    assert await a.get("ocpi:token:W1") == b"one" and await a.get("ocpi:token:W2") == b"two"
    assert a.remote.gets == before  # type: ignore[attr-defined]  # served locally, no round trip
    # a store read (mark), then a writer somewhere blocks W3, then the warm-up fills what it read before
    mark = a.mark()
    await b.set("ocpi:token:W3", b"BLOCKED", 60)
    await a.fill_many([("ocpi:token:W3", b"ALLOWED")], 60, mark)
    assert await a.get("ocpi:token:W3") == b"BLOCKED"  # neither Redis (NX) nor the local tier took the old value


async def test_an_expired_entry_is_served_and_refreshed_in_the_background(redis_process: RedisProcess) -> None:  # noqa: F811
    """Local expiry never puts a Redis round trip on the request path: the entry answers, then one MGET refreshes it."""
    remote = CountingRedis(redis_process.url, namespace="t:", timeout=0.05, retry_after=0.3)
    cache = TieredCache(remote, redis_process.url, namespace="t:", heartbeat=BEAT, lease=LEASE, local_ttl=0.2)
    writer = tier(redis_process.url)
    await cache.open()
    await writer.open()
    try:
        await until_trusted(cache)
        keys = [f"ocpi:token:R{i}" for i in range(50)]
        await writer.set_many([(k, b"v1") for k in keys], 60)
        for k in keys:
            assert await cache.get(k) == b"v1"
        # Redis changes behind the tier's back (no invalidation): only a refresh can bring it in.
        await writer.remote.set_many([(k, b"v2") for k in keys], 60)
        await asyncio.sleep(0.3)  # past the local TTL
        gets = remote.gets
        for k in keys:
            assert await cache.get(k) == b"v1"  # expired but coherent: served locally
        assert remote.gets == gets  # no GET on the request path
        for _ in range(100):
            await asyncio.sleep(0.01)
            if all(cache._local[k][1] == b"v2" for k in keys):
                break
        assert [await cache.get(k) for k in keys] == [b"v2"] * len(keys)
        assert remote.gets == gets  # refreshed by MGET, not one GET per key
        assert all(cache._local[k][0] > time.monotonic() for k in keys)  # and fresh again
    finally:
        await cache.close()
        await writer.close()


async def test_a_write_racing_a_refresh_is_not_undone(pair: tuple[TieredCache, TieredCache]) -> None:
    """A refresh that read Redis before an invalidation landed must not put the older value back."""
    a, b = pair
    a._local_ttl = 0.05
    await b.set("ocpi:token:W", b"ALLOWED", 60)
    assert await a.get("ocpi:token:W") == b"ALLOWED"
    await asyncio.sleep(0.1)
    real_get_many = a.remote.get_many

    async def slow_get_many(keys: list[str]) -> list[bytes | None] | None:
        values = await real_get_many(keys)  # reads ALLOWED ...
        await b.set("ocpi:token:W", b"BLOCKED", 60)  # ... then a write is accepted (and a has applied it)
        assert await a.get("ocpi:token:W") == b"BLOCKED"  # and a read fills the new value locally
        return values

    a.remote.get_many = slow_get_many  # type: ignore[method-assign]
    assert await a.get("ocpi:token:W") == b"ALLOWED"  # expired, served, refresh queued
    for _ in range(100):
        await asyncio.sleep(0.01)
        if not a._stale and (a._refresh_task is None or a._refresh_task.done()):
            break
    assert "ocpi:token:W" not in a._local or a._local["ocpi:token:W"][1] == b"BLOCKED"
    assert await a.get("ocpi:token:W") == b"BLOCKED"
