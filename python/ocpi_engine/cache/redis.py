"""Redis cache with a short timeout and a circuit breaker: when Redis is down or slow, calls act as misses
(the caller reads the store), the outage is logged once, and Redis is retried after a pause."""

from __future__ import annotations

import logging
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

__all__ = ["RedisCache"]

log = logging.getLogger("ocpi_engine.cache")


class RedisCache:
    name = "redis"

    def __init__(self, url: str, *, timeout: float = 0.05, retry_after: float = 1.0) -> None:
        self._url = url
        self._timeout = timeout
        self._retry_after = retry_after
        self._client: aioredis.Redis | None = None
        self._down_until = 0.0
        self._down_logged = False

    async def open(self) -> None:
        self._client = aioredis.Redis.from_url(
            self._url,
            socket_timeout=self._timeout,
            socket_connect_timeout=self._timeout,
            retry_on_timeout=False,
            health_check_interval=0,
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _available(self) -> bool:
        return self._client is not None and time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
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
        if not self._available():
            return None
        try:
            value = await self._client.get(key)  # type: ignore[union-attr]
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None
        self._ok()
        return value

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        if not self._available():
            return
        try:
            await self._client.set(key, value, ex=ttl)  # type: ignore[union-attr]
        except (RedisError, OSError) as exc:
            self._failed(exc)

    async def delete(self, *keys: str) -> None:
        # Invalidation must not be skipped while the breaker is open: try anyway, Redis may be back.
        if self._client is None or not keys:
            return
        try:
            await self._client.delete(*keys)
        except (RedisError, OSError) as exc:
            self._failed(exc)
