"""Build the cache named by the settings."""

from __future__ import annotations

import hashlib
import logging
import os

from ocpi_engine.cache.base import Cache
from ocpi_engine.cache.memory import MemoryCache
from ocpi_engine.settings import Settings

log = logging.getLogger("ocpi_engine.cache")


def cache_namespace(settings: Settings) -> str:
    """Redis key prefix of one platform: its party and its store, so two platforms sharing a Redis (staging and
    production, or two test servers) never authenticate each other's tokens. Every process of one platform
    shares the same settings, hence the same prefix."""
    database = settings.database_url
    path = settings.sqlite_path()
    if path and path != ":memory:":
        database = "sqlite:" + os.path.abspath(path)
    digest = hashlib.sha256(f"{settings.country_code}*{settings.party_id}|{database}".encode()).hexdigest()
    return f"{digest[:16]}:"


def open_cache(settings: Settings) -> Cache:
    if settings.cache == "none":
        from ocpi_engine.cache.memory import NullCache

        return NullCache()
    if settings.redis_url:
        from ocpi_engine.cache.redis import RedisCache

        remote = RedisCache(settings.redis_url, namespace=cache_namespace(settings), timeout=settings.redis_timeout)
        if settings.cache == "redis" or not settings.redis_url.startswith("redis://"):
            return remote
        from ocpi_engine.cache.tiered import TieredCache

        return TieredCache(remote, settings.redis_url, namespace=cache_namespace(settings))
    if settings.workers > 1:
        # An in-process cache per worker would keep serving a rotated or revoked token from the workers that
        # did not handle the change; without Redis every lookup reads the store.
        log.warning("%d workers without OCPI_ENGINE_REDIS_URL: token lookups read the store (no cache)",
                    settings.workers)
        return MemoryCache(max_entries=0)
    return MemoryCache()
