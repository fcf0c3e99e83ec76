"""Tariffs module, OCPI 2.2.1 (tariffs.md section 2): the CPO's Sender (our own tariffs, paginated list) and
the eMSP's Receiver (tariffs CPOs push: client-owned GET/PUT/DELETE; PATCH does not exist in 2.2.1)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, put

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.envelope import ocpi_raw_response, ocpi_response
from ocpi_engine.api.pagination import list_objects
from ocpi_engine.api.params import ci_string
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.api.v221.locations import check_url_id
from ocpi_engine.models.v221.tariffs import tariff_decoder
from ocpi_engine.services.locations import decode_object
from ocpi_engine.services.tariffs import MODULE, TariffService
from ocpi_engine.storage.base import OWN

VERSION = "2.2.1"
_TARIFF = "/{country_code:str}/{party_id:str}/{tariff_id:str}"


def _ids(caller: Caller, country_code: str, party_id: str, tariff_id: str) -> tuple[str, str, str]:
    country_code, party_id = ci_string(country_code, "country_code", 2), ci_string(party_id, "party_id", 3)
    caller.require_owner(country_code, party_id)
    return country_code.upper(), party_id.upper(), ci_string(tariff_id, "tariff_id", 36)


@get("/")
async def list_tariffs(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Our tariffs, paginated (date_from / date_to / offset / limit); stored JSON spliced as is."""
    return await list_objects(request, request.app.state.store, MODULE, partner_id=OWN)


@get(_TARIFF)
async def get_tariff(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                     tariff_id: str) -> Response[bytes]:
    country_code, party_id, tariff_id = _ids(caller, country_code, party_id, tariff_id)
    record = await TariffService(request.app.state.store).get(country_code, party_id, tariff_id)
    return ocpi_raw_response(record.body)


@put(_TARIFF)
async def put_tariff(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                     tariff_id: str) -> Response[bytes]:
    """Create or replace a tariff (201 when new)."""
    country_code, party_id, tariff_id = _ids(caller, country_code, party_id, tariff_id)
    tariff = decode_object(await request.body(), tariff_decoder)
    check_url_id("country_code", tariff.country_code, country_code)
    check_url_id("party_id", tariff.party_id, party_id)
    check_url_id("id", tariff.id, tariff_id)
    created = await TariffService(request.app.state.store).put(tariff, partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


@delete(_TARIFF, status_code=200)
async def delete_tariff(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                        tariff_id: str) -> Response[bytes]:
    country_code, party_id, tariff_id = _ids(caller, country_code, party_id, tariff_id)
    await TariffService(request.app.state.store).delete(country_code, party_id, tariff_id)
    return ocpi_response()


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="tariffs", role="SENDER", party_role="CPO",
                    handlers=[list_tariffs]),
    ModuleInterface(version=VERSION, identifier="tariffs", role="RECEIVER", party_role="EMSP",
                    handlers=[get_tariff, put_tariff, delete_tariff]),
]
