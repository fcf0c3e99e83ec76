"""Cache tier in front of the store: Redis when configured, in-process otherwise. Key builders live in `keys`."""

from ocpi_engine.cache.base import Cache
from ocpi_engine.cache.factory import open_cache
from ocpi_engine.cache.memory import MemoryCache

__all__ = ["Cache", "MemoryCache", "open_cache"]
