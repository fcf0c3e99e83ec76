"""The Cache protocol: a bytes key/value store with TTLs. Values are msgpack-encoded by the callers' codecs."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Cache"]


class Cache(Protocol):
    """Never raises for backend trouble: a failing backend behaves like a miss (callers fall back to the store)."""

    name: str

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> bool: ...
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl: int) -> None: ...
    async def delete(self, *keys: str) -> None: ...
