"""Locations module, OCPI 2.1.1 (locations.md section 7): the CPO interface (our own locations: list and
GET location/EVSE/connector, downgraded) and the eMSP interface (locations CPOs push: GET/PUT/PATCH under
/{country_code}/{party_id}/{location_id}[/{evse_uid}[/{connector_id}]]). Stored as 2.2.1, converted at the
edge; a 2.1.1 PATCH is translated against the stored object inside the same atomic update."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response, get, patch, put

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.envelope import ocpi_raw_response, ocpi_response
from ocpi_engine.api.pagination import paginated_response, parse_list_query
from ocpi_engine.api.params import ci_string
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.api.v221.locations import check_url_id
from ocpi_engine.errors import InvalidParametersError
from ocpi_engine.models._base import format_datetime, utc_now
from ocpi_engine.models.locations_convert import (
    downgrade_connector,
    downgrade_evse,
    downgrade_location,
    upgrade_connector,
    upgrade_evse,
    upgrade_location,
)
from ocpi_engine.models.v211 import locations as v211
from ocpi_engine.models.v221 import locations as v221
from ocpi_engine.services.locations import (
    MODULE,
    LocationService,
    convert_checked,
    decode_changes,
    decode_object,
    downgraded,
    encoder,
    to_dict,
)
from ocpi_engine.storage.base import OWN

VERSION = "2.1.1"
_LOCATION = "/{country_code:str}/{party_id:str}/{location_id:str}"
_EVSE = _LOCATION + "/{evse_uid:str}"
_CONNECTOR = _EVSE + "/{connector_id:str}"
# 2.1.1 field names that 2.2.1 renamed (Location.type, Connector.voltage/amperage/tariff_id).
_RENAMED = {"type": "parking_type", "voltage": "max_voltage", "amperage": "max_amperage", "tariff_id": "tariff_ids"}
T = TypeVar("T")


def _service(request: Request[Any, Any, Any]) -> LocationService:
    return LocationService(request.app.state.store)


def _ids(location_id: str, evse_uid: str | None, connector_id: str | None) -> tuple[str, str | None, str | None]:
    """2.1.1 ids: location and EVSE string(39), connector string(36)."""
    return (ci_string(location_id, "location_id", 39),
            None if evse_uid is None else ci_string(evse_uid, "evse_uid", 39),
            None if connector_id is None else ci_string(connector_id, "connector_id", 36))


def _owner(caller: Caller, country_code: str, party_id: str) -> tuple[str, str]:
    country_code, party_id = ci_string(country_code, "country_code", 2), ci_string(party_id, "party_id", 3)
    caller.require_owner(country_code, party_id)
    return country_code.upper(), party_id.upper()


def _as_221(obj: Any, decoder: msgspec.json.Decoder[T]) -> T:
    """An upgraded object checked against 2.2.1 (e.g. a 39-character 2.1.1 id does not fit CiString(36))."""
    return decode_object(encoder.encode(obj), decoder)


# -- CPO interface: our own locations -------------------------------------------------------------------------
@get("/")
async def list_locations(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Our locations in 2.1.1 form, paginated (downgraded bodies cached while the stored one is unchanged)."""
    state = request.app.state
    query = parse_list_query(request, state.settings.page_size)
    page = await state.store.list_objects(MODULE, partner_id=OWN, date_from=query.date_from, date_to=query.date_to,
                                          offset=query.offset, after_seq=query.cursor, limit=query.limit)
    bodies = [downgraded.get(record) for record in page.items]
    return paginated_response(request, query, page, state.settings.page_size, state.settings.public_url, bodies)


async def _own_part(request: Request[Any, Any, Any], location_id: str, evse_uid: str | None = None,
                    connector_id: str | None = None) -> Response[bytes]:
    location_id, evse_uid, connector_id = _ids(location_id, evse_uid, connector_id)
    service = _service(request)
    record = await service.own_record(location_id)
    return ocpi_raw_response(service.part_v211(record, evse_uid, connector_id))


@get("/{location_id:str}")
async def get_own_location(request: Request[Any, Any, Any], caller: Caller,
                           location_id: str) -> Response[bytes]:
    return await _own_part(request, location_id)


@get("/{location_id:str}/{evse_uid:str}")
async def get_own_evse(request: Request[Any, Any, Any], caller: Caller, location_id: str,
                       evse_uid: str) -> Response[bytes]:
    return await _own_part(request, location_id, evse_uid)


@get("/{location_id:str}/{evse_uid:str}/{connector_id:str}")
async def get_own_connector(request: Request[Any, Any, Any], caller: Caller, location_id: str, evse_uid: str,
                            connector_id: str) -> Response[bytes]:
    return await _own_part(request, location_id, evse_uid, connector_id)


# -- eMSP interface: locations CPOs push to us ------------------------------------------------------------------
async def _stored_part(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                       location_id: str, evse_uid: str | None = None,
                       connector_id: str | None = None) -> Response[bytes]:
    country_code, party_id = _owner(caller, country_code, party_id)
    location_id, evse_uid, connector_id = _ids(location_id, evse_uid, connector_id)
    service = _service(request)
    record = await service.record(country_code, party_id, location_id)
    return ocpi_raw_response(service.part_v211(record, evse_uid, connector_id))


@get(_LOCATION)
async def get_location(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                       location_id: str) -> Response[bytes]:
    return await _stored_part(request, caller, country_code, party_id, location_id)


@get(_EVSE)
async def get_evse(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                   location_id: str, evse_uid: str) -> Response[bytes]:
    return await _stored_part(request, caller, country_code, party_id, location_id, evse_uid)


@get(_CONNECTOR)
async def get_connector(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                        location_id: str, evse_uid: str, connector_id: str) -> Response[bytes]:
    return await _stored_part(request, caller, country_code, party_id, location_id, evse_uid, connector_id)


@put(_LOCATION)
async def put_location(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                       location_id: str) -> Response[bytes]:
    """Create or replace a location; its owner is the URL's party (2.1.1 Locations carry none)."""
    country_code, party_id = _owner(caller, country_code, party_id)
    location_id, _, _ = _ids(location_id, None, None)
    old = decode_object(await request.body(), v211.location_decoder)
    check_url_id("id", old.id, location_id)
    location = _as_221(upgrade_location(old, country_code=country_code, party_id=party_id),
                       v221.location_decoder)
    created = await _service(request).put_location(location, partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


@put(_EVSE)
async def put_evse(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                   location_id: str, evse_uid: str) -> Response[bytes]:
    country_code, party_id = _owner(caller, country_code, party_id)
    location_id, _, _ = _ids(location_id, evse_uid, None)
    old = decode_object(await request.body(), v211.evse_decoder)
    check_url_id("uid", old.uid, evse_uid)
    evse = _as_221(upgrade_evse(old), v221.evse_decoder)
    created = await _service(request).put_evse(country_code, party_id, location_id, evse,
                                               partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


@put(_CONNECTOR)
async def put_connector(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                        location_id: str, evse_uid: str, connector_id: str) -> Response[bytes]:
    country_code, party_id = _owner(caller, country_code, party_id)
    location_id, _, _ = _ids(location_id, evse_uid, connector_id)
    old = decode_object(await request.body(), v211.connector_decoder)
    check_url_id("id", old.id, connector_id)
    connector = _as_221(upgrade_connector(old), v221.connector_decoder)
    created = await _service(request).put_connector(country_code, party_id, location_id, evse_uid, connector,
                                                    partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


def _translate(changes: dict[str, Any], country_code: str, party_id: str) -> Callable[[Any], dict[str, Any]]:
    """2.1.1 PATCH fields as 2.2.1 fields: merged into the 2.1.1 form of the stored part, validated as 2.1.1,
    upgraded, and only the sent fields taken (2.2.1-only data of the stored object stays)."""

    def translate(current: v221.Location | v221.EVSE | v221.Connector) -> dict[str, Any]:
        upgraded: Any
        if isinstance(current, v221.Location):
            merged = convert_checked({**to_dict(downgrade_location(current)), **changes}, v211.Location)
            upgraded = upgrade_location(merged, country_code=country_code, party_id=party_id)
        else:
            old = downgrade_evse(current) if isinstance(current, v221.EVSE) else downgrade_connector(current)
            if old is None:
                raise InvalidParametersError(
                    "invalid field `standard`: this EVSE or connector has no OCPI 2.1.1 form; PUT it instead",
                    field="standard")
            if isinstance(old, v211.EVSE):
                upgraded = upgrade_evse(convert_checked({**to_dict(old), **changes}, v211.EVSE))
            else:
                upgraded = upgrade_connector(convert_checked({**to_dict(old), **changes}, v211.Connector))
        fields = to_dict(upgraded)
        return {_RENAMED.get(key, key): fields.get(_RENAMED.get(key, key)) for key in changes}

    return translate


async def _patch(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                 location_id: str, evse_uid: str | None = None, connector_id: str | None = None) -> Response[bytes]:
    country_code, party_id = _owner(caller, country_code, party_id)
    location_id, evse_uid, connector_id = _ids(location_id, evse_uid, connector_id)
    changes = decode_changes(await request.body())
    # 2.1.1 PATCHes may omit last_updated: the change happened now.
    changes.setdefault("last_updated", format_datetime(utc_now()))
    await _service(request).patch(country_code, party_id, location_id, evse_uid, connector_id,
                                  _translate(changes, country_code, party_id), partner_id=caller.partner_id)
    return ocpi_response()


@patch(_LOCATION)
async def patch_location(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                         location_id: str) -> Response[bytes]:
    return await _patch(request, caller, country_code, party_id, location_id)


@patch(_EVSE)
async def patch_evse(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                     location_id: str, evse_uid: str) -> Response[bytes]:
    return await _patch(request, caller, country_code, party_id, location_id, evse_uid)


@patch(_CONNECTOR)
async def patch_connector(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                          location_id: str, evse_uid: str, connector_id: str) -> Response[bytes]:
    return await _patch(request, caller, country_code, party_id, location_id, evse_uid, connector_id)


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="locations", role="SENDER", party_role="CPO",
                    handlers=[list_locations, get_own_location, get_own_evse, get_own_connector]),
    ModuleInterface(version=VERSION, identifier="locations", role="RECEIVER", party_role="EMSP",
                    handlers=[get_location, get_evse, get_connector, put_location, put_evse, put_connector,
                              patch_location, patch_evse, patch_connector]),
]
