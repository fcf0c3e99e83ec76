"""In-process cache: the embedded default (one worker). Bounded in size, entries expire after their TTL."""

from __future__ import annotations

import time
from collections import OrderedDict

from ocpi_engine.cache.base import spread

__all__ = ["MemoryCache", "NullCache"]


class MemoryCache:
    name = "memory"

    def __init__(self, max_entries: int = 200_000) -> None:
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        self._data.clear()

    async def ping(self) -> bool:
        return True

    async def get(self, key: str) -> bytes | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            self._data.pop(key, None)
            return None
        return value

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        self._data[key] = (time.monotonic() + spread(ttl), value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    async def set_if_absent(self, key: str, value: bytes, ttl: int) -> None:
        if await self.get(key) is None:
            await self.set(key, value, ttl)

    async def set_many(self, items: list[tuple[str, bytes]], ttl: int) -> None:
        for key, value in items:
            await self.set(key, value, ttl)

    def mark(self) -> int:
        return 0

    async def fill_many(self, items: list[tuple[str, bytes]], ttl: int, mark: int) -> None:
        for key, value in items:
            await self.set_if_absent(key, value, ttl)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._data.pop(key, None)


class NullCache:
    """No cache at all (`OCPI_ENGINE_CACHE=none`): every read goes to the store. For measurements and debugging."""

    name = "none"

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def get(self, key: str) -> bytes | None:
        return None

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        return None

    async def set_if_absent(self, key: str, value: bytes, ttl: int) -> None:
        return None

    async def set_many(self, items: list[tuple[str, bytes]], ttl: int) -> None:
        return None

    def mark(self) -> int:
        return 0

    async def fill_many(self, items: list[tuple[str, bytes]], ttl: int, mark: int) -> None:
        return None

    async def delete(self, *keys: str) -> None:
        return None
