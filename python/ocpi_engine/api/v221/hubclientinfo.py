"""HubClientInfo module, OCPI 2.2.1 (hubclientinfo.md): a configuration module, so mounted once per version at
`/ocpi/2.2.1/hubclientinfo`. Receiver: a hub PUTs and GETs the ClientInfo of a party behind it. Sender: the
paginated list of parties we know (one per role of every partner, status from the connection)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, put

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.bodies import decode_body
from ocpi_engine.api.envelope import ocpi_raw_response, ocpi_response
from ocpi_engine.api.pagination import paginated_response, parse_list_query
from ocpi_engine.api.params import ci_string
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.errors import InvalidParametersError
from ocpi_engine.models.v221.hubclientinfo import ClientInfo, client_info_decoder
from ocpi_engine.models.versions import Role
from ocpi_engine.services.hubclientinfo import MODULE, HubClientInfoService
from ocpi_engine.storage.base import ObjectRecord, Page

VERSION = "2.2.1"
_PARTY = "/{country_code:str}/{party_id:str}"


def _service(request: Request[Any, Any, Any]) -> HubClientInfoService:
    clientinfo: HubClientInfoService = request.app.state.hubclientinfo
    return clientinfo


def _party(country_code: str, party_id: str) -> tuple[str, str]:
    return ci_string(country_code, "country_code", 2).upper(), ci_string(party_id, "party_id", 3).upper()


@put(_PARTY)
async def put_client_info(request: Request[Any, Any, Any], caller: Caller, country_code: str,
                          party_id: str) -> Response[bytes]:
    """A hub tells us about a party (new or changed status); 201 when new."""
    country_code, party_id = _party(country_code, party_id)
    info = decode_body(await request.body(), ClientInfo, decoder=client_info_decoder)
    created = await _service(request).put(caller.partner, country_code, party_id, info)
    return ocpi_response(http_status=201 if created else 200)


@get(_PARTY)
async def get_client_info(request: Request[Any, Any, Any], caller: Caller, country_code: str,
                          party_id: str) -> Response[bytes]:
    """The ClientInfo as we store it (`?role=` picks one role of a party with several)."""
    country_code, party_id = _party(country_code, party_id)
    role = request.query_params.get("role")
    if role is not None and role.upper() not in Role.__members__:
        raise InvalidParametersError(f"invalid parameter `role`: {role!r}", field="role")
    body = await _service(request).get(caller.partner, country_code, party_id, role.upper() if role else None)
    return ocpi_raw_response(body)


@get("/")
async def list_client_info(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Every party we know, paginated (date_from / date_to / offset / limit)."""
    settings = request.app.state.settings
    query = parse_list_query(request, settings.page_size)
    known = await _service(request).known()
    matching = [(index + 1, stamp, body) for index, (stamp, body) in enumerate(known)
                if (query.date_from is None or stamp >= query.date_from)
                and (query.date_to is None or stamp < query.date_to)]
    start = [m for m in matching if m[0] > query.cursor] if query.cursor is not None else matching[query.offset:]
    chosen = start[:query.limit]
    items = [ObjectRecord(module=MODULE, country_code="", party_id="", id=str(seq), last_updated=stamp, body=body,
                          seq=seq) for seq, stamp, body in chosen]
    more = len(start) > len(chosen)
    page = Page(items=items, total=len(matching), next_cursor=chosen[-1][0] if more and chosen else None)
    return paginated_response(request, query, page, settings.page_size, settings.public_url)


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="hubclientinfo", role="RECEIVER", party_role=None,
                    handlers=[put_client_info, get_client_info]),
    ModuleInterface(version=VERSION, identifier="hubclientinfo", role="SENDER", party_role=None,
                    handlers=[list_client_info]),
]
