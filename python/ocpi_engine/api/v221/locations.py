"""Locations module, OCPI 2.2.1 (locations.md): the CPO's Sender (our own locations: paginated list, one
location, EVSE or connector) and the eMSP's Receiver (locations CPOs push: client-owned GET/PUT/PATCH at
location, EVSE and connector level)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, put

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.envelope import ocpi_raw_response, ocpi_response
from ocpi_engine.api.pagination import list_objects
from ocpi_engine.api.params import ci_string
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.errors import InvalidParametersError
from ocpi_engine.models.v221.locations import connector_decoder, evse_decoder, location_decoder
from ocpi_engine.services.locations import MODULE, LocationService, decode_changes, decode_object, encoder
from ocpi_engine.storage.base import OWN

VERSION = "2.2.1"
_LOCATION = "/{country_code:str}/{party_id:str}/{location_id:str}"
_EVSE = _LOCATION + "/{evse_uid:str}"
_CONNECTOR = _EVSE + "/{connector_id:str}"


def _service(request: Request[Any, Any, Any]) -> LocationService:
    return LocationService(request.app.state.store)


def _part_ids(location_id: str, evse_uid: str | None,
              connector_id: str | None) -> tuple[str, str | None, str | None]:
    return (ci_string(location_id, "location_id", 36),
            None if evse_uid is None else ci_string(evse_uid, "evse_uid", 36),
            None if connector_id is None else ci_string(connector_id, "connector_id", 36))


def _owner(caller: Caller, country_code: str, party_id: str) -> tuple[str, str]:
    country_code, party_id = ci_string(country_code, "country_code", 2), ci_string(party_id, "party_id", 3)
    caller.require_owner(country_code, party_id)
    return country_code.upper(), party_id.upper()


def check_url_id(field: str, body_value: str, url_value: str) -> None:
    """The body's id must be the URL's (transport.md section 10): 2001 otherwise."""
    if body_value.upper() != url_value.upper():
        raise InvalidParametersError(
            f"invalid field `{field}`: {body_value!r} differs from the URL's {url_value!r}", field=field)


# -- Sender (CPO): our own locations ------------------------------------------------------------------------
@get("/")
async def list_locations(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Our locations, paginated (date_from / date_to / offset / limit); stored JSON spliced as is."""
    return await list_objects(request, request.app.state.store, MODULE, partner_id=OWN)


async def _own_part(request: Request[Any, Any, Any], location_id: str, evse_uid: str | None = None,
                    connector_id: str | None = None) -> Response[bytes]:
    location_id, evse_uid, connector_id = _part_ids(location_id, evse_uid, connector_id)
    service = _service(request)
    record = await service.own_record(location_id)
    if evse_uid is None and record is not None:
        return ocpi_raw_response(record.body)
    return ocpi_raw_response(encoder.encode(service.part(record, evse_uid, connector_id)))


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


# -- Receiver (eMSP): locations CPOs push to us --------------------------------------------------------------
async def _stored_part(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                       location_id: str, evse_uid: str | None = None,
                       connector_id: str | None = None) -> Response[bytes]:
    country_code, party_id = _owner(caller, country_code, party_id)
    location_id, evse_uid, connector_id = _part_ids(location_id, evse_uid, connector_id)
    service = _service(request)
    record = await service.record(country_code, party_id, location_id)
    if evse_uid is None and record is not None:
        return ocpi_raw_response(record.body)
    return ocpi_raw_response(encoder.encode(service.part(record, evse_uid, connector_id)))


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
    """Create or replace a whole location (201 when new)."""
    country_code, party_id = _owner(caller, country_code, party_id)
    location_id = ci_string(location_id, "location_id", 36)
    location = decode_object(await request.body(), location_decoder)
    check_url_id("country_code", location.country_code, country_code)
    check_url_id("party_id", location.party_id, party_id)
    check_url_id("id", location.id, location_id)
    created = await _service(request).put_location(location, partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


@put(_EVSE)
async def put_evse(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                   location_id: str, evse_uid: str) -> Response[bytes]:
    """Add or replace one EVSE of a known location (201 when new); REMOVED status is how EVSEs go."""
    country_code, party_id = _owner(caller, country_code, party_id)
    location_id, evse_uid = ci_string(location_id, "location_id", 36), ci_string(evse_uid, "evse_uid", 36)
    evse = decode_object(await request.body(), evse_decoder)
    check_url_id("uid", evse.uid, evse_uid)
    created = await _service(request).put_evse(country_code, party_id, location_id, evse,
                                               partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


@put(_CONNECTOR)
async def put_connector(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                        location_id: str, evse_uid: str, connector_id: str) -> Response[bytes]:
    """Add or replace one connector of a known EVSE (201 when new)."""
    country_code, party_id = _owner(caller, country_code, party_id)
    location_id, evse_uid = ci_string(location_id, "location_id", 36), ci_string(evse_uid, "evse_uid", 36)
    connector_id = ci_string(connector_id, "connector_id", 36)
    connector = decode_object(await request.body(), connector_decoder)
    check_url_id("id", connector.id, connector_id)
    created = await _service(request).put_connector(country_code, party_id, location_id, evse_uid, connector,
                                                    partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


async def _patch(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                 location_id: str, evse_uid: str | None = None,
                 connector_id: str | None = None) -> Response[bytes]:
    country_code, party_id = _owner(caller, country_code, party_id)
    location_id, evse_uid, connector_id = _part_ids(location_id, evse_uid, connector_id)
    changes = decode_changes(await request.body())
    if changes.get("last_updated") is None:
        raise InvalidParametersError("invalid field `last_updated`: every PATCH must include it",
                                     field="last_updated")
    await _service(request).patch(country_code, party_id, location_id, evse_uid, connector_id, changes,
                                  partner_id=caller.partner_id)
    return ocpi_response()


@patch(_LOCATION)
async def patch_location(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                         location_id: str) -> Response[bytes]:
    """Update some fields of a location; `last_updated` is required."""
    return await _patch(request, caller, country_code, party_id, location_id)


@patch(_EVSE)
async def patch_evse(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                     location_id: str, evse_uid: str) -> Response[bytes]:
    """Update some fields of an EVSE (e.g. status); the location's last_updated follows."""
    return await _patch(request, caller, country_code, party_id, location_id, evse_uid)


@patch(_CONNECTOR)
async def patch_connector(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                          location_id: str, evse_uid: str, connector_id: str) -> Response[bytes]:
    """Update some fields of a connector (e.g. tariff_ids); its EVSE's and location's last_updated follow."""
    return await _patch(request, caller, country_code, party_id, location_id, evse_uid, connector_id)


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="locations", role="SENDER", party_role="CPO",
                    handlers=[list_locations, get_own_location, get_own_evse, get_own_connector]),
    ModuleInterface(version=VERSION, identifier="locations", role="RECEIVER", party_role="EMSP",
                    handlers=[get_location, get_evse, get_connector, put_location, put_evse, put_connector,
                              patch_location, patch_evse, patch_connector]),
]
