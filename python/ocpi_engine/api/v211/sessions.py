"""Sessions module, OCPI 2.1.1 (sessions.md section 4): the eMSP interface (sessions CPOs push; stored as 2.2.1) and
the CPO interface (our sessions in 2.1.1 form).

2.1.1 Sessions embed the Location (with only the used EVSE and connector) where 2.2.1 references it. The embedded
Location a 2.1.1 CPO sent is kept beside the session (module `session_locations`) so a GET answers it as sent; our
own sessions embed our held Location reduced to the session's EVSE and connector. A 2.1.1 PATCH's periods are
merged by `start_date_time` (2.1.1 does not say append or replace), and a PATCH without `last_updated` is dated now.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, patch, put

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.envelope import encoder, ocpi_response
from ocpi_engine.api.pagination import paginated_response, parse_list_query
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.api.v221.sessions import decode_object, ids, service
from ocpi_engine.errors import InvalidParametersError
from ocpi_engine.models._base import format_datetime, normalize_datetime, utc_now
from ocpi_engine.models.sessions_convert import downgrade_session, upgrade_charging_periods, upgrade_session
from ocpi_engine.models.v211 import cdrs as v211_cdrs
from ocpi_engine.models.v211 import sessions as v211
from ocpi_engine.models.v221.sessions import Session, SessionPatch, session_decoder
from ocpi_engine.services.audience import partner_parties
from ocpi_engine.services.sessions import MODULE
from ocpi_engine.storage.base import OWN, ObjectRecord, Store

VERSION = "2.1.1"
LOCATIONS_MODULE = "session_locations"
_OBJECT = "/{country_code:str}/{party_id:str}/{session_id:str}"
_location_decoder = msgspec.json.Decoder(v211_cdrs.Location)
_dict_decoder = msgspec.json.Decoder()
_SHARED_LOCATION_TYPES = {"ON_STREET", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "PARKING_LOT"}


def _invalid(exc: msgspec.ValidationError) -> InvalidParametersError:
    from ocpi_engine.api.bodies import validation_error

    return validation_error(exc)


async def _keep_location(store: Store, country_code: str, party_id: str, session_id: str,
                         location: v211_cdrs.Location, partner_id: int) -> None:
    await store.put_object(ObjectRecord(
        module=LOCATIONS_MODULE, country_code=country_code.upper(), party_id=party_id.upper(), id=session_id,
        last_updated=normalize_datetime(format_datetime(utc_now())), body=encoder.encode(location),
        partner_id=partner_id))


def location_211(location: dict[str, Any] | None, session: Session) -> v211_cdrs.Location:
    """Our held 2.2.1 Location (JSON) as the 2.1.1 embedded Location with only the session's EVSE and connector;
    without one (a reservation not bound yet, or an unknown location) a Location carrying just the references."""
    location = location or {}
    evse = next((e for e in location.get("evses") or [] if str(e.get("uid", "")).upper() == session.evse_uid.upper()),
                {"uid": session.evse_uid})
    connector = next((c for c in evse.get("connectors") or []
                      if str(c.get("id", "")).upper() == session.connector_id.upper()), {"id": session.connector_id})
    value = {
        "id": session.location_id,
        "type": location.get("parking_type") if location.get("parking_type") in _SHARED_LOCATION_TYPES else "UNKNOWN",
        "name": location.get("name"), "address": location.get("address", ""), "city": location.get("city", ""),
        "postal_code": location.get("postal_code"), "country": location.get("country", "NLD"),
        "coordinates": location.get("coordinates") or {"latitude": "0.000000", "longitude": "0.000000"},
        "time_zone": location.get("time_zone"), "last_updated": location.get("last_updated"),
        "evses": [{
            "uid": evse.get("uid"), "evse_id": evse.get("evse_id"), "status": evse.get("status"),
            "last_updated": evse.get("last_updated"),
            "connectors": [{
                "id": connector.get("id"), "standard": connector.get("standard", "IEC_62196_T2"),
                "format": connector.get("format", "SOCKET"), "power_type": connector.get("power_type", "AC_3_PHASE"),
                "voltage": connector.get("max_voltage"), "amperage": connector.get("max_amperage"),
                "tariff_id": (connector.get("tariff_ids") or [None])[0], "last_updated": connector.get("last_updated"),
            }],
        }],
    }
    return msgspec.convert(_drop_none(value), v211_cdrs.Location, strict=False)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


async def as_211(store: Store, record: ObjectRecord) -> v211.Session:
    """A stored session in 2.1.1 form, with the Location it was sent with (or our held one)."""
    session = session_decoder.decode(record.body)
    kept = await store.get_object(LOCATIONS_MODULE, record.country_code, record.party_id, record.id)
    if kept is not None and kept.partner_id == record.partner_id:
        return downgrade_session(session, _location_decoder.decode(kept.body))
    held = await store.get_object("locations", session.country_code, session.party_id, session.location_id)
    location = _dict_decoder.decode(held.body) if held is not None and held.partner_id == record.partner_id else None
    return downgrade_session(session, location_211(location, session))


# -- eMSP interface: sessions CPOs push to us --------------------------------------------------------------------
@get(_OBJECT)
async def get_session(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                      session_id: str) -> Response[bytes]:
    country_code, party_id, session_id = ids(country_code, party_id, session_id)
    caller.require_owner(country_code, party_id)
    await service(request).get(country_code, party_id, session_id, partner_id=caller.partner_id)
    store = request.app.state.store
    record = await store.get_object(MODULE, country_code.upper(), party_id.upper(), session_id)
    return ocpi_response(await as_211(store, record))


@put(_OBJECT)
async def put_session(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                      session_id: str) -> Response[bytes]:
    country_code, party_id, session_id = ids(country_code, party_id, session_id)
    caller.require_owner(country_code, party_id)
    old = decode_object(await request.body(), v211.Session, v211.session_decoder)
    if old.id.upper() != session_id.upper():
        raise InvalidParametersError(f"invalid field `id`: {old.id!r} differs from the URL's {session_id!r}",
                                     field="id")
    settings = request.app.state.settings
    try:
        session = upgrade_session(old, country_code=country_code, party_id=party_id,
                                  token_country_code=settings.country_code, token_party_id=settings.party_id)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from exc
    created = await service(request).put(session, partner_id=caller.partner_id)
    await _keep_location(request.app.state.store, country_code, party_id, session.id, old.location, caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


@patch(_OBJECT)
async def patch_session(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                        session_id: str) -> Response[bytes]:
    country_code, party_id, session_id = ids(country_code, party_id, session_id)
    caller.require_owner(country_code, party_id)
    old = decode_object(await request.body(), v211.SessionPatch, v211.session_patch_decoder)
    settings = request.app.state.settings
    fields: dict[str, Any] = {}
    renames = {"start_datetime": "start_date_time", "end_datetime": "end_date_time"}
    for name, value in msgspec.structs.asdict(old).items():
        if value is msgspec.UNSET or name in ("location", "auth_id", "charging_periods", "total_cost"):
            continue
        fields[renames.get(name, name)] = value
    if old.auth_id is not msgspec.UNSET:
        fields["cdr_token"] = {"country_code": settings.country_code, "party_id": settings.party_id,
                               "uid": old.auth_id, "type": "OTHER", "contract_id": old.auth_id}
    if old.location is not msgspec.UNSET:
        fields.update(location_id=old.location.id, evse_uid=old.location.evses[0].uid,
                      connector_id=old.location.evses[0].connectors[0].id)
    if old.total_cost is not msgspec.UNSET:
        fields["total_cost"] = None if old.total_cost is None else {"excl_vat": old.total_cost}
    try:
        if old.charging_periods is not msgspec.UNSET:
            fields["charging_periods"] = upgrade_charging_periods(old.charging_periods)
        fields.setdefault("last_updated", format_datetime(utc_now()))
        changes = msgspec.convert(fields, SessionPatch)
    except msgspec.ValidationError as exc:
        raise _invalid(exc) from exc
    await service(request).patch(country_code, party_id, session_id, changes, partner_id=caller.partner_id,
                                 periods="by_start")
    if old.location is not msgspec.UNSET:
        await _keep_location(request.app.state.store, country_code, party_id, session_id, old.location,
                             caller.partner_id)
    return ocpi_response()


# -- CPO interface: our own sessions -------------------------------------------------------------------------------
@get("/")
async def list_sessions(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Our sessions for the caller's parties in 2.1.1 form, paginated (`date_from` required, sessions.md 4.1)."""
    state = request.app.state
    query = parse_list_query(request, state.settings.page_size, require_date_from=True)
    parties = sorted(await partner_parties(state.store, caller.partner))
    page = await state.store.list_objects(MODULE, partner_id=OWN, token_parties=parties, date_from=query.date_from,
                                          date_to=query.date_to, offset=query.offset, after_seq=query.cursor,
                                          limit=query.limit)
    bodies = [encoder.encode(await as_211(state.store, record)) for record in page.items]
    return paginated_response(request, query, page, state.settings.page_size, state.settings.public_url, bodies)


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="sessions", role="RECEIVER", party_role="EMSP",
                    handlers=[get_session, put_session, patch_session]),
    ModuleInterface(version=VERSION, identifier="sessions", role="SENDER", party_role="CPO",
                    handlers=[list_sessions]),
]
