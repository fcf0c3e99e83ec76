"""CDRs module, OCPI 2.1.1 (cdrs.md section 5): the eMSP interface (POST a CDR, `Location` header required, GET it
there) and the CPO interface (our CDRs in 2.1.1 form). Stored and reconciled as 2.2.1.

2.1.1 CDRs carry no owner: it is the sending partner's party (a 2.1.1 connection has one). No Credit CDRs in 2.1.1.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.bodies import validation_error
from ocpi_engine.api.envelope import encoder, ocpi_response
from ocpi_engine.api.pagination import paginated_response, parse_list_query
from ocpi_engine.api.params import ci_string
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.api.v221.cdrs import cdr_url, service
from ocpi_engine.api.v221.sessions import decode_object
from ocpi_engine.errors import InvalidParametersError
from ocpi_engine.models.sessions_convert import downgrade_cdr, upgrade_cdr
from ocpi_engine.models.v211 import cdrs as v211
from ocpi_engine.models.v221.cdrs import cdr_decoder
from ocpi_engine.services.audience import partner_parties
from ocpi_engine.services.cdrs import MODULE
from ocpi_engine.storage.base import OWN

VERSION = "2.1.1"


@post("/", status_code=201)
async def post_cdr(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    old = decode_object(await request.body(), v211.Cdr, v211.cdr_decoder)
    if not caller.parties:
        raise InvalidParametersError("this connection registered no party to own CDRs", field="party_id")
    country_code, party_id = sorted(caller.parties)[0]
    settings = request.app.state.settings
    try:
        cdr = upgrade_cdr(old, country_code=country_code, party_id=party_id,
                          token_country_code=settings.country_code, token_party_id=settings.party_id)
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from exc
    created, _ = await service(request).receive(cdr, partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200,
                         headers={"Location": cdr_url(request, country_code, party_id, cdr.id)})


@get("/{country_code:str}/{party_id:str}/{cdr_id:str}")
async def get_cdr(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                  cdr_id: str) -> Response[bytes]:
    country_code = ci_string(country_code, "country_code", 2)
    party_id = ci_string(party_id, "party_id", 3)
    cdr_id = ci_string(cdr_id, "cdr_id", 39)
    caller.require_owner(country_code, party_id)
    body = await service(request).get(country_code, party_id, cdr_id, partner_id=caller.partner_id)
    return ocpi_response(downgrade_cdr(cdr_decoder.decode(body)))


@get("/")
async def list_cdrs(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Our CDRs for the caller's parties (services/audience.py) in 2.1.1 form, paginated."""
    state = request.app.state
    query = parse_list_query(request, state.settings.page_size)
    parties = sorted(await partner_parties(state.store, caller.partner))
    page = await state.store.list_objects(MODULE, partner_id=OWN, token_parties=parties, date_from=query.date_from,
                                          date_to=query.date_to, offset=query.offset, after_seq=query.cursor,
                                          limit=query.limit)
    bodies = [encoder.encode(downgrade_cdr(cdr_decoder.decode(r.body))) for r in page.items]
    return paginated_response(request, query, page, state.settings.page_size, state.settings.public_url, bodies)


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="cdrs", role="RECEIVER", party_role="EMSP",
                    handlers=[post_cdr, get_cdr]),
    ModuleInterface(version=VERSION, identifier="cdrs", role="SENDER", party_role="CPO", handlers=[list_cdrs]),
]
