"""Build the cache named by the settings."""

from __future__ import annotations

from ocpi_engine.cache.base import Cache
from ocpi_engine.cache.memory import MemoryCache
from ocpi_engine.settings import Settings


def open_cache(settings: Settings) -> Cache:
    if settings.redis_url:
        from ocpi_engine.cache.redis import RedisCache

        return RedisCache(settings.redis_url)
    return MemoryCache()
