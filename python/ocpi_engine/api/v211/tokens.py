"""Tokens module, OCPI 2.1.1 (tokens.md section 5): the CPO interface (tokens pushed by eMSPs; no `type`
query parameter, tokens carry no owner: the URL's party owns them) and the eMSP interface (our tokens:
list and real-time authorization). Stored as 2.2.1; converted at the edge."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, patch, post, put

from ocpi_engine.api.auth import Caller
from ocpi_engine.api.bodies import decode_body
from ocpi_engine.api.envelope import encoder, ocpi_response
from ocpi_engine.api.pagination import paginated_response, parse_list_query
from ocpi_engine.api.params import ci_string, token_type
from ocpi_engine.api.registry import ModuleInterface
from ocpi_engine.errors import InvalidParametersError, NotFoundError, UnknownTokenError
from ocpi_engine.models import downgrade, upgrade
from ocpi_engine.models.v211 import tokens as v211
from ocpi_engine.models.v221.tokens import TokenPatch, TokenType, token_decoder
from ocpi_engine.services.tokens import MODULE, TokenService
from ocpi_engine.storage.base import OWN

VERSION = "2.1.1"
_OBJECT = "/{country_code:str}/{party_id:str}/{token_uid:str}"
_TYPES = ("RFID", "OTHER", "APP_USER", "AD_HOC_USER")


def _service(request: Request[Any, Any, Any]) -> TokenService:
    service: TokenService = request.app.state.tokens
    return service


async def _find(service: TokenService, country_code: str, party_id: str, uid: str) -> bytes | None:
    """2.1.1 URLs have no type: the uid's RFID token first, then the other types."""
    for kind in _TYPES:
        body = await service.get(country_code, party_id, uid, kind)
        if body is not None:
            return body
    return None


def _ids(country_code: str, party_id: str, token_uid: str) -> tuple[str, str, str]:
    return ci_string(country_code, "country_code", 2), ci_string(party_id, "party_id", 3), \
        ci_string(token_uid, "token_uid", 36)


@get(_OBJECT)
async def get_token(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                    token_uid: str) -> Response[bytes]:
    country_code, party_id, token_uid = _ids(country_code, party_id, token_uid)
    caller.require_owner(country_code, party_id)
    body = await _find(_service(request), country_code, party_id, token_uid)
    if body is None:
        raise NotFoundError(f"unknown token {token_uid}")
    return ocpi_response(downgrade.token(token_decoder.decode(body)))


@put(_OBJECT)
async def put_token(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                    token_uid: str) -> Response[bytes]:
    country_code, party_id, token_uid = _ids(country_code, party_id, token_uid)
    caller.require_owner(country_code, party_id)
    old = decode_body(await request.body(), v211.Token, decoder=v211.token_decoder)
    if old.uid.upper() != token_uid.upper():
        raise InvalidParametersError(f"invalid field `uid`: {old.uid!r} differs from the URL's {token_uid!r}",
                                     field="uid")
    created = await _service(request).put(upgrade.token(old, country_code=country_code, party_id=party_id),
                                          partner_id=caller.partner_id)
    return ocpi_response(http_status=201 if created else 200)


@patch(_OBJECT)
async def patch_token(request: Request[Any, Any, Any], caller: Caller, country_code: str, party_id: str,
                      token_uid: str) -> Response[bytes]:
    country_code, party_id, token_uid = _ids(country_code, party_id, token_uid)
    caller.require_owner(country_code, party_id)
    changes = decode_body(await request.body(), v211.TokenPatch, decoder=v211.token_patch_decoder)
    service = _service(request)
    body = await _find(service, country_code, party_id, token_uid)
    if body is None:
        raise NotFoundError(f"unknown token {token_uid}: PUT it first")
    current = token_decoder.decode(body)
    fields = msgspec.to_builtins(changes)
    if "auth_id" in fields:
        fields["contract_id"] = fields.pop("auth_id")
    fields.setdefault("last_updated", current.last_updated)  # 2.1.1 PATCH may omit it
    try:
        patch221 = msgspec.convert(fields, TokenPatch)
    except msgspec.ValidationError as exc:
        from ocpi_engine.api.bodies import validation_error

        raise validation_error(exc) from exc
    await service.patch(country_code, party_id, token_uid, current.type, patch221, partner_id=caller.partner_id)
    return ocpi_response()


@get("/")
async def list_tokens(request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
    """Our tokens in 2.1.1 form, paginated."""
    state = request.app.state
    query = parse_list_query(request, state.settings.page_size)
    page = await state.store.list_objects(MODULE, partner_id=OWN, date_from=query.date_from, date_to=query.date_to,
                                          offset=query.offset, after_seq=query.cursor, limit=query.limit)
    bodies = [encoder.encode(downgrade.token(token_decoder.decode(r.body))) for r in page.items]
    return paginated_response(request, query, page, state.settings.page_size, state.settings.public_url, bodies)


@post("/{token_uid:str}/authorize", status_code=200)
async def authorize(request: Request[Any, Any, Any], caller: Caller, token_uid: str) -> Response[bytes]:
    token_uid = ci_string(token_uid, "token_uid", 36)
    kind = token_type(request.query_params.get("type") or request.query_params.get("token_type"), TokenType)
    raw = await request.body()
    location = decode_body(raw, v211.LocationReferences, decoder=v211.location_references_decoder) \
        if raw.strip() else None
    from ocpi_engine.models.v221.tokens import LocationReferences

    location221 = LocationReferences(location_id=location.location_id, evse_uids=location.evse_uids) \
        if location is not None else None
    try:
        info = await _service(request).authorize_own(token_uid, kind, location221)
    except UnknownTokenError as exc:
        # 2.1.1 has no 2004: HTTP 404 is the common practice (tokens.md 5.1).
        raise NotFoundError(exc.message) from exc
    answer = v211.AuthorizationInfo(allowed=info.allowed, location=location if info.location is not None else None)
    return ocpi_response(answer)


INTERFACES = [
    ModuleInterface(version=VERSION, identifier="tokens", role="RECEIVER", party_role="CPO",
                    handlers=[get_token, put_token, patch_token]),
    ModuleInterface(version=VERSION, identifier="tokens", role="SENDER", party_role="EMSP",
                    handlers=[list_tokens, authorize]),
]
