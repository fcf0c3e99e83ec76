"""Partners: token issuing, hashing and authentication through the cache tier in front of the store."""

from __future__ import annotations

import hashlib
import secrets
import string

import msgspec

from ocpi_engine.cache import keys
from ocpi_engine.cache.base import Cache
from ocpi_engine.storage.base import PartnerRecord, Store

__all__ = ["PartnerDirectory", "new_token", "token_hash"]

_partner_codec_enc = msgspec.msgpack.Encoder()
_partner_codec_dec = msgspec.msgpack.Decoder(PartnerRecord)


_ALPHABET = string.ascii_letters + string.digits


def new_token() -> str:
    """A fresh credentials token: 43 letters and digits (over 256 bits), safe in headers, URLs and shells."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(43))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PartnerDirectory:
    """Looks partners up by the token they present (cache first, then store) and keeps the cache coherent."""

    def __init__(self, store: Store, cache: Cache, *, ttl: int = 3600) -> None:
        self.store = store
        self.cache = cache
        self.ttl = ttl
        # cached bytes -> record, for read-only hot paths; keyed by the bytes themselves, so a changed partner (new
        # bytes in the cache) is never served from here
        self._decoded: dict[bytes, PartnerRecord] = {}
        self._keys: dict[str, str] = {}  # presented token -> its cache key (a SHA-256 per request saved)

    async def authenticate(self, token: str, *, shared: bool = False) -> PartnerRecord | None:
        """The partner presenting `token`, or None. With `shared`, a read-only caller (a hot path) may get a record
        decoded earlier from the same cached bytes instead of a fresh one it could modify."""
        key = self._keys.get(token)
        if key is None:
            digest = token_hash(token)
            key = keys.partner_by_token(digest)
            if len(self._keys) >= 1024:
                self._keys.clear()
            self._keys[token] = key
        else:
            digest = key.rpartition(":")[2]
        cached = await self.cache.get(key)
        if cached is not None:
            if shared:
                found = self._decoded.get(cached)
                if found is not None:
                    return found
            try:
                decoded: PartnerRecord = _partner_codec_dec.decode(cached)
            except msgspec.DecodeError:
                await self.cache.delete(key)
            else:
                if shared:
                    if len(self._decoded) >= 256:
                        self._decoded.clear()
                    self._decoded[cached] = decoded
                return decoded
        partner = await self.store.find_partner_by_token_hash(digest)
        if partner is not None and partner.status != "UNREGISTERED":
            await self.cache.set(key, _partner_codec_enc.encode(partner), self.ttl)
            return partner
        return None

    async def invalidate(self, *partners: PartnerRecord | None) -> None:
        """Drop every cached entry of these partners (call after each write, with the old and new records)."""
        cache_keys = []
        for partner in partners:
            if partner is None:
                continue
            for digest in (partner.incoming_token_hash, partner.next_token_hash):
                if digest:
                    cache_keys.append(keys.partner_by_token(digest))
        if cache_keys:
            await self.cache.delete(*cache_keys)

    async def save(
        self, partner: PartnerRecord, *, previous: PartnerRecord | None = None, only_if_unchanged: bool = False
    ) -> bool:
        """Write the partner, then invalidate the old and new cache entries (store first: no stale reads after).

        With `only_if_unchanged`, write only if the stored token is still `previous`'s (a concurrent registration or
        update with the same token lost nothing and wins nothing twice); False when not written."""
        guard = previous.incoming_token_hash if only_if_unchanged and previous is not None else None
        written = await self.store.update_partner(partner, only_if_token_hash=guard)
        await self.invalidate(previous, partner)
        return written
