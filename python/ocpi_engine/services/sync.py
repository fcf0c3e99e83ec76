"""Partner sync, the module side: which modules sync, how their objects are addressed, and the push fan-out.

One `SyncModule` per OCPI module says who owns its objects (CPO for locations, tariffs, sessions, cdrs; eMSP
for tokens), how an object's key and Receiver URL are built, how a pulled object is validated (the module's
2.2.1 msgspec decoder when the models module exists, else "a JSON object with its key fields") and what a full
pull does with objects the partner stopped sending.

Push: `plan_push` turns a change of our own objects into outbox entries for every registered partner that has
the module's Receiver endpoint (2.2.1: role RECEIVER; 2.1.1: a partner whose role receives the module, OTHER
counting as an eMSP as in broadcast push); a session or CDR goes only to the partner its token belongs to
(services/audience.py). `enqueue_push` writes the objects and those entries in one store
transaction, so an accepted change is never lost between the write and the push. The push worker
(`services/outbox.py`) sends them; pulls live in `services/pull.py`.

First push: a partner that registers after our objects were written got none of those pushes.
`enqueue_initial_push` queues, for that one partner, a whole-object push of every own object of every module it
receives (`initial_modules`: after a registration, or after a credentials update that changed the version or a
Receiver endpoint), read in pages of `INITIAL_PAGE` ids. Its entries carry no body: the worker sends the object
as stored when the entry goes out (`current_body`), so an object written meanwhile never reaches the partner in
an older state, whichever of its entries the outbox coalesces. Registration starts it in the background
(`run_initial_push`, never failing the credentials exchange); `ocpi-engine sync push --initial PARTNER` redoes it.

2.1.1 partners: a module with `downgrade_211` is pushed to them as whole objects in 2.1.1 form (PUT, or POST for
CDRs; no 2.2.1 diff ops), and a module with `upgrade_211` can be pulled from them, each object upgraded to 2.2.1
(owned by the partner's party) before it is validated and stored.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import msgspec

from ocpi_engine.services import audience
from ocpi_engine.storage.base import OWN, ObjectRecord, OutboxEntry, PartnerRecord, Store

__all__ = [
    "SYNC_MODULES",
    "SyncModule",
    "PushOp",
    "current_body",
    "enqueue_initial_push",
    "enqueue_push",
    "initial_modules",
    "run_initial_push",
    "plan_push",
    "push_targets",
    "pull_source",
    "meta_key",
]

log = logging.getLogger("ocpi_engine.sync")
_encoder = msgspec.json.Encoder(decimal_format="number")


class PushOp(msgspec.Struct, frozen=True):
    """One request that brings a receiver's copy of an object up to date."""

    method: str
    sub_path: tuple[str, ...] = ()
    """() the whole object; (evse_uid,) or (evse_uid, connector_id) for a location's EVSE or connector."""
    body: bytes | None = None


@dataclass(frozen=True)
class SyncModule:
    module: str
    owner_role: str
    """Party role owning the objects (pushes go from it, pulls go to it)."""
    receiver_roles: tuple[str, ...]
    """2.1.1 partner roles that receive the module (2.1.1 endpoints carry no interface role)."""
    models: tuple[str, str] | None = None
    """(module path, decoder name) of the 2.2.1 model, imported when it exists."""
    push_method: str = "PUT"
    retire: str = "keep"
    """What a full pull does with objects the partner no longer sends: `removed` (locations: every EVSE set to
    REMOVED, the spec's delete), `delete` (tariffs), `invalid` (tokens: valid=false), `keep` (sessions, cdrs)."""
    id_fields: tuple[str, ...] = ("id",)
    downgrade_211: Callable[[bytes], bytes] | None = None
    """Body conversion of a whole object for 2.1.1 receivers (they get whole-object requests only, never a 2.2.1
    diff's partial bodies); None: this module is not pushed to 2.1.1 partners."""
    upgrade_211: Callable[[bytes, str, str], bytes] | None = None
    """Body conversion of a pulled 2.1.1 object (with the owner's country_code, party_id)."""
    downgrade_211_with_store: Callable[[Store, bytes], Awaitable[bytes | None]] | None = None
    """Like `downgrade_211` for objects whose 2.1.1 form embeds others (a 2.1.1 Session carries its Location):
    the store is read; None from it: this object cannot be sent to 2.1.1 partners (logged)."""
    change_ops: Callable[[bytes, bytes], list[PushOp]] | None = None
    """The requests bringing a 2.2.1 receiver from the old body to the new one; None: the whole object again."""
    extra: dict[str, Any] = field(default_factory=dict)

    def object_id(self, obj: dict[str, Any]) -> str:
        if self.module == "tokens":
            return f"{obj['uid']}\t{obj.get('type') or 'RFID'}"
        return str(obj["id"])

    def path(self, country_code: str, party_id: str, object_id: str, sub_path: Sequence[str] = (),
             *, version: str | None = "2.2.1") -> str:
        """Receiver path of an object, relative to the partner's module endpoint."""
        if self.push_method == "POST":
            return ""
        query = ""
        if self.module == "tokens":
            object_id, _, kind = object_id.partition("\t")
            if version != "2.1.1":
                query = f"?type={quote(kind or 'RFID', safe='')}"
        parts = [country_code, party_id, object_id, *sub_path]
        return "/" + "/".join(quote(p, safe="") for p in parts) + query

    def decoder(self) -> Any:
        """The module's 2.2.1 msgspec decoder, or None while its models module does not exist."""
        if self.models is None:
            return None
        module_name, name = self.models
        try:
            return getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError):
            return None


def _token_downgrade(body: bytes) -> bytes:
    from ocpi_engine.models import downgrade
    from ocpi_engine.models.v221.tokens import token_decoder

    return _encoder.encode(downgrade.token(token_decoder.decode(body)))


def _token_upgrade(body: bytes, country_code: str, party_id: str) -> bytes:
    from ocpi_engine.models import upgrade
    from ocpi_engine.models.v211 import tokens as v211

    old = msgspec.json.decode(body, type=v211.Token)
    return _encoder.encode(upgrade.token(old, country_code=country_code, party_id=party_id))


def _location_downgrade(body: bytes) -> bytes:
    from ocpi_engine.models.locations_convert import downgrade_location
    from ocpi_engine.models.v221.locations import location_decoder

    return _encoder.encode(downgrade_location(location_decoder.decode(body)))


def _location_upgrade(body: bytes, country_code: str, party_id: str) -> bytes:
    from ocpi_engine.models.locations_convert import upgrade_location
    from ocpi_engine.models.v211.locations import location_decoder

    old = location_decoder.decode(body)
    return _encoder.encode(upgrade_location(old, country_code=country_code, party_id=party_id))


def _tariff_downgrade(body: bytes) -> bytes:
    from ocpi_engine.models.tariffs_convert import downgrade_tariff
    from ocpi_engine.models.v221.tariffs import tariff_decoder

    return _encoder.encode(downgrade_tariff(tariff_decoder.decode(body)))


def _tariff_upgrade(body: bytes, country_code: str, party_id: str) -> bytes:
    from ocpi_engine.models.tariffs_convert import upgrade_tariff
    from ocpi_engine.models.v211.tariffs import tariff_decoder

    old = tariff_decoder.decode(body)
    return _encoder.encode(upgrade_tariff(old, country_code=country_code, party_id=party_id))


async def _session_downgrade(store: Store, body: bytes) -> bytes | None:
    """A 2.1.1 Session embeds its Location (with only the session's EVSE and connector): ours, from the store."""
    from ocpi_engine.models.locations_convert import downgrade_location
    from ocpi_engine.models.sessions_convert import downgrade_session
    from ocpi_engine.models.v211.cdrs import Location as Location211
    from ocpi_engine.models.v221.locations import location_decoder
    from ocpi_engine.models.v221.sessions import session_decoder

    session = session_decoder.decode(body)
    stored = await store.get_object("locations", session.country_code, session.party_id, session.location_id)
    if stored is None:
        return None
    location = msgspec.to_builtins(downgrade_location(location_decoder.decode(stored.body)))
    evses = [e for e in location.get("evses") or [] if str(e.get("uid", "")).upper() == session.evse_uid.upper()]
    for evse in evses:
        evse["connectors"] = [c for c in evse.get("connectors") or []
                              if str(c.get("id", "")).upper() == session.connector_id.upper()]
    location["evses"] = evses
    return _encoder.encode(downgrade_session(session, msgspec.convert(location, Location211)))


def _cdr_downgrade(body: bytes) -> bytes:
    from ocpi_engine.models.sessions_convert import downgrade_cdr
    from ocpi_engine.models.v221.cdrs import cdr_decoder

    return _encoder.encode(downgrade_cdr(cdr_decoder.decode(body)))


_raw_fields = msgspec.json.Decoder(dict[str, msgspec.Raw])
_raw_items = msgspec.json.Decoder(list[msgspec.Raw])


def session_ops(old: bytes, new: bytes) -> list[PushOp]:
    """A change of one of our sessions as the Receiver's PATCH (sessions.md 2.2): the changed fields, the appended
    `charging_periods` only (the receiver appends them) and `last_updated`. A whole PUT when a PATCH cannot say it:
    a field removed, or stored periods changed or dropped (a PUT replaces the receiver's list).

    Fields are compared as their JSON text, so the PATCH carries numbers exactly as stored."""
    before, after = _raw_fields.decode(old), _raw_fields.decode(new)
    if before.keys() - after.keys():
        return [PushOp(method="PUT", body=new)]
    periods_before = _raw_items.decode(before["charging_periods"]) if "charging_periods" in before else []
    periods_after = _raw_items.decode(after["charging_periods"]) if "charging_periods" in after else []
    if periods_after[:len(periods_before)] != periods_before:
        return [PushOp(method="PUT", body=new)]
    changes: dict[str, Any] = {name: value for name, value in after.items()
                               if name != "charging_periods" and before.get(name) != value}
    if len(periods_after) > len(periods_before):
        changes["charging_periods"] = periods_after[len(periods_before):]
    changes["last_updated"] = after["last_updated"]
    return [PushOp(method="PATCH", body=msgspec.json.encode(changes))]


_CPO_DATA_RECEIVERS = ("EMSP", "NSP", "OTHER", "HUB")

SYNC_MODULES: dict[str, SyncModule] = {
    "locations": SyncModule("locations", "CPO", _CPO_DATA_RECEIVERS,
                            models=("ocpi_engine.models.v221.locations", "location_decoder"), retire="removed",
                            downgrade_211=_location_downgrade, upgrade_211=_location_upgrade),
    "tariffs": SyncModule("tariffs", "CPO", _CPO_DATA_RECEIVERS,
                          models=("ocpi_engine.models.v221.tariffs", "tariff_decoder"), retire="delete",
                          downgrade_211=_tariff_downgrade, upgrade_211=_tariff_upgrade),
    "sessions": SyncModule("sessions", "CPO", ("EMSP", "OTHER", "HUB", "SCSP"),
                           downgrade_211_with_store=_session_downgrade,
                           models=("ocpi_engine.models.v221.sessions", "session_decoder"), change_ops=session_ops),
    "cdrs": SyncModule("cdrs", "CPO", ("EMSP", "OTHER", "HUB"), models=("ocpi_engine.models.v221.cdrs", "cdr_decoder"),
                       push_method="POST", downgrade_211=_cdr_downgrade),
    "tokens": SyncModule("tokens", "EMSP", ("CPO", "HUB"), models=("ocpi_engine.models.v221.tokens", "token_decoder"),
                         retire="invalid", id_fields=("uid", "type"), downgrade_211=_token_downgrade,
                         upgrade_211=_token_upgrade),
}
"""Modules partner sync knows, one entry each."""


def meta_key(partner_id: int, module: str, what: str) -> str:
    """Store meta key of a partner's sync state: `watermark`, `last_pull`, `last_error`."""
    return f"sync:{partner_id}:{module}:{what}"


def _roles(partner: PartnerRecord) -> set[str]:
    return {str(r.get("role", "")).upper() for r in partner.roles}


def _endpoint(partner: PartnerRecord, module: str, role: str) -> str | None:
    for ep in partner.endpoints:
        if ep.get("identifier") == module and ep.get("role") == role:
            return str(ep["url"])
    return None


def push_target(partner: PartnerRecord, spec: SyncModule) -> str | None:
    """The partner's Receiver URL for the module, or None when we do not push it there."""
    if partner.status != "REGISTERED" or not partner.outbound_token:
        return None
    if partner.version == "2.1.1":
        if spec.downgrade_211 is None and spec.downgrade_211_with_store is None:
            return None
        if not _roles(partner) & set(spec.receiver_roles):
            return None
        return partner.endpoint(spec.module)
    return _endpoint(partner, spec.module, "RECEIVER")


def pull_source(partner: PartnerRecord, spec: SyncModule) -> str | None:
    """The partner's Sender URL for the module (2.2.1 role SENDER; 2.1.1 a partner owning such objects)."""
    if partner.version == "2.1.1":
        if not _roles(partner) & {spec.owner_role, "OTHER", "HUB"}:
            return None
        return partner.endpoint(spec.module)
    return _endpoint(partner, spec.module, "SENDER")


def push_targets(partners: Iterable[PartnerRecord], spec: SyncModule) -> list[PartnerRecord]:
    return [p for p in partners if push_target(p, spec) is not None]


def _location_ops(pairs: Sequence[tuple[bytes, bytes]]) -> dict[tuple[str, str, str], list[PushOp]] | None:
    """Minimal PUT/PATCH ops per location key for (old, new) body pairs, from one call of the Rust core's
    `diff_locations` over the two snapshots; None when the binding is not available (then whole PUTs)."""
    from ocpi_engine import _core

    diff = getattr(_core, "diff_locations", None)
    if diff is None or not pairs:
        return None
    old = b"[" + b",".join(o for o, _ in pairs) + b"]"
    new = b"[" + b",".join(n for _, n in pairs) + b"]"
    try:
        raw_ops = diff(old, new)
    except ValueError as exc:
        log.warning("diff_locations failed (%s); pushing whole locations", exc)
        return None
    grouped: dict[tuple[str, str, str], list[PushOp]] = {}
    for op in raw_ops:
        def field(name: str, op: Any = op) -> Any:
            return op.get(name) if isinstance(op, dict) else getattr(op, name, None)

        sub = tuple(str(v) for v in (field("evse_uid"), field("connector_id")) if v)
        body = field("body")
        if isinstance(body, str):
            body = body.encode()
        key = (str(field("country_code")).upper(), str(field("party_id")).upper(), str(field("location_id")).upper())
        method = str(field("method")).rpartition(".")[2].upper()  # "PATCH", or an enum's "Method.Patch"
        grouped.setdefault(key, []).append(PushOp(method=method, sub_path=sub, body=body))
    return grouped


def entries_for(spec: SyncModule, partner: PartnerRecord, record: ObjectRecord,
                ops: Sequence[PushOp], *, not_before: float = 0.0) -> list[OutboxEntry]:
    version = partner.version
    out: list[OutboxEntry] = []
    for op in ops:
        body = op.body
        if version == "2.1.1" and body is not None and spec.downgrade_211 is not None:
            try:
                body = spec.downgrade_211(body)
            except (ValueError, TypeError) as exc:  # one object 2.1.1 cannot hold must not stop the others' write
                log.warning("%s %s/%s/%s not pushed to 2.1.1 partner %s: %s", spec.module, record.country_code,
                            record.party_id, record.id, partner.id, exc)
                continue
        out.append(OutboxEntry(
            partner_id=partner.id, module=spec.module, country_code=record.country_code.upper(),
            party_id=record.party_id.upper(), object_id=record.id, sub_path="/".join(op.sub_path),
            method=op.method, path=spec.path(record.country_code.upper(), record.party_id.upper(), record.id,
                                             op.sub_path, version=version),
            body=body, next_attempt_at=not_before,
        ))
    return out


async def plan_push(store: Store, module: str, records: Sequence[ObjectRecord], *,
                    partners: Sequence[PartnerRecord] | None = None) -> list[OutboxEntry]:
    """Outbox entries pushing these (own) records to every partner receiving the module; call before the write
    (the stored copies are the previous state the diff starts from)."""
    spec = SYNC_MODULES.get(module)
    if spec is None:
        return []
    targets = push_targets(partners if partners is not None else await store.list_partners(), spec)
    if not targets:
        return []
    changes: list[tuple[ObjectRecord, ObjectRecord | None]] = []
    for record in records:
        if record.partner_id is not None:
            continue
        old = await store.get_object(module, record.country_code, record.party_id, record.id)
        if old is not None and old.body == record.body:
            continue
        changes.append((record, old if old is not None and old.partner_id is None else None))
    diffs = None
    if module == "locations":
        diffs = _location_ops([(old.body, record.body) for record, old in changes if old is not None])
    audiences: dict[int, frozenset[tuple[str, str]]] = {}
    if module in audience.MODULES:
        audiences = {p.id: await audience.partner_parties(store, p) for p in targets}
    entries: list[OutboxEntry] = []
    for record, old in changes:
        whole = [PushOp(method=spec.push_method, body=record.body)]
        ops = whole
        if diffs is not None and old is not None:
            ops = diffs.get((record.country_code.upper(), record.party_id.upper(), record.id.upper()), [])
        elif spec.change_ops is not None and old is not None:
            ops = spec.change_ops(old.body, record.body)
        body_211: bytes | None = None
        if spec.downgrade_211_with_store is not None and any(p.version == "2.1.1" for p in targets):
            try:
                body_211 = await spec.downgrade_211_with_store(store, record.body)
            except (ValueError, TypeError, msgspec.ValidationError) as exc:
                log.warning("%s %s/%s/%s cannot take its 2.1.1 form: %s", module, record.country_code,
                            record.party_id, record.id, exc)
        for partner in targets:
            if partner.id in audiences and not audience.visible(audiences[partner.id], module, record.body):
                continue
            if partner.version == "2.1.1" and spec.downgrade_211_with_store is not None:
                if body_211 is None:
                    log.warning("%s %s/%s/%s not pushed to 2.1.1 partner %s (its 2.1.1 form needs what we do not "
                                "hold, e.g. the location)", module, record.country_code, record.party_id, record.id,
                                partner.id)
                    continue
                entries.extend(entries_for(spec, partner, record, [PushOp(method=spec.push_method, body=body_211)]))
                continue
            entries.extend(entries_for(spec, partner, record, whole if partner.version == "2.1.1" else ops))
    return entries


async def enqueue_push(store: Store, module: str, records: Sequence[ObjectRecord], *, write: bool = True,
                       wake: Any = None) -> int:
    """Write our own `records` (when `write`) and queue their pushes in one transaction; returns objects created
    (or entries queued when not writing). `wake`: an asyncio.Event the push worker waits on."""
    entries = await plan_push(store, module, records)
    if write:
        result = await store.put_objects_with_outbox(records, entries)
    else:
        result = await store.enqueue_outbox(entries)
    if entries and wake is not None:
        wake.set()
    return result


INITIAL_PAGE = 1000
"""Objects read (and entries queued, in one transaction) per store call of a first push."""
_MAX_PAGES = 10_000_000


def initial_modules(partner: PartnerRecord, previous: PartnerRecord | None = None) -> list[str]:
    """Modules whose own objects a partner gets in a first push: those it receives and whose push is a PUT (a
    replace, harmless when the partner holds the object already). CDRs are POSTed, a create the receiver may
    refuse or keep twice: a partner gets the earlier ones from our Sender (or by hand, `--module cdrs`). With
    `previous`, the record before a credentials update: only modules whose Receiver URL or version changed."""
    modules = []
    for module, spec in SYNC_MODULES.items():
        target = push_target(partner, spec)
        if target is None or spec.push_method != "PUT":
            continue
        if previous is not None and previous.version == partner.version and push_target(previous, spec) == target:
            continue
        modules.append(module)
    return modules


async def enqueue_initial_push(store: Store, partner: PartnerRecord, *, modules: Sequence[str] | None = None,
                               page_size: int = INITIAL_PAGE, not_before: float = 0.0,
                               wake: Any = None) -> dict[str, int]:
    """Queue for this one partner a whole-object push of every own object of `modules` (default:
    `initial_modules(partner)`) it receives; returns the entries queued per module. Sessions and CDRs: only
    those of the parties the partner speaks for. The entries carry no body (`current_body` fills it when they
    go out) and wait until `not_before` (unix time). Stops early when the partner is no longer registered."""
    queued: dict[str, int] = {}
    for module in initial_modules(partner) if modules is None else modules:
        spec = SYNC_MODULES.get(module)
        if spec is None or push_target(partner, spec) is None:
            continue
        token_parties = sorted(await audience.partner_parties(store, partner)) if module in audience.MODULES else None
        queued[module] = 0
        whole_later = [PushOp(method=spec.push_method, body=None)]  # the body is read when it goes out
        cursor: int | None = None
        for _ in range(_MAX_PAGES):
            page = await store.list_objects(module, partner_id=OWN, token_parties=token_parties, after_seq=cursor,
                                            limit=page_size)
            entries = [entry for record in page.items
                       for entry in entries_for(spec, partner, record, whole_later, not_before=not_before)]
            if entries:
                queued[module] += await store.enqueue_outbox(entries)
                if wake is not None:
                    wake.set()
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
            await asyncio.sleep(0)  # a background task: let requests in between pages
            current = await store.get_partner(partner.id)
            if current is None or push_target(current, spec) is None:
                log.warning("first push to partner %s stopped: it is no longer registered or receives no %s",
                            partner.id, module)
                return queued
    return queued


async def current_body(store: Store, spec: SyncModule, partner: PartnerRecord, entry: OutboxEntry) -> bytes | None:
    """The body of a first-push entry (queued without one) as it goes out: the object as stored now, in the
    partner's version's form. None when the object is gone or no longer ours (nothing to send); ValueError when
    it cannot take the 2.1.1 form."""
    record = await store.get_object(entry.module, entry.country_code, entry.party_id, entry.object_id)
    if record is None or record.partner_id is not None:
        return None
    if partner.version != "2.1.1":
        return record.body
    try:
        if spec.downgrade_211_with_store is not None:
            body = await spec.downgrade_211_with_store(store, record.body)
            if body is None:
                raise ValueError("its 2.1.1 form embeds what we do not hold (e.g. the session's location)")
            return body
        if spec.downgrade_211 is not None:
            return spec.downgrade_211(record.body)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc
    raise ValueError(f"{spec.module} is not pushed to 2.1.1 partners")


async def run_initial_push(store: Store, partner_id: int, *, modules: Sequence[str] | None = None,
                           delay: float = 0.0, wake: Any = None) -> dict[str, int]:
    """`enqueue_initial_push` for a partner that just registered, run in the background: never raises. A failure
    is logged (no tokens: the partner record is never printed) with the command that redoes it."""
    try:
        partner = await store.get_partner(partner_id)
        if partner is None:
            return {}
        queued = await enqueue_initial_push(store, partner, modules=modules,
                                            not_before=time.time() + delay if delay > 0 else 0.0, wake=wake)
    except Exception:
        log.exception("first push to partner %s not queued; queue it by hand with `ocpi-engine sync push --initial "
                      "%s`", partner_id, partner_id)
        return {}
    if queued:
        log.info("first push to partner %s queued: %s", partner_id,
                 ", ".join(f"{count:,} {module}" for module, count in queued.items()))
    return queued
