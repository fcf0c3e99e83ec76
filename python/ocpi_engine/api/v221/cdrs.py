"""CDRs module, OCPI 2.2.1 (cdrs.md): the eMSP's Receiver (POST a CDR, answered with its URL in `Location`; GET
that URL) and the CPO's Sender (our own CDRs, paginated).

Our CDR URL is `{cdrs endpoint}/{country_code}/{party_id}/{id}` (the structure is ours to choose, cdrs.md 2.2): CDR ids
are unique per CPO party only. A GET answers only the partner that sent the CDR (404 revealing nothing otherwise).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.envelope import ocpi_raw_response, ocpi_response
from ocpi_engine.api.pagination import list_objects
from ocpi_engine.api.params import ci_string
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.api.v221.sessions import decode_object
from ocpi_engine.errors import InvalidParametersError
from ocpi_engine.models.v221.cdrs import Cdr, cdr_decoder
from ocpi_engine.services.audience import partner_parties
from ocpi_engine.services.cdrs import MODULE, CdrService
from ocpi_engine.storage.base import OWN

VERSION = "2.2.1"


def service(request: Request[Any, Any, Any]) -> CdrService:
    state = request.app.state
    return CdrService(state.settings, state.store)


def cdr_url(request: Request[Any, Any, Any], country_code: str, party_id: str, cdr_id: str) -> str:
    """Absolute URL of a received CDR at our Receiver (public base URL, so it is right behind a proxy)."""
    base = request.app.state.settings.public_url + request.url.path.rstrip("/")
    return f"{base}/{quote(country_code.upper(), safe='')}/{quote(party_id.upper(), safe='')}/{quote(cdr_id, safe='')}"


# -- Receiver (eMSP) ---------------------------------------------------------------------------------------------
@post("/", status_code=201)
async def post_cdr(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Store a new CDR (201 + Location). The same CDR again: 200 + Location, nothing changed; another CDR under a
    stored id: 2001 (CDRs are immutable)."""
    cdr = decode_object(await request.body(), Cdr, cdr_decoder)
    if not caller.owns(cdr.country_code, cdr.party_id):
        raise InvalidParametersError(
            f"invalid field `country_code`/`party_id`: {cdr.country_code}/{cdr.party_id} is not one of your roles",
            field="party_id")
    created, _ = await service(request).receive(cdr, partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200,
                         headers={"Location": cdr_url(request, cdr.country_code, cdr.party_id, cdr.id)})


@get("/{country_code:str}/{party_id:str}/{cdr_id:str}")
async def get_cdr(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                  cdr_id: str) -> Response[bytes]:
    """A CDR previously POSTed, at the URL its Location header gave."""
    country_code = ci_string(country_code, "country_code", 2)
    party_id = ci_string(party_id, "party_id", 3)
    cdr_id = ci_string(cdr_id, "cdr_id", 39)
    caller.require_owner(country_code, party_id)
    return ocpi_raw_response(await service(request).get(country_code, party_id, cdr_id, partner_id=caller.partner_id))


# -- Sender (CPO) ------------------------------------------------------------------------------------------------
@get("/")
async def list_cdrs(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Our CDRs for the caller's eMSP parties (services/audience.py), paginated (date_from / date_to / offset /
    limit, all optional)."""
    store = request.app.state.store
    return await list_objects(request, store, MODULE, partner_id=OWN,
                              token_parties=sorted(await partner_parties(store, caller.partner)))


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="cdrs", role="RECEIVER", party_role="EMSP",
                    handlers=[post_cdr, get_cdr]),
    ModuleInterface(version=VERSION, identifier="cdrs", role="SENDER", party_role="CPO", handlers=[list_cdrs]),
]
