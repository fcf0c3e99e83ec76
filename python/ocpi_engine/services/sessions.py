"""Sessions use cases (sessions.md): the eMSP's Receiver store (PUT replaces, PATCH appends charging periods in one
atomic read-modify-write), the CPO's own sessions (total_cost priced from our tariffs with the tariff engine) and
the CPO's answer to a driver's charging preferences.

Own sessions enter through `own_session_changed` (one session, e.g. from a charger integration) or the `sessions`
importer; both price `total_cost` before the write, so the push path (services/sync.py) sends the priced object.
"""

from __future__ import annotations

import datetime as _dt
import logging
from decimal import Decimal
from typing import Any

import anyio
import msgspec

from ocpi_engine.errors import EngineError, InvalidParametersError, NotFoundError
from ocpi_engine.models._base import normalize_datetime, parse_datetime, utc_now
from ocpi_engine.models.v221.cdrs import ChargingPeriod, Price
from ocpi_engine.models.v221.sessions import (
    ChargingPreferences,
    ChargingPreferencesResponse,
    Session,
    SessionPatch,
    SessionStatus,
    session_decoder,
)
from ocpi_engine.services import pricing
from ocpi_engine.services.importer import Importer, register_importer
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import ObjectRecord, Store

__all__ = [
    "MODULE",
    "PREFERENCES_MODULE",
    "SessionService",
    "own_session_changed",
    "preferences_answer",
    "price_own_sessions",
    "session_record",
]

MODULE = "sessions"
PREFERENCES_MODULE = "charging_preferences"
"""Accepted ChargingPreferences of our own sessions, keyed like the session (for the CPO's charger control)."""
log = logging.getLogger("ocpi_engine.sessions")
_encoder = msgspec.json.Encoder(decimal_format="number")
_dict_decoder = msgspec.json.Decoder(float_hook=Decimal)


def session_record(session: Session, *, partner_id: int | None, body: bytes | None = None) -> ObjectRecord:
    return ObjectRecord(
        module=MODULE, country_code=session.country_code.upper(), party_id=session.party_id.upper(), id=session.id,
        last_updated=normalize_datetime(session.last_updated), body=body or _encoder.encode(session),
        partner_id=partner_id,
    )


def _invalid(exc: msgspec.ValidationError) -> InvalidParametersError:
    from ocpi_engine.api.bodies import validation_error

    return validation_error(exc)


def _same_period(a: ChargingPeriod, b: ChargingPeriod) -> bool:
    return _encoder.encode(a) == _encoder.encode(b)


def merge_patch(current: Session, patch: SessionPatch, *, periods: str = "append") -> Session:
    """Apply a PATCH to a stored Session and validate the result.

    `periods="append"` (2.2.1, sessions.md 2.2): the PATCH's charging periods are appended; one identical to a
    stored period (same start, dimensions and tariff) is skipped, so a retried PATCH does not count twice.
    `periods="by_start"` (2.1.1, which leaves append vs replace open): a period replaces the stored one with the
    same `start_date_time`, the others are added, and the list is kept in time order.
    """
    changes = msgspec.to_builtins(patch, builtin_types=(Decimal,))
    new_periods = changes.pop("charging_periods", None)
    merged = msgspec.to_builtins(current, builtin_types=(Decimal,))
    merged.update(changes)
    try:
        session = msgspec.convert(merged, Session)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from exc
    if new_periods:
        incoming = patch.charging_periods or []
        stored = list(current.charging_periods or [])
        if periods == "append":
            stored.extend(p for p in incoming if not any(_same_period(p, s) for s in stored))
        else:
            by_start = {normalize_datetime(p.start_date_time): p for p in stored}
            by_start.update({normalize_datetime(p.start_date_time): p for p in incoming})
            stored = [by_start[key] for key in sorted(by_start)]
        session = msgspec.structs.replace(session, charging_periods=stored)
    return session


def check_matches_url(session: Session | SessionPatch, country_code: str, party_id: str, session_id: str) -> None:
    """The body's country_code, party_id and id must be the URL's (sessions.md 2.2): 2001 otherwise."""
    for field, url_value in (("country_code", country_code), ("party_id", party_id), ("id", session_id)):
        body_value = getattr(session, field)
        if isinstance(body_value, str) and body_value.upper() != url_value.upper():
            raise InvalidParametersError(
                f"invalid field `{field}`: {body_value!r} differs from the URL's {url_value!r}", field=field)


class SessionService:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    # -- Receiver (eMSP): sessions CPOs push to us ----------------------------------------------------------
    async def get(self, country_code: str, party_id: str, session_id: str, *, partner_id: int | None) -> bytes:
        record = await self.store.get_object(MODULE, country_code.upper(), party_id.upper(), session_id)
        if record is None or record.partner_id != partner_id:
            raise NotFoundError(f"unknown session {session_id}")
        return record.body

    async def put(self, session: Session, *, partner_id: int) -> bool:
        """Create or replace completely (the stored charging periods are replaced too); True when new."""
        record = session_record(session, partner_id=partner_id)
        created = False

        def change(current: ObjectRecord | None) -> ObjectRecord:
            nonlocal created
            if current is not None and current.partner_id != partner_id:
                raise NotFoundError("not found")
            created = current is None
            return record

        await self.store.update_object(MODULE, record.country_code, record.party_id, record.id, change)
        return created

    async def patch(self, country_code: str, party_id: str, session_id: str, patch: SessionPatch, *,
                    partner_id: int, periods: str = "append") -> Session:
        """Merge a PATCH into the stored session in one write transaction (concurrent PATCHes each append their
        periods; none is lost). Unknown session: 404."""
        check_matches_url(patch, country_code, party_id, session_id)
        result: list[Session] = []

        def change(current: ObjectRecord | None) -> ObjectRecord:
            if current is None or current.partner_id != partner_id:
                raise NotFoundError(f"unknown session {session_id}: PUT it first")
            session = merge_patch(session_decoder.decode(current.body), patch, periods=periods)
            result.append(session)
            return session_record(session, partner_id=partner_id)

        await self.store.update_object(MODULE, country_code.upper(), party_id.upper(), session_id, change)
        return result[0]

    # -- Sender (CPO): our own sessions ---------------------------------------------------------------------
    async def price(self, session: Session) -> Price | None:
        """The running session's cost so far from our tariffs (price_session over its periods until
        last_updated, or end_date_time), in the location's time zone; None when no tariff applies or the engine
        cannot price it (the session keeps the total_cost it carries)."""
        tariffs, time_zone = await _own_tariffs(self.store, session)
        if not tariffs or not session.charging_periods:
            return None
        body = _encoder.encode(session)
        try:
            report = await anyio.to_thread.run_sync(
                lambda: pricing.price_session(body, b"[" + b",".join(tariffs) + b"]", time_zone=time_zone))
        except EngineError as exc:
            log.warning("session %s/%s/%s not priced: %s", session.country_code, session.party_id, session.id, exc)
            return None
        return Price(excl_vat=report.total_cost.excl_vat, incl_vat=report.total_cost.incl_vat)

    async def with_total_cost(self, session: Session) -> Session:
        cost = await self.price(session)
        return session if cost is None else msgspec.structs.replace(session, total_cost=cost)

    async def charging_preferences(self, session_id: str, preferences: ChargingPreferences,
                                   parties: frozenset[tuple[str, str]]) -> ChargingPreferencesResponse:
        """The CPO's answer (see `preferences_answer`); ACCEPTED preferences are stored for the charger control."""
        record = await self.store.get_object(MODULE, self.settings.country_code, self.settings.party_id, session_id)
        session = None if record is None or record.partner_id is not None else session_decoder.decode(record.body)
        if session is None or (session.cdr_token.country_code.upper(), session.cdr_token.party_id.upper()) \
                not in parties:
            raise NotFoundError(f"unknown session {session_id}")
        location = await _own_object(self.store, "locations", session.country_code, session.party_id,
                                     session.location_id)
        connector = _connector(location, session.evse_uid, session.connector_id)
        evse = _evse(location, session.evse_uid)
        if evse is None or "CHARGING_PREFERENCES_CAPABLE" not in (evse.get("capabilities") or []):
            raise InvalidParametersError(
                f"EVSE {session.evse_uid} of session {session_id} does not accept charging preferences "
                "(no CHARGING_PREFERENCES_CAPABLE)", field="session_id", http_status=404)
        profiles = await _profile_types(self.store, session, connector)
        answer = preferences_answer(session, preferences, connector, profiles, now=utc_now())
        if answer == ChargingPreferencesResponse.ACCEPTED:
            await self.store.put_object(ObjectRecord(
                module=PREFERENCES_MODULE, country_code=session.country_code, party_id=session.party_id,
                id=session.id, last_updated=normalize_datetime(session.last_updated),
                body=_encoder.encode(preferences)))
        return answer


def preferences_answer(session: Session, preferences: ChargingPreferences, connector: dict[str, Any] | None,
                       profiles: set[str], *, now: _dt.datetime) -> ChargingPreferencesResponse:
    """The CPO's rule for a driver's ChargingPreferences (sessions.md ChargingPreferencesResponse), in order:

    1. session no longer running (COMPLETED, INVALID) -> NOT_POSSIBLE;
    2. `profile_type` other than REGULAR without a `PROFILE_<type>` tariff on the connector (a Tariff MUST exist
       for every supported ProfileType) -> PROFILE_TYPE_NOT_SUPPORTED;
    3. CHEAP and GREEN shift charging in time: they need `departure_time` (DEPARTURE_REQUIRED) and `energy_need`
       (ENERGY_NEED_REQUIRED); FAST and REGULAR need neither;
    4. a departure not after now, or an `energy_need` the connector cannot deliver before departure at its
       `max_electric_power` (W) -> NOT_POSSIBLE;
    5. otherwise ACCEPTED (the EVSE will try; no guarantee). `discharge_allowed` is a permission, never refused.
    """
    if session.status in (SessionStatus.COMPLETED, SessionStatus.INVALID):
        return ChargingPreferencesResponse.NOT_POSSIBLE
    if preferences.profile_type != "REGULAR" and preferences.profile_type not in profiles:
        return ChargingPreferencesResponse.PROFILE_TYPE_NOT_SUPPORTED
    if preferences.profile_type in ("CHEAP", "GREEN"):
        if preferences.departure_time is None:
            return ChargingPreferencesResponse.DEPARTURE_REQUIRED
        if preferences.energy_need is None:
            return ChargingPreferencesResponse.ENERGY_NEED_REQUIRED
    if preferences.departure_time is not None:
        departure = parse_datetime(preferences.departure_time)
        if departure <= now:
            return ChargingPreferencesResponse.NOT_POSSIBLE
        power = (connector or {}).get("max_electric_power")
        if preferences.energy_need is not None and isinstance(power, int) and power > 0:
            hours = Decimal((departure - now).total_seconds()) / Decimal(3600)
            if preferences.energy_need > Decimal(power) / Decimal(1000) * hours:
                return ChargingPreferencesResponse.NOT_POSSIBLE
    return ChargingPreferencesResponse.ACCEPTED


# -- our own objects (read as their stored 2.2.1 JSON: no dependency on the locations / tariffs models) ----------
async def _own_object(store: Store, module: str, country_code: str, party_id: str, id: str) -> dict[str, Any] | None:
    record = await store.get_object(module, country_code.upper(), party_id.upper(), id)
    if record is None or record.partner_id is not None:
        return None
    value = _dict_decoder.decode(record.body)
    return value if isinstance(value, dict) else None


def _evse(location: dict[str, Any] | None, evse_uid: str) -> dict[str, Any] | None:
    for evse in (location or {}).get("evses") or []:
        if str(evse.get("uid", "")).upper() == evse_uid.upper():
            return evse  # type: ignore[no-any-return]
    return None


def _connector(location: dict[str, Any] | None, evse_uid: str, connector_id: str) -> dict[str, Any] | None:
    for connector in (_evse(location, evse_uid) or {}).get("connectors") or []:
        if str(connector.get("id", "")).upper() == connector_id.upper():
            return connector  # type: ignore[no-any-return]
    return None


async def _profile_types(store: Store, session: Session, connector: dict[str, Any] | None) -> set[str]:
    """ProfileTypes the connector has a tariff for (Tariff.type PROFILE_CHEAP / _FAST / _GREEN)."""
    found = set()
    for tariff_id in (connector or {}).get("tariff_ids") or []:
        tariff = await _own_object(store, "tariffs", session.country_code, session.party_id, str(tariff_id))
        kind = str((tariff or {}).get("type") or "")
        if kind.startswith("PROFILE_"):
            found.add(kind.removeprefix("PROFILE_"))
    return found


async def _own_tariffs(store: Store, session: Session) -> tuple[list[bytes], str | None]:
    """Our tariffs for a session: the periods' `tariff_id`s, else the connector's `tariff_ids`; and the location's
    time zone."""
    record = await store.get_object("locations", session.country_code.upper(), session.party_id.upper(),
                                    session.location_id)
    location = None
    if record is not None and record.partner_id is None:
        location = _dict_decoder.decode(record.body)
    ids = list(dict.fromkeys(p.tariff_id for p in session.charging_periods or [] if p.tariff_id))
    if not ids:
        connector = _connector(location, session.evse_uid, session.connector_id)
        ids = [str(t) for t in (connector or {}).get("tariff_ids") or []]
    bodies = []
    for tariff_id in ids:
        tariff = await store.get_object("tariffs", session.country_code.upper(), session.party_id.upper(), tariff_id)
        if tariff is not None and tariff.partner_id is None:
            bodies.append(tariff.body)
    time_zone = (location or {}).get("time_zone")
    return bodies, time_zone if isinstance(time_zone, str) else None


# -- own data in -----------------------------------------------------------------------------------------------
async def price_own_sessions(store: Store, settings: Settings, records: list[ObjectRecord]) -> list[ObjectRecord]:
    """Our sessions with `total_cost` priced from our tariffs (records the engine cannot price keep theirs)."""
    service = SessionService(settings, store)
    out = []
    for record in records:
        session = session_decoder.decode(record.body)
        priced = await service.with_total_cost(session)
        out.append(record if priced is session else session_record(priced, partner_id=None))
    return out


async def own_session_changed(context: Any, session: Session) -> ObjectRecord:
    """Our own session started or changed (charger integration, CPO backend): price `total_cost`, then write it
    and queue its push to every partner receiving sessions in one transaction (services/sync.py)."""
    _check_own(session, context.settings)
    store: Store = context.store
    [record] = await price_own_sessions(store, context.settings, [session_record(session, partner_id=None)])
    await _write_and_push(context, MODULE, [record])
    return record


async def _write_and_push(context: Any, module: str, records: list[ObjectRecord]) -> None:
    try:
        from ocpi_engine.services.sync import enqueue_push
    except ImportError:  # partner sync not installed: a plain write
        await context.store.put_objects(records)
        return
    await enqueue_push(context.store, module, records, wake=getattr(context, "push_wake", None))


def _check_own(session: Session, settings: Settings) -> None:
    if (session.country_code.upper(), session.party_id.upper()) != (settings.country_code, settings.party_id):
        raise InvalidParametersError(
            f"session {session.id} belongs to {session.country_code}/{session.party_id}, not to this platform "
            f"({settings.country_code}/{settings.party_id})", field="country_code")


def _import_record(line: bytes, settings: Settings) -> ObjectRecord:
    """The platform's own sessions (it is the CPO): validated like a Receiver PUT, owned by our party."""
    from ocpi_engine.api.bodies import decode_body

    session = decode_body(line, Session, decoder=session_decoder)
    _check_own(session, settings)
    return session_record(session, partner_id=None)


register_importer(Importer(kind="sessions", to_record=_import_record, prepare=price_own_sessions,
                           description="the platform's own (CPO) charging sessions, OCPI 2.2.1 Session objects; "
                                       "total_cost priced from our tariffs when they apply"))
