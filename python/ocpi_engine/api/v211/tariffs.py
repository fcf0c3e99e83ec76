"""Tariffs module, OCPI 2.1.1 (tariffs.md section 8): the CPO interface (our own tariffs, paginated list,
downgraded) and the eMSP interface (tariffs CPOs push: GET/PUT/PATCH/DELETE; the owner is the URL's party).
Stored as 2.2.1."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, patch, put

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.envelope import ocpi_raw_response, ocpi_response
from ocpi_engine.api.pagination import paginated_response, parse_list_query
from ocpi_engine.api.params import ci_string
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.api.v221.locations import check_url_id
from ocpi_engine.models.tariffs_convert import upgrade_tariff
from ocpi_engine.models.v211 import tariffs as v211
from ocpi_engine.models.v221.tariffs import tariff_decoder
from ocpi_engine.services.locations import decode_changes, decode_object, encoder
from ocpi_engine.services.tariffs import MODULE, TariffService, downgraded
from ocpi_engine.storage.base import OWN

VERSION = "2.1.1"
_TARIFF = "/{country_code:str}/{party_id:str}/{tariff_id:str}"


def _ids(caller: Caller, country_code: str, party_id: str, tariff_id: str) -> tuple[str, str, str]:
    country_code, party_id = ci_string(country_code, "country_code", 2), ci_string(party_id, "party_id", 3)
    caller.require_owner(country_code, party_id)
    return country_code.upper(), party_id.upper(), ci_string(tariff_id, "tariff_id", 36)


@get("/")
async def list_tariffs(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Our tariffs in 2.1.1 form, paginated."""
    state = request.app.state
    query = parse_list_query(request, state.settings.page_size)
    page = await state.store.list_objects(MODULE, partner_id=OWN, date_from=query.date_from,
                                          date_to=query.date_to, offset=query.offset, after_seq=query.cursor,
                                          limit=query.limit)
    bodies = [downgraded.get(record) for record in page.items]
    return paginated_response(request, query, page, state.settings.page_size, state.settings.public_url, bodies)


@get(_TARIFF)
async def get_tariff(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                     tariff_id: str) -> Response[bytes]:
    country_code, party_id, tariff_id = _ids(caller, country_code, party_id, tariff_id)
    record = await TariffService(request.app.state.store).get(country_code, party_id, tariff_id)
    return ocpi_raw_response(downgraded.get(record))


@put(_TARIFF)
async def put_tariff(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                     tariff_id: str) -> Response[bytes]:
    country_code, party_id, tariff_id = _ids(caller, country_code, party_id, tariff_id)
    old = decode_object(await request.body(), v211.tariff_decoder)
    check_url_id("id", old.id, tariff_id)
    upgraded = upgrade_tariff(old, country_code=country_code, party_id=party_id)
    tariff = decode_object(encoder.encode(upgraded), tariff_decoder)
    created = await TariffService(request.app.state.store).put(tariff, partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


@patch(_TARIFF)
async def patch_tariff(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                       tariff_id: str) -> Response[bytes]:
    """Some fields of a tariff (e.g. the whole `elements` list); `last_updated` may be omitted in 2.1.1."""
    from ocpi_engine.models._base import format_datetime, utc_now

    country_code, party_id, tariff_id = _ids(caller, country_code, party_id, tariff_id)
    changes = decode_changes(await request.body())
    changes.setdefault("last_updated", format_datetime(utc_now()))
    await TariffService(request.app.state.store).patch_v211(country_code, party_id, tariff_id, changes,
                                                            partner_id=caller.partner_id)
    return ocpi_response()


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
                    handlers=[get_tariff, put_tariff, patch_tariff, delete_tariff]),
]
