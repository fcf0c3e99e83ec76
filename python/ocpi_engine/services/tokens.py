"""Tokens use cases (tokens.md): stored tokens behind the cache tier, the eMSP's real-time authorization of
its own tokens, and the CPO's decision when a driver presents a token at a charger.

Cache coherence: every write goes to the store first, then overwrites the cache entry (write-through); a
reader that missed fills the cache only if no writer got there first (`set_if_absent`). So once a write is
accepted, no reader sees the older value (an ALLOWED after a BLOCKED), across workers and hosts sharing
Redis. Cache values are the token's OCPI JSON, which responses splice in as is.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from ocpi_engine.cache import keys
from ocpi_engine.cache.base import Cache
from ocpi_engine.clients.ocpi import OcpiClient
from ocpi_engine.errors import (
    ClientApiError,
    InvalidParametersError,
    NotFoundError,
    UnknownTokenError,
)
from ocpi_engine.models._base import normalize_datetime
from ocpi_engine.randomness import random_hex
from ocpi_engine.models.v221.tokens import (
    AllowedType,
    AuthorizationInfo,
    LocationReferences,
    Token,
    TokenPatch,
    WhitelistType,
    token_decoder,
)
from ocpi_engine.services.importer import Importer, register_importer
from ocpi_engine.services.sync import enqueue_push
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ANY, ObjectRecord, PartnerRecord, Store

__all__ = ["MODULE", "TokenService", "Decision", "record_id"]

MODULE = "tokens"
_encoder = msgspec.json.Encoder(decimal_format="number")


def record_id(uid: str, type_: str) -> str:
    """Store id of a token: uid and type together identify it (the same uid may exist with two types)."""
    return f"{uid}\t{type_}"


class Decision(msgspec.Struct, kw_only=True):
    """A CPO's authorization decision for a presented token."""

    allowed: AllowedType
    source: str
    """whitelist (decided from the stored token), real-time (the eMSP answered), fallback (eMSP unreachable),
    unknown (no such token pushed to us)."""
    reason: str = ""
    token: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    authorization_reference: str | None = None
    partner_id: int | None = None


class TokenService:
    def __init__(self, settings: Settings, store: Store, cache: Cache, client: OcpiClient) -> None:
        self.settings = settings
        self.store = store
        self.cache = cache
        self.client = client
        self.push_wake: asyncio.Event | None = None
        """Set by the app: wakes its push worker after a write of our own tokens."""

    # -- storage through the cache -----------------------------------------------------------------
    async def get(self, country_code: str, party_id: str, uid: str, type_: str) -> bytes | None:
        """The stored token JSON, or None. One cache read on a hit."""
        key = keys.token(country_code, party_id, type_, uid)
        body = await self.cache.get(key)
        if body is not None:
            return body
        record = await self.store.get_object(MODULE, country_code, party_id, record_id(uid, type_))
        if record is None:
            return None
        await self.cache.set_if_absent(key, record.body, self.settings.cache_ttl)
        return record.body

    async def put(self, token: Token, *, partner_id: int | None) -> bool:
        """Create or replace; True when new. Store first, then the cache (write-through). Our own tokens
        (`partner_id` None) are queued for push to every receiving partner in the same store transaction."""
        body = _encoder.encode(token)
        record = self._record(token, body, partner_id)
        if partner_id is None:
            created = await enqueue_push(self.store, MODULE, [record], wake=self.push_wake) > 0
        else:
            created = await self.store.put_object(record)
        await self.cache.set(keys.token(token.country_code, token.party_id, token.type, token.uid), body,
                             self.settings.cache_ttl)
        return created

    async def put_many(self, records: list[ObjectRecord]) -> None:
        """Refresh the cache after a bulk write (import)."""
        await self.cache.set_many(_cache_items(records), self.settings.cache_ttl)

    async def patch(self, country_code: str, party_id: str, uid: str, type_: str, patch: TokenPatch, *,
                    partner_id: int | None) -> Token:
        """Merge a PATCH into the stored token (read from the store, not the cache), validate, write. A partner's
        PATCH is merged and written in one store transaction (concurrent PATCHes never lose each other's fields)."""

        def merge(record: ObjectRecord | None) -> Token:
            if record is None or (partner_id is None and record.partner_id is not None):
                raise NotFoundError(f"unknown token {uid} ({type_}): PUT it first")
            merged = msgspec.json.decode(record.body)
            merged.update(msgspec.to_builtins(patch))
            try:
                token = msgspec.convert(merged, Token)
            except msgspec.ValidationError as exc:
                from ocpi_engine.api.bodies import validation_error

                raise validation_error(exc) from exc
            if (token.uid.upper(), token.type, token.country_code, token.party_id) != (
                uid.upper(), type_, country_code.upper(), party_id.upper()
            ):
                raise InvalidParametersError(
                    "a PATCH cannot change country_code, party_id, uid or type; PUT the token under its new URL",
                    field="uid",
                )
            return token

        if partner_id is None:  # our own token: written with its pushes (enqueue_push's transaction)
            record = await self.store.get_object(MODULE, country_code, party_id, record_id(uid, type_))
            token = merge(record)
            await self.put(token, partner_id=None)
            return token
        written: list[Token] = []

        def change(record: ObjectRecord | None) -> ObjectRecord:
            token = merge(record)
            written.append(token)
            return self._record(token, _encoder.encode(token), partner_id)

        await self.store.update_object(MODULE, country_code.upper(), party_id.upper(), record_id(uid, type_), change)
        token = written[-1]
        await self.cache.set(keys.token(token.country_code, token.party_id, token.type, token.uid),
                             _encoder.encode(token), self.settings.cache_ttl)
        return token

    @staticmethod
    def _record(token: Token, body: bytes, partner_id: int | None) -> ObjectRecord:
        return ObjectRecord(
            module=MODULE, country_code=token.country_code.upper(), party_id=token.party_id.upper(),
            id=record_id(token.uid, token.type), last_updated=normalize_datetime(token.last_updated), body=body,
            partner_id=partner_id,
        )

    # -- eMSP: real-time authorization of our own tokens ---------------------------------------------
    async def authorize_own(self, uid: str, type_: str, location: LocationReferences | None) -> AuthorizationInfo:
        """The eMSP's answer for one of its own tokens. Unknown: UnknownTokenError (404 + 2004)."""
        body = await self.get(self.settings.country_code, self.settings.party_id, uid, type_)
        if body is None:
            raise UnknownTokenError(f"unknown token {uid} ({type_})", field="token_uid")
        token = token_decoder.decode(body)
        allowed = AllowedType.ALLOWED if token.valid else AllowedType.BLOCKED
        # Location data (opening hours, EVSE status) may be stale: the spec forbids rejecting on it, so an
        # allowed token is allowed at every EVSE the CPO named.
        return AuthorizationInfo(
            allowed=allowed,
            token=token,
            location=location if allowed == AllowedType.ALLOWED else None,
            authorization_reference=random_hex(12) if allowed == AllowedType.ALLOWED else None,
        )

    # -- CPO: a driver presents a token at a charger ---------------------------------------------------
    async def decide(self, uid: str, type_: str, location: LocationReferences | None = None) -> Decision:
        """Apply the token's whitelist type, asking the owning eMSP in real time where it requires."""
        records = [r for r in await self.store.find_objects(MODULE, record_id(uid, type_), partner_id=ANY)
                   if r.partner_id is not None]
        if not records:
            return Decision(allowed=AllowedType.NOT_ALLOWED, source="unknown",
                            reason=f"no eMSP has pushed token {uid} ({type_}) to us")
        record = records[-1]
        token = token_decoder.decode(record.body)
        local = AllowedType.ALLOWED if token.valid else AllowedType.BLOCKED
        base = {"token": msgspec.to_builtins(token), "partner_id": record.partner_id}
        location_dict = msgspec.to_builtins(location) if location is not None else None
        if token.whitelist in (WhitelistType.ALWAYS, WhitelistType.ALLOWED):
            return Decision(allowed=local, source="whitelist", location=location_dict if local == "ALLOWED" else None,
                            reason=f"whitelist {token.whitelist}", **base)
        partner = await self.store.get_partner(record.partner_id or 0)
        try:
            info = await self._ask_emsp(partner, uid, type_, location)
        except ClientApiError as exc:
            if token.whitelist == WhitelistType.ALLOWED_OFFLINE:
                return Decision(allowed=AllowedType.ALLOWED, source="fallback",
                                reason=f"eMSP unreachable ({exc.message}); ALLOWED_OFFLINE accepts", location=location_dict,
                                **base)
            return Decision(allowed=AllowedType.NOT_ALLOWED, source="fallback",
                            reason=f"eMSP unreachable ({exc.message}); whitelist NEVER needs its answer", **base)
        return Decision(allowed=AllowedType(info["allowed"]), source="real-time", reason="answered by the eMSP",
                        location=info.get("location"), authorization_reference=info.get("authorization_reference"),
                        **base)

    async def _ask_emsp(self, partner: PartnerRecord | None, uid: str, type_: str,
                        location: LocationReferences | None) -> dict[str, Any]:
        if partner is None or partner.status != "REGISTERED" or not partner.outbound_token:
            raise ClientApiError("the token's eMSP is not a registered partner")
        url = partner.endpoint("tokens", "SENDER")
        if url is None:
            raise ClientApiError(f"partner {partner.id} publishes no tokens SENDER endpoint")
        reply = await self.client.request(
            "POST", f"{url.rstrip('/')}/{uid}/authorize", token=partner.outbound_token, version=partner.version,
            auth_mode=partner.outbound_auth, params={"type": type_},
            body=msgspec.to_builtins(location) if location is not None else None,
            timeout=self.settings.authorize_timeout,
        )
        if reply.http_status == 404 or reply.status_code == 2004:
            return {"allowed": AllowedType.NOT_ALLOWED}
        if reply.status_code != 1000 or not isinstance(reply.data, dict) or "allowed" not in reply.data:
            raise ClientApiError(f"the eMSP answered HTTP {reply.http_status} OCPI {reply.status_code}")
        if reply.data["allowed"] not in AllowedType.__members__:
            raise ClientApiError(f"the eMSP answered an unknown AllowedType {reply.data['allowed']!r}")
        return reply.data

    async def warm(self) -> int:
        """Fill the cache with every stored token (start-up); returns how many."""
        count = 0
        cursor: int | None = None
        while True:
            mark = self.cache.mark()
            page = await self.store.list_objects(MODULE, after_seq=cursor, limit=1000)
            await self.cache.fill_many(_cache_items(page.items), self.settings.cache_ttl, mark)
            count += len(page.items)
            if page.next_cursor is None:
                return count
            cursor = page.next_cursor


def _cache_items(records: list[ObjectRecord]) -> list[tuple[str, bytes]]:
    """(cache key, stored JSON) of token records, for bulk cache writes."""
    items = []
    for record in records:
        token = token_decoder.decode(record.body)
        items.append((keys.token(token.country_code, token.party_id, token.type, token.uid), record.body))
    return items


def _import_record(line: bytes, settings: Settings) -> ObjectRecord:
    """The platform's own tokens (it is the eMSP): validated like a PUT, and owned by our party."""
    from ocpi_engine.api.bodies import decode_body

    token = decode_body(line, Token, decoder=token_decoder)
    if (token.country_code.upper(), token.party_id.upper()) != (settings.country_code, settings.party_id):
        raise InvalidParametersError(
            f"token {token.uid} belongs to {token.country_code}/{token.party_id}, not to this platform "
            f"({settings.country_code}/{settings.party_id})", field="country_code")
    return TokenService._record(token, _encoder.encode(token), None)


async def _after_import(context: Any, records: list[ObjectRecord]) -> None:
    service = TokenService(context.settings, context.store, context.cache, context.client)
    await service.put_many(records)


register_importer(Importer(kind="tokens", to_record=_import_record, after_write=_after_import,
                           description="the platform's own (eMSP) driver tokens, OCPI 2.2.1 Token objects"))
