"""Redis cache with a short timeout and a circuit breaker: when Redis is down or slow, calls act as misses
(the caller reads the store), the outage is logged once, and Redis is retried after a pause.

A write or invalidation that could not reach Redis leaves it possibly stale (an old ALLOWED after a BLOCKED
was accepted). Such a failure marks the cache dirty: before Redis is used again, every `ocpi:` key is
dropped, so nothing written before the outage is ever served after it."""

from __future__ import annotations

import logging
import time

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from ocpi_engine.cache.base import spread

__all__ = ["RedisCache"]

log = logging.getLogger("ocpi_engine.cache")


class RedisCache:
    name = "redis"

    def __init__(self, url: str, *, timeout: float = 0.05, retry_after: float = 1.0, namespace: str = "") -> None:
        self._url = url
        # Prefix of every key, so platforms sharing one Redis never see each other's entries (cache/factory.py).
        self._ns = namespace
        self._timeout = timeout
        self._retry_after = retry_after
        self._client: aioredis.Redis | None = None
        self._down_until = 0.0
        self._down_logged = False
        self._dirty = False

    async def open(self) -> None:
        self._client = aioredis.Redis.from_url(
            self._url,
            socket_timeout=self._timeout,
            socket_connect_timeout=self._timeout,
            retry_on_timeout=False,
            # a pooled connection from before a Redis restart fails once: retry that call once on a new connection
            retry=Retry(NoBackoff(), 1),
            retry_on_error=[RedisConnectionError],
            health_check_interval=0,
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _available(self) -> bool:
        return self._client is not None and time.monotonic() >= self._down_until

    async def _usable(self) -> bool:
        """Available, and clean: after a failed write, drop our keys before trusting Redis again."""
        if not self._available():
            return False
        if not self._dirty:
            return True
        try:
            batch: list[bytes] = []
            async for key in self._client.scan_iter(match=f"{self._ns}ocpi:*", count=1000):  # type: ignore[union-attr]
                batch.append(key)
                if len(batch) >= 1000:
                    await self._client.delete(*batch)  # type: ignore[union-attr]
                    batch.clear()
            if batch:
                await self._client.delete(*batch)  # type: ignore[union-attr]
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return False
        self._dirty = False
        log.warning("redis cache flushed after an outage that may have left stale entries")
        return True

    def _failed(self, exc: Exception) -> None:
        # Redis was unreachable from here for a while: writes from other processes may have failed in that window
        # too, so our keys are dropped before Redis is trusted again.
        self._dirty = True
        self._down_until = time.monotonic() + self._retry_after
        if not self._down_logged:
            self._down_logged = True
            log.warning("redis unavailable (%s); serving from the store until it returns", type(exc).__name__)

    def _ok(self) -> None:
        if self._down_logged:
            self._down_logged = False
            log.warning("redis is back; cache re-enabled")

    async def ping(self) -> bool:
        if self._client is None:
            return False
        try:
            await self._client.ping()
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return False
        self._down_until = 0.0
        self._ok()
        return True

    async def get(self, key: str) -> bytes | None:
        if not await self._usable():
            return None
        try:
            value = await self._client.get(self._ns + key)  # type: ignore[union-attr]
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None
        self._ok()
        return value if isinstance(value, bytes) else None  # decode_responses is off: bytes or None

    async def get_many(self, keys: list[str]) -> list[bytes | None] | None:
        """One MGET: the values in the order of `keys`; None when Redis is unavailable."""
        if not keys or not await self._usable():
            return None
        try:
            values = await self._client.mget([self._ns + key for key in keys])  # type: ignore[union-attr]
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None
        self._ok()
        return list(values)

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        if not await self._usable():
            self._dirty = self._client is not None  # this write is lost: whatever Redis holds may be stale
            return
        try:
            await self._client.set(self._ns + key, value, ex=_seconds(ttl))  # type: ignore[union-attr]
        except (RedisError, OSError) as exc:
            self._dirty = True
            self._failed(exc)

    async def set_if_absent(self, key: str, value: bytes, ttl: int) -> None:
        if not await self._usable():
            return
        try:
            await self._client.set(self._ns + key, value, ex=_seconds(ttl), nx=True)  # type: ignore[union-attr]
        except (RedisError, OSError) as exc:
            self._failed(exc)

    async def set_many(self, items: list[tuple[str, bytes]], ttl: int) -> None:
        if not items:
            return
        if not await self._usable():
            self._dirty = self._client is not None
            return
        if not await self._set_pipelined(items, ttl, nx=False):
            self._dirty = True

    async def _set_pipelined(self, items: list[tuple[str, bytes]], ttl: int, *, nx: bool) -> bool:
        """SET (NX) every entry, 1,000 per round trip; False when Redis failed."""
        try:
            for start in range(0, len(items), 1000):
                pipe = self._client.pipeline(transaction=False)  # type: ignore[union-attr]
                for key, value in items[start:start + 1000]:
                    pipe.set(self._ns + key, value, ex=_seconds(ttl), nx=nx)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return False
        return True

    def mark(self) -> int:
        return 0

    async def fill_many(self, items: list[tuple[str, bytes]], ttl: int, mark: int) -> None:
        """SET NX per entry, pipelined: never overwrites what a writer stored meanwhile."""
        if not items or not await self._usable():
            return
        await self._set_pipelined(items, ttl, nx=True)

    def mark_dirty(self) -> None:
        """Some write may not have reached Redis (seen by another process): drop our keys before the next use."""
        if self._client is not None:
            self._dirty = True

    async def publish(self, channel: bytes, payload: bytes) -> int | None:
        """Publish on a channel (cache invalidation): how many subscribers got it, None when Redis could not take it."""
        if not await self._usable():
            return None
        try:
            return int(await self._client.publish(channel, payload))  # type: ignore[union-attr]
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None

    async def push_acks(self, keys: list[str], ttl: int = 30) -> None:
        """Append one acknowledgement to each list (invalidation receipts a writer waits for)."""
        if not keys or not await self._usable():
            return
        try:
            pipe = self._client.pipeline(transaction=False)  # type: ignore[union-attr]
            for key in keys:
                pipe.rpush(self._ns + key, b"1")
                pipe.expire(self._ns + key, ttl)
            await pipe.execute()
        except (RedisError, OSError) as exc:
            self._failed(exc)

    async def list_length(self, key: str) -> int | None:
        if not await self._usable():
            return None
        try:
            return int(await self._client.llen(self._ns + key))  # type: ignore[union-attr]
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None

    async def delete(self, *keys: str) -> None:
        # Invalidation must not be skipped while the breaker is open: try anyway, Redis may be back.
        if self._client is None or not keys:
            return
        try:
            await self._client.delete(*(self._ns + key for key in keys))
        except (RedisError, OSError) as exc:
            self._dirty = True
            self._failed(exc)


def _seconds(ttl: int) -> int:
    """Redis TTL in whole seconds, spread (`cache.base.spread`) so a warm start does not expire all at once."""
    return max(1, int(spread(ttl)))
