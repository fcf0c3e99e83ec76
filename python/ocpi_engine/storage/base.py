"""The Store protocol every backend implements, and the records it returns.

Module objects (locations, tariffs, tokens, sessions, cdrs, ...) are stored as pre-encoded OCPI JSON
(`body`, canonical 2.2.1 form) keyed by (module, country_code, party_id, id); `last_updated` is kept in
a sortable canonical form for date-filtered listing, `seq` orders objects by creation for stable paging.
`partner_id` is None for our own objects and the writing partner's id for objects a partner pushed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import msgspec

__all__ = ["ObjectRecord", "Page", "PartnerRecord", "Store", "OWN", "ANY"]


class _Own:
    def __repr__(self) -> str:
        return "OWN"


class _Any:
    def __repr__(self) -> str:
        return "ANY"


OWN: Any = _Own()
"""`partner_id` filter meaning: objects the platform owns itself (partner_id IS NULL)."""
ANY: Any = _Any()
"""`partner_id` filter meaning: no filter on who wrote the object."""


class ObjectRecord(msgspec.Struct, frozen=True, kw_only=True):
    module: str
    country_code: str
    party_id: str
    id: str
    last_updated: str
    """Canonical `YYYY-MM-DDTHH:MM:SS.ffffffZ` (see models._base.normalize_datetime)."""
    body: bytes
    """The object's OCPI JSON (2.2.1 form), ready to be written into a response."""
    partner_id: int | None = None
    seq: int = 0


class Page(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ObjectRecord]
    total: int
    """Objects matching the filters (ignoring offset/limit): X-Total-Count."""
    next_cursor: int | None
    """Keyset cursor (last seq) when more objects follow, else None."""


class PartnerRecord(msgspec.Struct, kw_only=True):
    """A platform we are connected to (or that holds a Token A to register with us)."""

    id: int
    name: str
    status: str
    """PENDING (holds a Token A), REGISTERED, or UNREGISTERED."""
    token_kind: str
    """A: a registration token (versions and credentials only): the Token A we handed out, or the Token B of a
    registration we are running towards the partner. C: a registered partner's token (every endpoint)."""
    incoming_token_hash: str | None = None
    """SHA-256 of the token the partner presents to us (the token itself is never stored)."""
    next_token_hash: str | None = None
    """SHA-256 of a token being handed out in a running credentials update; accepted alongside the current one."""
    outbound_token: str | None = None
    """The token we present to the partner."""
    versions_url: str | None = None
    version: str | None = None
    endpoints: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    """CredentialsRole objects in 2.2.1 form (2.1.1 partners: one role built from their credentials)."""
    outbound_auth: str = "auto"
    """How we encode our token towards them: base64, raw, or auto (base64 for 2.2.1, raw for 2.1.1)."""
    created: str = ""
    updated: str = ""

    def parties(self) -> set[tuple[str, str]]:
        """The (country_code, party_id) pairs this partner may own objects under (upper case)."""
        return {(str(r["country_code"]).upper(), str(r["party_id"]).upper()) for r in self.roles}

    def endpoint(self, identifier: str, role: str | None = None) -> str | None:
        """URL of the partner's endpoint for a module (and 2.2.1 interface role), if it has one."""
        for ep in self.endpoints:
            if ep.get("identifier") == identifier and (role is None or ep.get("role") in (None, role)):
                return str(ep["url"])
        return None


class Store(Protocol):
    """Async persistence interface. Callers never see SQL; a PostgreSQL backend implements the same methods."""

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> bool: ...

    # -- module objects ---------------------------------------------------------------------------
    async def get_object(self, module: str, country_code: str, party_id: str, id: str) -> ObjectRecord | None: ...
    async def put_object(self, record: ObjectRecord) -> bool:
        """Insert or replace; returns True when the object was newly created. Creation order (seq) is kept."""
        ...
    async def put_objects(self, records: Iterable[ObjectRecord]) -> int:
        """Insert or replace many in one transaction (all or nothing); returns how many were created."""
        ...
    async def find_objects(self, module: str, id: str, *, partner_id: Any = ANY) -> list[ObjectRecord]:
        """Objects of a module with this id under any owner party (oldest first)."""
        ...
    async def delete_object(self, module: str, country_code: str, party_id: str, id: str) -> bool: ...
    async def list_objects(
        self,
        module: str,
        *,
        partner_id: Any = ANY,
        parties: Sequence[tuple[str, str]] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        offset: int = 0,
        after_seq: int | None = None,
        limit: int = 100,
    ) -> Page:
        """Objects of a module ordered by creation, filtered by writer, owner parties and last_updated window.

        `after_seq` (keyset) takes precedence over `offset`; dates are canonical strings, from inclusive, to exclusive.
        """
        ...

    # -- partners ---------------------------------------------------------------------------------
    async def create_partner(self, partner: PartnerRecord) -> PartnerRecord: ...
    async def update_partner(self, partner: PartnerRecord, *, only_if_token_hash: str | None = None) -> bool:
        """Write the partner; with `only_if_token_hash`, only while its stored incoming token hash still equals it
        (compare-and-set: two concurrent registrations with one Token A cannot both win). True when written."""
        ...
    async def get_partner(self, partner_id: int) -> PartnerRecord | None: ...
    async def find_partner_by_token_hash(self, token_hash: str) -> PartnerRecord | None: ...
    async def list_partners(self) -> list[PartnerRecord]: ...
    async def delete_partner(self, partner_id: int) -> bool: ...

    # -- platform key/value (generated admin token, sync watermarks, ...) --------------------------
    async def get_meta(self, key: str) -> str | None: ...
    async def set_meta(self, key: str, value: str) -> None: ...
