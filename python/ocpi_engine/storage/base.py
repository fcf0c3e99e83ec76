"""The Store protocol every backend implements, and the records it returns.

Module objects (locations, tariffs, tokens, sessions, cdrs, ...) are stored as pre-encoded OCPI JSON
(`body`, canonical 2.2.1 form) keyed by (module, country_code, party_id, id); `last_updated` is kept in
a sortable canonical form for date-filtered listing, `seq` orders objects by creation for stable paging.
`partner_id` is None for our own objects and the writing partner's id for objects a partner pushed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import msgspec

__all__ = ["ObjectRecord", "Page", "PartnerRecord", "Store", "OWN", "ANY", "OutboxEntry", "OutboxStats", "MergeResult"]


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
    bodies: list[bytes] = []
    """With `list_objects(..., bodies_only=True)`: the objects' bodies in order, and `items` stays empty (a list
    response splices these bytes and needs nothing else)."""


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


class OutboxEntry(msgspec.Struct, kw_only=True):
    """One push waiting for a partner (durable outbox). Entries of one object go out in `seq` order."""

    partner_id: int
    module: str
    country_code: str
    party_id: str
    object_id: str
    """Store id of the object (the order key is partner, module, country_code, party_id, object_id)."""
    sub_path: str = ""
    """Part of the object addressed: "" the whole object, `EVSE1` or `EVSE1/2` for a location's EVSE or connector."""
    method: str
    """PUT, PATCH, POST or DELETE."""
    path: str
    """Relative to the partner's module endpoint: `/NL/OCE/LOC1/EVSE1`, `/NL/OCE/T1?type=RFID`, or "" (POST)."""
    body: bytes | None = None
    attempts: int = 0
    next_attempt_at: float = 0.0
    """Unix time before which the entry is not sent (backoff, Retry-After)."""
    state: str = "PENDING"
    """PENDING (waiting or in flight) or DEAD (refused for good: a permanent 4xx or OCPI 2xxx; kept for `sync status`)."""
    last_error: str | None = None
    created: str = ""
    seq: int = 0


class OutboxStats(msgspec.Struct, kw_only=True):
    partner_id: int
    pending: int
    dead: int
    oldest_created: str | None
    next_attempt_at: float | None
    max_attempts: int
    last_error: str | None


class MergeResult(msgspec.Struct, kw_only=True):
    written: int = 0
    """Objects created or replaced."""
    created: int = 0
    older: int = 0
    """Skipped: the stored copy has a newer last_updated."""
    refused: int = 0
    """Skipped: the key belongs to another writer (our own object, or another partner's)."""


class ReconciliationRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The eMSP's re-pricing of one received CDR (services.cdrs): `status` ok, discrepancy or unpriced; `body` the
    JSON report (stated and computed totals, differences, tariff source, message)."""

    partner_id: int | None
    country_code: str
    party_id: str
    cdr_id: str
    status: str
    body: bytes
    created: str = ""
    seq: int = 0


__all__ += ["ReconciliationRecord"]


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
        token_parties: Sequence[tuple[str, str]] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        offset: int = 0,
        after_seq: int | None = None,
        limit: int = 100,
        bodies_only: bool = False,
    ) -> Page:
        """Objects of a module ordered by creation, filtered by writer, owner parties and last_updated window.

        `token_parties`: only sessions and CDRs whose `cdr_token` belongs to one of these (country_code, party_id)
        pairs (the eMSP the object is for; an empty sequence matches nothing). `after_seq` (keyset) takes
        precedence over `offset`; dates are canonical strings, from inclusive, to exclusive. `bodies_only`: fill
        `Page.bodies` instead of `Page.items` (cheaper: a list page needs only the stored JSON).
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

    # -- partner sync: durable outbox and pulled objects ------------------------------------------------
    async def put_objects_with_outbox(self, records: Iterable[ObjectRecord], entries: Iterable[OutboxEntry]) -> int:
        """Write objects and enqueue their pushes in one transaction (all or nothing); returns objects created."""
        ...
    async def enqueue_outbox(self, entries: Iterable[OutboxEntry]) -> int:
        """Append entries (coalescing: a whole-object PUT replaces the object's waiting entries, a PUT to the same
        path as the object's last waiting entry replaces its body). Returns how many rows were added or replaced."""
        ...
    async def claim_outbox(self, partner_id: int, *, now: float, lease_until: float, owner: str,
                           limit: int) -> list[OutboxEntry]:
        """Lease up to `limit` due entries, each the oldest waiting entry of its object, not leased by anyone."""
        ...
    async def finish_outbox(self, seq: int) -> None:
        """The partner accepted the entry: remove it."""
        ...
    async def retry_outbox(self, seq: int, *, next_attempt_at: float, error: str) -> None:
        """Count a failed attempt, release the lease, wait until `next_attempt_at`."""
        ...
    async def kill_outbox(self, seq: int, *, error: str) -> None:
        """Dead-letter an entry (kept, shown by `sync status`, later entries of the object proceed)."""
        ...
    async def defer_outbox(self, partner_id: int, until: float) -> None:
        """No entry of this partner goes out before `until` (a 429 Retry-After applies to the whole partner)."""
        ...
    async def outbox_next_due(self, partner_id: int) -> float | None:
        """When the partner's next waiting entry can go (max of backoff and lease), None when nothing waits."""
        ...
    async def outbox_lease_owners(self) -> list[str]: ...
    async def release_outbox_leases(self, owner: str) -> int:
        """Release the leases of a worker that is gone (its entries can be sent again at once)."""
        ...
    async def outbox_stats(self) -> list[OutboxStats]: ...
    async def list_outbox(self, *, partner_id: int | None = None, state: str | None = None,
                          limit: int = 100) -> list[OutboxEntry]: ...
    async def requeue_outbox(self, *, partner_id: int | None = None) -> int:
        """Dead letters back to PENDING (after fixing the cause); returns how many."""
        ...
    async def merge_objects(self, records: Iterable[ObjectRecord]) -> MergeResult:
        """Pulled objects, one transaction: written unless the stored copy is newer (last_updated) or belongs to
        another writer (partner_id)."""
        ...

    # -- atomic read-modify-write of one object ------------------------------------------------------------
    def change_mark(self) -> object | None:
        """An opaque value that changes whenever any object may have changed (a write by this or any other
        connection or process); None when that cannot be told (e.g. inside an open transaction). Callers keep
        derived results (list pages) while it stays the same."""
        ...

    async def update_object(
        self, module: str, country_code: str, party_id: str, id: str,
        change: Callable[[ObjectRecord | None], ObjectRecord | None],
    ) -> ObjectRecord | None:
        """Read, change and write one object in one write transaction, so concurrent updates (other tasks or
        processes) never lose each other's changes. `change` gets the stored record (None when absent) and returns
        the record to write, or None to write nothing; an exception from it rolls back and propagates. Returns
        the record written (None when nothing was)."""
        ...

    # -- CDR reconciliation records (services.cdrs) ----------------------------------------------------
    async def add_reconciliation(self, record: ReconciliationRecord) -> int:
        """Append one record; returns its seq."""
        ...
    async def list_reconciliations(self, *, statuses: Sequence[str] | None = None, after_seq: int = 0,
                                   limit: int = 100) -> list[ReconciliationRecord]:
        """Records after `after_seq` (keyset), oldest first, optionally only some statuses."""
        ...
