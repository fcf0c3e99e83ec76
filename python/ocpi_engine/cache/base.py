"""The Cache protocol: a bytes key/value store with TTLs. Values are msgpack-encoded by the callers' codecs."""

from __future__ import annotations

import random
from typing import Protocol

__all__ = ["Cache", "spread"]


def spread(ttl: float) -> float:
    """A TTL shortened by up to a tenth, at random: entries filled together (start-up warming, a bulk import)
    then expire over a stretch of time instead of in one instant, when every read would miss at once."""
    return ttl * (1.0 - 0.1 * random.random())


class Cache(Protocol):
    """Never raises for backend trouble: a failing backend behaves like a miss (callers fall back to the store)."""

    name: str

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> bool: ...
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl: int) -> None: ...
    async def set_if_absent(self, key: str, value: bytes, ttl: int) -> None:
        """Fill after a miss: never overwrites a value a writer stored meanwhile (no stale refill)."""
        ...
    async def set_many(self, items: list[tuple[str, bytes]], ttl: int) -> None:
        """Write many entries (bulk import, start-up warming): one pipelined round trip per batch."""
        ...
    def mark(self) -> int:
        """A marker taken before reading the store for a `fill_many` (see there)."""
        ...
    async def fill_many(self, items: list[tuple[str, bytes]], ttl: int, mark: int) -> None:
        """Fill after reading the store (start-up warming): like `set_if_absent` per entry; an in-process tier
        keeps them too unless some invalidation arrived since `mark` (the store read may then be older)."""
        ...
    async def delete(self, *keys: str) -> None: ...
